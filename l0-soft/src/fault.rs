//! Deterministic fault injection, so that clients can test their error paths.
//!
//! A [`Trigger`] counts the operations of one kind in the process (1, 2, 3, ...) and says
//! whether the current one must fail: the Nth one (`ZE_SOFT_FAIL_ALLOC=N`) and/or every
//! Nth one (`ZE_SOFT_FAIL_ALLOC_EVERY=N`). Allocations that fail this way answer
//! `ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY` (device and shared memory) or
//! `ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY` (host memory), and leave nothing allocated.
//! Only calls that passed parameter validation are counted.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counts operations of one kind and decides which fail.
pub(crate) struct Trigger {
    count: AtomicU64,
}

impl Trigger {
    /// A trigger that has counted nothing.
    pub(crate) const fn new() -> Self {
        Trigger {
            count: AtomicU64::new(0),
        }
    }

    /// Counts one operation; true when it must fail (the `nth` one, or a multiple of
    /// `every`).
    pub(crate) fn hit(&self, nth: Option<u64>, every: Option<u64>) -> bool {
        let n = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        nth == Some(n) || every.is_some_and(|e| n % e == 0)
    }
}

static ALLOCATIONS: Trigger = Trigger::new();

/// Counts one allocation; true when the configuration says it must fail.
pub(crate) fn allocation_fails(config: &crate::config::Config) -> bool {
    ALLOCATIONS.hit(config.fail_alloc_nth, config.fail_alloc_every)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nth_and_every_nth_operations_fail() {
        let t = Trigger::new();
        let hits: Vec<bool> = (0..7).map(|_| t.hit(Some(2), Some(3))).collect();
        assert_eq!(hits, [false, true, true, false, false, true, false]);
    }
}
