//! The one registry of live contexts of the process: which contexts exist, by id and by
//! raw handle, held weakly (it never keeps a context alive).
//!
//! Classification asks it which other context owns an address, the array interface's
//! `syclobj` resolves names through it, and the leak reports walk it. It knows nothing of
//! what it holds (the context module instantiates it), so it sits below everything.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError, Weak};

/// One registered value: its process-unique id, its raw handle, a weak reference.
struct Entry<T> {
    id: u64,
    handle: usize,
    value: Weak<T>,
}

/// Values of type `T` alive in the process, each with an id never reused.
pub(crate) struct Registry<T> {
    entries: Mutex<Vec<Entry<T>>>,
    next_id: AtomicU64,
    /// The number of entries (live or not yet pruned), for a look-up that needs none of
    /// them when there is at most one.
    len: AtomicUsize,
}

impl<T> Registry<T> {
    /// An empty registry (usable in a `static`).
    pub(crate) const fn new() -> Self {
        Registry {
            entries: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
            len: AtomicUsize::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Entry<T>>> {
        // Plain data that stays consistent even if a holder panicked.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers `value` under `handle`; returns its id.
    pub(crate) fn register(&self, value: &Arc<T>, handle: usize) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut entries = self.lock();
        entries.retain(|e| e.value.strong_count() > 0);
        entries.push(Entry {
            id,
            handle,
            value: Arc::downgrade(value),
        });
        self.len.store(entries.len(), Ordering::Release);
        id
    }

    /// The live value with `id` (when given) and `handle`.
    pub(crate) fn find(&self, id: Option<u64>, handle: usize) -> Option<Arc<T>> {
        self.lock()
            .iter()
            .filter(|e| e.handle == handle && id.map_or(true, |id| id == e.id))
            .find_map(|e| e.value.upgrade())
    }

    /// The first live value other than the one under `except` for which `f` answers.
    /// Entries of `except` are skipped without touching their value. `except` must be
    /// registered: with one entry, there is no other to look at (and no lock is taken).
    pub(crate) fn find_other<R>(&self, except: usize, f: impl Fn(&T) -> Option<R>) -> Option<R> {
        if self.len.load(Ordering::Acquire) < 2 {
            return None;
        }
        let others: Vec<Arc<T>> = self
            .lock()
            .iter()
            .filter(|e| e.handle != except)
            .filter_map(|e| e.value.upgrade())
            .collect();
        others.iter().find_map(|v| f(v))
    }

    /// Every live value, in registration order.
    pub(crate) fn live(&self) -> Vec<Arc<T>> {
        self.lock()
            .iter()
            .filter_map(|e| e.value.upgrade())
            .collect()
    }

    /// Calls `f` with every live value without waiting for a lock another thread holds
    /// (at process exit, where waiting could hang), and without ever dropping a strong
    /// reference: other threads may drop theirs meanwhile, and a value must not be
    /// destroyed from here. The reference taken is left alive (one count per visit; the
    /// value stays reachable through its registry entry, so nothing is lost).
    pub(crate) fn visit_without_waiting(&self, mut f: impl FnMut(&T)) {
        let entries = match self.entries.try_lock() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => return,
        };
        for entry in entries.iter() {
            let Some(value) = entry.value.upgrade() else {
                continue;
            };
            f(&value);
            std::mem::forget(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_found_by_handle_and_id_while_alive() {
        let registry = Registry::new();
        let a = Arc::new("a");
        let b = Arc::new("b");
        let ia = registry.register(&a, 0x10);
        let ib = registry.register(&b, 0x20);
        assert_ne!(ia, ib);
        assert_eq!(registry.find(Some(ia), 0x10).as_deref(), Some(&"a"));
        assert_eq!(registry.find(None, 0x20).as_deref(), Some(&"b"));
        assert!(registry.find(Some(ib), 0x10).is_none());
        assert_eq!(registry.find_other(0x10, |v: &&str| Some(*v)), Some("b"));
        drop(b);
        assert!(registry.find(None, 0x20).is_none());
        assert_eq!(registry.live().len(), 1);
    }

    #[test]
    fn visiting_at_exit_never_drops_the_last_reference() {
        struct Loud(Arc<std::sync::atomic::AtomicBool>);
        impl Drop for Loud {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let dropped = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let registry = Registry::new();
        let value = Arc::new(Loud(Arc::clone(&dropped)));
        registry.register(&value, 1);
        let weak = Arc::downgrade(&value);
        // A concurrent drop racing the visit is modelled by dropping inside the visit.
        let mut held = Some(value);
        registry.visit_without_waiting(|_| drop(held.take()));
        assert!(!dropped.load(Ordering::SeqCst));
        assert!(weak.upgrade().is_some());
    }
}
