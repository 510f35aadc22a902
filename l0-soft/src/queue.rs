//! Command queues: created on one queue (engine) of a device's queue group; execute
//! closed command lists in submission order on their own worker thread, signal fences,
//! and synchronize with the host.
//!
//! * `ZE_COMMAND_QUEUE_MODE_SYNCHRONOUS`: `zeCommandQueueExecuteCommandLists` returns when
//!   the lists have run, with the first failure among them. `DEFAULT` and `ASYNCHRONOUS`
//!   return at once. Priorities set the niceness of the queue's worker thread
//!   ([`crate::engine::niceness`]).
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

use crate::cmdlist::CommandList;
use crate::context::{self, Context};
use crate::device::{self, Device};
use crate::engine::{check_queue_desc, Engine, Job};
use crate::fence::Fence;
use crate::ffi::{guard, input, write};
use crate::handle::{Kind, Registry};
use crate::sync::{status, Completion};

static QUEUES: Registry<Queue> = Registry::new(Kind::CommandQueue);

/// A command queue.
pub(crate) struct Queue {
    context: Arc<Context>,
    device: Arc<Device>,
    ordinal: u32,
    synchronous: bool,
    engine: Engine,
}

unsafe extern "C" fn create(
    h_context: ze_context_handle_t,
    h_device: ze_device_handle_t,
    desc: *const ze_command_queue_desc_t,
    ph_queue: *mut ze_command_queue_handle_t,
) -> ze_result_t {
    guard(|| {
        let context = context::get(h_context)?;
        let device = device::get(h_device)?;
        // SAFETY: the caller passes a valid descriptor or null.
        let desc = unsafe { input(desc) }?;
        if ph_queue.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        let synchronous = check_queue_desc(&device, desc)?;
        if !context.has_device(&device) {
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

/// `zeFenceCreate`: a fence of this queue.
unsafe extern "C" fn fence_create(
    h_queue: ze_command_queue_handle_t,
    desc: *const ze_fence_desc_t,
    ph_fence: *mut ze_fence_handle_t,
) -> ze_result_t {
    guard(|| {
        QUEUES.get(h_queue)?;
        // SAFETY: the caller passes a valid descriptor or null, and a writable handle or
        // null.
        unsafe { crate::fence::create(h_queue as usize, desc, ph_fence) }
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

/// Fills the fence table's entry that names a queue: `zeFenceCreate`.
pub(crate) fn fill_fence_table(t: &mut ze_fence_dditable_t) {
    t.pfnCreate = Some(fence_create);
}
