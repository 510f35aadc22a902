//! What memory is, for the rest of usm-core: the [`UsmMemory`] trait every kind and view
//! implements, the two traits that say what the device may read ([`UsmSource`]) and write
//! ([`UsmDestination`]), and the non-owning [`UsmView`].

use std::ffi::c_void;
use std::marker::PhantomData;
use std::sync::Arc;

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
/// ([`UsmDevice`](crate::UsmDevice), [`UsmShared`](crate::UsmShared), [`UsmHost`](crate::UsmHost), [`UsmView`], `Arc`s of them and the array
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

// SAFETY: a view borrows its memory for 'a (or was made by `as_usm_memory`, whose caller
// promised the same), and offers only reads.
unsafe impl UsmSource for UsmView<'_> {}
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

/// A non-owning view of USM memory: a byte range of an allocation, with the same read API
/// as owned memory. Made by [`UsmMemory::view`] (borrowing owned memory) or by
/// [`as_usm_memory`](crate::as_usm_memory) (from a raw pointer).
///
/// The view does not free anything. It holds a dependent handle of its context, so the
/// context outlives the view.
pub struct UsmView<'a> {
    ptr: *mut c_void,
    len: usize,
    kind: UsmKind,
    context: Context,
    device: Option<Device>,
    base: usize,
    allocation_len: usize,
    _borrow: PhantomData<&'a [u8]>,
}

// SAFETY: a view is a shared borrow of bytes in the unified address space (like `&[u8]`,
// which is Send and Sync); its other fields are Send + Sync handles.
unsafe impl Send for UsmView<'_> {}
// SAFETY: as for Send: `&UsmView` only reads.
unsafe impl Sync for UsmView<'_> {}

impl Clone for UsmView<'_> {
    /// Another view of the same bytes (a dependent handle of the context, not a user one).
    fn clone(&self) -> Self {
        UsmView {
            ptr: self.ptr,
            len: self.len,
            kind: self.kind,
            context: self.context.dependent(),
            device: self.device.clone(),
            base: self.base,
            allocation_len: self.allocation_len,
            _borrow: PhantomData,
        }
    }
}

impl std::fmt::Debug for UsmView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsmView")
            .field("ptr", &self.ptr)
            .field("len", &self.len)
            .field("kind", &self.kind)
            .field("base", &format_args!("{:#x}", self.base))
            .field("allocation_len", &self.allocation_len)
            .finish()
    }
}

impl<'a> UsmView<'a> {
    /// A view of `len` bytes at `offset` of `memory`.
    pub(crate) fn sub_range<M: UsmMemory + ?Sized>(
        memory: &'a M,
        offset: usize,
        len: usize,
    ) -> Result<UsmView<'a>> {
        let size = memory.len();
        if offset.checked_add(len).map_or(true, |end| end > size) {
            return Err(Error::OutOfBounds { offset, len, size });
        }
        Ok(UsmView {
            ptr: memory.as_ptr().cast::<u8>().wrapping_add(offset).cast(),
            len,
            kind: memory.kind(),
            context: memory.context().dependent(),
            device: memory.device().cloned(),
            base: memory.as_ptr() as usize,
            allocation_len: size,
            _borrow: PhantomData,
        })
    }

    /// A view of `len` bytes at `addr`, inside the allocation `base..base + allocation_len`.
    ///
    /// # Safety
    ///
    /// The range must stay allocated and unmodified by others for `'a`.
    pub(crate) unsafe fn from_parts(
        addr: usize,
        len: usize,
        kind: UsmKind,
        context: &Context,
        device: Option<Device>,
        base: usize,
        allocation_len: usize,
    ) -> UsmView<'a> {
        UsmView {
            ptr: addr as *mut c_void,
            len,
            kind,
            context: context.dependent(),
            device,
            base,
            allocation_len,
            _borrow: PhantomData,
        }
    }

    /// The start address of the allocation this view lies in.
    pub fn base(&self) -> *mut c_void {
        self.base as *mut c_void
    }

    /// The size of the allocation this view lies in, in bytes.
    pub fn allocation_len(&self) -> usize {
        self.allocation_len
    }

    /// The offset of the view from the allocation's [`base`](Self::base), in bytes.
    pub fn offset(&self) -> usize {
        self.ptr as usize - self.base
    }

    /// The bytes, for reading on the host.
    ///
    /// # Errors
    ///
    /// [`Error::NotHostAccessible`] for device memory.
    pub fn as_slice(&self) -> Result<&[u8]> {
        if !self.kind.is_host_accessible() {
            return Err(Error::NotHostAccessible { kind: self.kind });
        }
        if self.len == 0 {
            return Ok(&[]);
        }
        // SAFETY: host-accessible USM memory of `len` bytes, kept alive and unmodified for
        // 'a by the borrow (sub_range) or by the caller's promise (as_usm_memory).
        Ok(unsafe { std::slice::from_raw_parts(self.ptr.cast::<u8>(), self.len) })
    }

    /// The bytes as a slice of `T`.
    ///
    /// # Errors
    ///
    /// [`Error::NotHostAccessible`] for device memory, [`Error::TypedView`] for a
    /// misaligned address or a size that is not a multiple of `T`'s.
    pub fn as_slice_of<T: bytemuck::Pod>(&self) -> Result<&[T]> {
        super::cast_slice(self.as_slice()?)
    }
}

// SAFETY: a view is only made (by `sub_range` over a `UsmMemory`, or by classification of a
// live allocation of its context) for a range inside memory that its lifetime borrows.
unsafe impl UsmMemory for UsmView<'_> {
    fn as_ptr(&self) -> *mut c_void {
        self.ptr
    }
    fn len(&self) -> usize {
        self.len
    }
    fn kind(&self) -> UsmKind {
        self.kind
    }
    fn alignment(&self) -> usize {
        address_alignment(self.ptr as usize)
    }
    fn context(&self) -> &Context {
        &self.context
    }
    fn device(&self) -> Option<&Device> {
        self.device.as_ref()
    }
    /// A narrower view, still naming the whole allocation as its base.
    fn view(&self, offset: usize, len: usize) -> Result<UsmView<'_>> {
        if offset.checked_add(len).map_or(true, |end| end > self.len) {
            return Err(Error::OutOfBounds {
                offset,
                len,
                size: self.len,
            });
        }
        let mut narrower = self.clone();
        narrower.ptr = self.ptr.cast::<u8>().wrapping_add(offset).cast();
        narrower.len = len;
        Ok(narrower)
    }
}

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
