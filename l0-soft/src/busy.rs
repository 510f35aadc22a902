//! Counting how much submitted work still refers to an object, so that destroying (or
//! resetting) it while the device uses it answers `ZE_RESULT_ERROR_HANDLE_OBJECT_IN_USE`
//! instead of pulling memory from under a worker.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The number of pieces of unfinished work that refer to one object.
#[derive(Debug, Default, Clone)]
pub(crate) struct Busy(Arc<AtomicUsize>);

impl Busy {
    /// Marks one more piece of work as referring to the object, until the guard drops.
    pub(crate) fn enter(&self) -> BusyGuard {
        self.0.fetch_add(1, Ordering::AcqRel);
        BusyGuard(Arc::clone(&self.0))
    }

    /// Whether unfinished work refers to the object.
    pub(crate) fn is_busy(&self) -> bool {
        self.0.load(Ordering::Acquire) != 0
    }
}

/// One piece of work's reference; dropping it ends the reference.
#[derive(Debug)]
pub(crate) struct BusyGuard(Arc<AtomicUsize>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_while_a_guard_lives() {
        let b = Busy::default();
        assert!(!b.is_busy());
        let g1 = b.enter();
        let g2 = b.enter();
        drop(g1);
        assert!(b.is_busy());
        drop(g2);
        assert!(!b.is_busy());
    }
}
