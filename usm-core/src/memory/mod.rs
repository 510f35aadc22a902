//! USM memory: the kinds ([`UsmKind`]), the three owned kinds ([`UsmDevice`],
//! [`UsmShared`], [`UsmHost`]), typed by their element (`u8` by default), the borrowed views
//! ([`UsmView`], [`UsmViewMut`]), owned ranges for owned asynchronous work ([`UsmRange`]),
//! the traits they share ([`UsmMemory`], [`ElementType`], and [`UsmSource`] /
//! [`UsmDestination`] for what the device may read and write), the USM allocator of
//! `allocator_api2` ([`UsmAllocator`]), and allocation options. The one place where memory
//! is allocated and freed is here too. (Allocating zeroed device memory and upload and
//! download through a queue are in the crate's `typed` module; adopting memory allocated
//! elsewhere in its `adopt` module: `UsmDevice::from_raw_parts`, `UsmView::adopt`.)
//!
//! For the counterparts of cudarc's API (`CudaSlice<T>`, views, `alloc_zeros`,
//! `memcpy_*`, `upgrade_device_ptr`), see the "Coming from cudarc" table of the README.
//!
//! # Coming from dpctl.memory
//!
//! | dpctl | usm-core |
//! |---|---|
//! | `MemoryUSMDevice(n, alignment=a, queue=q)` | [`UsmDevice::with_options`]`(&context, &device, n, &AllocOptions::new().alignment(a))` |
//! | `MemoryUSMShared`, `MemoryUSMHost` | [`UsmShared`], [`UsmHost`] (host memory is bound to the context only) |
//! | `USMAllocationError` | [`UsmAllocationError`](crate::UsmAllocationError), with kind, size, alignment, device and the driver's code |
//! | `nbytes`, `_pointer`, `get_usm_type()`, `sycl_device` | [`UsmMemory::len`], [`UsmMemory::as_ptr`], [`UsmMemory::kind`], [`UsmMemory::device`] |
//! | buffer protocol (host-accessible kinds only) | [`UsmShared<T>`] and [`UsmHost<T>`] deref to `[T]` (`as_slice`/`as_mut_slice`; `as_slice_of` reinterprets); [`UsmDevice`] never does |
//! | `memoryview(m)[a:b]` | typed views: `m.slice(a..b)?`, `m.slice_mut(a..b)?`, `m.split_at_mut(mid)?` ([`UsmView`], [`UsmViewMut`]) |
//! | `as_usm_memory(obj)` | [`as_usm_memory`](crate::as_usm_memory)`(&context, ptr, len)`: a [`UsmView`] |
//!
//! # Zero-sized allocations and bad alignments
//!
//! Asking for 0 bytes is an error ([`AllocationFailure::ZeroSize`](crate::AllocationFailure)
//! inside a [`UsmAllocationError`](crate::UsmAllocationError); dpctl raises `ValueError` for
//! size 0), found before any driver call. An alignment that is neither 0 (the driver's
//! choice) nor a power of two is refused the same way
//! ([`AllocationFailure::AlignmentNotPowerOfTwo`](crate::AllocationFailure)), where dpctl
//! would pass it on and raise `USMAllocationError` when the allocator returns null. More
//! than `isize::MAX` bytes, and a device outside the context, are refused before any call
//! too. A power of two that the driver cannot honour comes back as the driver's code (for
//! example `ZE_RESULT_ERROR_UNSUPPORTED_ALIGNMENT`), as do sizes above the device's maximum
//! allocation (`ZE_RESULT_ERROR_UNSUPPORTED_SIZE`, unless relaxed limits are asked for) and
//! out-of-memory.

/// Implements [`UsmMemory`], the memory traits, `Debug` and the typed API every kind shares
/// (element counts, views, ranges) for an owned type
/// `$ty<T>` with fields `raw: RawAllocation` and `_elem: PhantomData<T>`.
macro_rules! impl_usm_memory {
    ($ty:ident) => {
        // SAFETY: the owned allocation lives as long as the value, its pointer, size, kind
        // and device never change, and the host reaches its bytes only through the value.
        unsafe impl<T: bytemuck::Pod> $crate::memory::UsmMemory for $ty<T> {
            fn as_ptr(&self) -> *mut std::ffi::c_void {
                self.raw.ptr()
            }
            fn len(&self) -> usize {
                self.raw.len()
            }
            fn kind(&self) -> $crate::memory::UsmKind {
                self.raw.kind()
            }
            fn alignment(&self) -> usize {
                self.raw.alignment()
            }
            fn context(&self) -> &$crate::context::Context {
                self.raw.context()
            }
            fn device(&self) -> Option<&$crate::names::Device> {
                self.raw.device()
            }
        }

        // SAFETY: the owned allocation lives until dropped, which a borrow prevents; host
        // access to its bytes needs `&` (read) or `&mut` (write), so `&self` excludes
        // writers.
        unsafe impl<T: bytemuck::Pod> $crate::memory::UsmSource for $ty<T> {}
        // SAFETY: owned memory reaches its bytes only through itself; `&mut self` is
        // exclusive.
        unsafe impl<T: bytemuck::Pod> $crate::memory::UsmDestination for $ty<T> {}

        impl<T: bytemuck::Pod> $crate::memory::ElementType for $ty<T> {
            type Elem = T;
        }

        impl<T> std::fmt::Debug for $ty<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("elem", &std::any::type_name::<T>())
                    .field("ptr", &self.raw.ptr())
                    .field("len", &self.raw.len())
                    .field("alignment", &self.raw.alignment())
                    .field("device", &self.raw.device())
                    .finish()
            }
        }

        impl<T: bytemuck::Pod> $ty<T> {
            /// Wraps an allocation of whole, aligned elements of `T`.
            pub(crate) fn from_raw_allocation(raw: $crate::memory::RawAllocation) -> Self {
                $ty {
                    raw,
                    _elem: std::marker::PhantomData,
                }
            }

            /// The number of elements (of `T`; bytes for the default `u8`).
            /// [`UsmMemory::len`](crate::UsmMemory::len) counts bytes.
            pub fn len(&self) -> usize {
                self.raw.len() / std::mem::size_of::<T>()
            }

            /// Whether there are no elements (never, for owned memory).
            pub fn is_empty(&self) -> bool {
                self.raw.len() == 0
            }

            /// A shared view of all the elements.
            pub fn as_view(&self) -> $crate::memory::UsmView<'_, T> {
                $crate::memory::UsmView::from_view_parts($crate::memory::ViewParts::of(self))
            }

            /// A mutable view of all the elements.
            pub fn as_view_mut(&mut self) -> $crate::memory::UsmViewMut<'_, T> {
                $crate::memory::UsmViewMut::from_view_parts($crate::memory::ViewParts::of(
                    &*self,
                ))
            }

            /// A shared view of the elements `range` (`2..5`, `..4`, `1..=3`, `..`),
            /// checked here, once.
            ///
            /// # Errors
            ///
            /// [`Error::ElementRange`](crate::Error::ElementRange) when the range is
            /// reversed or does not fit.
            pub fn slice(
                &self,
                range: impl std::ops::RangeBounds<usize>,
            ) -> $crate::Result<$crate::memory::UsmView<'_, T>> {
                self.as_view().to_slice(range)
            }

            /// A mutable view of the elements `range`, checked here, once.
            ///
            /// # Errors
            ///
            /// As [`slice`](Self::slice).
            pub fn slice_mut(
                &mut self,
                range: impl std::ops::RangeBounds<usize>,
            ) -> $crate::Result<$crate::memory::UsmViewMut<'_, T>> {
                self.as_view_mut().into_slice_mut(range)
            }

            /// Shared views of the elements before `mid` and from `mid` on.
            ///
            /// # Errors
            ///
            /// [`Error::ElementRange`](crate::Error::ElementRange) when `mid` is past the
            /// end.
            #[allow(clippy::type_complexity)]
            pub fn split_at(
                &self,
                mid: usize,
            ) -> $crate::Result<($crate::memory::UsmView<'_, T>, $crate::memory::UsmView<'_, T>)>
            {
                self.as_view().split_at(mid)
            }

            /// Two non-overlapping mutable views: the elements before `mid` and from `mid`
            /// on. Work on the two may be in flight at the same time.
            ///
            /// # Errors
            ///
            /// As [`split_at`](Self::split_at).
            #[allow(clippy::type_complexity)]
            pub fn split_at_mut(
                &mut self,
                mid: usize,
            ) -> $crate::Result<(
                $crate::memory::UsmViewMut<'_, T>,
                $crate::memory::UsmViewMut<'_, T>,
            )> {
                self.as_view_mut().split_at_mut(mid)
            }

            /// The elements `range` of this memory, owned: for owned asynchronous work
            /// ([`Queue::copy_async`](crate::Queue::copy_async) and friends) on part of
            /// the memory; [`UsmRange::into_inner`](crate::UsmRange::into_inner) gives the
            /// memory back.
            ///
            /// # Errors
            ///
            /// As [`slice`](Self::slice), with the memory given back.
            pub fn into_range(
                self,
                range: impl std::ops::RangeBounds<usize>,
            ) -> std::result::Result<$crate::memory::UsmRange<Self>, Box<$crate::error::Failed<Self>>>
            {
                $crate::memory::UsmRange::new(self, range)
            }
        }
    };
}

/// The constructors of the kinds bound to a device (device and shared memory): in bytes
/// (`new`, `with_options`, the `u8` case) and in elements (`alloc`, `alloc_with_options`).
macro_rules! impl_device_bound {
    ($ty:ident, $kind:expr, $what:literal) => {
        impl $ty {
            #[doc = concat!("Allocates `nbytes` of ", $what, " memory bound to `device`, with the driver's alignment.")]
            ///
            /// # Errors
            ///
            /// [`Error::Allocation`](crate::Error::Allocation) for size 0 or the driver's
            /// refusal (out of memory, unsupported size); initialisation errors.
            #[inline]
            #[track_caller]
            pub fn new(
                context: &$crate::context::Context,
                device: &$crate::names::Device,
                nbytes: usize,
            ) -> $crate::Result<Self> {
                Self::with_options(context, device, nbytes, &$crate::memory::AllocOptions::new())
            }

            #[doc = concat!("Allocates `nbytes` of ", $what, " memory bound to `device` as `options` say.")]
            ///
            /// # Errors
            ///
            /// As [`new`](Self::new); also, as [`Error::Allocation`](crate::Error::Allocation),
            /// an alignment that is not a power of two, a device that is not in the context,
            /// and relaxed limits on a driver without them.
            #[inline]
            #[track_caller]
            pub fn with_options(
                context: &$crate::context::Context,
                device: &$crate::names::Device,
                nbytes: usize,
                options: &$crate::memory::AllocOptions,
            ) -> $crate::Result<Self> {
                Self::alloc_with_options(context, device, nbytes, options)
            }
        }

        impl<T: bytemuck::Pod> $ty<T> {
            #[doc = concat!("Allocates `len` elements of `T` of ", $what, " memory bound to `device` (contents")]
            /// unspecified; any bytes are a valid `T`), aligned at least for `T`.
            ///
            /// # Errors
            ///
            /// As `new`: 0 elements (or a zero-sized `T`) is
            /// [`AllocationFailure::ZeroSize`](crate::AllocationFailure::ZeroSize), a byte
            /// size that overflows is
            /// [`AllocationFailure::LargerThanAddressSpace`](crate::AllocationFailure::LargerThanAddressSpace).
            #[inline]
            #[track_caller]
            pub fn alloc(
                context: &$crate::context::Context,
                device: &$crate::names::Device,
                len: usize,
            ) -> $crate::Result<Self> {
                Self::alloc_with_options(context, device, len, &$crate::memory::AllocOptions::new())
            }

            /// Allocates `len` elements of `T` bound to `device` as `options` say (an
            /// alignment below `T`'s is raised to it).
            ///
            /// # Errors
            ///
            /// As [`alloc`](Self::alloc) and `with_options`.
            #[inline]
            #[track_caller]
            pub fn alloc_with_options(
                context: &$crate::context::Context,
                device: &$crate::names::Device,
                len: usize,
                options: &$crate::memory::AllocOptions,
            ) -> $crate::Result<Self> {
                $crate::memory::RawAllocation::new_elements::<T, _>(
                    context,
                    Some(device),
                    $kind,
                    len,
                    options,
                    Self::from_raw_allocation,
                )
            }
        }
    };
}

/// Adds host slices and `Deref` to `[T]` to an owned host-accessible type.
macro_rules! impl_host_access {
    ($ty:ident) => {
        impl<T: bytemuck::Pod> $ty<T> {
            /// The elements, for reading on the host (bytes for the default `u8`).
            pub fn as_slice(&self) -> &[T] {
                // SAFETY: this kind is host-accessible; `&self` excludes `&mut` borrows.
                let bytes = unsafe { self.raw.bytes() };
                // Cannot fail: the allocation was checked to be aligned for `T` and holds
                // whole elements (see `RawAllocation::new_elements` and adoption).
                bytemuck::cast_slice(bytes)
            }

            /// The elements, for writing on the host.
            pub fn as_mut_slice(&mut self) -> &mut [T] {
                // SAFETY: this kind is host-accessible; `&mut self` makes it exclusive.
                let bytes = unsafe { self.raw.bytes_mut() };
                // Cannot fail: as in `as_slice`.
                bytemuck::cast_slice_mut(bytes)
            }

            /// The memory reinterpreted as a slice of `U`.
            ///
            /// # Errors
            ///
            /// [`Error::TypedView`](crate::Error::TypedView) when the address is not aligned
            /// for `U` or the size is not a multiple of `U`'s size.
            pub fn as_slice_of<U: bytemuck::Pod>(&self) -> $crate::Result<&[U]> {
                // SAFETY: as in `as_slice`.
                $crate::memory::cast_slice(unsafe { self.raw.bytes() })
            }

            /// The memory reinterpreted as a mutable slice of `U`.
            ///
            /// # Errors
            ///
            /// As [`as_slice_of`](Self::as_slice_of).
            pub fn as_mut_slice_of<U: bytemuck::Pod>(&mut self) -> $crate::Result<&mut [U]> {
                // SAFETY: as in `as_mut_slice`.
                $crate::memory::cast_slice_mut(unsafe { self.raw.bytes_mut() })
            }
        }

        impl<T: bytemuck::Pod> std::ops::Deref for $ty<T> {
            type Target = [T];
            fn deref(&self) -> &[T] {
                self.as_slice()
            }
        }

        impl<T: bytemuck::Pod> std::ops::DerefMut for $ty<T> {
            fn deref_mut(&mut self) -> &mut [T] {
                self.as_mut_slice()
            }
        }
    };
}

mod alloc;
pub mod allocator;
mod device;
mod host;
mod options;
mod range;
mod shared;
mod traits;
mod view;

pub use crate::names::UsmKind;
pub(crate) use alloc::RawAllocation;
pub use allocator::UsmAllocator;
pub use device::UsmDevice;
pub use host::UsmHost;
pub use options::{AllocOptions, CacheBias, Placement};
pub use range::UsmRange;
pub use shared::UsmShared;
pub(crate) use traits::{address_alignment, cast_slice, cast_slice_mut};
pub use traits::{ElementType, UsmDestination, UsmMemory, UsmSource};
pub(crate) use view::ViewParts;
pub use view::{UsmView, UsmViewMut};
