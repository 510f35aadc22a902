//! Non-owning views of USM memory.

use std::ffi::c_void;
use std::marker::PhantomData;

use super::{address_alignment, UsmKind, UsmMemory};
use crate::context::Context;
use crate::device::Device;
use crate::error::{Error, Result};

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
