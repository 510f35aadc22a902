//! The rules of copies and fills: between any two kinds of USM memory and plain host
//! memory, as byte ranges, typed slices, fills and 2-D/3-D regions.
//!
//! Every request is checked before it reaches the driver, and refused with a
//! [`TransferError`] that names the sizes: ranges out of bounds, sizes that differ,
//! source and destination sharing bytes, memory of another context, fill patterns the
//! specification forbids.
//!
//! Which memory may be read or written is said by two traits of the memory module:
//! [`UsmSource`] (any USM memory or view) and [`UsmDestination`] (owned memory, whose
//! `&mut` borrow is exclusive). The copies and fills themselves are [`Queue`](crate::Queue)'s
//! API (the queue module); this module holds only the checks they share.
//!
//! Each copy and fill runs in a `debug` span (target `usm_core::copy`) with its bytes,
//! direction and engine, and a `done` event in that span gives the achieved GB/s: for
//! synchronous calls from the call to its completion; for work in a
//! [`scope`](crate::scope()) from submission to its completion as observed when the scope
//! ends (an upper bound of the time the work took).

mod region;

use std::ffi::c_void;

pub use crate::error::{Operand, PatternRule, TransferError};
pub use crate::memory::{UsmDestination, UsmSource};
pub(crate) use region::{check_region, CheckedRegion};
pub use region::{Extent, Region};

use crate::context::other_owner;
use crate::memory::UsmMemory;
use crate::names::UsmKind;

/// One side of a transfer: where it is, how big, which kind (None: plain host memory) and
/// which context.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Side {
    pub(crate) addr: usize,
    pub(crate) len: usize,
    pub(crate) kind: Option<UsmKind>,
    pub(crate) context: Option<usize>,
}

impl Side {
    #[inline]
    pub(crate) fn usm<M: UsmMemory + ?Sized>(memory: &M) -> Side {
        Side {
            addr: memory.as_ptr() as usize,
            len: memory.len(),
            kind: Some(memory.kind()),
            context: Some(memory.context().raw() as usize),
        }
    }

    #[inline]
    pub(crate) fn host(bytes: &[u8]) -> Side {
        Side {
            addr: bytes.as_ptr() as usize,
            len: bytes.len(),
            kind: None,
            context: None,
        }
    }

    /// The sub-range `offset..offset + len`, checked.
    #[inline]
    pub(crate) fn range(
        self,
        operand: Operand,
        offset: usize,
        len: usize,
    ) -> Result<Side, TransferError> {
        if offset.checked_add(len).map_or(true, |end| end > self.len) {
            return Err(TransferError::OutOfBounds {
                operand,
                offset,
                len,
                size: self.len,
            });
        }
        Ok(Side {
            addr: self.addr + offset,
            len,
            ..self
        })
    }

    /// Refuses memory of another context than the queue's (`queue_context`, a raw handle
    /// as an address): USM memory that says so, and plain host memory that is in fact a
    /// live USM allocation usm-core made in another context.
    #[inline]
    pub(crate) fn check_context(
        &self,
        queue_context: usize,
        operand: Operand,
    ) -> Result<(), TransferError> {
        let memory_context = match self.context {
            Some(c) => Some(c),
            // A scan of the other contexts' live allocations (none when there are no other
            // contexts), so that USM of another context cannot pass as a host slice.
            None if self.len > 0 => other_owner(queue_context, |t| t.containing(self.addr)),
            None => None,
        };
        match memory_context {
            Some(memory_context) if memory_context != queue_context => {
                Err(TransferError::ForeignContext {
                    operand,
                    addr: self.addr,
                    memory_context,
                    queue_context,
                })
            }
            _ => Ok(()),
        }
    }

    #[inline]
    pub(crate) fn ptr(&self) -> *mut c_void {
        self.addr as *mut c_void
    }
}

/// Refuses source and destination ranges that share a byte.
#[inline]
pub(crate) fn check_overlap(dst: &Side, src: &Side) -> Result<(), TransferError> {
    check_span_overlap(dst.addr, src.addr, dst.len.min(src.len))
}

/// Refuses `len`-byte spans at `dst` and `src` that share a byte.
#[inline]
pub(crate) fn check_span_overlap(dst: usize, src: usize, len: usize) -> Result<(), TransferError> {
    if len > 0 && dst < src + len && src < dst + len {
        return Err(TransferError::Overlap { dst, src, len });
    }
    Ok(())
}

/// Checks the contexts, the sizes and the overlap of a copy between two ranges.
#[inline]
pub(crate) fn check_copy(
    queue_context: usize,
    dst: &Side,
    src: &Side,
) -> Result<(), TransferError> {
    dst.check_context(queue_context, Operand::Destination)?;
    src.check_context(queue_context, Operand::Source)?;
    same_size(dst.len, src.len)?;
    check_overlap(dst, src)
}

/// Refuses sizes that differ where they must be equal.
#[inline]
pub(crate) fn same_size(dst_len: usize, src_len: usize) -> Result<(), TransferError> {
    if dst_len != src_len {
        return Err(TransferError::SizeMismatch { dst_len, src_len });
    }
    Ok(())
}

/// Checks a fill of `len` bytes at `offset` of `dst` with `pattern` on a queue of
/// `queue_context` whose engine takes patterns of at most `max` bytes; returns the range.
pub(crate) fn check_fill(
    queue_context: usize,
    max: usize,
    dst: Side,
    offset: usize,
    len: usize,
    pattern: &[u8],
) -> Result<Side, TransferError> {
    check_pattern(pattern, max)?;
    let d = dst.range(Operand::Destination, offset, len)?;
    d.check_context(queue_context, Operand::Destination)?;
    Ok(d)
}

/// A region copy, checked: both sides' regions as the driver takes them.
pub(crate) struct CheckedRegionCopy {
    pub(crate) dst: (Side, CheckedRegion),
    pub(crate) src: (Side, CheckedRegion),
}

/// Checks a region copy of `extent` from `src_region` of `src` to `dst_region` of `dst`.
pub(crate) fn check_region_copy(
    queue_context: usize,
    dst: Side,
    dst_region: &Region,
    src: Side,
    src_region: &Region,
    extent: &Extent,
) -> Result<CheckedRegionCopy, TransferError> {
    dst.check_context(queue_context, Operand::Destination)?;
    src.check_context(queue_context, Operand::Source)?;
    let d = check_region(Operand::Destination, dst_region, extent, dst.len)?;
    let s = check_region(Operand::Source, src_region, extent, src.len)?;
    let (d_first, s_first) = (dst.addr + d.first, src.addr + s.first);
    let (d_len, s_len) = (d.end - d.first, s.end - s.first);
    if d_first < s_first + s_len && s_first < d_first + d_len {
        check_span_overlap(d_first, s_first, d_len.max(s_len))?;
    }
    Ok(CheckedRegionCopy {
        dst: (dst, d),
        src: (src, s),
    })
}

/// Refuses fill patterns that break the specification's rules for `max`.
pub(crate) fn check_pattern(pattern: &[u8], max: usize) -> Result<(), TransferError> {
    let len = pattern.len();
    let rule = if len == 0 {
        PatternRule::Empty
    } else if !len.is_power_of_two() {
        PatternRule::NotPowerOfTwo
    } else if len > max {
        PatternRule::TooLong
    } else {
        return Ok(());
    };
    Err(TransferError::BadPattern { len, max, rule })
}

/// The direction of a transfer, as `"host->device"`; plain host memory is `"system"`.
#[inline]
pub(crate) fn direction(src: Option<UsmKind>, dst: Option<UsmKind>) -> &'static str {
    use UsmKind::{Device as D, Host as H, Shared as S};
    match (src, dst) {
        (None, None) => "system->system",
        (None, Some(D)) => "system->device",
        (None, Some(S)) => "system->shared",
        (None, Some(H)) => "system->host",
        (Some(D), None) => "device->system",
        (Some(S), None) => "shared->system",
        (Some(H), None) => "host->system",
        (Some(D), Some(D)) => "device->device",
        (Some(D), Some(S)) => "device->shared",
        (Some(D), Some(H)) => "device->host",
        (Some(S), Some(D)) => "shared->device",
        (Some(S), Some(S)) => "shared->shared",
        (Some(S), Some(H)) => "shared->host",
        (Some(H), Some(D)) => "host->device",
        (Some(H), Some(S)) => "host->shared",
        (Some(H), Some(H)) => "host->host",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_follow_the_specification() {
        for len in [1, 2, 4, 8, 16, 32, 64, 128] {
            assert_eq!(check_pattern(&vec![0; len], 128), Ok(()));
        }
        let rule = |len: usize, max| match check_pattern(&vec![0; len], max) {
            Err(TransferError::BadPattern { rule, .. }) => Some(rule),
            _ => None,
        };
        assert_eq!(rule(0, 128), Some(PatternRule::Empty));
        assert_eq!(rule(3, 128), Some(PatternRule::NotPowerOfTwo));
        assert_eq!(rule(96, 128), Some(PatternRule::NotPowerOfTwo));
        assert_eq!(rule(256, 128), Some(PatternRule::TooLong));
        assert_eq!(rule(8, 4), Some(PatternRule::TooLong));
    }

    #[test]
    fn touching_ranges_do_not_overlap() {
        assert!(check_span_overlap(100, 110, 10).is_ok());
        assert!(check_span_overlap(110, 100, 10).is_ok());
        assert!(check_span_overlap(100, 109, 10).is_err());
        assert!(check_span_overlap(109, 100, 10).is_err());
        assert!(check_span_overlap(100, 100, 0).is_ok());
    }

    #[test]
    fn sub_ranges_are_checked_without_overflow() {
        let side = Side {
            addr: 0x1000,
            len: 16,
            kind: None,
            context: None,
        };
        assert_eq!(side.range(Operand::Source, 4, 12).unwrap().addr, 0x1004);
        assert!(side.range(Operand::Source, 5, 12).is_err());
        assert!(side.range(Operand::Source, usize::MAX, 2).is_err());
    }
}
