//! Copy regions (2-D and 3-D, with pitches) through the real loader, verified against a
//! host model, and their errors.

use std::ffi::c_void;
use std::ptr::null_mut;

use usm_test_kit::raw::work::*;

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

/// What a region copy must produce, computed on the host.
#[allow(clippy::too_many_arguments)]
fn region_model(
    dst: &mut [u8],
    dr: &ze_copy_region_t,
    dp: usize,
    dsp: usize,
    src: &[u8],
    sr: &ze_copy_region_t,
    sp: usize,
    ssp: usize,
) {
    let depth = sr.depth.max(1) as usize;
    let (dz, sz) = if sr.depth == 0 {
        (0, 0)
    } else {
        (dr.originZ as usize, sr.originZ as usize)
    };
    for z in 0..depth {
        for y in 0..sr.height as usize {
            for x in 0..sr.width as usize {
                let d = dr.originX as usize + x + (dr.originY as usize + y) * dp + (dz + z) * dsp;
                let s = sr.originX as usize + x + (sr.originY as usize + y) * sp + (sz + z) * ssp;
                dst[d] = src[s];
            }
        }
    }
}

#[test]
fn copy_regions_in_2d_and_3d_move_exactly_the_region() {
    struct Case {
        dr: ze_copy_region_t,
        dp: u32,
        dsp: u32,
        sr: ze_copy_region_t,
        sp: u32,
        ssp: u32,
    }
    let cases = [
        // 2-D, different pitches and origins.
        Case {
            dr: region(3, 2, 0, 10, 5, 0),
            dp: 32,
            dsp: 0,
            sr: region(1, 4, 0, 10, 5, 0),
            sp: 16,
            ssp: 0,
        },
        // 2-D, whole rows.
        Case {
            dr: region(0, 0, 0, 64, 4, 0),
            dp: 64,
            dsp: 0,
            sr: region(0, 1, 0, 64, 4, 0),
            sp: 64,
            ssp: 0,
        },
        // 3-D with slice pitches.
        Case {
            dr: region(2, 1, 1, 5, 3, 2),
            dp: 8,
            dsp: 40,
            sr: region(0, 0, 2, 5, 3, 2),
            sp: 12,
            ssp: 48,
        },
    ];
    for (i, c) in cases.iter().enumerate() {
        for (from, to) in [
            (Kind::Host, Kind::Device),
            (Kind::Device, Kind::Shared),
            (Kind::Malloc, Kind::Malloc),
        ] {
            let len = 1024;
            let src = Buffer::new(from, len);
            let dst = Buffer::new(to, len);
            let data = bytes(len, i as u8 + 1);
            src.write(&data);
            dst.write(&vec![0u8; len]);
            let list = immediate(MAIN_COPY, SYNC);
            ok(ze!(zeCommandListAppendMemoryCopyRegion(
                list,
                dst.ptr,
                &c.dr,
                c.dp,
                c.dsp,
                src.ptr,
                &c.sr,
                c.sp,
                c.ssp,
                no_event(),
                0,
                none()
            )));
            let mut want = vec![0u8; len];
            region_model(
                &mut want,
                &c.dr,
                c.dp as usize,
                c.dsp as usize,
                &data,
                &c.sr,
                c.sp as usize,
                c.ssp as usize,
            );
            assert!(dst.read(len) == want, "case {i} {from:?} -> {to:?}");
            ok(ze!(zeCommandListDestroy(list)));
        }
    }
}

#[test]
fn copy_region_errors() {
    let buf = Buffer::new(Kind::Device, 1024);
    let other = Buffer::new(Kind::Device, 1024);
    let list = immediate(MAIN_COPY, SYNC);
    let copy = |d: *mut c_void,
                dr: &ze_copy_region_t,
                dp: u32,
                s: *const c_void,
                sr: &ze_copy_region_t,
                sp: u32| {
        ze!(zeCommandListAppendMemoryCopyRegion(
            list,
            d,
            dr,
            dp,
            0,
            s,
            sr,
            sp,
            0,
            no_event(),
            0,
            none()
        ))
    };
    let r = region(0, 0, 0, 8, 4, 0);
    // Overlapping rows of the same buffer.
    assert_rc(
        copy(buf.ptr, &region(4, 0, 0, 8, 4, 0), 16, buf.ptr, &r, 16),
        ze_result_t::ZE_RESULT_ERROR_OVERLAPPING_REGIONS,
    );
    // Interleaved rows of one buffer do not overlap.
    ok(copy(
        buf.ptr,
        &region(8, 0, 0, 8, 4, 0),
        16,
        buf.ptr,
        &r,
        16,
    ));
    // Different extents.
    assert_rc(
        copy(other.ptr, &region(0, 0, 0, 8, 3, 0), 16, buf.ptr, &r, 16),
        INVALID_ARGUMENT,
    );
    // Rows wider than the pitch.
    assert_rc(copy(other.ptr, &r, 4, buf.ptr, &r, 16), INVALID_SIZE);
    // Past the end of the destination allocation: 300 rows of 16 bytes (the source is
    // plain host memory, large enough).
    let tall = region(0, 0, 0, 8, 300, 0);
    let big = vec![0u8; 300 * 16];
    assert_rc(
        copy(other.ptr, &tall, 16, big.as_ptr().cast(), &tall, 16),
        INVALID_SIZE,
    );
    // Beyond any address.
    let huge = region(0, u32::MAX, 0, 8, u32::MAX, 0);
    assert_rc(
        copy(
            big.as_ptr() as *mut c_void,
            &huge,
            u32::MAX,
            big.as_ptr().cast(),
            &huge,
            u32::MAX,
        ),
        INVALID_SIZE,
    );
    // Slices on top of each other.
    let slices = region(0, 0, 0, 8, 1, 4);
    assert_rc(
        ze!(zeCommandListAppendMemoryCopyRegion(
            list,
            other.ptr,
            &slices,
            16,
            0,
            buf.ptr,
            &slices,
            16,
            16,
            no_event(),
            0,
            none()
        )),
        INVALID_SIZE,
    );
    // Nothing to copy.
    let empty = region(0, 0, 0, 0, 4, 0);
    ok(copy(other.ptr, &empty, 16, buf.ptr, &empty, 16));
    assert_rc(copy(null_mut(), &r, 16, buf.ptr, &r, 16), NULL_POINTER);
    assert_rc(
        ze!(zeCommandListAppendMemoryCopyRegion(
            list,
            other.ptr,
            std::ptr::null(),
            16,
            0,
            buf.ptr,
            &r,
            16,
            0,
            no_event(),
            0,
            none()
        )),
        NULL_POINTER,
    );
    ok(ze!(zeCommandListDestroy(list)));
}
