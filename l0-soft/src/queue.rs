//! Command queues: created on one queue (engine) of a device's queue group; execute
//! closed command lists in submission order on their own worker thread, signal fences,
//! and synchronize with the host.
//!
//! * `ZE_COMMAND_QUEUE_MODE_SYNCHRONOUS`: `zeCommandQueueExecuteCommandLists` returns when
//!   the lists have run, with the first failure among them. `DEFAULT` and `ASYNCHRONOUS`
//!   return at once. Priorities are accepted and have no effect.
//! * An immediate list, a list of another queue group ordinal, or a list of another
//!   device answers `ZE_RESULT_ERROR_INVALID_COMMAND_LIST_TYPE`; an open (not closed) list
//!   `ZE_RESULT_ERROR_INVALID_ARGUMENT`. A list of another context of the driver runs, as
//!   in Intel's driver (with `ZE_SOFT_STRICT_CONTEXTS=1`, it answers
//!   `ZE_RESULT_ERROR_INVALID_ARGUMENT`); a fence of another queue
//!   `ZE_RESULT_ERROR_INVALID_SYNCHRONIZATION_OBJECT`. Nothing is submitted then.
//! * Destroying a queue with unfinished work answers `ZE_RESULT_ERROR_HANDLE_OBJECT_IN_USE`.
//! * `zeCommandQueueSynchronize` reports, once, the first failure of the work it waited
//!   for (an injected copy failure: `ZE_RESULT_ERROR_DEVICE_LOST`).

use std::sync::Arc;

use level_zero_sys::*;

use crate::access::{self, Context, Device};
use crate::cmdlist::CommandList;
use crate::engine::{Engine, Job};
use crate::fence::Fence;
use crate::ffi::{check_flags, check_stype, guard, input, write, ZeResult};
use crate::handle::{Kind, Registry};
use crate::sync::{status, Completion};

static QUEUES: Registry<Queue> = Registry::new(Kind::CommandQueue);

/// The queue flags the specification defines (API 1.17), accepted whatever the headers
/// the driver was built with, as Intel's driver accepts them: `EXPLICIT_ONLY`, and for
/// immediate lists `IN_ORDER` (bit 1; commands already run in order here) and
/// `COPY_OFFLOAD_HINT` (bit 2; a hint).
const QUEUE_FLAGS: u32 =
    ze_command_queue_flag_t::ZE_COMMAND_QUEUE_FLAG_EXPLICIT_ONLY.0 | 1 << 1 | 1 << 2;

/// A command queue.
pub(crate) struct Queue {
    context: Arc<Context>,
    device: Arc<Device>,
    ordinal: u32,
    synchronous: bool,
    engine: Engine,
}

impl Queue {
    /// The queue a handle names.
    pub(crate) fn get(h: ze_command_queue_handle_t) -> ZeResult<Arc<Queue>> {
        QUEUES.get(h)
    }
}

/// Checks a queue descriptor (also used by immediate command lists) against the
/// device; returns whether it asks for synchronous mode.
pub(crate) fn check_queue_desc(device: &Device, desc: &ze_command_queue_desc_t) -> ZeResult<bool> {
    check_flags(desc.flags, QUEUE_FLAGS)?;
    if desc.mode.0 > ze_command_queue_mode_t::ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS.0
        || desc.priority.0 > ze_command_queue_priority_t::ZE_COMMAND_QUEUE_PRIORITY_PRIORITY_HIGH.0
    {
        return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ENUMERATION);
    }
    check_stype(
        desc.stype,
        ze_structure_type_t::ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC,
    )?;
    let groups = access::queue_groups(device);
    let group = groups
        .get(desc.ordinal as usize)
        .ok_or(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)?;
    if desc.index >= group.num_queues {
        return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
    }
    Ok(desc.mode == ze_command_queue_mode_t::ZE_COMMAND_QUEUE_MODE_SYNCHRONOUS)
}

unsafe extern "C" fn create(
    h_context: ze_context_handle_t,
    h_device: ze_device_handle_t,
    desc: *const ze_command_queue_desc_t,
    ph_queue: *mut ze_command_queue_handle_t,
) -> ze_result_t {
    guard(|| {
        let context = access::context(h_context)?;
        let device = access::device(h_device)?;
        // SAFETY: the caller passes a valid descriptor or null.
        let desc = unsafe { input(desc) }?;
        if ph_queue.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        let synchronous = check_queue_desc(&device, desc)?;
        if !access::context_has_device(&context, &device) {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
        }
        let queue = Queue {
            context,
            device,
            ordinal: desc.ordinal,
            synchronous,
            engine: Engine::new(crate::engine::niceness(desc.priority)),
        };
        // SAFETY: checked non-null; room for one handle.
        unsafe { write(ph_queue, QUEUES.insert(Arc::new(queue))) }
    })
}

unsafe extern "C" fn destroy(h: ze_command_queue_handle_t) -> ze_result_t {
    guard(|| {
        let queue = QUEUES.get(h)?;
        if !queue.engine.is_idle() {
            return Err(ze_result_t::ZE_RESULT_ERROR_HANDLE_OBJECT_IN_USE);
        }
        QUEUES.remove(h).map(drop)
    })
}

unsafe extern "C" fn execute(
    h: ze_command_queue_handle_t,
    num_lists: u32,
    ph_lists: *mut ze_command_list_handle_t,
    h_fence: ze_fence_handle_t,
) -> ze_result_t {
    guard(|| {
        let queue = QUEUES.get(h)?;
        if ph_lists.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        if num_lists == 0 {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_SIZE);
        }
        // Check everything before submitting anything.
        let mut lists = Vec::with_capacity(num_lists as usize);
        for i in 0..num_lists as usize {
            // SAFETY: the caller passes `num_lists` handles.
            let list = CommandList::get(unsafe { *ph_lists.add(i) })?;
            list.check_executable(&queue.context, &queue.device, queue.ordinal)?;
            lists.push(list);
        }
        let fence = if h_fence.is_null() {
            None
        } else {
            let fence = Fence::get(h_fence)?;
            if !fence.belongs_to(h as usize) {
                return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_SYNCHRONIZATION_OBJECT);
            }
            Some(fence)
        };
        let mut job = Job::new();
        job.hold(queue.context.busy().enter());
        for list in &lists {
            list.add_to_job(&mut job);
        }
        if let Some(fence) = &fence {
            job.hold(fence.busy().enter());
            job.set_fence(fence.arm());
        }
        if !queue.synchronous {
            queue.engine.submit(job)?;
            return Ok(());
        }
        // Synchronous mode: wait for this submission and answer its result (here, not
        // again at the next synchronize).
        job.caller_reports_failure();
        let done = match job.fence() {
            Some(f) => Arc::clone(f),
            None => {
                let f = Arc::new(Completion::new(false));
                job.set_fence(Arc::clone(&f));
                f
            }
        };
        queue.engine.submit(job)?;
        status(done.wait(u64::MAX))
    })
}

unsafe extern "C" fn synchronize(h: ze_command_queue_handle_t, timeout: u64) -> ze_result_t {
    guard(|| status(QUEUES.get(h)?.engine.synchronize(timeout)))
}

/// Overrides the entries of the command queue table this module implements (called after
/// every entry was set to "unsupported feature").
pub(crate) fn fill_table(t: &mut ze_command_queue_dditable_t) {
    t.pfnCreate = Some(create);
    t.pfnDestroy = Some(destroy);
    t.pfnExecuteCommandLists = Some(execute);
    t.pfnSynchronize = Some(synchronize);
}
