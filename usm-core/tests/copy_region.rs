//! 2-D and 3-D region copies between kinds, checked against a host model.

use usm_test_kit::usm as kit;

use usm_core::{Extent, Queue, Region};
use usm_test_kit::usm::{alloc, bytes, KINDS};

/// Copies a region on the host, the way the specification defines it.
fn model(dst: &mut [u8], d: &Region, src: &[u8], s: &Region, e: &Extent) {
    let d_slice = if e.depth == 0 {
        0
    } else {
        d.slice_pitch as usize
    };
    let s_slice = if e.depth == 0 {
        0
    } else {
        s.slice_pitch as usize
    };
    for z in 0..e.depth.max(1) as usize {
        for y in 0..e.height as usize {
            let di =
                (d.z as usize + z) * d_slice + (d.y as usize + y) * d.pitch as usize + d.x as usize;
            let si =
                (s.z as usize + z) * s_slice + (s.y as usize + y) * s.pitch as usize + s.x as usize;
            dst[di..di + e.width as usize].copy_from_slice(&src[si..si + e.width as usize]);
        }
    }
}

#[test]
fn a_2d_region_copies_between_every_pair_of_kinds() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let src_data = bytes(16 * 10, 1);
    let s = Region::new_2d(3, 2, 16);
    let d = Region::new_2d(1, 4, 12);
    let e = Extent::new_2d(9, 5);
    for from in KINDS {
        for to in KINDS {
            let mut src = alloc(&context, &device, from, src_data.len());
            let mut dst = alloc(&context, &device, to, 12 * 9);
            queue.write_from_slice(&mut *src, &src_data).unwrap();
            queue.memset(&mut *dst, 0, 12 * 9, 0).unwrap();
            queue.copy_region(&mut *dst, &d, &*src, &s, &e).unwrap();
            let mut expected = vec![0; 12 * 9];
            model(&mut expected, &d, &src_data, &s, &e);
            assert_eq!(queue.to_vec(&*dst).unwrap(), expected, "{from} -> {to}");
        }
    }
}

#[test]
fn a_3d_region_copies_slices_at_their_pitch() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let (s_pitch, s_slice, s_depth) = (8u32, 8 * 6, 4usize);
    let src_data = bytes(s_slice as usize * s_depth, 2);
    let s = Region::new_3d(2, 1, 1, s_pitch, s_slice);
    let d = Region::new_3d(0, 0, 0, 5, 5 * 4);
    let e = Extent::new_3d(5, 4, 3);
    let mut src = alloc(&context, &device, usm_core::UsmKind::Device, src_data.len());
    let mut dst = alloc(&context, &device, usm_core::UsmKind::Device, 5 * 4 * 3);
    queue.write_from_slice(&mut *src, &src_data).unwrap();
    queue.memset(&mut *dst, 0, 60, 0).unwrap();
    queue.copy_region(&mut *dst, &d, &*src, &s, &e).unwrap();
    let mut expected = vec![0; 60];
    model(&mut expected, &d, &src_data, &s, &e);
    assert_eq!(queue.to_vec(&*dst).unwrap(), expected);
}

#[test]
fn a_2d_region_deep_inside_a_large_allocation_copies() {
    // Rows from 4 GiB on: (y + height) * pitch does not fit 32 bits, and a 2-D copy needs
    // no slice pitch (the specification ignores it).
    let (context, device) = kit::context();
    let relaxed = usm_core::AllocOptions::new().relaxed_limits(true);
    let big = usm_core::UsmDevice::with_options(&context, &device, 5 << 30, &relaxed);
    let mut big = match big {
        Ok(big) => big,
        Err(e) => {
            assert!(
                !kit::on_soft_driver(),
                "the software driver has 16 GiB: {e}"
            );
            return;
        }
    };
    let queue = Queue::new(&context, &device).unwrap();
    let pitch = 1u32 << 20;
    let deep = Region::new_2d(8, 4200, pitch);
    let extent = Extent::new_2d(16, 3);
    let src_data = bytes(16 * 3, 7);
    let mut src = usm_core::UsmHost::new(&context, src_data.len()).unwrap();
    src.as_mut_slice().copy_from_slice(&src_data);
    queue
        .copy_region(&mut big, &deep, &src, &Region::new_2d(0, 0, 16), &extent)
        .unwrap();
    let mut back = usm_core::UsmHost::new(&context, src_data.len()).unwrap();
    queue
        .copy_region(&mut back, &Region::new_2d(0, 0, 16), &big, &deep, &extent)
        .unwrap();
    assert_eq!(back.as_slice(), &src_data[..]);
    // The first row landed where the specification puts it.
    let mut row = [0u8; 16];
    queue
        .copy_to_host(&mut row, &big, 4200 * pitch as usize + 8)
        .unwrap();
    assert_eq!(row, src_data[..16]);
}
