//! Registries of live objects, one per kind of Level Zero handle.
//!
//! A handle given to the caller is an opaque number (never the address of an object), so a
//! stale, forged or wrong-kind handle is looked up and rejected, never dereferenced:
//!
//! * a null handle → `ZE_RESULT_ERROR_INVALID_NULL_HANDLE`;
//! * a handle that is unknown, destroyed, or of another kind →
//!   `ZE_RESULT_ERROR_INVALID_ARGUMENT`.
//!
//! Each module keeps a `static` [`Registry`] for its objects:
//!
//! ```text
//! static QUEUES: Registry<Queue> = Registry::new(Kind::CommandQueue);
//! let handle: ze_command_queue_handle_t = QUEUES.insert(Arc::new(queue));
//! let queue: Arc<Queue> = QUEUES.get(handle)?;
//! let queue: Arc<Queue> = QUEUES.remove(handle)?; // on destroy
//! ```

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use level_zero_sys::*;

use crate::ffi::ZeResult;

/// The kind of object a handle names; part of the handle's value, so that a handle of one
/// kind is never found in the registry of another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Kind {
    /// `ze_driver_handle_t`.
    Driver = 1,
    /// `ze_device_handle_t`.
    Device,
    /// `ze_context_handle_t`.
    Context,
    /// `ze_command_queue_handle_t`.
    CommandQueue,
    /// `ze_command_list_handle_t`.
    CommandList,
    /// `ze_event_pool_handle_t`.
    EventPool,
    /// `ze_event_handle_t`.
    Event,
    /// `ze_fence_handle_t`.
    Fence,
    /// `ze_physical_mem_handle_t`.
    PhysicalMemory,
}

/// A raw Level Zero handle type (`*mut _ze_*_handle_t`).
pub(crate) trait RawHandle: Copy {
    /// The handle with this numeric value.
    fn from_value(value: usize) -> Self;
    /// The numeric value of the handle (0 for null).
    fn value(self) -> usize;
}

macro_rules! raw_handles {
    ($($t:ty),* $(,)?) => {$(
        impl RawHandle for $t {
            fn from_value(value: usize) -> Self {
                value as $t
            }
            fn value(self) -> usize {
                self as usize
            }
        }
    )*};
}

raw_handles!(
    ze_driver_handle_t,
    ze_device_handle_t,
    ze_context_handle_t,
    ze_command_queue_handle_t,
    ze_command_list_handle_t,
    ze_event_pool_handle_t,
    ze_event_handle_t,
    ze_fence_handle_t,
    ze_physical_mem_handle_t,
);

/// Handle values are `serial << 8 | kind`, never 0, never reused within a process.
static NEXT_SERIAL: AtomicUsize = AtomicUsize::new(1);

/// The live objects of one kind, by handle value.
pub(crate) struct Registry<T> {
    kind: Kind,
    /// Read-locked by lookups (every entry point's), write-locked only to insert and
    /// remove: threads that call the driver at once do not queue behind each other.
    objects: RwLock<BTreeMap<usize, Arc<T>>>,
}

impl<T> Registry<T> {
    /// An empty registry for objects of `kind`.
    pub(crate) const fn new(kind: Kind) -> Self {
        Registry {
            kind,
            objects: RwLock::new(BTreeMap::new()),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, BTreeMap<usize, Arc<T>>> {
        // A panic while the lock was held cannot leave the map half-updated (every
        // update is a single insert or remove), so a poisoned lock is still usable.
        self.objects.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, BTreeMap<usize, Arc<T>>> {
        // As in `read`.
        self.objects.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers `object` and returns its new handle.
    pub(crate) fn insert<H: RawHandle>(&self, object: Arc<T>) -> H {
        let serial = NEXT_SERIAL.fetch_add(1, Ordering::Relaxed);
        let value = (serial << 8) | self.kind as usize;
        self.write().insert(value, object);
        H::from_value(value)
    }

    /// Registers the object `make` builds from its handle (for objects that know their
    /// own handle) and returns both.
    pub(crate) fn insert_with<H: RawHandle>(&self, make: impl FnOnce(H) -> T) -> (H, Arc<T>) {
        let serial = NEXT_SERIAL.fetch_add(1, Ordering::Relaxed);
        let value = (serial << 8) | self.kind as usize;
        let object = Arc::new(make(H::from_value(value)));
        self.write().insert(value, Arc::clone(&object));
        (H::from_value(value), object)
    }

    /// The object named by `handle`.
    pub(crate) fn get<H: RawHandle>(&self, handle: H) -> ZeResult<Arc<T>> {
        let value = self.check(handle)?;
        self.read()
            .get(&value)
            .cloned()
            .ok_or(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)
    }

    /// The first registered object that `matches`.
    #[cfg(ze_api = "1.6")]
    pub(crate) fn find(&self, matches: impl Fn(&T) -> bool) -> Option<Arc<T>> {
        self.read().values().find(|o| matches(o)).cloned()
    }

    /// Unregisters the object named by `handle` and returns it; later lookups of the
    /// handle fail.
    pub(crate) fn remove<H: RawHandle>(&self, handle: H) -> ZeResult<Arc<T>> {
        let value = self.check(handle)?;
        self.write()
            .remove(&value)
            .ok_or(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)
    }

    /// Unregisters every object that `matches` (when their owner goes away).
    pub(crate) fn remove_where(&self, matches: impl Fn(&T) -> bool) {
        let removed: Vec<Arc<T>> = {
            let mut objects = self.write();
            let gone: Vec<usize> = objects
                .iter()
                .filter(|(_, o)| matches(o))
                .map(|(&k, _)| k)
                .collect();
            gone.iter().filter_map(|k| objects.remove(k)).collect()
        };
        // Dropped outside the lock: an object's drop may take other locks.
        drop(removed);
    }

    fn check<H: RawHandle>(&self, handle: H) -> ZeResult<usize> {
        let value = handle.value();
        if value == 0 {
            Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_HANDLE)
        } else if value & 0xff != self.kind as usize {
            Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)
        } else {
            Ok(value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_unknown_removed_and_wrong_kind_handles_are_rejected() {
        static CONTEXTS: Registry<u32> = Registry::new(Kind::Context);
        static FENCES: Registry<u32> = Registry::new(Kind::Fence);
        let h: ze_context_handle_t = CONTEXTS.insert(Arc::new(7));
        assert_eq!(*CONTEXTS.get(h).unwrap(), 7);
        assert_eq!(
            CONTEXTS
                .get(std::ptr::null_mut::<_ze_context_handle_t>())
                .unwrap_err(),
            ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_HANDLE
        );
        let as_fence = h as usize as ze_fence_handle_t;
        assert_eq!(
            FENCES.get(as_fence).unwrap_err(),
            ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT
        );
        assert_eq!(*CONTEXTS.remove(h).unwrap(), 7);
        assert_eq!(
            CONTEXTS.get(h).unwrap_err(),
            ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT
        );
    }
}
