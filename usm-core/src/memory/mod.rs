//! USM memory: the three owned kinds ([`UsmDevice`], [`UsmShared`], [`UsmHost`]), the
//! non-owning [`UsmView`], the [`UsmMemory`] trait they share, and allocation options.
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
            fn device(&self) -> Option<&$crate::device::Device> {
                self.raw.device()
            }
        }

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
mod view;

use std::ffi::c_void;
use std::fmt;

use crate::context::Context;
use crate::device::Device;
use crate::error::Result;

pub(crate) use alloc::RawAllocation;
pub use device::UsmDevice;
pub use host::UsmHost;
pub use options::{AllocOptions, CacheBias, Placement};
pub use shared::UsmShared;
pub use view::UsmView;

/// The three kinds of Unified Shared Memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UsmKind {
    /// Device memory: fast for the device, not accessible from the host.
    Device,
    /// Shared memory: migrates between host and device, accessible from both.
    Shared,
    /// Host memory: lives on the host, accessible from the device.
    Host,
}

impl UsmKind {
    /// The lower-case name dpctl uses (`"device"`, `"shared"`, `"host"`).
    pub fn as_str(self) -> &'static str {
        match self {
            UsmKind::Device => "device",
            UsmKind::Shared => "shared",
            UsmKind::Host => "host",
        }
    }

    /// Whether the host may read and write this kind of memory.
    pub fn is_host_accessible(self) -> bool {
        !matches!(self, UsmKind::Device)
    }
}

impl fmt::Display for UsmKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What every piece of USM memory offers, owned or viewed.
///
/// Object-safe: `&dyn UsmMemory` works for code that takes any kind.
///
/// # Safety
///
/// usm-core builds host slices ([`UsmView::as_slice`]) and device commands from what this
/// trait reports, so an implementation must tell the truth: for as long as a shared borrow
/// of the value lives, `as_ptr()..as_ptr() + len()` is one live USM allocation (or a part
/// of one) of [`context`](UsmMemory::context), of the reported [`kind`](UsmMemory::kind)
/// and [`device`](UsmMemory::device), that nothing writes through another path while the
/// borrow lasts, and the answers do not change while it lasts. usm-core's own types
/// ([`UsmDevice`], [`UsmShared`], [`UsmHost`], [`UsmView`], `Arc`s of them and the array
/// interface views) uphold this; a wrapper that forwards every method to such a value
/// does too.
pub unsafe trait UsmMemory {
    /// The start address (device address space; the same in the host's for USM).
    fn as_ptr(&self) -> *mut c_void;
    /// The size in bytes.
    fn len(&self) -> usize;
    /// Whether the size is 0 (only possible for views).
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The USM kind.
    fn kind(&self) -> UsmKind;
    /// The alignment of the start address: the one requested at allocation, or, when the
    /// driver chose (0), the largest power of two up to 4096 that divides the address.
    fn alignment(&self) -> usize;
    /// The context the memory belongs to.
    fn context(&self) -> &Context;
    /// The device the memory is bound to (`None` for host memory).
    fn device(&self) -> Option<&Device>;

    /// A non-owning view of `len` bytes at `offset`, borrowing this memory.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfBounds`](crate::Error::OutOfBounds) when the range does not fit.
    fn view(&self, offset: usize, len: usize) -> Result<UsmView<'_>> {
        UsmView::sub_range(self, offset, len)
    }
}

/// The alignment an address has: the largest power of two up to 4096 dividing it.
pub(crate) fn address_alignment(addr: usize) -> usize {
    if addr == 0 {
        4096
    } else {
        (1usize << addr.trailing_zeros()).min(4096)
    }
}

fn cast_error<T>(addr: usize, len: usize, e: bytemuck::PodCastError) -> crate::Error {
    crate::Error::TypedView {
        type_name: std::any::type_name::<T>(),
        addr,
        len,
        reason: match e {
            bytemuck::PodCastError::TargetAlignmentGreaterAndInputNotAligned => format!(
                "the address is not aligned to {} bytes",
                std::mem::align_of::<T>()
            ),
            bytemuck::PodCastError::OutputSliceWouldHaveSlop
            | bytemuck::PodCastError::SizeMismatch => format!(
                "the size is not a multiple of {} bytes",
                std::mem::size_of::<T>()
            ),
            other => format!("{other:?}"),
        },
    }
}

/// Views bytes as a slice of `T`.
pub(crate) fn cast_slice<T: bytemuck::Pod>(bytes: &[u8]) -> Result<&[T]> {
    bytemuck::try_cast_slice(bytes)
        .map_err(|e| cast_error::<T>(bytes.as_ptr() as usize, bytes.len(), e))
}

/// Views bytes as a mutable slice of `T`.
pub(crate) fn cast_slice_mut<T: bytemuck::Pod>(bytes: &mut [u8]) -> Result<&mut [T]> {
    let (addr, len) = (bytes.as_ptr() as usize, bytes.len());
    bytemuck::try_cast_slice_mut(bytes).map_err(|e| cast_error::<T>(addr, len, e))
}
