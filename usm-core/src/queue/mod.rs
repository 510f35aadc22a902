//! Queues: a device, a context and immediate command lists on a chosen engine, made once
//! and reused for every copy and fill.
//!
//! A [`Queue`] has one immediate list of its mode, where asynchronous work
//! ([`scope`](crate::scope()), [`Pending`]) goes in submission order: in
//! [`Mode::Asynchronous`] (the default) it returns at once and completes through events; in
//! [`Mode::Synchronous`] every append returns after its work is done. Synchronous calls
//! ([`Queue::copy`] and friends) go to synchronous lists of the same engine, one per
//! thread that makes them, so that they take no lock ([`Queue::sync_lists_created`]).
//! Synchronous calls need no order with usm-core's asynchronous work in flight: that work
//! holds its memory borrowed or owned until it is done, so no synchronous call can reach
//! the same memory. Work appended by hand to [`Queue::raw_list`] (or by the owner of an
//! adopted list) holds nothing, so once the list was handed out, synchronous calls first
//! wait for it (see [`Queue::raw_list`] for the exact order). [`Queue::synchronize`] waits
//! for everything. See [`engine`] for which engine a queue uses.
//!
//! All of a queue's API lives here: making it ([`Queue::with_options`]), its synchronous
//! copies and fills (`copy`), its owned asynchronous work ([`pending`]), and the one
//! submission routine (`submit`) that owned work and [`scope`](crate::scope()) share, with
//! the one dependency type, [`EventRef`].

mod command;
mod copy;
pub mod engine;
mod events;
mod hint;
mod interop;
mod order;
pub mod pending;
mod submit;
mod sync_lists;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use level_zero_sys::{
    ze_command_list_handle_t, ze_command_queue_desc_t, ze_command_queue_flag_t,
    ze_command_queue_mode_t, ze_command_queue_priority_t, ze_structure_type_t,
};

pub(crate) use command::{copy_async_span, fill_async_span, report, start_clock, Command};
pub use engine::{ChosenEngine, Engine};
pub use hint::MemAdvice;
pub use pending::{Failed, Pending, PendingResult};
pub use submit::EventRef;
pub(crate) use submit::Submission;

use crate::context::Context;
use crate::device::QueueGroup;
use crate::error::{Error, Result};
use crate::names::Device;
use crate::result;
use events::EventPool;

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
    /// The synchronous lists of synchronous calls, one per thread (see `sync_lists`).
    sync_lists: sync_lists::SyncLists,
    events: Mutex<EventPool>,
    chosen: ChosenEngine,
    mode: Mode,
    device: Device,
    // Dropped last: the list and the events are made in this context.
    context: Context,
    /// Interop and ordering with `raw_list()` (see `order`).
    raw: order::RawUse,
}

// SAFETY: the list of the queue's mode is only used under its mutex, and each synchronous
// list by the one thread holding it (Level Zero forbids appending to one list from
// simultaneous threads, which both rule out); events are
// handed out under the `events` mutex; event waits and queries are free-threaded. The
// handles stay valid until `Drop`, which runs once no `Queue` or scope refers to them.
unsafe impl Send for QueueInner {}
// SAFETY: as for Send; `&QueueInner` only reaches the handles through the mutexes.
unsafe impl Sync for QueueInner {}

impl Drop for QueueInner {
    fn drop(&mut self) {
        let api = self.context.api();
        let mut lists = self.sync_lists.take_all();
        // A borrowed list (`Queue::from_raw_borrowed`) is its owner's to destroy.
        if self.raw.owns_list {
            lists.push(*self.list.get_mut().unwrap_or_else(PoisonError::into_inner));
        }
        for list in lists.into_iter().filter(|l| !l.is_null()) {
            // SAFETY: the list came from zeCommandListCreateImmediate and no work is in
            // flight: synchronous calls wait before returning, and scopes and pending work
            // hold the queue until all their work completed.
            match unsafe { result::command_list::destroy(api, list) } {
                Ok(()) => tracing::debug!(
                    target: "usm_core::queue",
                    list = ?list,
                    "command list destroyed"
                ),
                Err(e) => {
                    tracing::error!(error = %e, "cannot destroy an immediate command list");
                    self.context.record_drop_error(e);
                }
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
    /// [`Error::DeviceNotInContext`] when `device` is not one of the context's devices;
    /// [`TransferError::NoSuchEngine`](crate::TransferError::NoSuchEngine) when the device lacks the engine or index; the code
    /// of `zeCommandListCreateImmediate`.
    pub fn with_options(
        context: &Context,
        device: &Device,
        options: QueueOptions,
    ) -> Result<Queue> {
        if !context.contains_device(device) {
            return Err(Error::DeviceNotInContext {
                device: device.addr(),
                context: context.raw() as usize,
            });
        }
        let groups = device.queue_groups()?;
        let chosen = engine::choose(&groups, options.engine, options.index)?;
        let list = create_list(context, device, &chosen, options.mode)?;
        let queue = Queue::over(context, device, list, chosen, options.mode, true);
        // The queue owns its list before anything that may call the user's code (a
        // tracing subscriber, which may panic): unwinding from here destroys the list.
        tracing::debug!(
            target: "usm_core::queue",
            ?device,
            list = ?list,
            engine = %chosen.engine,
            ordinal = chosen.group.ordinal,
            index = chosen.index,
            mode = ?options.mode,
            "queue created"
        );
        Ok(queue)
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
    #[inline]
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
    /// # Ordering of work appended to it
    ///
    /// * **With later synchronous calls** ([`Queue::copy`], [`Queue::fill`],
    ///   [`Queue::prefetch`], ...): they run after it. In [`Mode::Synchronous`] the list is
    ///   synchronous, so raw work is done when its append returns. In
    ///   [`Mode::Asynchronous`], once `raw_list` has been called on a queue (or any of its
    ///   clones), every later synchronous call first waits for everything on this list (a
    ///   barrier signalling an event, awaited on the host) before it runs on the
    ///   synchronous list: the order holds by construction, whenever the handle is used,
    ///   at the cost of that wait. A queue whose list is never taken pays one atomic load.
    /// * **With the queue's asynchronous work** ([`scope`](crate::scope()), [`Pending`]):
    ///   only through events or barriers. Commands of one list start in the order they are
    ///   appended, but Level Zero lets them overlap unless the list is in-order
    ///   (`ZE_COMMAND_QUEUE_FLAG_IN_ORDER`, which usm-core does not set), and usm-core's
    ///   asynchronous work waits only for the events it is given. So give it the event your
    ///   raw work signals ([`EventRef::from_raw`]), and make raw work wait for usm-core's
    ///   through [`EventRef::raw`] (or append a barrier, which waits for every command
    ///   before it).
    /// * **With [`Queue::synchronize`]**: it returns after all of it is done.
    ///
    /// # Safety
    ///
    /// Level Zero forbids appending to one list from simultaneous threads: the caller must
    /// not append while another thread uses this queue. Work appended must leave the list
    /// usable (not closed, not reset) and must be done before the queue's last clone drops.
    pub unsafe fn raw_list(&self) -> ze_command_list_handle_t {
        self.inner.raw.mark_taken(self.inner.mode);
        *self.inner.lock_list()
    }

    /// Number of events the queue has made so far (they are reused, so this stays at the
    /// most ever in flight at once).
    pub fn events_created(&self) -> usize {
        self.inner.lock_events().created()
    }
}

impl Queue {
    /// The queue over `list`, an immediate list on `chosen` in `mode` of `device` in
    /// `context`, which it destroys on drop when `owns_list`.
    fn over(
        context: &Context,
        device: &Device,
        list: ze_command_list_handle_t,
        chosen: ChosenEngine,
        mode: Mode,
        owns_list: bool,
    ) -> Queue {
        Queue {
            inner: Arc::new(QueueInner {
                list: Mutex::new(list),
                sync_lists: sync_lists::SyncLists::default(),
                events: Mutex::new(EventPool::new(context.raw(), context.api())),
                chosen,
                mode,
                device: device.clone(),
                context: context.dependent(),
                raw: order::RawUse::new(owns_list),
            }),
        }
    }
}

impl QueueInner {
    #[inline]
    fn lock_list(&self) -> MutexGuard<'_, ze_command_list_handle_t> {
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_events(&self) -> MutexGuard<'_, EventPool> {
        self.events.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The raw handle of the queue's context, as an address (as errors name contexts).
    #[inline]
    fn context_addr(&self) -> usize {
        self.context.raw() as usize
    }
}

impl Queue {
    /// The raw handle of the queue's context, as an address (as errors name contexts).
    #[inline]
    fn context_addr(&self) -> usize {
        self.inner.context_addr()
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
    // SAFETY: valid context and device handles (the device is one of the context's), a
    // descriptor naming an existing group and index (checked by `engine::choose`).
    unsafe {
        result::command_list::create_immediate(context.api(), context.raw(), device.raw(), &desc)
    }
}
