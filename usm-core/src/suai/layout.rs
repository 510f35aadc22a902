//! Array layouts (element type, shape, strides, offset) and the byte span they touch.
//!
//! The span is the one dpctl computes: from the lowest to the highest byte over all
//! elements, with strides and offset counted in elements and strides allowed to be
//! negative. An array with no elements (some extent 0), and a 0-dimensional array, touch
//! exactly one element at `offset`.

use super::error::SuaiError;
use super::typestr::{SuaiElement, TypeStr};

/// How an array lies in memory: element type, shape, strides and offset, all in elements.
///
/// ```
/// use usm_core::suai::{ArrayLayout, TypeStr};
/// // A 2x2 byte array walking rows forwards and columns backwards.
/// let layout = ArrayLayout::new(TypeStr::BYTES, vec![2, 2])
///     .with_strides(vec![10, -2])
///     .with_offset(9);
/// let span = layout.span()?;
/// assert_eq!((span.start, span.len), (7, 13)); // bytes 7..=19 from the pointer
/// # Ok::<(), usm_core::suai::SuaiError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ArrayLayout {
    /// The element type.
    pub typestr: TypeStr,
    /// The extent of each dimension.
    pub shape: Vec<usize>,
    /// Elements to step for the next index in each dimension; `None` for C-contiguous
    /// (row-major, compact).
    pub strides: Option<Vec<isize>>,
    /// Elements from the pointer to the element with all indices 0.
    pub offset: isize,
}

/// The bytes an array touches, relative to its pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    /// The first touched byte, from the pointer (negative with negative strides or offset).
    pub start: isize,
    /// The number of bytes from the first to the last touched byte, both included.
    pub len: usize,
    /// Bytes from the first touched byte to the element with all indices 0.
    pub origin: usize,
}

impl Span {
    /// The last touched byte, from the pointer.
    pub fn last(&self) -> i128 {
        self.start as i128 + self.len as i128 - 1
    }
}

impl ArrayLayout {
    /// A C-contiguous array of `shape` with elements of `typestr`, at offset 0.
    pub fn new(typestr: TypeStr, shape: Vec<usize>) -> ArrayLayout {
        ArrayLayout {
            typestr,
            shape,
            strides: None,
            offset: 0,
        }
    }

    /// `len` unsigned bytes in one dimension: the default view of memory.
    pub fn bytes(len: usize) -> ArrayLayout {
        ArrayLayout::new(TypeStr::BYTES, vec![len])
    }

    /// A C-contiguous array of `shape` with elements of the Rust type `T`.
    pub fn of<T: SuaiElement>(shape: Vec<usize>) -> ArrayLayout {
        ArrayLayout::new(TypeStr::of::<T>(), shape)
    }

    /// The same layout with explicit strides (in elements).
    pub fn with_strides(mut self, strides: Vec<isize>) -> ArrayLayout {
        self.strides = Some(strides);
        self
    }

    /// The same layout at `offset` elements from the pointer.
    pub fn with_offset(mut self, offset: isize) -> ArrayLayout {
        self.offset = offset;
        self
    }

    /// The number of dimensions.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// The number of elements (the product of the extents; 1 for 0 dimensions), or `None`
    /// when it overflows.
    pub fn element_count(&self) -> Option<usize> {
        self.shape
            .iter()
            .try_fold(1usize, |n, &extent| n.checked_mul(extent))
    }

    /// The strides in elements: the given ones, or those of the C-contiguous layout.
    ///
    /// # Errors
    ///
    /// [`SuaiError::StridesLength`] for strides of another length than the shape,
    /// [`SuaiError::Overflow`] when C-contiguous strides do not fit.
    pub fn strides_or_contiguous(&self) -> Result<Vec<isize>, SuaiError> {
        if let Some(strides) = &self.strides {
            self.check_strides_length(strides)?;
            return Ok(strides.clone());
        }
        let mut strides = vec![0isize; self.shape.len()];
        let mut step: isize = 1;
        for (i, &extent) in self.shape.iter().enumerate().rev() {
            strides[i] = step;
            step = isize::try_from(extent)
                .ok()
                .and_then(|e| step.checked_mul(e.max(1)))
                .ok_or(SuaiError::Overflow {
                    what: "contiguous strides",
                })?;
        }
        Ok(strides)
    }

    fn check_strides_length(&self, strides: &[isize]) -> Result<(), SuaiError> {
        if strides.len() != self.shape.len() {
            return Err(SuaiError::StridesLength {
                shape: self.shape.len(),
                strides: strides.len(),
            });
        }
        Ok(())
    }

    /// The bytes the array touches, relative to its pointer.
    ///
    /// # Errors
    ///
    /// [`SuaiError::StridesLength`] for strides of another length than the shape,
    /// [`SuaiError::Overflow`] when the extent does not fit in the address space.
    pub fn span(&self) -> Result<Span, SuaiError> {
        const OVERFLOW: SuaiError = SuaiError::Overflow {
            what: "the span of the array",
        };
        let offset = self.offset as i128;
        // Lowest and highest element displacement from the pointer.
        let (low, high) = match &self.strides {
            _ if self.shape.contains(&0) => (offset, offset),
            None => {
                let count = self.element_count().ok_or(OVERFLOW)? as i128;
                (offset, offset.checked_add(count - 1).ok_or(OVERFLOW)?)
            }
            Some(strides) => {
                self.check_strides_length(strides)?;
                let (mut low, mut high) = (offset, offset);
                for (&extent, &stride) in self.shape.iter().zip(strides) {
                    let reach = (stride as i128)
                        .checked_mul(extent as i128 - 1)
                        .ok_or(OVERFLOW)?;
                    if reach < 0 {
                        low = low.checked_add(reach).ok_or(OVERFLOW)?;
                    } else {
                        high = high.checked_add(reach).ok_or(OVERFLOW)?;
                    }
                }
                (low, high)
            }
        };
        let itemsize = self.typestr.itemsize() as i128;
        let bytes = |elements: i128| elements.checked_mul(itemsize).ok_or(OVERFLOW);
        let start = isize::try_from(bytes(low)?).map_err(|_| OVERFLOW)?;
        let len = usize::try_from(bytes(high - low + 1)?).map_err(|_| OVERFLOW)?;
        let origin = usize::try_from(bytes(offset - low)?).map_err(|_| OVERFLOW)?;
        // The last byte must be addressable too.
        isize::try_from(start as i128 + len as i128 - 1).map_err(|_| OVERFLOW)?;
        Ok(Span { start, len, origin })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(start: isize, len: usize, origin: usize) -> Span {
        Span { start, len, origin }
    }

    fn typed(s: &str, shape: Vec<usize>) -> ArrayLayout {
        ArrayLayout::new(s.parse().unwrap(), shape)
    }

    #[test]
    fn negative_strides_touch_bytes_before_the_offset() {
        let span = ArrayLayout::new(TypeStr::BYTES, vec![2, 2])
            .with_strides(vec![10, -2])
            .with_offset(9)
            .span()
            .unwrap();
        assert_eq!(span, at(7, 13, 2));
        assert_eq!(span.last(), 19);
    }

    #[test]
    fn contiguous_span_is_element_count_times_itemsize_at_offset() {
        let span = typed("<f4", vec![3, 4]).with_offset(2).span().unwrap();
        assert_eq!(span, at(8, 48, 0));
    }

    #[test]
    fn explicit_strides_scale_by_itemsize() {
        // Column-major 3x4 of 8-byte elements.
        let span = typed("<f8", vec![3, 4])
            .with_strides(vec![1, 3])
            .span()
            .unwrap();
        assert_eq!(span, at(0, 96, 0));
        // Every other element of 5, backwards, starting at element 8.
        let span = typed("<i4", vec![5])
            .with_strides(vec![-2])
            .with_offset(8)
            .span()
            .unwrap();
        assert_eq!(span, at(0, 36, 32));
    }

    #[test]
    fn empty_and_zero_dimensional_arrays_touch_one_element() {
        let one = at(12, 4, 0);
        assert_eq!(typed("<u4", vec![]).with_offset(3).span().unwrap(), one);
        assert_eq!(typed("<u4", vec![5, 0]).with_offset(3).span().unwrap(), one);
        let strided = typed("<u4", vec![0, 7]).with_strides(vec![-9, 100]);
        assert_eq!(strided.with_offset(3).span().unwrap(), one);
    }

    #[test]
    fn zero_strides_touch_one_element_per_broadcast() {
        let span = typed("<u2", vec![4, 3])
            .with_strides(vec![0, 1])
            .span()
            .unwrap();
        assert_eq!(span, at(0, 6, 0));
    }

    #[test]
    fn negative_offset_starts_before_the_pointer() {
        let span = typed("<u2", vec![2]).with_offset(-3).span().unwrap();
        assert_eq!(span, at(-6, 4, 0));
    }

    #[test]
    fn strides_of_another_length_than_shape_are_refused() {
        let err = typed("|u1", vec![2, 2])
            .with_strides(vec![1])
            .span()
            .unwrap_err();
        assert!(matches!(
            err,
            SuaiError::StridesLength {
                shape: 2,
                strides: 1
            }
        ));
        let err = typed("|u1", vec![2])
            .with_strides(vec![1, 1])
            .strides_or_contiguous()
            .unwrap_err();
        assert!(matches!(
            err,
            SuaiError::StridesLength {
                shape: 1,
                strides: 2
            }
        ));
    }

    #[test]
    fn extents_past_the_address_space_overflow() {
        let huge = typed("<f8", vec![usize::MAX / 2, 3]);
        assert!(matches!(huge.span(), Err(SuaiError::Overflow { .. })));
        let far = typed("<f8", vec![2]).with_strides(vec![isize::MAX]).span();
        assert!(matches!(far, Err(SuaiError::Overflow { .. })));
        let low = typed("<f8", vec![1]).with_offset(isize::MIN).span();
        assert!(matches!(low, Err(SuaiError::Overflow { .. })));
    }

    #[test]
    fn contiguous_strides_are_row_major() {
        assert_eq!(
            typed("<f4", vec![2, 3, 4]).strides_or_contiguous().unwrap(),
            vec![12, 4, 1]
        );
        assert_eq!(
            typed("<f4", vec![2, 0, 4]).strides_or_contiguous().unwrap(),
            vec![4, 4, 1]
        );
        assert_eq!(
            typed("<f4", vec![2])
                .with_strides(vec![-1])
                .strides_or_contiguous()
                .unwrap(),
            vec![-1]
        );
    }

    #[test]
    fn element_count_is_the_product_of_extents() {
        assert_eq!(typed("|u1", vec![]).element_count(), Some(1));
        assert_eq!(typed("|u1", vec![2, 3, 4]).element_count(), Some(24));
        assert_eq!(typed("|u1", vec![usize::MAX, 2]).element_count(), None);
    }
}
