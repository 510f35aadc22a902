//! Writing the dict for usm-core memory: bytes by default, typed n-D arrays on request.

use super::error::SuaiError;
use super::layout::ArrayLayout;
use super::syclobj::SyclObj;
use super::typestr::SuaiElement;
use super::SuaiDict;
use crate::memory::{ElementType, UsmMemory, UsmView};

/// Whether the consumer may write the memory a dict describes (`data[1]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// The consumer may read and write (`data[1]` is `false`).
    ReadWrite,
    /// The consumer may only read (`data[1]` is `true`).
    ReadOnly,
}

impl SuaiDict {
    /// The dict of all of `memory` as one dimension of unsigned bytes (`|u1`,
    /// C-contiguous, offset 0), writable: what dpctl's `MemoryUSM*` objects give.
    ///
    /// The pointer is `memory.as_ptr()`, and `syclobj` names its context and device.
    ///
    /// # Errors
    ///
    /// [`SuaiError::OutOfBounds`] for an empty view (an array touches at least one byte).
    pub fn of_memory<M: UsmMemory + ?Sized>(memory: &M) -> Result<SuaiDict, SuaiError> {
        SuaiDict::describe(memory, ArrayLayout::bytes(memory.len()), Access::ReadWrite)
    }

    /// The dict of all of typed memory as one dimension of its elements (`<f4` for
    /// `UsmDevice<f32>`, C-contiguous, offset 0), writable; for element types that have a
    /// type string ([`SuaiElement`]: the primitive integers, floats and `bool`).
    ///
    /// # Errors
    ///
    /// As [`of_memory`](Self::of_memory).
    pub fn of_elements<M>(memory: &M) -> Result<SuaiDict, SuaiError>
    where
        M: ElementType + ?Sized,
        M::Elem: SuaiElement,
    {
        let layout = ArrayLayout::of::<M::Elem>(vec![memory.elements()]);
        SuaiDict::describe(memory, layout, Access::ReadWrite)
    }

    /// The dict of all of a view as bytes, like [`of_memory`](Self::of_memory) but marked
    /// read-only: a view only lends its memory for reading.
    ///
    /// # Errors
    ///
    /// As [`of_memory`](Self::of_memory).
    pub fn of_view(view: &UsmView<'_>) -> Result<SuaiDict, SuaiError> {
        SuaiDict::describe(view, ArrayLayout::bytes(view.len()), Access::ReadOnly)
    }

    /// The dict of the array `layout` over `memory` (strides and offset in elements from
    /// `memory.as_ptr()`), with the given access.
    ///
    /// # Errors
    ///
    /// [`SuaiError::StridesLength`] and [`SuaiError::Overflow`] for a bad layout;
    /// [`SuaiError::OutOfBounds`] when the bytes the array touches leave `memory`.
    pub fn describe<M: UsmMemory + ?Sized>(
        memory: &M,
        layout: ArrayLayout,
        access: Access,
    ) -> Result<SuaiDict, SuaiError> {
        let span = layout.span()?;
        if span.start < 0 || span.last() >= memory.len() as i128 {
            return Err(SuaiError::OutOfBounds {
                first: span.start as i128,
                last: span.last(),
                size: memory.len(),
            });
        }
        SuaiDict::new(
            memory.as_ptr() as usize,
            access == Access::ReadOnly,
            layout,
            SyclObj::new(memory.context(), memory.device()),
        )
    }
}
