//! Command lists: regular lists (recorded, closed, executed by a command queue, reset)
//! and immediate lists (each append runs at once: before the call returns in synchronous
//! mode, on the list's own worker thread in order otherwise). The appends themselves
//! are in [`crate::append`].
//!
//! * Appending to a closed regular list, or executing an open one, answers
//!   `ZE_RESULT_ERROR_INVALID_ARGUMENT`. Closing and resetting an immediate list are
//!   accepted and do nothing.
//! * Resetting a list with unfinished executions answers
//!   `ZE_RESULT_ERROR_HANDLE_OBJECT_IN_USE`; destroying it is allowed, as in Intel's
//!   driver (the work runs to its end).

use std::sync::{Arc, Mutex};

use level_zero_sys::*;

use crate::busy::Busy;
use crate::command::Step;
use crate::context::{self, Context};
use crate::device::{self, Device};
use crate::engine::{check_queue_desc, Engine, Job};
use crate::ffi::{check_flags, check_stype, guard, input, write, ZeResult};
use crate::handle::{Kind, Registry};
use crate::sync::{lock, status};

static LISTS: Registry<CommandList> = Registry::new(Kind::CommandList);

/// The list flags the specification defines (API 1.17), accepted whatever the headers the
/// driver was built with, as Intel's driver accepts them: relaxed ordering, maximize
/// throughput, explicit only, and `IN_ORDER` (bit 3; commands already run in order here),
/// `EXP_CLONEABLE` (bit 4) and `COPY_OFFLOAD_HINT` (bit 5; a hint).
const LIST_FLAGS: u32 = ze_command_list_flag_t::ZE_COMMAND_LIST_FLAG_RELAXED_ORDERING.0
    | ze_command_list_flag_t::ZE_COMMAND_LIST_FLAG_MAXIMIZE_THROUGHPUT.0
    | ze_command_list_flag_t::ZE_COMMAND_LIST_FLAG_EXPLICIT_ONLY.0
    | 1 << 3
    | 1 << 4
    | 1 << 5;

#[derive(Default)]
struct Recording {
    steps: Vec<Step>,
    /// The steps, frozen by `zeCommandListClose`.
    closed: Option<Arc<[Step]>>,
}

enum Mode {
    Regular(Mutex<Recording>),
    Immediate {
        synchronous: bool,
        /// The queue index within the group, from the descriptor.
        #[cfg(ze_api = "1.9")]
        index: u32,
        engine: Engine,
    },
}

/// A command list.
pub(crate) struct CommandList {
    context: Arc<Context>,
    device: Arc<Device>,
    ordinal: u32,
    max_fill_pattern: usize,
    mode: Mode,
    /// Executions of a regular list that have not finished.
    busy: Busy,
}

impl std::fmt::Debug for CommandList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandList")
            .field("ordinal", &self.ordinal)
            .field("immediate", &matches!(self.mode, Mode::Immediate { .. }))
            .finish_non_exhaustive()
    }
}

impl CommandList {
    /// The list a handle names.
    pub(crate) fn get(h: ze_command_list_handle_t) -> ZeResult<Arc<CommandList>> {
        LISTS.get(h)
    }

    /// The list's context.
    pub(crate) fn context(&self) -> &Arc<Context> {
        &self.context
    }

    /// The largest fill pattern of the list's queue group.
    pub(crate) fn max_fill_pattern(&self) -> usize {
        self.max_fill_pattern
    }

    /// `ZE_RESULT_ERROR_INVALID_ARGUMENT` for a closed regular list.
    pub(crate) fn ensure_open(&self) -> ZeResult {
        match &self.mode {
            Mode::Regular(r) if lock(r).closed.is_some() => {
                Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)
            }
            _ => Ok(()),
        }
    }

    /// Records `step` (regular list) or runs it (immediate list).
    pub(crate) fn record(&self, step: Step) -> ZeResult {
        match &self.mode {
            Mode::Regular(r) => {
                let mut r = lock(r);
                if r.closed.is_some() {
                    return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
                }
                r.steps.push(step);
                Ok(())
            }
            Mode::Immediate {
                synchronous,
                engine,
                ..
            } => {
                let mut job = Job::new();
                job.add_steps(Arc::from([step]));
                if *synchronous {
                    status(job.run_now())
                } else {
                    job.hold(self.context.busy().enter());
                    engine.submit(job)
                }
            }
        }
    }

    /// Checks that a queue of `ordinal` on `device` in `context` may execute the list: a
    /// closed regular list of that device and ordinal. As in Intel's driver, the queue's
    /// context need not be the list's, unless `ZE_SOFT_STRICT_CONTEXTS=1`.
    pub(crate) fn check_executable(
        &self,
        context: &Context,
        device: &Device,
        ordinal: u32,
    ) -> ZeResult {
        let Mode::Regular(r) = &self.mode else {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_COMMAND_LIST_TYPE);
        };
        if ordinal != self.ordinal || device.index != self.device.index {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_COMMAND_LIST_TYPE);
        }
        let strict = crate::config::get().is_ok_and(|c| c.strict_contexts);
        if lock(r).closed.is_none() || (strict && context.id() != self.context.id()) {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
        }
        Ok(())
    }

    /// Adds the closed list's steps to `job`, marking the list and its events in use.
    pub(crate) fn add_to_job(&self, job: &mut Job) {
        let Mode::Regular(r) = &self.mode else { return };
        let Some(steps) = lock(r).closed.clone() else {
            return;
        };
        job.hold(self.busy.enter());
        job.hold(self.context.busy().enter());
        job.add_steps(steps);
    }

    /// Runs closed regular `lists` on this immediate list, after `wait` and before
    /// `signal`, as one piece of work (`zeCommandListImmediateAppendCommandListsExp`).
    /// `ZE_RESULT_ERROR_INVALID_ARGUMENT` when this list is not immediate, or a list is not
    /// a closed regular list of this list's device and ordinal.
    #[cfg(ze_api = "1.9")]
    pub(crate) fn append_lists(
        &self,
        wait: Vec<Arc<crate::event::Event>>,
        lists: &[Arc<CommandList>],
        signal: Option<Arc<crate::event::Event>>,
    ) -> ZeResult {
        let Mode::Immediate {
            synchronous,
            engine,
            ..
        } = &self.mode
        else {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
        };
        for list in lists {
            list.check_executable(&self.context, &self.device, self.ordinal)
                .map_err(|_| ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)?;
        }
        let marker = |wait, signal| Step {
            wait,
            op: crate::command::Op::Nothing,
            signal,
        };
        let mut job = Job::new();
        job.add_steps(Arc::from([marker(wait, None)]));
        for list in lists {
            list.add_to_job(&mut job);
        }
        job.add_steps(Arc::from([marker(Vec::new(), signal)]));
        if *synchronous {
            status(job.run_now())
        } else {
            job.hold(self.context.busy().enter());
            engine.submit(job)
        }
    }

    fn in_use(&self) -> bool {
        match &self.mode {
            Mode::Regular(_) => self.busy.is_busy(),
            Mode::Immediate { engine, .. } => !engine.is_idle(),
        }
    }
}

fn new_list(
    h_context: ze_context_handle_t,
    h_device: ze_device_handle_t,
    ordinal: u32,
    mode: Mode,
) -> ZeResult<CommandList> {
    let context = context::get(h_context)?;
    let device = device::get(h_device)?;
    if !context.has_device(&device) {
        return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
    }
    let group = *device
        .queue_groups()
        .get(ordinal as usize)
        .ok_or(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)?;
    Ok(CommandList {
        context,
        device,
        ordinal,
        max_fill_pattern: group.max_fill_pattern_size,
        mode,
        busy: Busy::default(),
    })
}

unsafe extern "C" fn create(
    h_context: ze_context_handle_t,
    h_device: ze_device_handle_t,
    desc: *const ze_command_list_desc_t,
    ph_list: *mut ze_command_list_handle_t,
) -> ze_result_t {
    guard(|| {
        context::get(h_context)?;
        device::get(h_device)?;
        // SAFETY: the caller passes a valid descriptor or null.
        let desc = unsafe { input(desc) }?;
        if ph_list.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        check_flags(desc.flags, LIST_FLAGS)?;
        check_stype(
            desc.stype,
            ze_structure_type_t::ZE_STRUCTURE_TYPE_COMMAND_LIST_DESC,
        )?;
        let mode = Mode::Regular(Mutex::new(Recording::default()));
        let list = new_list(h_context, h_device, desc.commandQueueGroupOrdinal, mode)?;
        // SAFETY: checked non-null; room for one handle.
        unsafe { write(ph_list, LISTS.insert(Arc::new(list))) }
    })
}

unsafe extern "C" fn create_immediate(
    h_context: ze_context_handle_t,
    h_device: ze_device_handle_t,
    desc: *const ze_command_queue_desc_t,
    ph_list: *mut ze_command_list_handle_t,
) -> ze_result_t {
    guard(|| {
        context::get(h_context)?;
        let device = device::get(h_device)?;
        // SAFETY: the caller passes a valid descriptor or null.
        let desc = unsafe { input(desc) }?;
        if ph_list.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        let synchronous = check_queue_desc(&device, desc)?;
        let mode = Mode::Immediate {
            synchronous,
            #[cfg(ze_api = "1.9")]
            index: desc.index,
            engine: Engine::new(crate::engine::niceness(desc.priority)),
        };
        let list = new_list(h_context, h_device, desc.ordinal, mode)?;
        // SAFETY: checked non-null; room for one handle.
        unsafe { write(ph_list, LISTS.insert(Arc::new(list))) }
    })
}

/// `zeCommandListDestroy`. As in Intel's driver, a list whose work has not finished may be
/// destroyed: the work keeps what it uses and runs to its end (its events, fences and
/// queues report it); an immediate list's worker finishes its queued work on a thread of
/// its own, so the call never waits for work the host has yet to release.
unsafe extern "C" fn destroy(h: ze_command_list_handle_t) -> ze_result_t {
    guard(|| {
        let list = LISTS.remove(h)?;
        if list.in_use() && matches!(list.mode, Mode::Immediate { .. }) {
            // Without a thread to spare, `spawn` drops the closure, and with it the list,
            // here: the call then waits for the worker instead.
            let _ = std::thread::Builder::new()
                .name("ze-soft-retire".into())
                .spawn(move || drop(list));
        }
        Ok(())
    })
}

unsafe extern "C" fn close(h: ze_command_list_handle_t) -> ze_result_t {
    guard(|| {
        let list = LISTS.get(h)?;
        if let Mode::Regular(r) = &list.mode {
            let mut r = lock(r);
            if r.closed.is_none() {
                let steps = std::mem::take(&mut r.steps);
                r.closed = Some(Arc::from(steps));
            }
        }
        Ok(())
    })
}

unsafe extern "C" fn reset(h: ze_command_list_handle_t) -> ze_result_t {
    guard(|| {
        let list = LISTS.get(h)?;
        if list.in_use() {
            return Err(ze_result_t::ZE_RESULT_ERROR_HANDLE_OBJECT_IN_USE);
        }
        if let Mode::Regular(r) = &list.mode {
            *lock(r) = Recording::default();
        }
        Ok(())
    })
}

/// `zeCommandListHostSynchronize`: waits for everything appended to an immediate list so
/// far (already done in synchronous mode); answers, once, the first failure since the
/// last synchronisation. A regular list answers `ZE_RESULT_ERROR_INVALID_ARGUMENT`, as in
/// Intel's driver.
#[cfg(ze_api = "1.6")]
unsafe extern "C" fn host_synchronize(h: ze_command_list_handle_t, timeout: u64) -> ze_result_t {
    guard(|| match &LISTS.get(h)?.mode {
        Mode::Immediate { engine, .. } => status(engine.synchronize(timeout)),
        Mode::Regular(_) => Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT),
    })
}

/// The list a handle names and the caller's output pointer, for the `Get*` queries:
/// `INVALID_NULL_HANDLE` / `INVALID_ARGUMENT` for the handle, `INVALID_NULL_POINTER` for
/// a null output.
#[cfg(ze_api = "1.9")]
fn query<T>(h: ze_command_list_handle_t, out: *mut T) -> ZeResult<Arc<CommandList>> {
    let list = LISTS.get(h)?;
    if out.is_null() {
        return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
    }
    Ok(list)
}

/// `zeCommandListGetDeviceHandle`.
#[cfg(ze_api = "1.9")]
unsafe extern "C" fn get_device_handle(
    h: ze_command_list_handle_t,
    out: *mut ze_device_handle_t,
) -> ze_result_t {
    guard(|| {
        let list = query(h, out)?;
        // SAFETY: checked non-null; the caller passes room for one handle.
        unsafe { write(out, list.device.handle()) }
    })
}

/// `zeCommandListGetContextHandle`.
#[cfg(ze_api = "1.9")]
unsafe extern "C" fn get_context_handle(
    h: ze_command_list_handle_t,
    out: *mut ze_context_handle_t,
) -> ze_result_t {
    guard(|| {
        let list = query(h, out)?;
        // SAFETY: checked non-null; the caller passes room for one handle.
        unsafe { write(out, list.context.handle()) }
    })
}

/// `zeCommandListGetOrdinal`: the queue group ordinal the list was created for.
#[cfg(ze_api = "1.9")]
unsafe extern "C" fn get_ordinal(h: ze_command_list_handle_t, out: *mut u32) -> ze_result_t {
    guard(|| {
        let list = query(h, out)?;
        // SAFETY: checked non-null; the caller passes room for one value.
        unsafe { write(out, list.ordinal) }
    })
}

/// `zeCommandListIsImmediate`.
#[cfg(ze_api = "1.9")]
unsafe extern "C" fn is_immediate(h: ze_command_list_handle_t, out: *mut ze_bool_t) -> ze_result_t {
    guard(|| {
        let list = query(h, out)?;
        let immediate = matches!(list.mode, Mode::Immediate { .. });
        // SAFETY: checked non-null; the caller passes room for one value.
        unsafe { write(out, ze_bool_t::from(immediate)) }
    })
}

/// `zeCommandListImmediateGetIndex`: the queue index an immediate list was created with;
/// `ZE_RESULT_ERROR_INVALID_ARGUMENT` for a regular list.
#[cfg(ze_api = "1.9")]
unsafe extern "C" fn immediate_get_index(
    h: ze_command_list_handle_t,
    out: *mut u32,
) -> ze_result_t {
    guard(|| {
        let list = query(h, out)?;
        let Mode::Immediate { index, .. } = &list.mode else {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
        };
        // SAFETY: checked non-null; the caller passes room for one value.
        unsafe { write(out, *index) }
    })
}

/// Overrides the entries of the command list table this module implements (called after
/// every entry was set to "unsupported feature").
pub(crate) fn fill_table(t: &mut ze_command_list_dditable_t) {
    t.pfnCreate = Some(create);
    t.pfnCreateImmediate = Some(create_immediate);
    t.pfnDestroy = Some(destroy);
    t.pfnClose = Some(close);
    t.pfnReset = Some(reset);
    #[cfg(ze_api = "1.6")]
    {
        t.pfnHostSynchronize = Some(host_synchronize);
    }
    #[cfg(ze_api = "1.9")]
    {
        t.pfnGetDeviceHandle = Some(get_device_handle);
        t.pfnGetContextHandle = Some(get_context_handle);
        t.pfnGetOrdinal = Some(get_ordinal);
        t.pfnIsImmediate = Some(is_immediate);
        t.pfnImmediateGetIndex = Some(immediate_get_index);
    }
}
