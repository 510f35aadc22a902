//! Moving and setting bytes: the primitives every copy, fill and copy-region command ends
//! in, operating on pointers the driver can use (host memory, or the driver's own mapping
//! of device memory).
//!
//! Large copies and fills are split across the machine's cores, like a GPU spreading a
//! copy over several engines.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use level_zero_sys::{ze_copy_region_t, ze_result_t};

use crate::ffi::ZeResult;

/// Copies and fills at least this large are split across cores.
const SPLIT_THRESHOLD: usize = 4 << 20;
/// At most this many threads share one copy.
const MAX_SPLIT: usize = crate::config::MAX_COPY_THREADS;

/// How many threads share a large copy: `ZE_SOFT_COPY_THREADS` (see [`crate::config`]),
/// else half the logical CPUs (at most 4, at least 1). Memory bandwidth, not the CPU,
/// limits a large copy; on a 2-CPU machine one thread copies faster than two.
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| {
        let configured = crate::config::get().ok().and_then(|c| c.copy_threads);
        configured
            .unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map(|n| n.get() / 2)
                    .unwrap_or(1)
            })
            .clamp(1, MAX_SPLIT)
    })
}

/// How many parts a job of `len` bytes is split into.
fn parts_for(len: usize) -> usize {
    if len < SPLIT_THRESHOLD {
        1
    } else {
        cores()
    }
}

/// Runs `job(offset, len)` over `[0, len)` in `parts` contiguous pieces, the first on
/// this thread and the others on scoped helper threads.
fn split(len: usize, parts: usize, job: &(dyn Fn(usize, usize) + Sync)) {
    if parts <= 1 {
        job(0, len);
        return;
    }
    // Pieces are multiples of 4 KiB so that no two threads share a page.
    let piece = (len / parts).next_multiple_of(4096);
    std::thread::scope(|s| {
        let mut start = piece;
        while start < len {
            let n = piece.min(len - start);
            s.spawn(move || job(start, n));
            start += n;
        }
        job(0, piece.min(len));
    });
}

/// Copies `len` bytes from `src` to `dst`; the ranges may overlap.
///
/// # Safety
///
/// `src` must be readable and `dst` writable for `len` bytes, and no other thread may
/// write either range during the call.
pub(crate) unsafe fn copy_bytes(dst: *mut u8, src: *const u8, len: usize) {
    // SAFETY: the caller's guarantees.
    unsafe { copy_in_parts(dst, src, len, parts_for(len)) }
}

/// Copies `len` bytes from `src` to `dst` where at least one side is the application's
/// own host memory, through [`crate::host_memory::copy`] (split across cores like
/// [`copy_bytes`]): `ZE_RESULT_ERROR_DEVICE_LOST` if some of it can no longer be read or
/// written, never a fault. Overlapping ranges go through [`copy_bytes`].
///
/// # Safety
///
/// As for [`crate::host_memory::copy`].
pub(crate) unsafe fn copy_host_bytes(dst: *mut u8, src: *const u8, len: usize) -> ZeResult {
    let (d, s) = (dst as usize, src as usize);
    if d < s + len && s < d + len {
        // SAFETY: the ranges were checked when the command was appended.
        unsafe { copy_bytes(dst, src, len) };
        return Ok(());
    }
    let failed = AtomicBool::new(false);
    split(len, parts_for(len), &|off, n| {
        // SAFETY: `off + n <= len`: the pieces lie inside the caller's ranges.
        let r =
            unsafe { crate::host_memory::copy((d + off) as *mut u8, (s + off) as *const u8, n) };
        if r.is_err() {
            failed.store(true, Ordering::Relaxed);
        }
    });
    if failed.into_inner() {
        Err(ze_result_t::ZE_RESULT_ERROR_DEVICE_LOST)
    } else {
        Ok(())
    }
}

/// [`copy_bytes`] with the number of threads given (when the ranges do not overlap).
///
/// # Safety
///
/// As for [`copy_bytes`].
unsafe fn copy_in_parts(dst: *mut u8, src: *const u8, len: usize, parts: usize) {
    if len == 0 || std::ptr::eq(dst, src) {
        return;
    }
    let (d, s) = (dst as usize, src as usize);
    let overlap = d < s + len && s < d + len;
    if overlap {
        // SAFETY: the caller guarantees both ranges; `copy` allows overlap.
        unsafe { std::ptr::copy(src, dst, len) };
        return;
    }
    split(len, parts, &|off, n| {
        // SAFETY: `off + n <= len`, so both pieces lie inside the caller's ranges, which
        // do not overlap each other; the pieces of different threads are disjoint.
        unsafe { std::ptr::copy_nonoverlapping((s + off) as *const u8, (d + off) as *mut u8, n) }
    });
}

/// Fills `len` bytes at `dst` with `pattern` repeated from `dst` on; the last repetition
/// is cut short when `len` is not a multiple of the pattern's size.
///
/// # Safety
///
/// `dst` must be writable for `len` bytes, no other thread may access it during the
/// call, and `pattern` must not be empty and must not overlap it.
pub(crate) unsafe fn fill_bytes(dst: *mut u8, pattern: &[u8], len: usize) {
    // SAFETY: the caller's guarantees.
    unsafe { fill_in_parts(dst, pattern, len, parts_for(len)) }
}

/// [`fill_bytes`] with the number of threads given.
///
/// # Safety
///
/// As for [`fill_bytes`].
unsafe fn fill_in_parts(dst: *mut u8, pattern: &[u8], len: usize, parts: usize) {
    if len == 0 {
        return;
    }
    let d = dst as usize;
    let p = pattern.len();
    split(len, parts, &|off, n| {
        // SAFETY: `[off, off + n)` lies inside the caller's range; pieces are disjoint.
        unsafe { fill_piece((d + off) as *mut u8, pattern, off % p, n) }
    });
}

/// Fills `n` bytes at `dst` with the pattern, starting `phase` bytes into it.
///
/// # Safety
///
/// `dst` writable for `n` bytes and not overlapping `pattern`; `phase < pattern.len()`.
unsafe fn fill_piece(dst: *mut u8, pattern: &[u8], phase: usize, n: usize) {
    if pattern.len() == 1 {
        // SAFETY: the caller's range.
        unsafe { std::ptr::write_bytes(dst, pattern[0], n) };
        return;
    }
    // Write one (rotated) pattern, then double the written prefix until done.
    let first = (pattern.len()).min(n);
    for i in 0..first {
        // SAFETY: `i < n`.
        unsafe { dst.add(i).write(pattern[(phase + i) % pattern.len()]) };
    }
    let mut done = first;
    while done < n {
        // Copy whole patterns only, so the phase stays right.
        let chunk = done.min(n - done);
        // SAFETY: `[0, done)` is written, `[done, done + chunk)` is inside the range and
        // does not overlap it.
        unsafe { std::ptr::copy_nonoverlapping(dst, dst.add(done), chunk) };
        done += chunk;
    }
}

/// The geometry of one side of a copy-region command, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Region {
    /// Offset of the first byte from the base pointer.
    pub origin: u64,
    /// Bytes per row copied.
    pub width: u64,
    /// Rows per slice.
    pub height: u64,
    /// Slices (1 for a 2-D copy).
    pub depth: u64,
    /// Bytes from one row to the next.
    pub pitch: u64,
    /// Bytes from one slice to the next.
    pub slice_pitch: u64,
}

/// Why a copy region is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RegionError {
    /// Rows wider than the pitch, or slices taller than the slice pitch.
    BadPitch,
    /// The region reaches beyond any address the process can have.
    TooLarge,
}

impl Region {
    /// The geometry of `r` with the given pitches (`slice_pitch` is ignored for 2-D).
    pub(crate) fn new(
        r: &ze_copy_region_t,
        pitch: u32,
        slice_pitch: u32,
    ) -> Result<Self, RegionError> {
        let three_d = r.depth != 0;
        let (pitch, slice_pitch) = (u64::from(pitch), u64::from(slice_pitch));
        let (x, y, z) = (
            u64::from(r.originX),
            u64::from(r.originY),
            u64::from(r.originZ),
        );
        let (w, h) = (u64::from(r.width), u64::from(r.height));
        if h > 1 && x + w > pitch {
            return Err(RegionError::BadPitch);
        }
        let depth = if three_d { u64::from(r.depth) } else { 1 };
        let wide = |v: u64| u128::from(v);
        let slice_height = wide(y + h.saturating_sub(1)) * wide(pitch) + wide(x + w);
        if three_d && depth > 1 && slice_height > wide(slice_pitch) {
            return Err(RegionError::BadPitch);
        }
        let z = if three_d { z } else { 0 };
        // Every offset computed from here on is below the end, which fits in 48 bits.
        let origin = wide(x) + wide(y) * wide(pitch) + wide(z) * wide(slice_pitch);
        let end = origin
            + wide(depth.saturating_sub(1)) * wide(slice_pitch)
            + wide(h.saturating_sub(1)) * wide(pitch)
            + wide(w);
        if end > 1 << 48 {
            return Err(RegionError::TooLarge);
        }
        let origin = origin as u64;
        Ok(Region {
            origin,
            width: w,
            height: h,
            depth,
            pitch,
            slice_pitch: if three_d { slice_pitch } else { 0 },
        })
    }

    /// Whether no byte is copied.
    pub(crate) fn is_empty(&self) -> bool {
        self.width == 0 || self.height == 0 || self.depth == 0
    }

    /// The offsets `[start, end)` spanning every byte of the region.
    pub(crate) fn span(&self) -> (u64, u64) {
        if self.is_empty() {
            return (self.origin, self.origin);
        }
        let last = self.origin
            + (self.depth - 1) * self.slice_pitch
            + (self.height - 1) * self.pitch
            + self.width;
        (self.origin, last)
    }

    fn rows(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.depth).flat_map(move |z| {
            (0..self.height).map(move |y| self.origin + z * self.slice_pitch + y * self.pitch)
        })
    }

    /// Whether the two regions share a byte when their base pointers are `delta` bytes
    /// apart (`other`'s base = this base + delta). Exact for up to a few thousand rows,
    /// conservative (says "overlap" when the spans meet) beyond.
    pub(crate) fn overlaps(&self, other: &Region, delta: i128) -> bool {
        if self.is_empty() || other.is_empty() {
            return false;
        }
        let (a0, a1) = self.span();
        let (b0, b1) = other.span();
        let (a0, a1) = (i128::from(a0), i128::from(a1));
        let (b0, b1) = (i128::from(b0) + delta, i128::from(b1) + delta);
        if a1 <= b0 || b1 <= a0 {
            return false;
        }
        const EXACT_ROWS: u64 = 4096;
        if self.height * self.depth > EXACT_ROWS || other.height * other.depth > EXACT_ROWS {
            return true;
        }
        let mut rows: Vec<(i128, i128)> = self
            .rows()
            .map(|r| (i128::from(r), i128::from(r + self.width)))
            .chain(other.rows().map(|r| {
                let s = i128::from(r) + delta;
                (s, s + i128::from(other.width))
            }))
            .collect();
        rows.sort_unstable();
        rows.windows(2).any(|w| w[1].0 < w[0].1)
    }
}

/// Copies a region row by row with `row(dst, src, width)`; both regions have the same
/// width, height and depth. Stops at the first row that fails.
///
/// # Safety
///
/// Every row of `dst_region` from `dst` and of `src_region` from `src` must be valid for
/// `row`, and the regions must not overlap.
pub(crate) unsafe fn copy_region(
    dst: *mut u8,
    d: &Region,
    src: *const u8,
    s: &Region,
    row: impl Fn(*mut u8, *const u8, usize) -> ZeResult,
) -> ZeResult {
    if d.is_empty() {
        return Ok(());
    }
    let w = d.width as usize;
    for z in 0..d.depth {
        for y in 0..d.height {
            let doff = (d.origin + z * d.slice_pitch + y * d.pitch) as usize;
            let soff = (s.origin + z * s.slice_pitch + y * s.pitch) as usize;
            // SAFETY: the offsets are those of rows of the two regions, in bounds by the
            // caller's guarantee.
            row(unsafe { dst.add(doff) }, unsafe { src.add(soff) }, w)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(x: u32, y: u32, z: u32, w: u32, h: u32, d: u32) -> ze_copy_region_t {
        ze_copy_region_t {
            originX: x,
            originY: y,
            originZ: z,
            width: w,
            height: h,
            depth: d,
        }
    }

    #[test]
    fn fill_repeats_a_pattern_and_cuts_the_last_one() {
        let mut buf = [0u8; 11];
        // SAFETY: a live local buffer.
        unsafe { fill_bytes(buf.as_mut_ptr(), &[1, 2, 3, 4], buf.len()) };
        assert_eq!(buf, [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3]);
    }

    #[test]
    fn a_large_split_fill_keeps_the_pattern_phase() {
        let len = SPLIT_THRESHOLD + 4096 * 3 + 5;
        let mut buf = vec![0u8; len];
        let pattern: Vec<u8> = (0..64).collect();
        // SAFETY: a live buffer of `len` bytes.
        unsafe { fill_in_parts(buf.as_mut_ptr(), &pattern, len, 3) };
        assert!(buf.iter().enumerate().all(|(i, &b)| b == (i % 64) as u8));
    }

    #[test]
    fn a_large_split_copy_is_exact() {
        let len = SPLIT_THRESHOLD * 2 + 17;
        let src: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
        let mut dst = vec![0u8; len];
        // SAFETY: two live buffers of `len` bytes.
        unsafe { copy_in_parts(dst.as_mut_ptr(), src.as_ptr(), len, 3) };
        assert!(dst == src);
    }

    #[test]
    fn overlapping_copies_move_like_memmove() {
        let mut buf: Vec<u8> = (0..16).collect();
        let p = buf.as_mut_ptr();
        // SAFETY: both ranges lie in `buf`.
        unsafe { copy_bytes(p.add(2), p, 8) };
        assert_eq!(&buf[..10], &[0, 1, 0, 1, 2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn region_geometry_and_spans() {
        let r = Region::new(&region(2, 1, 1, 3, 2, 2), 8, 32).unwrap();
        assert_eq!(r.origin, 2 + 8 + 32);
        assert_eq!(r.span(), (42, 42 + 32 + 8 + 3));
        assert_eq!(
            Region::new(&region(6, 0, 0, 3, 2, 0), 8, 0),
            Err(RegionError::BadPitch)
        );
        let flat = Region::new(&region(0, 0, 5, 4, 1, 0), 4, 999).unwrap();
        assert_eq!(flat.origin, 0, "2-D copies ignore the slice origin");
        // Slices that would land on each other, and regions past any address.
        assert_eq!(
            Region::new(&region(0, 0, 0, 4, 1, 9), 0, 0),
            Err(RegionError::BadPitch)
        );
        assert_eq!(
            Region::new(&region(0, u32::MAX, 0, 8, u32::MAX, 0), u32::MAX, 0),
            Err(RegionError::TooLarge)
        );
    }

    #[test]
    fn interleaved_rows_do_not_overlap_but_shared_bytes_do() {
        // Even rows and odd rows of the same 8-byte-pitch buffer.
        let even = Region::new(&region(0, 0, 0, 8, 2, 0), 16, 0).unwrap();
        let odd = Region::new(&region(0, 0, 0, 8, 2, 0), 16, 0).unwrap();
        assert!(!even.overlaps(&odd, 8));
        assert!(even.overlaps(&odd, 4));
        assert!(!even.overlaps(&odd, 32));
    }
}
