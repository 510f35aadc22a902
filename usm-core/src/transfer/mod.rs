//! Copies and fills: between any two kinds of USM memory and plain host memory, as byte
//! ranges, typed slices, fills and 2-D/3-D regions.
//!
//! Every request is checked before it reaches the driver, and refused with a
//! [`TransferError`] that names the sizes: ranges out of bounds, sizes that differ,
//! source and destination sharing bytes, memory of another context, fill patterns the
//! specification forbids.
//!
//! Which memory may be read or written is said by two traits: [`UsmSource`] (any USM
//! memory or view) and [`UsmDestination`] (owned memory, whose `&mut` borrow is exclusive).
//!
//! Each copy and fill runs in a `debug` span (target `usm_core::copy`) with its bytes,
//! direction and engine, and a `done` event in that span gives the achieved GB/s: for
//! synchronous calls from the call to its completion; for work in a
//! [`scope`](crate::scope()) from submission to its completion as observed when the scope
//! ends (an upper bound of the time the work took).

mod error;
mod ops;
mod region;

pub(crate) use ops::{check_copy, report};

use std::ffi::c_void;
use std::sync::Arc;

pub use error::{Operand, PatternRule, TransferError};
pub use region::{Extent, Region};

use crate::context::Context;
use crate::device::Device;
use crate::memory::{UsmDevice, UsmHost, UsmKind, UsmMemory, UsmShared, UsmView};
use crate::queue::Queue;

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

// SAFETY: owned allocations live until dropped, which a borrow prevents; host access to
// their bytes needs `&` (read) or `&mut` (write), so `&self` excludes writers.
unsafe impl UsmSource for UsmDevice {}
// SAFETY: as above.
unsafe impl UsmSource for UsmShared {}
// SAFETY: as above.
unsafe impl UsmSource for UsmHost {}
// SAFETY: a view borrows its memory for 'a (or was made by `as_usm_memory`, whose caller
// promised the same), and offers only reads.
unsafe impl UsmSource for UsmView<'_> {}
// SAFETY: owned memory reaches its bytes only through itself; `&mut self` is exclusive.
unsafe impl UsmDestination for UsmDevice {}
// SAFETY: as above.
unsafe impl UsmDestination for UsmShared {}
// SAFETY: as above.
unsafe impl UsmDestination for UsmHost {}

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
    pub(crate) fn usm<M: UsmMemory + ?Sized>(memory: &M) -> Side {
        Side {
            addr: memory.as_ptr() as usize,
            len: memory.len(),
            kind: Some(memory.kind()),
            context: Some(memory.context().raw() as usize),
        }
    }

    pub(crate) fn host(bytes: &[u8]) -> Side {
        Side {
            addr: bytes.as_ptr() as usize,
            len: bytes.len(),
            kind: None,
            context: None,
        }
    }

    /// The sub-range `offset..offset + len`, checked.
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

    /// Refuses USM memory of another context than the queue's.
    pub(crate) fn check_context(
        &self,
        queue: &Queue,
        operand: Operand,
    ) -> Result<(), TransferError> {
        let queue_context = queue.context().raw() as usize;
        match self.context {
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

    pub(crate) fn ptr(&self) -> *mut c_void {
        self.addr as *mut c_void
    }
}

/// Refuses source and destination ranges that share a byte.
pub(crate) fn check_overlap(dst: &Side, src: &Side) -> Result<(), TransferError> {
    check_span_overlap(dst.addr, src.addr, dst.len.min(src.len))
}

/// Refuses `len`-byte spans at `dst` and `src` that share a byte.
pub(crate) fn check_span_overlap(dst: usize, src: usize, len: usize) -> Result<(), TransferError> {
    if len > 0 && dst < src + len && src < dst + len {
        return Err(TransferError::Overlap { dst, src, len });
    }
    Ok(())
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
