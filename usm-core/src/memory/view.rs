//! Borrowed views of USM memory: [`UsmView`] (shared, for reading) and [`UsmViewMut`]
//! (exclusive, for writing), typed by their element (`u8` by default), each a range of one
//! allocation whose bounds were checked once, when the view was made.

use std::ffi::c_void;
use std::marker::PhantomData;
use std::ops::{Bound, RangeBounds};

use bytemuck::Pod;

use super::traits::{address_alignment, cast_slice, cast_slice_mut, ElementType};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::names::{Device, UsmKind};

/// What both views hold: a byte range of one allocation and what it belongs to.
pub(crate) struct ViewParts {
    pub(crate) ptr: *mut c_void,
    /// The view's length in bytes.
    pub(crate) len: usize,
    pub(crate) kind: UsmKind,
    pub(crate) context: Context,
    pub(crate) device: Option<Device>,
    pub(crate) base: usize,
    pub(crate) allocation_len: usize,
}

impl ViewParts {
    /// The parts of all of `memory` (an allocation of its own, or a view naming its base).
    pub(crate) fn of<M: super::UsmMemory + ?Sized>(memory: &M) -> ViewParts {
        ViewParts {
            ptr: memory.as_ptr(),
            len: memory.len(),
            kind: memory.kind(),
            context: memory.context().dependent(),
            device: memory.device().cloned(),
            base: memory.as_ptr() as usize,
            allocation_len: memory.len(),
        }
    }

    /// The same allocation, narrowed to `len` bytes at byte `offset` (already checked).
    fn narrowed(&self, offset: usize, len: usize) -> ViewParts {
        ViewParts {
            ptr: self.ptr.cast::<u8>().wrapping_add(offset).cast(),
            len,
            kind: self.kind,
            context: self.context.dependent(),
            device: self.device.clone(),
            base: self.base,
            allocation_len: self.allocation_len,
        }
    }

    /// The sub-range of elements of `T` that `range` names, checked.
    fn elements<T>(&self, range: impl RangeBounds<usize>) -> Result<ViewParts> {
        let (offset, len) = element_range::<T>(range, self.len / size_of_nonzero::<T>())?;
        Ok(self.narrowed(offset, len))
    }

    /// The two views at element `mid`, checked.
    fn split<T>(self, mid: usize) -> Result<(ViewParts, ViewParts)> {
        let elements = self.len / size_of_nonzero::<T>();
        if mid > elements {
            return Err(range_error::<T>(mid, mid, elements));
        }
        let at = mid * std::mem::size_of::<T>();
        let left = self.narrowed(0, at);
        let right = self.narrowed(at, self.len - at);
        Ok((left, right))
    }

    /// The bytes, for host-accessible kinds.
    ///
    /// # Safety
    ///
    /// The range must be alive, and not written through another path, while the slice
    /// lives.
    unsafe fn bytes<'b>(&self) -> Result<&'b [u8]> {
        if !self.kind.is_host_accessible() {
            return Err(Error::NotHostAccessible { kind: self.kind });
        }
        // SAFETY: host-accessible USM of `len` bytes, alive and unwritten for the slice
        // (the caller's promise); the pointer is never null (views are made over
        // allocations, and adoption refuses null), so an empty slice keeps its address.
        Ok(unsafe { std::slice::from_raw_parts(self.ptr.cast::<u8>(), self.len) })
    }

    /// The bytes, mutably, for host-accessible kinds.
    ///
    /// # Safety
    ///
    /// The range must be alive, and reached through no other path, while the slice lives.
    unsafe fn bytes_mut<'b>(&mut self) -> Result<&'b mut [u8]> {
        if !self.kind.is_host_accessible() {
            return Err(Error::NotHostAccessible { kind: self.kind });
        }
        // SAFETY: as in `bytes`, and the caller's promise of exclusive access.
        Ok(unsafe { std::slice::from_raw_parts_mut(self.ptr.cast::<u8>(), self.len) })
    }
}

/// `size_of::<T>()`, or 1 for zero-sized types (which no view can hold: every range of
/// them is empty).
fn size_of_nonzero<T>() -> usize {
    std::mem::size_of::<T>().max(1)
}

/// The byte offset and byte length of the elements `range` names in `len` elements of `T`.
pub(crate) fn element_range<T>(
    range: impl RangeBounds<usize>,
    len: usize,
) -> Result<(usize, usize)> {
    let start = match range.start_bound() {
        Bound::Included(&s) => Some(s),
        Bound::Excluded(&s) => s.checked_add(1),
        Bound::Unbounded => Some(0),
    };
    let end = match range.end_bound() {
        Bound::Included(&e) => e.checked_add(1),
        Bound::Excluded(&e) => Some(e),
        Bound::Unbounded => Some(len),
    };
    match (start, end) {
        (Some(start), Some(end)) if start <= end && end <= len => {
            let size = std::mem::size_of::<T>();
            Ok((start * size, (end - start) * size))
        }
        (start, end) => Err(range_error::<T>(
            start.unwrap_or(usize::MAX),
            end.unwrap_or(usize::MAX),
            len,
        )),
    }
}

fn range_error<T>(start: usize, end: usize, len: usize) -> Error {
    Error::ElementRange {
        type_name: std::any::type_name::<T>(),
        start,
        end,
        len,
    }
}

/// Debug output both views share.
fn debug_parts(name: &str, parts: &ViewParts, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    f.debug_struct(name)
        .field("ptr", &parts.ptr)
        .field("len", &parts.len)
        .field("kind", &parts.kind)
        .field("base", &format_args!("{:#x}", parts.base))
        .field("allocation_len", &parts.allocation_len)
        .finish()
}

/// A shared, non-owning view of USM memory: a range of `T`s (bytes by default) of one
/// allocation, with the same read API as owned memory. Made by `slice`/`split_at` of the
/// owned kinds, [`UsmMemory::view`](super::UsmMemory::view) (bytes), [`UsmView::adopt`]
/// and [`as_usm_memory`](crate::as_usm_memory) (from a raw pointer).
///
/// The view borrows its memory for `'a` and frees nothing; it is a source of every copy
/// ([`UsmSource`](super::UsmSource)), never a destination. It holds a dependent handle of
/// its context, so the context outlives the view. Its bounds were checked when it was made.
///
/// As [`UsmMemory`](super::UsmMemory), [`len`](UsmView::len) counts bytes through the
/// trait and elements as an inherent method (the same for `u8`).
///
/// A view cannot outlive its memory:
///
/// ```compile_fail,E0597
/// use usm_core::{Context, UsmDevice, UsmView};
/// fn dangling<'a>(context: &Context, device: &usm_core::Device) -> UsmView<'a, u32> {
///     let memory = UsmDevice::<u32>::alloc(context, device, 16).unwrap();
///     memory.slice(0..8).unwrap()
/// }
/// ```
pub struct UsmView<'a, T = u8> {
    pub(crate) parts: ViewParts,
    _borrow: PhantomData<&'a [T]>,
}

/// An exclusive, non-owning view of USM memory: a range of `T`s of one allocation that
/// the device may write (a [`UsmDestination`](super::UsmDestination)), made by
/// `slice_mut`/`split_at_mut` of the owned kinds or [`UsmViewMut::adopt`].
///
/// It borrows its memory mutably for `'a`, so nothing else reaches those bytes while it
/// lives; two views from [`split_at_mut`](UsmViewMut::split_at_mut) do not overlap, so work
/// on them may be in flight at the same time (in a [`scope`](crate::scope())).
///
/// Two overlapping mutable views of one memory cannot coexist:
///
/// ```compile_fail,E0499
/// # fn f(memory: &mut usm_core::UsmDevice<u32>) -> usm_core::Result<()> {
/// let a = memory.slice_mut(0..8)?;
/// let b = memory.slice_mut(4..12)?;
/// # drop((a, b));
/// # Ok(())
/// # }
/// ```
///
/// nor can memory be freed while a view of it lives:
///
/// ```compile_fail,E0505
/// # fn f(memory: usm_core::UsmDevice<u32>) -> usm_core::Result<()> {
/// let view = memory.slice(0..8)?;
/// drop(memory);
/// # drop(view);
/// # Ok(())
/// # }
/// ```
pub struct UsmViewMut<'a, T = u8> {
    pub(crate) parts: ViewParts,
    _borrow: PhantomData<&'a mut [T]>,
}

// SAFETY: a view is a borrow of bytes in the unified address space (like `&[T]` / `&mut
// [T]` of plain-old-data, which are Send and Sync); its other fields are Send + Sync
// handles. The pointer is only dereferenced under the borrow rules of the view.
unsafe impl<T: Sync> Send for UsmView<'_, T> {}
// SAFETY: as for Send: `&UsmView` only reads.
unsafe impl<T: Sync> Sync for UsmView<'_, T> {}
// SAFETY: as for `UsmView`: the view is the only way to its bytes while it lives.
unsafe impl<T: Send> Send for UsmViewMut<'_, T> {}
// SAFETY: `&UsmViewMut` only reads (writes need `&mut`).
unsafe impl<T: Sync> Sync for UsmViewMut<'_, T> {}

impl<T> Clone for UsmView<'_, T> {
    /// Another view of the same elements (a dependent handle of the context, not a user
    /// one).
    fn clone(&self) -> Self {
        UsmView::from_view_parts(self.parts.narrowed(0, self.parts.len))
    }
}

impl<T> std::fmt::Debug for UsmView<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_parts("UsmView", &self.parts, f)
    }
}

impl<T> std::fmt::Debug for UsmViewMut<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_parts("UsmViewMut", &self.parts, f)
    }
}

/// The accessors both views share.
macro_rules! view_common {
    ($ty:ident) => {
        impl<'a, T> $ty<'a, T> {
            pub(crate) fn from_view_parts(parts: ViewParts) -> Self {
                $ty {
                    parts,
                    _borrow: PhantomData,
                }
            }

            /// The number of elements.
            pub fn len(&self) -> usize {
                self.parts.len / size_of_nonzero::<T>()
            }

            /// Whether the view has no elements.
            pub fn is_empty(&self) -> bool {
                self.parts.len == 0
            }

            /// The start address of the allocation this view lies in.
            pub fn base(&self) -> *mut c_void {
                self.parts.base as *mut c_void
            }

            /// The size of the allocation this view lies in, in bytes.
            pub fn allocation_len(&self) -> usize {
                self.parts.allocation_len
            }

            /// The offset of the view from the allocation's [`base`](Self::base), in bytes.
            pub fn offset(&self) -> usize {
                self.parts.ptr as usize - self.parts.base
            }

            /// A shared view of the elements `range` of this view.
            ///
            /// # Errors
            ///
            /// [`Error::ElementRange`] when the range is reversed or does not fit.
            pub fn slice(&self, range: impl RangeBounds<usize>) -> Result<UsmView<'_, T>> {
                Ok(UsmView::from_view_parts(self.parts.elements::<T>(range)?))
            }
        }

        // SAFETY: a view is only made over a range inside memory its lifetime borrows (by
        // a checked sub-range of a `UsmMemory`), or by adoption of a live allocation of its
        // context, whose caller promised the same.
        unsafe impl<T> super::UsmMemory for $ty<'_, T> {
            fn as_ptr(&self) -> *mut c_void {
                self.parts.ptr
            }
            fn len(&self) -> usize {
                self.parts.len
            }
            fn kind(&self) -> UsmKind {
                self.parts.kind
            }
            fn alignment(&self) -> usize {
                address_alignment(self.parts.ptr as usize)
            }
            fn context(&self) -> &Context {
                &self.parts.context
            }
            fn device(&self) -> Option<&Device> {
                self.parts.device.as_ref()
            }
            /// A narrower view (bytes), still naming the whole allocation as its base.
            fn view(&self, offset: usize, len: usize) -> Result<UsmView<'_>> {
                if offset
                    .checked_add(len)
                    .map_or(true, |end| end > self.parts.len)
                {
                    return Err(Error::OutOfBounds {
                        offset,
                        len,
                        size: self.parts.len,
                    });
                }
                Ok(UsmView::from_view_parts(self.parts.narrowed(offset, len)))
            }
        }

        impl<T: Pod> ElementType for $ty<'_, T> {
            type Elem = T;
        }
    };
}

view_common!(UsmView);
view_common!(UsmViewMut);

// SAFETY: a shared view borrows its memory for 'a (or was adopted by a caller who promised
// the same), and offers only reads.
unsafe impl<T> super::UsmSource for UsmView<'_, T> {}
// SAFETY: a mutable view borrows its memory mutably for 'a: nothing else reaches the bytes
// while it lives; `&` of it only reads.
unsafe impl<T> super::UsmSource for UsmViewMut<'_, T> {}
// SAFETY: as above; `&mut` of the view is the only way to its bytes, and it cannot be
// cloned.
unsafe impl<T> super::UsmDestination for UsmViewMut<'_, T> {}

impl<'a, T> UsmView<'a, T> {
    /// A view of `len` bytes at `offset` of `memory`.
    pub(crate) fn sub_range<M: super::UsmMemory + ?Sized>(
        memory: &'a M,
        offset: usize,
        len: usize,
    ) -> Result<UsmView<'a, T>> {
        let size = memory.len();
        if offset.checked_add(len).map_or(true, |end| end > size) {
            return Err(Error::OutOfBounds { offset, len, size });
        }
        Ok(UsmView::from_view_parts(
            ViewParts::of(memory).narrowed(offset, len),
        ))
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
    ) -> UsmView<'a, T> {
        UsmView::from_view_parts(ViewParts {
            ptr: addr as *mut c_void,
            len,
            kind,
            context: context.dependent(),
            device,
            base,
            allocation_len,
        })
    }

    /// The elements `range`, as a view of the same borrow.
    ///
    /// # Errors
    ///
    /// [`Error::ElementRange`] when the range is reversed or does not fit.
    pub fn to_slice(&self, range: impl RangeBounds<usize>) -> Result<UsmView<'a, T>> {
        Ok(UsmView::from_view_parts(self.parts.elements::<T>(range)?))
    }

    /// The views of the elements before `mid` and from `mid` on.
    ///
    /// # Errors
    ///
    /// [`Error::ElementRange`] when `mid` is past the end.
    pub fn split_at(&self, mid: usize) -> Result<(UsmView<'a, T>, UsmView<'a, T>)> {
        let whole = self.parts.narrowed(0, self.parts.len);
        let (left, right) = whole.split::<T>(mid)?;
        Ok((
            UsmView::from_view_parts(left),
            UsmView::from_view_parts(right),
        ))
    }
}

impl<'a, T: Pod> UsmView<'a, T> {
    /// The elements, for reading on the host.
    ///
    /// # Errors
    ///
    /// [`Error::NotHostAccessible`] for device memory; [`Error::TypedView`] when the view
    /// was adopted at an address not aligned for `T`.
    pub fn as_slice(&self) -> Result<&'a [T]> {
        // SAFETY: the view borrows its memory for 'a (or its adopter promised it), and
        // shared views exclude writers.
        cast_slice(unsafe { self.parts.bytes() }?)
    }

    /// The elements reinterpreted as `U`.
    ///
    /// # Errors
    ///
    /// [`Error::NotHostAccessible`] for device memory, [`Error::TypedView`] for a
    /// misaligned address or a size that is not a multiple of `U`'s.
    pub fn as_slice_of<U: Pod>(&self) -> Result<&'a [U]> {
        // SAFETY: as in `as_slice`.
        cast_slice(unsafe { self.parts.bytes() }?)
    }
}

impl<'a, T> UsmViewMut<'a, T> {
    /// A shared view of all of this view, borrowing it.
    pub fn as_view(&self) -> UsmView<'_, T> {
        UsmView::from_view_parts(self.parts.narrowed(0, self.parts.len))
    }

    /// A mutable view of all of this view, borrowing it (so that this view can be used
    /// again afterwards).
    pub fn reborrow(&mut self) -> UsmViewMut<'_, T> {
        UsmViewMut::from_view_parts(self.parts.narrowed(0, self.parts.len))
    }

    /// A mutable view of the elements `range` of this view, borrowing it.
    ///
    /// # Errors
    ///
    /// [`Error::ElementRange`] when the range is reversed or does not fit.
    pub fn slice_mut(&mut self, range: impl RangeBounds<usize>) -> Result<UsmViewMut<'_, T>> {
        Ok(UsmViewMut::from_view_parts(
            self.parts.elements::<T>(range)?,
        ))
    }

    /// The elements `range`, as a mutable view of the same borrow (consuming this one).
    ///
    /// # Errors
    ///
    /// [`Error::ElementRange`] when the range is reversed or does not fit.
    pub fn into_slice_mut(self, range: impl RangeBounds<usize>) -> Result<UsmViewMut<'a, T>> {
        Ok(UsmViewMut::from_view_parts(
            self.parts.elements::<T>(range)?,
        ))
    }

    /// The two non-overlapping mutable views of the elements before `mid` and from `mid`
    /// on, of the same borrow (consuming this one).
    ///
    /// # Errors
    ///
    /// [`Error::ElementRange`] when `mid` is past the end.
    pub fn split_at_mut(self, mid: usize) -> Result<(UsmViewMut<'a, T>, UsmViewMut<'a, T>)> {
        let (left, right) = self.parts.split::<T>(mid)?;
        Ok((
            UsmViewMut::from_view_parts(left),
            UsmViewMut::from_view_parts(right),
        ))
    }
}

impl<T: Pod> UsmViewMut<'_, T> {
    /// The elements, for reading on the host.
    ///
    /// # Errors
    ///
    /// As [`UsmView::as_slice`].
    pub fn as_slice(&self) -> Result<&[T]> {
        // SAFETY: the view borrows its memory exclusively; `&self` excludes writers.
        cast_slice(unsafe { self.parts.bytes() }?)
    }

    /// The elements, for writing on the host.
    ///
    /// # Errors
    ///
    /// As [`UsmView::as_slice`].
    pub fn as_mut_slice(&mut self) -> Result<&mut [T]> {
        // SAFETY: the view borrows its memory exclusively; `&mut self` makes this the only
        // reference while the slice lives.
        cast_slice_mut(unsafe { self.parts.bytes_mut() }?)
    }
}
