//! Taking a writable dict for writing: an exclusive view that copies and fills may write.

use std::ffi::c_void;

use super::consume::SuaiView;
use super::error::SuaiError;
use super::layout::ArrayLayout;
use super::SuaiDict;
use crate::context::Context;
use crate::error::Error;
use crate::memory::{cast_slice_mut, UsmKind, UsmMemory, UsmView};
use crate::names::Device;
use crate::queue::Queue;
use crate::transfer::{UsmDestination, UsmSource};

/// An array received through the interface for writing: like [`SuaiView`], but a
/// destination of copies and fills ([`UsmDestination`]) and, for host-accessible memory,
/// writable from the host. Made only from dicts whose data is not read-only.
///
/// Not `Clone`: while it lives it is the one way to reach the bytes.
#[derive(Debug)]
pub struct SuaiViewMut<'a> {
    array: SuaiView<'a>,
}

impl<'a> SuaiViewMut<'a> {
    /// A read view of the touched bytes, borrowing this value.
    pub fn as_view(&self) -> UsmView<'_> {
        self.array.view.clone()
    }

    /// The bytes, for writing on the host.
    ///
    /// # Errors
    ///
    /// [`Error::NotHostAccessible`] for device memory.
    pub fn as_mut_slice(&mut self) -> Result<&mut [u8], Error> {
        let kind = self.array.view.kind();
        if !kind.is_host_accessible() {
            return Err(Error::NotHostAccessible { kind });
        }
        let (ptr, len) = (self.array.view.as_ptr().cast::<u8>(), self.array.view.len());
        // SAFETY: host-accessible USM memory of `len` (at least one) bytes, which the
        // caller of `consume_mut_in` promised stays allocated and reachable only through
        // this value for 'a; `&mut self` makes this borrow the only one.
        Ok(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
    }

    /// The bytes as a mutable slice of `T`.
    ///
    /// # Errors
    ///
    /// As [`as_mut_slice`](Self::as_mut_slice), and [`Error::TypedView`] for a misaligned
    /// address or a size that is not a multiple of `T`'s.
    pub fn as_mut_slice_of<T: bytemuck::Pod>(&mut self) -> Result<&mut [T], Error> {
        cast_slice_mut(self.as_mut_slice()?)
    }

    /// The array's layout relative to the start of the view (see [`SuaiView::layout`]).
    pub fn layout(&self) -> &ArrayLayout {
        self.array.layout()
    }

    /// The byte offset in the view of the element at `index` (see
    /// [`SuaiView::byte_offset`]).
    pub fn byte_offset(&self, index: &[usize]) -> Option<usize> {
        self.array.byte_offset(index)
    }

    /// The device the dict's `syclobj` named, if any.
    pub fn named_device(&self) -> Option<&Device> {
        self.array.named_device()
    }

    /// A queue for work on the array (see [`SuaiView::queue`]).
    ///
    /// # Errors
    ///
    /// As [`Queue::new`].
    pub fn queue(&self) -> Result<Queue, SuaiError> {
        self.array.queue()
    }

    /// The dict of this array again, writable.
    ///
    /// # Errors
    ///
    /// As [`SuaiDict::new`] (never for a view made by consuming a dict).
    pub fn to_dict(&self) -> Result<SuaiDict, SuaiError> {
        self.array.to_dict()
    }

    /// Gives up writing: the same bytes as a read-only [`SuaiView`].
    pub fn into_read_only(self) -> SuaiView<'a> {
        self.array
    }
}

// SAFETY: as for `SuaiView`: the range was confirmed inside one live allocation of the
// context, and the caller of the unsafe constructor vouched for its lifetime and exclusivity.
unsafe impl UsmMemory for SuaiViewMut<'_> {
    fn as_ptr(&self) -> *mut c_void {
        self.array.as_ptr()
    }
    fn len(&self) -> usize {
        self.array.len()
    }
    fn kind(&self) -> UsmKind {
        self.array.kind()
    }
    fn alignment(&self) -> usize {
        self.array.alignment()
    }
    fn context(&self) -> &Context {
        self.array.context()
    }
    fn device(&self) -> Option<&Device> {
        self.array.device()
    }
}

// SAFETY: made by `SuaiDict::consume_mut_in`, whose caller promised that the bytes stay
// allocated and are reached only through this value for 'a; `&self` offers only reads.
unsafe impl UsmSource for SuaiViewMut<'_> {}
// SAFETY: as above; the value is not Clone and hands out only borrows tied to itself, so a
// `&mut` borrow of it is the only way to the bytes while it lives.
unsafe impl UsmDestination for SuaiViewMut<'_> {}

impl SuaiDict {
    /// Consumes the dict for writing in the context its `syclobj` names; as
    /// [`consume_mut_in`](Self::consume_mut_in) otherwise.
    ///
    /// # Errors
    ///
    /// [`SuaiError::UnknownContext`] when `syclobj` names no live context; otherwise as
    /// [`consume_mut_in`](Self::consume_mut_in).
    ///
    /// # Safety
    ///
    /// As [`consume_mut_in`](Self::consume_mut_in).
    pub unsafe fn consume_mut<'a>(
        &self,
        kind: Option<UsmKind>,
    ) -> Result<SuaiViewMut<'a>, SuaiError> {
        let context = self.syclobj().resolve()?;
        // SAFETY: the caller upholds consume_mut_in's contract.
        unsafe { self.consume_mut_in(&context, kind) }
    }

    /// Checks the dict as [`consume_in`](Self::consume_in) does, refuses read-only data,
    /// and returns a writable view of exactly the bytes the array touches.
    ///
    /// # Errors
    ///
    /// [`SuaiError::ReadOnly`] when the dict marks its data read-only; otherwise as
    /// [`consume_in`](Self::consume_in).
    ///
    /// # Safety
    ///
    /// The allocation must stay alive, and the viewed bytes must be neither read nor
    /// written through other paths, for as long as the view (lifetime `'a`) is used.
    pub unsafe fn consume_mut_in<'a>(
        &self,
        context: &Context,
        kind: Option<UsmKind>,
    ) -> Result<SuaiViewMut<'a>, SuaiError> {
        if self.read_only() {
            return Err(SuaiError::ReadOnly {
                addr: self.pointer(),
            });
        }
        // SAFETY: the caller's promise is stronger than consume_in's.
        let array = unsafe { self.consume_in(context, kind)? };
        Ok(SuaiViewMut { array })
    }
}
