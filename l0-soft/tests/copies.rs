//! Copies, fills, copy regions and the other data-moving appends, through the real
//! loader, verified byte by byte; and the errors of each.

#[macro_use]
mod support;

use std::ffi::c_void;
use std::ptr::null_mut;

use support::*;

const N: usize = 4096 + 123;

/// Where a buffer of a test lives.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Device,
    Host,
    Shared,
    Malloc,
}

struct Buffer {
    kind: Kind,
    ptr: *mut c_void,
    _vec: Vec<u8>,
}

impl Buffer {
    fn new(kind: Kind, len: usize) -> Buffer {
        let mut vec = Vec::new();
        let ptr = match kind {
            Kind::Device => alloc_device(len),
            Kind::Host => alloc_host(len),
            Kind::Shared => alloc_shared(len),
            Kind::Malloc => {
                vec = vec![0u8; len];
                vec.as_mut_ptr().cast()
            }
        };
        Buffer {
            kind,
            ptr,
            _vec: vec,
        }
    }

    fn write(&self, data: &[u8]) {
        upload(self.ptr, data);
    }

    fn read(&self, len: usize) -> Vec<u8> {
        download(self.ptr, len)
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        if !matches!(self.kind, Kind::Malloc) {
            free(self.ptr);
        }
    }
}

const KINDS: [Kind; 4] = [Kind::Device, Kind::Host, Kind::Shared, Kind::Malloc];

#[test]
fn copies_between_every_pair_of_memory_kinds_are_exact() {
    for (i, &from) in KINDS.iter().enumerate() {
        for (j, &to) in KINDS.iter().enumerate() {
            for mode in [SYNC, ASYNC] {
                let src = Buffer::new(from, N);
                let dst = Buffer::new(to, N);
                let data = bytes(N, (i * 4 + j) as u8);
                src.write(&data);
                dst.write(&vec![0xEE; N]);
                let list = immediate(COMPUTE, mode);
                let pool = event_pool(HOST_VISIBLE, 1);
                let done = event(pool, 0);
                // An interior range: offsets 3 .. N - 5.
                let len = N - 8;
                // SAFETY: both offsets stay inside the N-byte buffers.
                let (d, s) = unsafe { (dst.ptr.cast::<u8>().add(3), src.ptr.cast::<u8>().add(3)) };
                ok(ze!(zeCommandListAppendMemoryCopy(
                    list,
                    d.cast(),
                    s.cast(),
                    len,
                    done,
                    0,
                    none()
                )));
                ok(ze!(zeEventHostSynchronize(done, u64::MAX)));
                let got = dst.read(N);
                let mut want = vec![0xEE; N];
                want[3..3 + len].copy_from_slice(&data[3..3 + len]);
                assert!(got == want, "{from:?} -> {to:?} ({mode:?})");
                ok(ze!(zeEventDestroy(done)));
                ok(ze!(zeEventPoolDestroy(pool)));
                ok(ze!(zeCommandListDestroy(list)));
            }
        }
    }
}

#[test]
fn a_zero_byte_copy_succeeds_and_signals() {
    let dst = Buffer::new(Kind::Device, 16);
    let src = Buffer::new(Kind::Host, 16);
    let list = immediate(MAIN_COPY, ASYNC);
    let pool = event_pool(HOST_VISIBLE, 1);
    let e = event(pool, 0);
    ok(ze!(zeCommandListAppendMemoryCopy(
        list,
        dst.ptr,
        src.ptr,
        0,
        e,
        0,
        none()
    )));
    ok(ze!(zeEventHostSynchronize(e, u64::MAX)));
    ok(ze!(zeEventDestroy(e)));
    ok(ze!(zeEventPoolDestroy(pool)));
    ok(ze!(zeCommandListDestroy(list)));
}

#[test]
fn a_large_copy_split_across_cores_is_exact() {
    let len = (9 << 20) + 77;
    let src = Buffer::new(Kind::Host, len);
    let dst = Buffer::new(Kind::Device, len);
    let data = bytes(len, 5);
    src.write(&data);
    let back = Buffer::new(Kind::Shared, len);
    let list = immediate(COMPUTE, SYNC);
    ok(ze!(zeCommandListAppendMemoryCopy(
        list,
        dst.ptr,
        src.ptr,
        len,
        no_event(),
        0,
        none()
    )));
    ok(ze!(zeCommandListAppendMemoryCopy(
        list,
        back.ptr,
        dst.ptr,
        len,
        no_event(),
        0,
        none()
    )));
    // SAFETY: shared memory is host-accessible, `len` bytes.
    let got = unsafe { std::slice::from_raw_parts(back.ptr.cast::<u8>(), len) };
    assert!(got == &data[..]);
    ok(ze!(zeCommandListDestroy(list)));
}

/// Fills `len` bytes of a fresh buffer of `kind` at offset 1 and returns the buffer's
/// `len + 2` bytes.
fn fill(kind: Kind, ordinal: u32, pattern: &[u8], len: usize) -> Vec<u8> {
    let buf = Buffer::new(kind, len + 2);
    buf.write(&vec![0xAB; len + 2]);
    let list = immediate(ordinal, ASYNC);
    // SAFETY: offset 1 of a `len + 2`-byte buffer.
    let p = unsafe { buf.ptr.cast::<u8>().add(1) };
    ok(ze!(zeCommandListAppendMemoryFill(
        list,
        p.cast(),
        pattern.as_ptr().cast(),
        pattern.len(),
        len,
        no_event(),
        0,
        none()
    )));
    ok(ze!(zeCommandListAppendBarrier(list, no_event(), 0, none())));
    let pool = event_pool(HOST_VISIBLE, 1);
    let e = event(pool, 0);
    ok(ze!(zeCommandListAppendSignalEvent(list, e)));
    ok(ze!(zeEventHostSynchronize(e, u64::MAX)));
    ok(ze!(zeEventDestroy(e)));
    ok(ze!(zeEventPoolDestroy(pool)));
    ok(ze!(zeCommandListDestroy(list)));
    buf.read(len + 2)
}

fn expected_fill(pattern: &[u8], len: usize) -> Vec<u8> {
    let mut v = vec![0xAB];
    v.extend((0..len).map(|i| pattern[i % pattern.len()]));
    v.push(0xAB);
    v
}

#[test]
fn fills_of_every_legal_pattern_size_repeat_the_pattern() {
    // Compute group: up to 128 bytes; main copy: up to 16; link copy: 1.
    for (ordinal, max) in [(COMPUTE, 128), (MAIN_COPY, 16), (LINK_COPY, 1)] {
        let mut size = 1;
        while size <= max {
            let pattern = bytes(size, size as u8);
            for kind in [Kind::Device, Kind::Shared, Kind::Host] {
                let len = 1000 + size; // not a multiple of most pattern sizes
                assert_eq!(
                    fill(kind, ordinal, &pattern, len),
                    expected_fill(&pattern, len),
                    "pattern {size} on ordinal {ordinal}, {kind:?}"
                );
            }
            size *= 2;
        }
    }
}

#[test]
fn a_large_fill_keeps_the_pattern_across_cores() {
    let len = (9 << 20) + 3;
    let pattern = bytes(16, 9);
    let got = fill(Kind::Device, COMPUTE, &pattern, len);
    assert!(got == expected_fill(&pattern, len));
}

#[test]
fn fill_pattern_sizes_that_are_not_powers_of_two_or_too_large_are_invalid_sizes() {
    let buf = Buffer::new(Kind::Device, 4096);
    let pattern = [7u8; 512];
    for (ordinal, bad) in [
        (COMPUTE, &[0usize, 3, 6, 24, 100, 256][..]),
        (MAIN_COPY, &[0, 3, 32, 64][..]),
        (LINK_COPY, &[0, 2, 4][..]),
    ] {
        let list = immediate(ordinal, SYNC);
        for &size in bad {
            assert_rc(
                ze!(zeCommandListAppendMemoryFill(
                    list,
                    buf.ptr,
                    pattern.as_ptr().cast(),
                    size,
                    4096,
                    no_event(),
                    0,
                    none()
                )),
                INVALID_SIZE,
            );
        }
        ok(ze!(zeCommandListDestroy(list)));
    }
}

#[test]
fn a_fill_outside_usm_or_past_its_allocation_is_rejected() {
    let buf = Buffer::new(Kind::Device, 4096);
    let mut host = vec![0u8; 64];
    let pattern = [1u8; 4];
    let list = immediate(COMPUTE, SYNC);
    let fill = |p: *mut c_void, len: usize| {
        ze!(zeCommandListAppendMemoryFill(
            list,
            p,
            pattern.as_ptr().cast(),
            4,
            len,
            no_event(),
            0,
            none()
        ))
    };
    assert_rc(fill(host.as_mut_ptr().cast(), 64), INVALID_ARGUMENT);
    assert_rc(fill(buf.ptr, 4097), INVALID_SIZE);
    // SAFETY: an interior pointer of the 4096-byte allocation.
    let inner = unsafe { buf.ptr.cast::<u8>().add(4000) };
    assert_rc(fill(inner.cast(), 97), INVALID_SIZE);
    ok(fill(inner.cast(), 96));
    assert_rc(fill(null_mut(), 4), NULL_POINTER);
    assert_rc(
        ze!(zeCommandListAppendMemoryFill(
            list,
            buf.ptr,
            std::ptr::null(),
            4,
            4,
            no_event(),
            0,
            none()
        )),
        NULL_POINTER,
    );
    ok(ze!(zeCommandListDestroy(list)));
}

#[test]
fn copies_that_leave_their_allocation_or_use_another_context_are_rejected() {
    let a = Buffer::new(Kind::Device, 256);
    let b = Buffer::new(Kind::Host, 256);
    let other = new_context();
    let foreign = alloc_device_in(other, 256);
    let list = immediate(COMPUTE, SYNC);
    let copy = |d: *mut c_void, s: *const c_void, n: usize| {
        ze!(zeCommandListAppendMemoryCopy(
            list,
            d,
            s,
            n,
            no_event(),
            0,
            none()
        ))
    };
    assert_rc(copy(a.ptr, b.ptr, 257), INVALID_SIZE);
    // SAFETY: interior pointer of the 256-byte allocation.
    let a1 = unsafe { a.ptr.cast::<u8>().add(1) };
    assert_rc(copy(a1.cast(), b.ptr, 256), INVALID_SIZE);
    assert_rc(copy(a.ptr, foreign, 16), INVALID_ARGUMENT);
    assert_rc(copy(foreign, b.ptr, 16), INVALID_ARGUMENT);
    assert_rc(copy(null_mut(), b.ptr, 16), NULL_POINTER);
    assert_rc(copy(a.ptr, std::ptr::null(), 16), NULL_POINTER);
    // A wait list with a count but no array.
    assert_rc(
        ze!(zeCommandListAppendMemoryCopy(
            list,
            a.ptr,
            b.ptr,
            16,
            no_event(),
            1,
            none()
        )),
        INVALID_SIZE,
    );
    ok(ze!(zeCommandListDestroy(list)));
    ok(ze!(zeMemFree(other, foreign)));
    ok(ze!(zeContextDestroy(other)));
}

#[test]
fn copy_from_another_context_reads_that_contexts_memory() {
    let other = new_context();
    let foreign = alloc_device_in(other, 512);
    let data = bytes(512, 77);
    // Fill the foreign buffer through a list of its own context.
    let desc = queue_desc(COMPUTE, SYNC);
    let mut l2 = null_mut();
    ok(ze!(zeCommandListCreateImmediate(
        other,
        device(),
        &desc,
        &mut l2
    )));
    ok(ze!(zeCommandListAppendMemoryCopy(
        l2,
        foreign,
        data.as_ptr().cast(),
        512,
        no_event(),
        0,
        none()
    )));
    let dst = Buffer::new(Kind::Device, 512);
    let list = immediate(COMPUTE, SYNC);
    ok(ze!(zeCommandListAppendMemoryCopyFromContext(
        list,
        dst.ptr,
        other,
        foreign,
        512,
        no_event(),
        0,
        none()
    )));
    assert_eq!(dst.read(512), data);
    // The source must be memory of the named context.
    assert_rc(
        ze!(zeCommandListAppendMemoryCopyFromContext(
            list,
            dst.ptr,
            other,
            dst.ptr,
            16,
            no_event(),
            0,
            none()
        )),
        INVALID_ARGUMENT,
    );
    assert_rc(
        ze!(zeCommandListAppendMemoryCopyFromContext(
            list,
            dst.ptr,
            null_mut(),
            foreign,
            16,
            no_event(),
            0,
            none()
        )),
        NULL_HANDLE,
    );
    ok(ze!(zeCommandListDestroy(list)));
    ok(ze!(zeCommandListDestroy(l2)));
    ok(ze!(zeMemFree(other, foreign)));
    ok(ze!(zeContextDestroy(other)));
}

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
    // Past the end of the allocation: 300 rows of 16 bytes.
    let tall = region(0, 0, 0, 8, 300, 0);
    assert_rc(
        copy(
            other.ptr,
            &tall,
            16,
            buf.ptr,
            &region(0, 0, 0, 8, 300, 0),
            1,
        ),
        INVALID_SIZE,
    );
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

#[test]
fn global_timestamps_are_written_in_order_and_match_the_device_clock() {
    let dst = Buffer::new(Kind::Shared, 16);
    let mut host_before = 0u64;
    let mut dev_before = 0u64;
    ok(ze!(zeDeviceGetGlobalTimestamps(
        device(),
        &mut host_before,
        &mut dev_before
    )));
    let list = immediate(COMPUTE, SYNC);
    // SAFETY: the second u64 of a 16-byte buffer.
    let second = unsafe { dst.ptr.cast::<u64>().add(1) };
    ok(ze!(zeCommandListAppendWriteGlobalTimestamp(
        list,
        dst.ptr.cast(),
        no_event(),
        0,
        none()
    )));
    ok(ze!(zeCommandListAppendWriteGlobalTimestamp(
        list,
        second,
        no_event(),
        0,
        none()
    )));
    let mut host_after = 0u64;
    let mut dev_after = 0u64;
    ok(ze!(zeDeviceGetGlobalTimestamps(
        device(),
        &mut host_after,
        &mut dev_after
    )));
    // SAFETY: shared memory, two u64 values.
    let (t0, t1) = unsafe { (dst.ptr.cast::<u64>().read(), second.read()) };
    assert!(
        dev_before <= t0 && t0 <= t1 && t1 <= dev_after,
        "{dev_before} {t0} {t1} {dev_after}"
    );
    // A misaligned destination.
    // SAFETY: byte 1 of the buffer.
    let odd = unsafe { dst.ptr.cast::<u8>().add(1) };
    assert_rc(
        ze!(zeCommandListAppendWriteGlobalTimestamp(
            list,
            odd.cast(),
            no_event(),
            0,
            none()
        )),
        INVALID_ARGUMENT,
    );
    assert_rc(
        ze!(zeCommandListAppendWriteGlobalTimestamp(
            list,
            null_mut(),
            no_event(),
            0,
            none()
        )),
        NULL_POINTER,
    );
    ok(ze!(zeCommandListDestroy(list)));
}

#[test]
fn prefetch_and_advice_are_accepted_for_usm_and_checked() {
    let shared = Buffer::new(Kind::Shared, 4096);
    let mut host = vec![0u8; 16];
    let list = regular(COMPUTE);
    ok(ze!(zeCommandListAppendMemoryPrefetch(
        list, shared.ptr, 4096
    )));
    assert_rc(
        ze!(zeCommandListAppendMemoryPrefetch(list, shared.ptr, 4097)),
        INVALID_SIZE,
    );
    assert_rc(
        ze!(zeCommandListAppendMemoryPrefetch(
            list,
            host.as_mut_ptr().cast(),
            16
        )),
        INVALID_ARGUMENT,
    );
    assert_rc(
        ze!(zeCommandListAppendMemoryPrefetch(
            list,
            std::ptr::null(),
            16
        )),
        NULL_POINTER,
    );
    let read_mostly = ze_memory_advice_t::ZE_MEMORY_ADVICE_SET_READ_MOSTLY;
    ok(ze!(zeCommandListAppendMemAdvise(
        list,
        device(),
        shared.ptr,
        4096,
        read_mostly
    )));
    ok(ze!(zeCommandListAppendMemAdvise(
        list,
        device(),
        shared.ptr,
        4096,
        ze_memory_advice_t::ZE_MEMORY_ADVICE_BIAS_UNCACHED
    )));
    assert_rc(
        ze!(zeCommandListAppendMemAdvise(
            list,
            device(),
            shared.ptr,
            4096,
            ze_memory_advice_t(8)
        )),
        INVALID_ENUMERATION,
    );
    assert_rc(
        ze!(zeCommandListAppendMemAdvise(
            list,
            null_mut(),
            shared.ptr,
            4096,
            read_mostly
        )),
        NULL_HANDLE,
    );
    assert_rc(
        ze!(zeCommandListAppendMemAdvise(
            list,
            device(),
            std::ptr::null(),
            4096,
            read_mostly
        )),
        NULL_POINTER,
    );
    ok(ze!(zeCommandListClose(list)));
    let q = queue(COMPUTE, SYNC);
    let mut l = list;
    ok(ze!(zeCommandQueueExecuteCommandLists(
        q,
        1,
        &mut l,
        null_mut()
    )));
    ok(ze!(zeCommandQueueDestroy(q)));
    ok(ze!(zeCommandListDestroy(list)));
}

#[test]
fn memory_ranges_barrier_orders_like_a_barrier_and_checks_its_arrays() {
    let buf = Buffer::new(Kind::Device, 64);
    let list = immediate(COMPUTE, ASYNC);
    let sizes = [64usize];
    let mut ranges = [buf.ptr as *const c_void];
    let pool = event_pool(HOST_VISIBLE, 1);
    let e = event(pool, 0);
    ok(ze!(zeCommandListAppendMemoryRangesBarrier(
        list,
        1,
        sizes.as_ptr(),
        ranges.as_mut_ptr(),
        e,
        0,
        none()
    )));
    ok(ze!(zeEventHostSynchronize(e, u64::MAX)));
    assert_rc(
        ze!(zeCommandListAppendMemoryRangesBarrier(
            list,
            1,
            std::ptr::null(),
            ranges.as_mut_ptr(),
            no_event(),
            0,
            none()
        )),
        NULL_POINTER,
    );
    assert_rc(
        ze!(zeCommandListAppendMemoryRangesBarrier(
            list,
            1,
            sizes.as_ptr(),
            null_mut(),
            no_event(),
            0,
            none()
        )),
        NULL_POINTER,
    );
    ok(ze!(zeEventDestroy(e)));
    ok(ze!(zeEventPoolDestroy(pool)));
    ok(ze!(zeCommandListDestroy(list)));
}
