//! What memory is, for the rest of usm-core: the [`UsmMemory`] trait every kind and view
//! implements, the two traits that say what the device may read ([`UsmSource`]) and write
//! ([`UsmDestination`]), and [`ElementType`], the element type of typed memory.

use std::ffi::c_void;
use std::sync::Arc;

use super::UsmView;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::names::{Device, UsmKind};

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
/// ([`UsmDevice`](crate::UsmDevice), [`UsmShared`](crate::UsmShared), [`UsmHost`](crate::UsmHost), [`UsmView`], [`UsmViewMut`](crate::UsmViewMut), [`UsmRange`](crate::UsmRange), `Arc`s of them and the array
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

/// The element type of typed USM memory: `T` of [`UsmDevice<T>`](crate::UsmDevice),
/// [`UsmShared<T>`](crate::UsmShared), [`UsmHost<T>`](crate::UsmHost), their views and
/// `Arc`s. Element ranges ([`UsmRange::new`](crate::UsmRange::new)) and typed array
/// interface dicts ([`SuaiDict::of_elements`](crate::SuaiDict::of_elements)) count in it;
/// [`UsmMemory::len`] stays in bytes.
pub trait ElementType: UsmMemory {
    /// The element type.
    type Elem: bytemuck::Pod;

    /// The number of whole elements.
    fn elements(&self) -> usize {
        self.len() / std::mem::size_of::<Self::Elem>().max(1)
    }
}

impl<M: ElementType + ?Sized> ElementType for Arc<M> {
    type Elem = M::Elem;
}

/// USM memory the device may read in a copy.
///
/// # Safety
///
/// [`as_ptr`](UsmMemory::as_ptr) and [`len`](UsmMemory::len) must describe bytes that stay
/// allocated, and that nothing writes, for as long as a shared borrow of the value lives.
pub unsafe trait UsmSource: UsmMemory {}

/// USM memory the device may write in a copy or fill.
///
/// # Safety
///
/// As [`UsmSource`], and a mutable borrow of the value must be the only way to reach its
/// bytes while it lives (no clone or other handle can read or write them meanwhile).
pub unsafe trait UsmDestination: UsmSource {}

/// Shared memory is memory too: an `Arc` of USM memory is that memory.
// SAFETY: every method forwards to the shared value, which upholds the contract itself and
// lives as long as the `Arc` (a borrow of the `Arc` borrows it).
unsafe impl<T: UsmMemory + ?Sized> UsmMemory for Arc<T> {
    fn as_ptr(&self) -> *mut c_void {
        (**self).as_ptr()
    }
    fn len(&self) -> usize {
        (**self).len()
    }
    fn kind(&self) -> UsmKind {
        (**self).kind()
    }
    fn alignment(&self) -> usize {
        (**self).alignment()
    }
    fn context(&self) -> &Context {
        (**self).context()
    }
    fn device(&self) -> Option<&Device> {
        (**self).device()
    }
}

// SAFETY: an `Arc` only gives shared access to its value (`get_mut` needs it to be the
// only handle, which it is not while a borrow or a pending copy holds a clone), so a
// source behind it stays alive and unwritten as long as this handle lives.
unsafe impl<T: UsmSource + ?Sized> UsmSource for Arc<T> {}

fn cast_error<T>(addr: usize, len: usize, e: bytemuck::PodCastError) -> Error {
    Error::TypedView {
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

/// The alignment an address has: the largest power of two up to 4096 dividing it.
pub(crate) fn address_alignment(addr: usize) -> usize {
    if addr == 0 {
        4096
    } else {
        (1usize << addr.trailing_zeros()).min(4096)
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
