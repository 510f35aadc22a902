//! Deterministic fault injection, so that clients can test their error paths. What fails
//! is configured by [`crate::config`] (`ZE_SOFT_FAIL_*`); this module counts.
//!
//! Each kind of operation has a [`Trigger`] that counts the operations of that kind in the
//! process (1, 2, 3, ...), only those that passed parameter validation:
//!
//! * allocations ([`allocation_fails`]): a failed one answers
//!   `ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY` (device and shared memory, and the shared
//!   memory of an IPC event pool, made or opened) or
//!   `ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY` (host memory) and leaves nothing allocated;
//! * copy, fill and copy-region appends ([`check_submission`]): a refused one answers
//!   `ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY` and records nothing;
//! * copies, fills and copy regions that run ([`completion_fails`]): a failed one leaves
//!   its destination untouched and completes with `ZE_RESULT_ERROR_DEVICE_LOST`, which is
//!   reported by everything that waits for the command (its signal event, the fence of
//!   the submission, `zeCommandQueueSynchronize`, the append itself on a synchronous
//!   immediate list); commands that wait on the failed event fail the same way.

use std::sync::atomic::{AtomicU64, Ordering};

use level_zero_sys::ze_result_t;

use crate::config::{self, FailAt};
use crate::ffi::ZeResult;

/// Counts operations of one kind and decides which fail.
struct Trigger {
    count: AtomicU64,
}

impl Trigger {
    /// A trigger that has counted nothing.
    const fn new() -> Self {
        Trigger {
            count: AtomicU64::new(0),
        }
    }

    /// Counts one operation; true when it must fail (the `nth` one, or a multiple of
    /// `every`). Counts nothing while `at` is off.
    fn hit(&self, at: FailAt) -> bool {
        if at.is_off() {
            return false;
        }
        let n = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        at.nth == Some(n) || at.every.is_some_and(|e| n % e == 0)
    }
}

static ALLOCATIONS: Trigger = Trigger::new();
static SUBMITTED: Trigger = Trigger::new();
static COMPLETED: Trigger = Trigger::new();

/// Counts one allocation; true when the configuration says it must fail.
pub(crate) fn allocation_fails(config: &config::Config) -> bool {
    ALLOCATIONS.hit(config.fail_alloc)
}

/// Counts one copy or fill append (after its parameters were validated); the error it
/// must answer instead of recording the command, if any.
pub(crate) fn check_submission() -> ZeResult {
    // The configuration was read when the driver initialised; a command exists only
    // after that succeeded.
    let config = config::get().map_err(|_| ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED)?;
    if SUBMITTED.hit(config.fail_copy) {
        Err(ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY)
    } else {
        Ok(())
    }
}

/// Counts one copy or fill that is about to run; true when it must fail instead.
pub(crate) fn completion_fails() -> bool {
    config::get().is_ok_and(|c| COMPLETED.hit(c.fail_copy_completion))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nth_and_every_nth_operations_fail() {
        let t = Trigger::new();
        let at = FailAt {
            nth: Some(2),
            every: Some(3),
        };
        let hits: Vec<bool> = (0..7).map(|_| t.hit(at)).collect();
        assert_eq!(hits, [false, true, true, false, false, true, false]);
    }

    #[test]
    fn nothing_is_counted_while_off() {
        let t = Trigger::new();
        assert!(!t.hit(FailAt::default()));
        assert!(t.hit(FailAt {
            nth: Some(1),
            every: None
        }));
    }
}
