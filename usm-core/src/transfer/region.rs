//! 2-D and 3-D regions of linear memory, for strided copies
//! (`zeCommandListAppendMemoryCopyRegion`).

use level_zero_sys::ze_copy_region_t;

use super::{Operand, TransferError};

/// Where a region starts in a 2-D or 3-D array laid out in linear memory, and the array's
/// layout: `pitch` bytes per row, `slice_pitch` bytes per slice.
///
/// Byte `(x, y, z)` of the array is at offset `z * slice_pitch + y * pitch + x`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Region {
    /// Offset of the region in a row, in bytes.
    pub x: u32,
    /// First row of the region.
    pub y: u32,
    /// First slice of the region (0 for 2-D).
    pub z: u32,
    /// Bytes per row of the array.
    pub pitch: u32,
    /// Bytes per slice of the array (ignored for 2-D extents).
    pub slice_pitch: u32,
}

impl Region {
    /// A region at `(x, y)` of a 2-D array with `pitch` bytes per row.
    pub fn new_2d(x: u32, y: u32, pitch: u32) -> Region {
        Region {
            x,
            y,
            z: 0,
            pitch,
            slice_pitch: 0,
        }
    }

    /// A region at `(x, y, z)` of a 3-D array with `pitch` bytes per row and
    /// `slice_pitch` bytes per slice.
    pub fn new_3d(x: u32, y: u32, z: u32, pitch: u32, slice_pitch: u32) -> Region {
        Region {
            x,
            y,
            z,
            pitch,
            slice_pitch,
        }
    }
}

/// The size of a copied region: `width` bytes by `height` rows by `depth` slices.
///
/// A `depth` of 0 makes a 2-D copy, as the specification says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Extent {
    /// Bytes per row.
    pub width: u32,
    /// Rows.
    pub height: u32,
    /// Slices; 0 for a 2-D copy.
    pub depth: u32,
}

impl Extent {
    /// `width` bytes by `height` rows.
    pub fn new_2d(width: u32, height: u32) -> Extent {
        Extent {
            width,
            height,
            depth: 0,
        }
    }

    /// `width` bytes by `height` rows by `depth` slices.
    pub fn new_3d(width: u32, height: u32, depth: u32) -> Extent {
        Extent {
            width,
            height,
            depth,
        }
    }

    /// The number of bytes copied.
    pub fn bytes(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height) * u64::from(self.depth.max(1))
    }
}

/// A region checked against the memory it lies in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CheckedRegion {
    /// What the driver is given.
    pub(crate) raw: ze_copy_region_t,
    /// Row and slice pitch as given to the driver (slice pitch 0 for 2-D copies).
    pub(crate) pitches: (u32, u32),
    /// Offset of the region's first byte from the memory's start.
    pub(crate) first: usize,
    /// Offset one past the region's last byte.
    pub(crate) end: usize,
}

/// Checks `region` of `extent` against memory of `size` bytes.
pub(crate) fn check_region(
    operand: Operand,
    region: &Region,
    extent: &Extent,
    size: usize,
) -> Result<CheckedRegion, TransferError> {
    let bad = |reason: String| TransferError::BadRegion { operand, reason };
    if extent.width == 0 || extent.height == 0 {
        return Err(bad(format!(
            "empty extent {}x{}x{}",
            extent.width, extent.height, extent.depth
        )));
    }
    // In 128 bits nothing below can overflow: every product is of numbers below 2^33
    // and 2^32 (in 64 bits, a region ending past 2^64 would wrap round to a small offset).
    let (x, y, z) = (
        u128::from(region.x),
        u128::from(region.y),
        u128::from(region.z),
    );
    let (w, h) = (u128::from(extent.width), u128::from(extent.height));
    let pitch = u128::from(region.pitch);
    if x + w > pitch {
        return Err(bad(format!(
            "x {x} + width {w} exceeds the pitch of {pitch} bytes"
        )));
    }
    let three_d = extent.depth > 0;
    // For 2-D copies the specification ignores the slice pitch: none is computed (a row
    // deep inside a large allocation would not fit 32 bits) and 0 is passed.
    let slice_pitch = if three_d {
        let rows_end = (y + h) * pitch;
        let sp = u128::from(region.slice_pitch);
        if rows_end > sp {
            return Err(bad(format!(
                "rows up to {} of {pitch} bytes exceed the slice pitch of {sp} bytes",
                y + h
            )));
        }
        sp
    } else {
        if region.z != 0 {
            return Err(bad(format!("z {z} given for a 2-D copy")));
        }
        0
    };
    let d = u128::from(extent.depth.max(1));
    let first = z * slice_pitch + y * pitch + x;
    let end = (z + d - 1) * slice_pitch + (y + h - 1) * pitch + x + w;
    if end > size as u128 {
        let clamp = |n: u128| usize::try_from(n).unwrap_or(usize::MAX);
        return Err(TransferError::OutOfBounds {
            operand,
            offset: clamp(first),
            len: clamp(end - first),
            size,
        });
    }
    // Only a slice pitch the caller gave (a u32) is ever passed.
    let slice_pitch = slice_pitch as u32;
    Ok(CheckedRegion {
        raw: ze_copy_region_t {
            originX: region.x,
            originY: region.y,
            originZ: region.z,
            width: extent.width,
            height: extent.height,
            depth: extent.depth,
        },
        pitches: (region.pitch, slice_pitch),
        first: first as usize,
        end: end as usize,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_2d_region_spans_from_its_first_to_its_last_byte() {
        let r = check_region(
            Operand::Source,
            &Region::new_2d(2, 1, 8),
            &Extent::new_2d(3, 2),
            32,
        )
        .unwrap();
        assert_eq!((r.first, r.end), (10, 21));
        assert_eq!(r.pitches, (8, 0), "2-D copies pass no slice pitch");
        assert_eq!(r.raw.depth, 0);
    }

    #[test]
    fn a_2d_region_deep_inside_a_large_allocation_needs_no_slice_pitch() {
        // Rows from 4 GiB on: (y + height) * pitch does not fit 32 bits.
        let r = check_region(
            Operand::Destination,
            &Region::new_2d(0, 4100, 1 << 20),
            &Extent::new_2d(16, 4),
            5 << 30,
        )
        .unwrap();
        assert_eq!(r.pitches, (1 << 20, 0));
        assert_eq!(r.first, 4100 << 20);
    }

    #[test]
    fn a_3d_region_uses_the_slice_pitch() {
        let r = check_region(
            Operand::Destination,
            &Region::new_3d(1, 1, 1, 4, 16),
            &Extent::new_3d(2, 2, 2),
            64,
        )
        .unwrap();
        assert_eq!((r.first, r.end), (21, 16 * 2 + 4 * 2 + 3));
    }

    #[test]
    fn regions_wider_than_the_pitch_or_beyond_the_memory_are_refused() {
        let e = Extent::new_2d(4, 2);
        assert!(matches!(
            check_region(Operand::Source, &Region::new_2d(1, 0, 4), &e, 64),
            Err(TransferError::BadRegion { .. })
        ));
        assert!(matches!(
            check_region(Operand::Source, &Region::new_2d(0, 1, 4), &e, 11),
            Err(TransferError::OutOfBounds {
                offset: 4,
                len: 8,
                size: 11,
                ..
            })
        ));
        assert!(check_region(Operand::Source, &Region::new_2d(0, 1, 4), &e, 12).is_ok());
        assert!(matches!(
            check_region(
                Operand::Source,
                &Region::new_2d(0, 0, 4),
                &Extent::new_2d(0, 1),
                64
            ),
            Err(TransferError::BadRegion { .. })
        ));
        assert!(matches!(
            check_region(
                Operand::Source,
                &Region::new_3d(0, 1, 0, 4, 7),
                &Extent::new_3d(4, 1, 2),
                64
            ),
            Err(TransferError::BadRegion { .. })
        ));
    }
}
