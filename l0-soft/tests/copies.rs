//! Memory copies through the real loader, verified byte by byte: every pair of memory
//! kinds, large copies, copies from another context, and the errors of each.

use std::ffi::c_void;
use std::ptr::null_mut;

use usm_test_kit::raw::work::*;

const N: usize = 4096 + 123;

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

#[test]
fn copies_that_leave_their_allocation_are_rejected() {
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
    // Memory of another context is checked the same way.
    assert_rc(copy(a.ptr, foreign, 257), INVALID_SIZE);
    assert_rc(copy(foreign, b.ptr, 257), INVALID_SIZE);
    assert_rc(copy(null_mut(), b.ptr, 16), NULL_POINTER);
    assert_rc(copy(a.ptr, std::ptr::null(), 16), NULL_POINTER);
    // Host memory that is not mapped (the first pages of the address space never are):
    // Intel's driver cannot pin it and answers OUT_OF_DEVICE_MEMORY.
    let unpinnable = ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY;
    let unmapped = 0x1000 as *mut c_void;
    assert_rc(copy(a.ptr, unmapped, 16), unpinnable);
    assert_rc(copy(unmapped, b.ptr, 16), unpinnable);
    let mut host = vec![0u8; 16];
    assert_rc(copy(host.as_mut_ptr().cast(), unmapped, 16), unpinnable);
    // A range that wraps around the end of the address space.
    assert_rc(
        copy(host.as_mut_ptr().cast(), usize::MAX as *const c_void, 16),
        unpinnable,
    );
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
    // As in Intel's driver, the named context does not restrict the source: memory of
    // the list's own context copies too.
    let back = Buffer::new(Kind::Host, 512);
    ok(ze!(zeCommandListAppendMemoryCopyFromContext(
        list,
        back.ptr,
        other,
        dst.ptr,
        512,
        no_event(),
        0,
        none()
    )));
    assert_eq!(back.read(512), data);
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

#[test]
fn lists_use_memory_of_every_context_of_the_driver() {
    // Intel's driver keeps one allocation table per driver: a list of one context copies
    // to and fills memory allocated in another (Intel's conformance suite does both).
    let other = new_context();
    let foreign = alloc_device_in(other, 256);
    let data = bytes(256, 5);
    let list = immediate(COMPUTE, SYNC);
    ok(ze!(zeCommandListAppendMemoryCopy(
        list,
        foreign,
        data.as_ptr().cast(),
        256,
        no_event(),
        0,
        none()
    )));
    let pattern = 0xa5u8;
    ok(ze!(zeCommandListAppendMemoryFill(
        list,
        foreign,
        (&pattern as *const u8).cast(),
        1,
        16,
        no_event(),
        0,
        none()
    )));
    let back = Buffer::new(Kind::Host, 256);
    ok(ze!(zeCommandListAppendMemoryCopy(
        list,
        back.ptr,
        foreign,
        256,
        no_event(),
        0,
        none()
    )));
    let mut expected = data.clone();
    expected[..16].fill(pattern);
    assert_eq!(back.read(256), expected);
    ok(ze!(zeCommandListDestroy(list)));
    ok(ze!(zeMemFree(other, foreign)));
    ok(ze!(zeContextDestroy(other)));
}
