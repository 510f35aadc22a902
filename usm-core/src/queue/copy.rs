//! The synchronous copies and fills of a [`Queue`]: each returns when its work is done.

use std::ffi::c_void;

use level_zero_sys::ze_command_list_handle_t;

use super::{report, start_clock, Command, Queue};
#[cfg(doc)]
use crate::error::TransferError;
use crate::error::{Error, Result};
use crate::result::command_list;
use crate::transfer::{
    check_copy, check_fill, check_region_copy, direction, same_size, Extent, Operand, Region, Side,
    UsmDestination, UsmSource,
};

impl Queue {
    /// Copies `len` bytes from `src` at `src_offset` to `dst` at `dst_offset`.
    ///
    /// Any pair of kinds works (device, shared, host; same or different devices of the
    /// queue's context). A `len` of 0 submits nothing.
    ///
    /// # Errors
    ///
    /// [`TransferError::OutOfBounds`], [`TransferError::Overlap`] (both ranges in one
    /// allocation, sharing bytes), [`TransferError::ForeignContext`]; the driver's code.
    pub fn copy<D, S>(
        &self,
        dst: &mut D,
        dst_offset: usize,
        src: &S,
        src_offset: usize,
        len: usize,
    ) -> Result<()>
    where
        D: UsmDestination + ?Sized,
        S: UsmSource + ?Sized,
    {
        if let Some((d, s)) = self.plain_copy(&*dst, dst_offset, src, src_offset, len) {
            if let Some(list) = self.quick_list() {
                // SAFETY: both ranges lie in memory the caller borrows (`plain_copy`
                // checked the bounds and that they share no byte): the destination
                // exclusively, the source unwritten, until the synchronous append returns.
                return unsafe { self.quick_copy(list, d, s, len) };
            }
        }
        self.copy_checked(dst, dst_offset, src, src_offset, len)
    }

    /// Copies all of `src` to all of `dst`, which must be of the same size (dpctl's
    /// `copy_from_device`).
    ///
    /// # Errors
    ///
    /// [`TransferError::SizeMismatch`], and as [`Queue::copy`].
    #[doc(alias = "copy_from_device")]
    pub fn copy_all<D, S>(&self, dst: &mut D, src: &S) -> Result<()>
    where
        D: UsmDestination + ?Sized,
        S: UsmSource + ?Sized,
    {
        let len = dst.len();
        if len == src.len() {
            if let Some((d, s)) = self.plain_copy(&*dst, 0, src, 0, len) {
                if let Some(list) = self.quick_list() {
                    // SAFETY: as in `copy`.
                    return unsafe { self.quick_copy(list, d, s, len) };
                }
            }
        }
        self.copy_all_checked(dst, src)
    }

    /// Copies `src` (plain host memory) into `dst` at `dst_offset`.
    ///
    /// `src` must not be USM memory of another context (refused as
    /// [`TransferError::ForeignContext`], as USM operands are).
    ///
    /// # Errors
    ///
    /// As [`Queue::copy`].
    pub fn copy_from_host<D>(&self, dst: &mut D, dst_offset: usize, src: &[u8]) -> Result<()>
    where
        D: UsmDestination + ?Sized,
    {
        let d = Side::usm(dst).range(Operand::Destination, dst_offset, src.len())?;
        self.copy_sides_checked(d, Side::host(src))
    }

    /// Copies `dst.len()` bytes of `src` at `src_offset` into `dst` (plain host memory).
    ///
    /// As for [`Queue::copy_from_host`], `dst` must not be USM memory of another context.
    ///
    /// # Errors
    ///
    /// As [`Queue::copy`].
    pub fn copy_to_host<S>(&self, dst: &mut [u8], src: &S, src_offset: usize) -> Result<()>
    where
        S: UsmSource + ?Sized,
    {
        let s = Side::usm(src).range(Operand::Source, src_offset, dst.len())?;
        self.copy_sides_checked(Side::host(dst), s)
    }

    /// Reads all of `src` into a new vector (dpctl's `tobytes`).
    ///
    /// # Errors
    ///
    /// As [`Queue::copy`].
    #[doc(alias = "tobytes")]
    pub fn to_vec<S>(&self, src: &S) -> Result<Vec<u8>>
    where
        S: UsmSource + ?Sized,
    {
        let mut out = vec![0u8; src.len()];
        self.copy_to_host(&mut out, src, 0)?;
        Ok(out)
    }

    /// Writes `src` over all of `dst`, which must be of the same size.
    ///
    /// # Errors
    ///
    /// [`TransferError::SizeMismatch`], and as [`Queue::copy`].
    pub fn write_from_slice<D>(&self, dst: &mut D, src: &[u8]) -> Result<()>
    where
        D: UsmDestination + ?Sized,
    {
        same_size(dst.len(), src.len())?;
        self.copy_from_host(dst, 0, src)
    }

    /// Reads all of `src` as elements of `T`.
    ///
    /// # Errors
    ///
    /// [`Error::TypedView`] when the size is not a multiple of `T`'s; as [`Queue::copy`].
    pub fn to_vec_of<T, S>(&self, src: &S) -> Result<Vec<T>>
    where
        T: bytemuck::Pod,
        S: UsmSource + ?Sized,
    {
        let n = elements::<T>(src.as_ptr() as usize, src.len())?;
        let mut out = vec![T::zeroed(); n];
        self.copy_to_host(bytemuck::cast_slice_mut(&mut out), src, 0)?;
        Ok(out)
    }

    /// Writes `src` over all of `dst`, which must have exactly its size in bytes.
    ///
    /// # Errors
    ///
    /// [`TransferError::SizeMismatch`], and as [`Queue::copy`].
    pub fn write_from_slice_of<T, D>(&self, dst: &mut D, src: &[T]) -> Result<()>
    where
        T: bytemuck::Pod,
        D: UsmDestination + ?Sized,
    {
        self.write_from_slice(dst, bytemuck::cast_slice(src))
    }

    /// Copies the elements `src` into `dst` at byte offset `dst_offset`.
    ///
    /// # Errors
    ///
    /// As [`Queue::copy`].
    pub fn copy_from_host_of<T, D>(&self, dst: &mut D, dst_offset: usize, src: &[T]) -> Result<()>
    where
        T: bytemuck::Pod,
        D: UsmDestination + ?Sized,
    {
        self.copy_from_host(dst, dst_offset, bytemuck::cast_slice(src))
    }

    /// Fills the elements `dst` from `src` at byte offset `src_offset`.
    ///
    /// # Errors
    ///
    /// As [`Queue::copy`].
    pub fn copy_to_host_of<T, S>(&self, dst: &mut [T], src: &S, src_offset: usize) -> Result<()>
    where
        T: bytemuck::Pod,
        S: UsmSource + ?Sized,
    {
        self.copy_to_host(bytemuck::cast_slice_mut(dst), src, src_offset)
    }

    /// Fills `len` bytes of `dst` at `offset` with copies of `pattern`
    /// (`zeCommandListAppendMemoryFill`).
    ///
    /// The pattern repeats from `offset`; when `len` is not a multiple of its length the
    /// last copy is cut short (submitted as the whole repetitions plus a few smaller fills
    /// for the tail, since current Level Zero specifications require each fill's size to be
    /// a multiple of its pattern). Its length must be a power of two no larger than
    /// [`Queue::max_fill_pattern_size`] (checked here, before submission).
    ///
    /// # Errors
    ///
    /// [`TransferError::BadPattern`], [`TransferError::OutOfBounds`],
    /// [`TransferError::ForeignContext`]; the driver's code.
    pub fn fill<D>(&self, dst: &mut D, offset: usize, len: usize, pattern: &[u8]) -> Result<()>
    where
        D: UsmDestination + ?Sized,
    {
        let d = check_fill(
            self.context_addr(),
            self.max_fill_pattern_size(),
            Side::usm(dst),
            offset,
            len,
            pattern,
        )?;
        if len == 0 {
            return Ok(());
        }
        let span = tracing::debug_span!(
            target: "usm_core::copy",
            "usm fill",
            bytes = len,
            pattern = pattern.len(),
            kind = ?d.kind,
            engine = %self.engine()
        );
        let _entered = span.enter();
        let start = start_clock();
        let command = Command::Fill {
            dst: d.ptr(),
            pattern,
            len,
        };
        // SAFETY: the range lies in `dst` (checked), which `&mut` keeps alive and exclusive
        // until `run` returns after the fill completed; `pattern` lives across the call.
        unsafe { self.run(&command) }?;
        report(start, len);
        Ok(())
    }

    /// Sets `len` bytes of `dst` at `offset` to `value` (dpctl's `memset`).
    ///
    /// # Errors
    ///
    /// As [`Queue::fill`].
    pub fn memset<D>(&self, dst: &mut D, offset: usize, len: usize, value: u8) -> Result<()>
    where
        D: UsmDestination + ?Sized,
    {
        self.fill(dst, offset, len, &[value])
    }

    /// Fills `len` bytes of `dst` at `offset` with copies of `value`'s bytes (a fill whose
    /// pattern is one `T`).
    ///
    /// # Errors
    ///
    /// As [`Queue::fill`]; `T`'s size must be a power of two the engine accepts.
    pub fn fill_with<T, D>(&self, dst: &mut D, offset: usize, len: usize, value: T) -> Result<()>
    where
        T: bytemuck::Pod,
        D: UsmDestination + ?Sized,
    {
        self.fill(dst, offset, len, bytemuck::bytes_of(&value))
    }

    /// Copies a 2-D or 3-D region of `extent` from `src` to `dst`
    /// (`zeCommandListAppendMemoryCopyRegion`).
    ///
    /// Each side gives its origin and layout; the extent is common. Regions must lie in
    /// their memory, rows must not be wider than the pitch, nor slices taller than the
    /// slice pitch; when both sides are in one allocation, their bounding byte ranges must
    /// not overlap (a conservative check).
    ///
    /// # Errors
    ///
    /// [`TransferError::BadRegion`], [`TransferError::OutOfBounds`],
    /// [`TransferError::Overlap`], [`TransferError::ForeignContext`]; the driver's code.
    pub fn copy_region<D, S>(
        &self,
        dst: &mut D,
        dst_region: &Region,
        src: &S,
        src_region: &Region,
        extent: &Extent,
    ) -> Result<()>
    where
        D: UsmDestination + ?Sized,
        S: UsmSource + ?Sized,
    {
        let checked = check_region_copy(
            self.context_addr(),
            Side::usm(dst),
            dst_region,
            Side::usm(src),
            src_region,
            extent,
        )?;
        let command = Command::region(&checked);
        let bytes = extent.bytes() as usize;
        let span = tracing::debug_span!(
            target: "usm_core::copy",
            "usm copy region",
            bytes,
            direction = direction(Some(src.kind()), Some(dst.kind())),
            engine = %self.engine()
        );
        let _entered = span.enter();
        let start = start_clock();
        // SAFETY: both regions lie in their memory (checked); `&mut dst` and `&src` keep
        // them alive, `dst` exclusive and `src` unwritten, until `run` returns after the
        // copy completed.
        unsafe { self.run(&command) }?;
        report(start, bytes);
        Ok(())
    }

    /// The destination and source addresses of a copy in the common case, or `None` for
    /// the full path: two USM
    /// ranges in bounds, of the queue's own context (the same `Context`), of non-zero
    /// size, sharing no byte, with no `debug` subscriber. Decided from the operands' fields alone,
    /// so that the common case costs a few compares before the list.
    #[inline(always)]
    fn plain_copy<D, S>(
        &self,
        dst: &D,
        dst_offset: usize,
        src: &S,
        src_offset: usize,
        len: usize,
    ) -> Option<(usize, usize)>
    where
        D: UsmDestination + ?Sized,
        S: UsmSource + ?Sized,
    {
        let in_bounds =
            |offset: usize, size: usize| offset.checked_add(len).is_some_and(|end| end <= size);
        if len == 0 || !in_bounds(dst_offset, dst.len()) || !in_bounds(src_offset, src.len()) {
            return None;
        }
        let queue_context = &self.inner.context;
        if dst.context() != queue_context || src.context() != queue_context {
            return None;
        }
        // In bounds of live allocations, so these sums do not overflow.
        let d = dst.as_ptr() as usize + dst_offset;
        let s = src.as_ptr() as usize + src_offset;
        let disjoint = d.abs_diff(s) >= len;
        // Any `debug` subscriber at all sends the copy to the full path, which asks this
        // callsite's interest: no call on this path.
        if !disjoint || tracing::level_enabled!(tracing::Level::DEBUG) {
            return None;
        }
        Some((d, s))
    }

    /// The thread's synchronous list of this queue when a synchronous call needs nothing
    /// else first (no raw-list work to wait for, the thread's list at hand), or `None`,
    /// for the full path ([`Queue::run`]).
    #[inline(always)]
    fn quick_list(&self) -> Option<ze_command_list_handle_t> {
        if self.inner.no_raw_work() {
            self.last_sync_list()
        } else {
            None
        }
    }

    /// Appends a copy of `len` bytes from `src` to `dst` to `list`, the thread's
    /// synchronous list of this queue ([`Queue::quick_list`]).
    ///
    /// # Safety
    ///
    /// As [`Queue::run`], for the copy.
    #[inline(always)]
    unsafe fn quick_copy(
        &self,
        list: ze_command_list_handle_t,
        dst: usize,
        src: usize,
        len: usize,
    ) -> Result<()> {
        // SAFETY: forwarded from the caller; the list is synchronous, so the copy is done
        // when the append returns, and only this thread appends to it (`sync_lists`).
        unsafe {
            command_list::append_memory_copy(
                self.inner.context.api(),
                list,
                dst as *mut c_void,
                src as *const c_void,
                len,
                std::ptr::null_mut(),
                &[],
            )
        }
    }

    /// [`Queue::copy`] for everything but the common case: every check, with its error.
    #[cold]
    #[inline(never)]
    fn copy_checked<D, S>(
        &self,
        dst: &mut D,
        dst_offset: usize,
        src: &S,
        src_offset: usize,
        len: usize,
    ) -> Result<()>
    where
        D: UsmDestination + ?Sized,
        S: UsmSource + ?Sized,
    {
        let d = Side::usm(dst).range(Operand::Destination, dst_offset, len)?;
        let s = Side::usm(src).range(Operand::Source, src_offset, len)?;
        self.copy_sides_checked(d, s)
    }

    /// [`Queue::copy_all`] for everything but the common case, as
    /// [`copy_checked`](Self::copy_checked).
    #[cold]
    #[inline(never)]
    fn copy_all_checked<D, S>(&self, dst: &mut D, src: &S) -> Result<()>
    where
        D: UsmDestination + ?Sized,
        S: UsmSource + ?Sized,
    {
        let (d, s) = (Side::usm(dst), Side::usm(src));
        same_size(d.len, s.len)?;
        self.copy_sides_checked(d, s)
    }

    /// Checks and runs a copy between two ranges: every check, with its error (the
    /// common case of two USM operands is [`plain_copy`](Self::plain_copy)'s).
    fn copy_sides_checked(&self, dst: Side, src: Side) -> Result<()> {
        check_copy(self.context_addr(), &dst, &src)?;
        if dst.len == 0 {
            return Ok(());
        }
        let command = Command::Copy {
            dst: dst.ptr(),
            src: src.ptr(),
            len: dst.len,
        };
        if debug_enabled!("usm_core::copy") {
            return self.run_copy_traced(&command, &dst, &src);
        }
        // SAFETY: both ranges lie in memory the caller borrows (checked above): the
        // destination exclusively, the source unwritten, until `run` returns after the copy
        // completed.
        unsafe { self.run(&command) }
    }

    /// A copy with debug tracing on: in its span, with its rate.
    /// Out of line, so that the untraced path stays short.
    #[cold]
    #[inline(never)]
    fn run_copy_traced(&self, command: &Command<'_>, dst: &Side, src: &Side) -> Result<()> {
        let span = tracing::debug_span!(
            target: "usm_core::copy",
            "usm copy",
            bytes = dst.len,
            direction = direction(src.kind, dst.kind),
            engine = %self.engine()
        );
        let _entered = span.enter();
        let start = start_clock();
        // SAFETY: as in `copy_sides_checked`, whose checked command this is.
        unsafe { self.run(command) }?;
        report(start, dst.len);
        Ok(())
    }
}

/// The number of `T` in `len` bytes at `addr`, or the error for a size that does not divide.
fn elements<T>(addr: usize, len: usize) -> Result<usize> {
    let size = std::mem::size_of::<T>();
    if size == 0 || len % size != 0 {
        return Err(Error::TypedView {
            type_name: std::any::type_name::<T>(),
            addr,
            len,
            reason: format!("the size is not a multiple of {size} bytes"),
        });
    }
    Ok(len / size)
}
