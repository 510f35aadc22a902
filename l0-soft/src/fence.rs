//! Fences: signaled when a command queue finishes the command lists of one
//! `zeCommandQueueExecuteCommandLists` call.
//!
//! * A fence can only be used with the queue it was created for; another queue answers
//!   `ZE_RESULT_ERROR_INVALID_SYNCHRONIZATION_OBJECT`.
//! * Submitting a fence resets it; it is signaled with the submission's result (an
//!   injected copy failure makes it report `ZE_RESULT_ERROR_DEVICE_LOST`).
//! * Host synchronization follows the timeout rule (0 queries, `u64::MAX` waits for
//!   ever, other values at most that long); a fence that is not signaled and was never
//!   submitted cannot become signaled, so waiting on it answers `NOT_READY` at once
//!   instead of hanging.
//! * Destroying a fence of unfinished work answers `ZE_RESULT_ERROR_HANDLE_OBJECT_IN_USE`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use level_zero_sys::*;

use crate::busy::Busy;
use crate::ffi::{check_flags, check_stype, guard, input, write, ZeResult};
use crate::handle::{Kind, Registry};
use crate::sync::{status, Completion};

static FENCES: Registry<Fence> = Registry::new(Kind::Fence);

const SIGNALED: u32 = ze_fence_flag_t::ZE_FENCE_FLAG_SIGNALED.0;

/// A fence of one command queue.
#[derive(Debug)]
pub(crate) struct Fence {
    /// The queue's identity (its handle value).
    queue: usize,
    completion: Arc<Completion>,
    /// Set once the fence was given to a submission.
    submitted: AtomicBool,
    busy: Busy,
}

impl Fence {
    /// The fence a handle names.
    pub(crate) fn get(h: ze_fence_handle_t) -> ZeResult<Arc<Fence>> {
        FENCES.get(h)
    }

    /// Whether the fence belongs to the queue with handle value `queue`.
    pub(crate) fn belongs_to(&self, queue: usize) -> bool {
        self.queue == queue
    }

    /// Resets the fence for a new submission and returns what the submission signals.
    pub(crate) fn arm(&self) -> Arc<Completion> {
        self.completion.reset();
        self.submitted.store(true, Ordering::Release);
        Arc::clone(&self.completion)
    }

    /// Marks the fence as used by submitted work until the guard drops.
    pub(crate) fn busy(&self) -> &Busy {
        &self.busy
    }
}

/// `zeFenceCreate` for the queue with handle value `queue` (the queue module checked the
/// handle and owns the entry point).
///
/// # Safety
///
/// `desc` is null or a valid descriptor; `ph_fence` is null or writable.
pub(crate) unsafe fn create(
    queue: usize,
    desc: *const ze_fence_desc_t,
    ph_fence: *mut ze_fence_handle_t,
) -> ZeResult {
    // SAFETY: the caller passes a valid descriptor or null.
    let desc = unsafe { input(desc) }?;
    if ph_fence.is_null() {
        return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
    }
    check_flags(desc.flags, SIGNALED)?;
    check_stype(
        desc.stype,
        ze_structure_type_t::ZE_STRUCTURE_TYPE_FENCE_DESC,
    )?;
    let fence = Fence {
        queue,
        completion: Arc::new(Completion::new(desc.flags & SIGNALED != 0)),
        submitted: AtomicBool::new(false),
        busy: Busy::default(),
    };
    // SAFETY: checked non-null; room for one handle.
    unsafe { write(ph_fence, FENCES.insert(Arc::new(fence))) }
}

unsafe extern "C" fn destroy(h: ze_fence_handle_t) -> ze_result_t {
    guard(|| {
        let fence = FENCES.get(h)?;
        if fence.busy.is_busy() {
            return Err(ze_result_t::ZE_RESULT_ERROR_HANDLE_OBJECT_IN_USE);
        }
        FENCES.remove(h).map(drop)
    })
}

unsafe extern "C" fn host_synchronize(h: ze_fence_handle_t, timeout: u64) -> ze_result_t {
    guard(|| {
        let fence = FENCES.get(h)?;
        if !fence.submitted.load(Ordering::Acquire) {
            return status(fence.completion.status());
        }
        status(fence.completion.wait(timeout))
    })
}

unsafe extern "C" fn query_status(h: ze_fence_handle_t) -> ze_result_t {
    guard(|| status(FENCES.get(h)?.completion.status()))
}

unsafe extern "C" fn reset(h: ze_fence_handle_t) -> ze_result_t {
    guard(|| {
        let fence = FENCES.get(h)?;
        fence.completion.reset();
        if !fence.busy.is_busy() {
            // Nothing submitted can signal it any more.
            fence.submitted.store(false, Ordering::Release);
        }
        Ok(())
    })
}

/// Fills the fence table (but `zeFenceCreate`, which names a queue: see `queue`).
pub(crate) fn fill_table(t: &mut ze_fence_dditable_t) {
    t.pfnDestroy = Some(destroy);
    t.pfnHostSynchronize = Some(host_synchronize);
    t.pfnQueryStatus = Some(query_status);
    t.pfnReset = Some(reset);
}
