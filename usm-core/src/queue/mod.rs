//! Queues: a device, a context and immediate command lists on a chosen engine, made once
//! and reused for every copy and fill.
//!
//! In [`Mode::Synchronous`] a [`Queue`] has one synchronous immediate list: every append
//! returns after its work is done, asynchronous work included. In [`Mode::Asynchronous`]
//! (the default) asynchronous work ([`scope`](crate::scope()), [`Pending`](crate::Pending))
//! goes to an asynchronous immediate list, in submission order, and synchronous calls
//! ([`Queue::copy`] and friends) to a second, synchronous list of the same engine, made at
//! the first such call. Synchronous calls need no order with the asynchronous work in
//! flight: that work holds its memory borrowed or owned until it is done, so no
//! synchronous call can reach the same memory. See [`engine`] for which engine a queue
//! uses.

pub mod engine;
mod events;

use std::ffi::c_void;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use level_zero_sys::{
    ze_command_list_handle_t, ze_command_queue_desc_t, ze_command_queue_flag_t,
    ze_command_queue_mode_t, ze_command_queue_priority_t, ze_copy_region_t, ze_event_handle_t,
    ze_result_t, ze_structure_type_t,
};

pub use engine::{ChosenEngine, Engine};
pub(crate) use events::EventPool;

use crate::context::Context;
use crate::device::{Device, QueueGroup};
use crate::error::{check, Error, Result};
use crate::init::api;

/// Whether asynchronous work overlaps with the host (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// Asynchronous work returns at once and completes through events; synchronous calls
    /// use a synchronous list of their own (the default).
    #[default]
    Asynchronous,
    /// One synchronous list (`ZE_COMMAND_QUEUE_MODE_SYNCHRONOUS`): every append, also of
    /// asynchronous work, returns after its work is done.
    Synchronous,
}

/// How to make a [`Queue`]: engine, engine index and mode.
///
/// ```
/// use usm_core::{Engine, Mode, QueueOptions};
/// let options = QueueOptions::new().engine(Engine::Compute).mode(Mode::Synchronous);
/// assert_eq!(options.get_engine(), Engine::Compute);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct QueueOptions {
    engine: Engine,
    index: u32,
    mode: Mode,
}

impl QueueOptions {
    /// [`Engine::Auto`], index 0, [`Mode::Asynchronous`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The engine to submit to.
    pub fn engine(mut self, engine: Engine) -> Self {
        self.engine = engine;
        self
    }

    /// The engine's index within its queue group (default 0).
    pub fn index(mut self, index: u32) -> Self {
        self.index = index;
        self
    }

    /// Synchronous or asynchronous appends.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// The engine asked for.
    pub fn get_engine(&self) -> Engine {
        self.engine
    }

    /// The engine index asked for.
    pub fn get_index(&self) -> u32 {
        self.index
    }

    /// The mode asked for.
    pub fn get_mode(&self) -> Mode {
        self.mode
    }
}

/// A queue of copies and fills on one engine of a device, like a SYCL queue.
///
/// Cheap to clone (an `Arc` inside); clones share the command lists, so asynchronous work
/// from all of them runs in one order. Safe to share between threads: appends are
/// serialised inside.
///
/// ```no_run
/// use usm_core::{Context, Queue, UsmDevice};
/// let (context, device) = Context::default_gpu()?;
/// let queue = Queue::new(&context, &device)?;
/// let mut on_device = UsmDevice::new(&context, &device, 4)?;
/// queue.write_from_slice(&mut on_device, &[1, 2, 3, 4])?;
/// assert_eq!(queue.to_vec(&on_device)?, [1, 2, 3, 4]);
/// # Ok::<(), usm_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Queue {
    pub(crate) inner: Arc<QueueInner>,
}

pub(crate) struct QueueInner {
    /// The list of the queue's mode.
    list: Mutex<ze_command_list_handle_t>,
    /// In asynchronous mode: the synchronous list for synchronous calls (null until the
    /// first one).
    sync_list: Mutex<ze_command_list_handle_t>,
    pub(crate) events: Mutex<EventPool>,
    chosen: ChosenEngine,
    mode: Mode,
    device: Device,
    // Dropped last: the list and the events are made in this context.
    context: Context,
}

// SAFETY: each command list handle is only used under its mutex (Level Zero forbids
// appending to one list from simultaneous threads, which the mutex rules out); events are
// handed out under the `events` mutex; event waits and queries are free-threaded. The
// handles stay valid until `Drop`, which runs once no `Queue` or scope refers to them.
unsafe impl Send for QueueInner {}
// SAFETY: as for Send; `&QueueInner` only reaches the handles through the mutexes.
unsafe impl Sync for QueueInner {}

impl Drop for QueueInner {
    fn drop(&mut self) {
        let Ok(api) = api() else { return };
        let lists = [
            *self.list.get_mut().unwrap_or_else(PoisonError::into_inner),
            *self
                .sync_list
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner),
        ];
        for list in lists.into_iter().filter(|l| !l.is_null()) {
            // SAFETY: the list came from zeCommandListCreateImmediate and no work is in
            // flight: synchronous calls wait before returning, and scopes and pending work
            // hold the queue until all their work completed.
            let outcome = unsafe { api.zeCommandListDestroy(list) };
            if let Err(e) = check("zeCommandListDestroy", outcome, || format!("{list:p}")) {
                tracing::error!(error = %e, "cannot destroy an immediate command list");
                self.context.record_drop_error(e);
            }
        }
    }
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("device", &self.inner.device)
            .field("engine", &self.inner.chosen)
            .field("mode", &self.inner.mode)
            .finish()
    }
}

/// One command, with raw addresses that the caller has checked.
pub(crate) enum Command<'a> {
    /// `zeCommandListAppendMemoryCopy`.
    Copy {
        dst: *mut c_void,
        src: *const c_void,
        len: usize,
    },
    /// `zeCommandListAppendMemoryFill`.
    Fill {
        dst: *mut c_void,
        pattern: &'a [u8],
        len: usize,
    },
    /// `zeCommandListAppendMemoryCopyRegion`.
    Region {
        dst: *mut c_void,
        dst_region: ze_copy_region_t,
        dst_pitches: (u32, u32),
        src: *const c_void,
        src_region: ze_copy_region_t,
        src_pitches: (u32, u32),
    },
    /// `zeCommandListAppendBarrier`: nothing but waits and a signal.
    Barrier,
}

impl Queue {
    /// A queue on `device` in `context` with the default options (copy engine when there
    /// is one, asynchronous).
    ///
    /// # Errors
    ///
    /// As [`Queue::with_options`].
    pub fn new(context: &Context, device: &Device) -> Result<Queue> {
        Self::with_options(context, device, QueueOptions::new())
    }

    /// A queue on `device` in `context`, on the engine and in the mode `options` name.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `device` is not one of the context's devices;
    /// [`TransferError::NoSuchEngine`](crate::TransferError::NoSuchEngine) when the device lacks the engine or index; the code
    /// of `zeCommandListCreateImmediate`.
    pub fn with_options(
        context: &Context,
        device: &Device,
        options: QueueOptions,
    ) -> Result<Queue> {
        if !context.contains_device(device) {
            return Err(Error::InvalidArgument {
                name: "device",
                reason: format!("{device:?} is not a device of {context:?}"),
            });
        }
        let groups = device.queue_groups()?;
        let chosen = engine::choose(&groups, options.engine, options.index)?;
        let list = create_list(context, device, &chosen, options.mode)?;
        tracing::debug!(
            target: "usm_core::queue",
            ?device,
            engine = %chosen.engine,
            ordinal = chosen.group.ordinal,
            index = chosen.index,
            mode = ?options.mode,
            "queue created"
        );
        Ok(Queue {
            inner: Arc::new(QueueInner {
                list: Mutex::new(list),
                sync_list: Mutex::new(std::ptr::null_mut()),
                events: Mutex::new(EventPool::new(context.raw())),
                chosen,
                mode: options.mode,
                device: device.clone(),
                context: context.dependent(),
            }),
        })
    }

    /// The context the queue was made in.
    pub fn context(&self) -> &Context {
        &self.inner.context
    }

    /// The device the queue submits to.
    pub fn device(&self) -> &Device {
        &self.inner.device
    }

    /// The engine the queue submits to (never [`Engine::Auto`]).
    pub fn engine(&self) -> Engine {
        self.inner.chosen.engine
    }

    /// The queue group and index the queue submits to.
    pub fn chosen_engine(&self) -> ChosenEngine {
        self.inner.chosen
    }

    /// The queue group the queue submits to.
    pub fn queue_group(&self) -> QueueGroup {
        self.inner.chosen.group
    }

    /// Synchronous or asynchronous.
    pub fn mode(&self) -> Mode {
        self.inner.mode
    }

    /// The longest fill pattern this queue's engine accepts, in bytes.
    pub fn max_fill_pattern_size(&self) -> usize {
        self.inner.chosen.group.max_memory_fill_pattern_size
    }

    /// The raw immediate command list of the queue's mode (the one asynchronous work goes
    /// to), for calls usm-core does not wrap.
    ///
    /// # Safety
    ///
    /// Level Zero forbids appending to one list from simultaneous threads: the caller must
    /// not append while another thread uses this queue.
    pub unsafe fn raw_list(&self) -> ze_command_list_handle_t {
        *self.inner.lock_list()
    }

    /// Number of events the queue has made so far (they are reused, so this stays at the
    /// most ever in flight at once).
    pub fn events_created(&self) -> usize {
        self.inner.lock_events().created()
    }

    /// Runs `command` and returns when it is done.
    ///
    /// # Safety
    ///
    /// The addresses in `command` must be valid for the accesses it makes until it
    /// returns, and no other code may access the destination meanwhile.
    pub(crate) unsafe fn run(&self, command: &Command<'_>) -> Result<()> {
        let inner = &*self.inner;
        let list = match inner.mode {
            Mode::Synchronous => inner.lock_list(),
            Mode::Asynchronous => {
                let mut list = inner
                    .sync_list
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if list.is_null() {
                    *list = create_list(
                        &inner.context,
                        &inner.device,
                        &inner.chosen,
                        Mode::Synchronous,
                    )?;
                }
                list
            }
        };
        // SAFETY: forwarded from the caller; the list is synchronous, so the work is done
        // when the append returns; the guard keeps other threads off the list.
        unsafe { inner.append_to(*list, command, std::ptr::null_mut(), &[]) }
    }
}

impl QueueInner {
    fn lock_list(&self) -> MutexGuard<'_, ze_command_list_handle_t> {
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn lock_events(&self) -> MutexGuard<'_, EventPool> {
        self.events.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends `command`, signalling `signal` (may be null) after waiting for `waits`.
    ///
    /// # Safety
    ///
    /// As [`Queue::run`], until `signal` is signalled; `signal` and `waits` are events of
    /// the queue's context.
    pub(crate) unsafe fn append(
        &self,
        command: &Command<'_>,
        signal: ze_event_handle_t,
        waits: &[ze_event_handle_t],
    ) -> Result<()> {
        let list = self.lock_list();
        // SAFETY: forwarded from the caller; the guard keeps other threads off the list.
        unsafe { self.append_to(*list, command, signal, waits) }
    }

    /// Appends `command` to `list`.
    ///
    /// # Safety
    ///
    /// As [`QueueInner::append`]; `list` is one of this queue's lists, which the caller
    /// keeps other threads off.
    unsafe fn append_to(
        &self,
        list: ze_command_list_handle_t,
        command: &Command<'_>,
        signal: ze_event_handle_t,
        waits: &[ze_event_handle_t],
    ) -> Result<()> {
        let api = self.context.api();
        let n = waits.len() as u32;
        // Level Zero takes the wait list as a mutable pointer but only reads it.
        let w = if waits.is_empty() {
            std::ptr::null_mut()
        } else {
            waits.as_ptr().cast_mut()
        };
        // SAFETY (all arms): the list is valid and used by this thread only (see above);
        // the addresses are valid per the caller; events are of this context per the
        // caller; `w` points at `n` handles living across the call.
        let (call, outcome) = match *command {
            Command::Copy { dst, src, len } => ("zeCommandListAppendMemoryCopy", unsafe {
                api.zeCommandListAppendMemoryCopy(list, dst, src, len, signal, n, w)
            }),
            Command::Fill { dst, pattern, len } => ("zeCommandListAppendMemoryFill", unsafe {
                api.zeCommandListAppendMemoryFill(
                    list,
                    dst,
                    pattern.as_ptr().cast(),
                    pattern.len(),
                    len,
                    signal,
                    n,
                    w,
                )
            }),
            Command::Region {
                dst,
                ref dst_region,
                dst_pitches,
                src,
                ref src_region,
                src_pitches,
            } => ("zeCommandListAppendMemoryCopyRegion", unsafe {
                api.zeCommandListAppendMemoryCopyRegion(
                    list,
                    dst,
                    dst_region,
                    dst_pitches.0,
                    dst_pitches.1,
                    src,
                    src_region,
                    src_pitches.0,
                    src_pitches.1,
                    signal,
                    n,
                    w,
                )
            }),
            Command::Barrier => ("zeCommandListAppendBarrier", unsafe {
                api.zeCommandListAppendBarrier(list, signal, n, w)
            }),
        };
        check(call, outcome, || describe(command, signal, waits))
    }
}

/// Makes an immediate list on `chosen` in `mode`.
fn create_list(
    context: &Context,
    device: &Device,
    chosen: &ChosenEngine,
    mode: Mode,
) -> Result<ze_command_list_handle_t> {
    let desc = ze_command_queue_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC,
        pNext: std::ptr::null(),
        ordinal: chosen.group.ordinal,
        index: chosen.index,
        flags: if chosen.index != 0 {
            ze_command_queue_flag_t::ZE_COMMAND_QUEUE_FLAG_EXPLICIT_ONLY.0
        } else {
            0
        },
        mode: match mode {
            Mode::Synchronous => ze_command_queue_mode_t::ZE_COMMAND_QUEUE_MODE_SYNCHRONOUS,
            Mode::Asynchronous => ze_command_queue_mode_t::ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS,
        },
        priority: ze_command_queue_priority_t::ZE_COMMAND_QUEUE_PRIORITY_NORMAL,
    };
    let mut list: ze_command_list_handle_t = std::ptr::null_mut();
    // SAFETY: valid context and device handles (the device is one of the context's),
    // typed descriptor naming an existing group and index, live out-parameter.
    let outcome = unsafe {
        context
            .api()
            .zeCommandListCreateImmediate(context.raw(), device.raw(), &desc, &mut list)
    };
    check("zeCommandListCreateImmediate", outcome, || {
        format!(
            "context={:p}, device={device:?}, ordinal={}, index={}, mode={mode:?}",
            context.raw(),
            chosen.group.ordinal,
            chosen.index,
        )
    })?;
    Ok(list)
}

fn describe(
    command: &Command<'_>,
    signal: ze_event_handle_t,
    waits: &[ze_event_handle_t],
) -> String {
    // Matched by value: the fields are the raw pointers themselves (`{:p}` of a reference
    // to one would print where the field lies, not the address the driver was given).
    let what =
        match *command {
            Command::Copy { dst, src, len } => format!("dst={dst:p}, src={src:p}, size={len}"),
            Command::Fill { dst, pattern, len } => {
                format!("ptr={dst:p}, pattern_size={}, size={len}", pattern.len())
            }
            Command::Region {
                dst,
                dst_region: ref d,
                dst_pitches,
                src,
                src_region: ref s,
                src_pitches,
            } => {
                format!(
            "dst={dst:p}, dst_origin=({},{},{}), dst_pitches={dst_pitches:?}, src={src:p}, \
             src_origin=({},{},{}), src_pitches={src_pitches:?}, extent=({},{},{})",
            d.originX, d.originY, d.originZ, s.originX, s.originY, s.originZ, d.width, d.height,
            d.depth
        )
            }
            Command::Barrier => "barrier".to_string(),
        };
    format!("{what}, signal={signal:p}, waits={}", waits.len())
}

/// Waits for `event` without a time limit.
pub(crate) fn wait_event(event: ze_event_handle_t) -> Result<()> {
    let api = api()?;
    loop {
        // SAFETY: a valid event of a live pool; waiting is free-threaded.
        let outcome = unsafe { api.zeEventHostSynchronize(event, u64::MAX) };
        if outcome == Ok(ze_result_t::ZE_RESULT_NOT_READY) {
            continue;
        }
        return check("zeEventHostSynchronize", outcome, || {
            format!("{event:p}, timeout=UINT64_MAX")
        });
    }
}

/// Whether `event` is signalled, without waiting.
pub(crate) fn query_event(event: ze_event_handle_t) -> Result<bool> {
    let api = api()?;
    // SAFETY: a valid event of a live pool; queries are free-threaded.
    let outcome = unsafe { api.zeEventQueryStatus(event) };
    if outcome == Ok(ze_result_t::ZE_RESULT_NOT_READY) {
        return Ok(false);
    }
    check("zeEventQueryStatus", outcome, || format!("{event:p}")).map(|()| true)
}

/// The start of a timed operation: `Some` only when debug tracing of copies is on.
pub(crate) fn start_clock() -> Option<Instant> {
    tracing::enabled!(target: "usm_core::copy", tracing::Level::DEBUG).then(Instant::now)
}
