//! Owned memory narrowed to a range of its elements: [`UsmRange`], for owned asynchronous
//! work ([`Pending`](crate::Pending)) on part of an allocation.

use std::ffi::c_void;
use std::ops::RangeBounds;

use super::traits::address_alignment;
use super::view::element_range;
use super::{ElementType, UsmDestination, UsmMemory, UsmSource};
use crate::context::Context;
use crate::error::Failed;
use crate::names::{Device, UsmKind};

/// Owned memory `M` (or an `Arc` of it) narrowed to a range of its elements, checked once
/// when made: usable wherever `M` is (a source, and a destination when `M` is one), by
/// value, so that owned asynchronous work can own part of an allocation for as long as it
/// runs.
///
/// Borrowed views ([`UsmView`](crate::UsmView), [`UsmViewMut`](crate::UsmViewMut)) cannot
/// be owned by a [`Pending`](crate::Pending): it needs `'static` values, since a leaked
/// handle must never let its memory be freed or touched, and a borrow could end while the
/// work runs. Views serve [`scope()`](crate::scope()), which waits before their borrows
/// end; `UsmRange` serves owned work.
///
/// ```no_run
/// use usm_core::{Context, Queue, UsmDevice};
/// let (context, device) = Context::default_gpu()?;
/// let queue = Queue::new(&context, &device)?;
/// let memory = UsmDevice::<u32>::alloc_zeroed(&queue, 8)?;
/// let tail = memory.into_range(4..)?;
/// let written = queue.write_async(tail, bytemuck::cast_slice(&[1u32, 2, 3, 4]).to_vec(), &[])?;
/// let (tail, _) = written.wait()?;
/// assert_eq!(tail.into_inner().download(&queue)?, [0, 0, 0, 0, 1, 2, 3, 4]);
/// # Ok::<(), usm_core::Error>(())
/// ```
#[derive(Debug)]
pub struct UsmRange<M> {
    memory: M,
    /// Byte offset from the memory's start.
    offset: usize,
    /// Length in bytes.
    len: usize,
}

impl<M: ElementType> UsmRange<M> {
    /// The elements `range` of `memory`, owned.
    ///
    /// # Errors
    ///
    /// [`Error::ElementRange`](crate::Error::ElementRange) when the range is reversed or
    /// does not fit; the memory comes back in the error.
    pub fn new(
        memory: M,
        range: impl RangeBounds<usize>,
    ) -> std::result::Result<UsmRange<M>, Box<Failed<M>>> {
        match element_range::<M::Elem>(range, memory.elements()) {
            Ok((offset, len)) => Ok(UsmRange {
                memory,
                offset,
                len,
            }),
            Err(error) => Err(Box::new(Failed {
                error,
                value: memory,
            })),
        }
    }
}

impl<M> UsmRange<M> {
    /// The whole memory back.
    pub fn into_inner(self) -> M {
        self.memory
    }

    /// The whole memory.
    pub fn memory(&self) -> &M {
        &self.memory
    }

    /// The byte offset of the range from the memory's start.
    pub fn byte_offset(&self) -> usize {
        self.offset
    }
}

// SAFETY: the range lies inside `memory` (checked in `new`, from the trusted `len` of a
// `UsmMemory`, which cannot change), whose contract the range inherits; the range is owned
// with the memory.
unsafe impl<M: UsmMemory> UsmMemory for UsmRange<M> {
    fn as_ptr(&self) -> *mut c_void {
        self.memory
            .as_ptr()
            .cast::<u8>()
            .wrapping_add(self.offset)
            .cast()
    }
    fn len(&self) -> usize {
        self.len
    }
    fn kind(&self) -> UsmKind {
        self.memory.kind()
    }
    fn alignment(&self) -> usize {
        address_alignment(self.as_ptr() as usize)
    }
    fn context(&self) -> &Context {
        self.memory.context()
    }
    fn device(&self) -> Option<&Device> {
        self.memory.device()
    }
}

// SAFETY: a part of a source is a source: the same borrow keeps it alive and unwritten.
unsafe impl<M: UsmSource> UsmSource for UsmRange<M> {}
// SAFETY: a part of a destination, reachable only through this value (the memory is owned
// by it and handed out only as `&M`, which cannot write).
unsafe impl<M: UsmDestination> UsmDestination for UsmRange<M> {}

impl<M: ElementType> ElementType for UsmRange<M> {
    type Elem = M::Elem;
}
