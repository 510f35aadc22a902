//! [`UsmAllocator`]: an [`allocator_api2::alloc::Allocator`] over host and shared USM, so
//! that `allocator_api2`'s `Vec<T, _>`, `Box<T, _>` and friends can live in USM memory.

use std::collections::HashMap;
use std::ptr::NonNull;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use allocator_api2::alloc::{AllocError, Allocator, Layout};

use super::{AllocOptions, RawAllocation, UsmKind};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::names::Device;

/// An allocator of host or shared USM memory (as oneAPI's `usm_allocator`), for
/// `allocator_api2`'s collections (re-exported as [`usm_core::allocator_api2`](crate::allocator_api2)).
///
/// Every block is one USM allocation, made and freed the way owned memory is: the
/// context's counters and leak records see it (allocated at the allocator's call site),
/// and it is freed when the collection frees it. Zero-sized requests get a dangling,
/// aligned pointer and no allocation; alignments are the layout's. Clones share the
/// record of their blocks, so a block may be freed through any clone; the blocks still
/// alive when the last clone drops (collections that were leaked with `mem::forget` keep
/// their clone, so this only happens for blocks no collection owns) are freed then.
///
/// Device memory is not offered: the host could not read the collection.
///
/// ```no_run
/// use usm_core::allocator_api2::vec::Vec;
/// use usm_core::{Context, UsmAllocator, UsmKind};
/// let (context, device) = Context::default_gpu()?;
/// let shared = UsmAllocator::shared(&context, &device)?;
/// let mut v: Vec<u32, _> = Vec::new_in(shared.clone());
/// v.extend([1, 2, 3]);
/// assert_eq!(context.classify(v.as_ptr().cast())?.kind, UsmKind::Shared);
/// # Ok::<(), usm_core::Error>(())
/// ```
#[derive(Clone)]
pub struct UsmAllocator {
    inner: Arc<Inner>,
}

struct Inner {
    context: Context,
    device: Option<Device>,
    kind: UsmKind,
    /// The live blocks, by address.
    blocks: Mutex<HashMap<usize, RawAllocation>>,
}

impl std::fmt::Debug for UsmAllocator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsmAllocator")
            .field("kind", &self.inner.kind)
            .field("device", &self.inner.device)
            .field("blocks", &self.lock().len())
            .finish()
    }
}

impl UsmAllocator {
    /// An allocator of host memory in `context`.
    pub fn host(context: &Context) -> UsmAllocator {
        UsmAllocator::with(context, None, UsmKind::Host)
    }

    /// An allocator of shared memory bound to `device`.
    ///
    /// # Errors
    ///
    /// [`Error::DeviceNotInContext`] when `device` is not a device of `context`.
    pub fn shared(context: &Context, device: &Device) -> Result<UsmAllocator> {
        if !context.contains_device(device) {
            return Err(Error::DeviceNotInContext {
                device: device.addr(),
                context: context.raw() as usize,
            });
        }
        Ok(UsmAllocator::with(
            context,
            Some(device.clone()),
            UsmKind::Shared,
        ))
    }

    fn with(context: &Context, device: Option<Device>, kind: UsmKind) -> UsmAllocator {
        UsmAllocator {
            inner: Arc::new(Inner {
                context: context.dependent(),
                device,
                kind,
                blocks: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The kind of memory it allocates.
    pub fn kind(&self) -> UsmKind {
        self.inner.kind
    }

    /// The number of its blocks alive now (over all clones).
    pub fn live_blocks(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<usize, RawAllocation>> {
        self.inner
            .blocks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// A dangling pointer aligned to `align` (a power of two): the block of a zero-sized
/// request, which is never read, written or freed.
fn dangling(align: usize) -> NonNull<[u8]> {
    // `align` is a non-zero power of two (a `Layout`'s), so the pointer is non-null.
    let ptr = NonNull::new(align as *mut u8).unwrap_or(NonNull::dangling());
    NonNull::slice_from_raw_parts(ptr, 0)
}

// SAFETY: blocks are USM allocations of the layout's size and alignment (the alignment is
// passed to the driver, and checked against the address), alive until `deallocate` of this
// allocator or of a clone (which share `blocks`) removes and frees them, or until the last
// clone drops; moving or cloning the allocator does not move or free them. Zero-sized
// requests get an aligned dangling pointer that is never freed.
unsafe impl Allocator for UsmAllocator {
    #[track_caller]
    fn allocate(&self, layout: Layout) -> std::result::Result<NonNull<[u8]>, AllocError> {
        if layout.size() == 0 {
            return Ok(dangling(layout.align()));
        }
        let options = AllocOptions::new().alignment(layout.align());
        let raw = RawAllocation::new(
            &self.inner.context,
            self.inner.device.as_ref(),
            self.inner.kind,
            layout.size(),
            &options,
        )
        .map_err(|e| {
            tracing::debug!(target: "usm_core::alloc", error = %e, "usm allocator refused");
            AllocError
        })?;
        let addr = raw.ptr() as usize;
        if addr % layout.align() != 0 {
            // The driver ignored the alignment: dropping frees the block.
            return Err(AllocError);
        }
        let ptr = NonNull::new(raw.ptr().cast::<u8>()).ok_or(AllocError)?;
        self.lock().insert(addr, raw);
        Ok(NonNull::slice_from_raw_parts(ptr, layout.size()))
    }

    unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        if layout.size() == 0 {
            return;
        }
        let removed = self.lock().remove(&(ptr.as_ptr() as usize));
        match removed {
            // Dropped outside the lock: frees the block (and records a failure).
            Some(raw) => drop(raw),
            None => tracing::error!(
                target: "usm_core::alloc",
                ptr = format_args!("{:p}", ptr.as_ptr()),
                "usm allocator asked to free a block it did not allocate"
            ),
        }
    }
}
