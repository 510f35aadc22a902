//! The other appends through the real loader: global timestamps, memory prefetch and
//! advice, memory ranges barrier.

use std::ffi::c_void;
use std::ptr::null_mut;

use usm_test_kit::raw::work::*;

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
    // The system-memory preferred location advice of current specifications (8, 9),
    // whatever the driver's headers.
    for newer in [8, 9] {
        accepted_newer_flags(ze!(zeCommandListAppendMemAdvise(
            list,
            device(),
            shared.ptr,
            4096,
            ze_memory_advice_t(newer)
        )));
    }
    assert_rc(
        ze!(zeCommandListAppendMemAdvise(
            list,
            device(),
            shared.ptr,
            4096,
            ze_memory_advice_t(10)
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
