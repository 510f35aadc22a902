//! USM memory: the kinds ([`UsmKind`]), the three owned kinds ([`UsmDevice`],
//! [`UsmShared`], [`UsmHost`]), the non-owning [`UsmView`], the traits they share
//! ([`UsmMemory`], and [`UsmSource`] / [`UsmDestination`] for what the device may read and
//! write), and allocation options. The one place where memory is allocated and freed is
//! here too.
//!
//! # Coming from dpctl.memory
//!
//! | dpctl | usm-core |
//! |---|---|
//! | `MemoryUSMDevice(n, alignment=a, queue=q)` | [`UsmDevice::with_options`]`(&context, &device, n, &AllocOptions::new().alignment(a))` |
//! | `MemoryUSMShared`, `MemoryUSMHost` | [`UsmShared`], [`UsmHost`] (host memory is bound to the context only) |
//! | `USMAllocationError` | [`UsmAllocationError`](crate::UsmAllocationError), with kind, size, alignment, device and the driver's code |
//! | `nbytes`, `_pointer`, `get_usm_type()`, `sycl_device` | [`UsmMemory::len`], [`UsmMemory::as_ptr`], [`UsmMemory::kind`], [`UsmMemory::device`] |
//! | buffer protocol (host-accessible kinds only) | `as_slice`/`as_mut_slice` and typed `as_slice_of` on [`UsmShared`] and [`UsmHost`] only |
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

/// Implements [`UsmMemory`] and `Debug` for an owned type with a `raw: RawAllocation` field.
macro_rules! impl_usm_memory {
    ($ty:ty) => {
        // SAFETY: the owned allocation lives as long as the value, its pointer, size, kind
        // and device never change, and the host reaches its bytes only through the value.
        unsafe impl $crate::memory::UsmMemory for $ty {
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
        unsafe impl $crate::memory::UsmSource for $ty {}
        // SAFETY: owned memory reaches its bytes only through itself; `&mut self` is
        // exclusive.
        unsafe impl $crate::memory::UsmDestination for $ty {}

        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("ptr", &self.raw.ptr())
                    .field("len", &self.raw.len())
                    .field("alignment", &self.raw.alignment())
                    .field("device", &self.raw.device())
                    .finish()
            }
        }
    };
}

/// Adds host slices (bytes and plain-old-data types) to an owned host-accessible type.
macro_rules! impl_host_access {
    ($ty:ty) => {
        impl $ty {
            /// The bytes, for reading on the host.
            pub fn as_slice(&self) -> &[u8] {
                // SAFETY: this kind is host-accessible; `&self` excludes `&mut` borrows.
                unsafe { self.raw.bytes() }
            }

            /// The bytes, for writing on the host.
            pub fn as_mut_slice(&mut self) -> &mut [u8] {
                // SAFETY: this kind is host-accessible; `&mut self` makes it exclusive.
                unsafe { self.raw.bytes_mut() }
            }

            /// The memory as a slice of `T`.
            ///
            /// # Errors
            ///
            /// [`Error::TypedView`](crate::Error::TypedView) when the address is not aligned
            /// for `T` or the size is not a multiple of `T`'s size.
            pub fn as_slice_of<T: bytemuck::Pod>(&self) -> $crate::Result<&[T]> {
                $crate::memory::cast_slice(self.as_slice())
            }

            /// The memory as a mutable slice of `T`.
            ///
            /// # Errors
            ///
            /// As [`as_slice_of`](Self::as_slice_of).
            pub fn as_mut_slice_of<T: bytemuck::Pod>(&mut self) -> $crate::Result<&mut [T]> {
                $crate::memory::cast_slice_mut(self.as_mut_slice())
            }
        }
    };
}

mod alloc;
mod device;
mod host;
mod options;
mod shared;
mod traits;

pub use crate::names::UsmKind;
pub(crate) use alloc::RawAllocation;
pub use device::UsmDevice;
pub use host::UsmHost;
pub use options::{AllocOptions, CacheBias, Placement};
pub use shared::UsmShared;
pub(crate) use traits::{cast_slice, cast_slice_mut};
pub use traits::{UsmDestination, UsmMemory, UsmSource, UsmView};
