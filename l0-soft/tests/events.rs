//! Event pools and events through the real loader: creation rules, host signal, reset,
//! synchronization timeouts, kernel timestamps, and the errors of each.

use std::ptr::null_mut;

use usm_test_kit::raw::work::*;

fn pool_desc(flags: u32, count: u32) -> ze_event_pool_desc_t {
    ze_event_pool_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_EVENT_POOL_DESC,
        flags,
        count,
        ..Default::default()
    }
}

#[test]
fn event_pool_flags_counts_and_devices_are_checked() {
    let ctx = env().ctx;
    let mut pool = null_mut();
    let ipc = ze_event_pool_flag_t::ZE_EVENT_POOL_FLAG_IPC.0;
    ok(ze!(zeEventPoolCreate(
        ctx,
        &pool_desc(ipc | HOST_VISIBLE, 4),
        0,
        null_mut(),
        &mut pool
    )));
    ok(ze!(zeEventPoolDestroy(pool)));
    assert_rc(
        ze!(zeEventPoolCreate(
            ctx,
            &pool_desc(0x10, 4),
            0,
            null_mut(),
            &mut pool
        )),
        INVALID_ENUMERATION,
    );
    // KERNEL_MAPPED_TIMESTAMP (API 1.6), whatever the driver's headers.
    pool = null_mut();
    accepted_newer_flags(ze!(zeEventPoolCreate(
        ctx,
        &pool_desc(0x8 | 0x1, 4),
        0,
        null_mut(),
        &mut pool
    )));
    if !pool.is_null() {
        ok(ze!(zeEventPoolDestroy(pool)));
    }
    assert_rc(
        ze!(zeEventPoolCreate(
            ctx,
            &pool_desc(0, 0),
            0,
            null_mut(),
            &mut pool
        )),
        INVALID_SIZE,
    );
    assert_rc(
        ze!(zeEventPoolCreate(
            ctx,
            &pool_desc(0, 1),
            1,
            null_mut(),
            &mut pool
        )),
        INVALID_SIZE,
    );
    assert_rc(
        ze!(zeEventPoolCreate(
            ctx,
            std::ptr::null(),
            0,
            null_mut(),
            &mut pool
        )),
        NULL_POINTER,
    );
    assert_rc(
        ze!(zeEventPoolCreate(
            ctx,
            &pool_desc(0, 1),
            0,
            null_mut(),
            null_mut()
        )),
        NULL_POINTER,
    );
    assert_rc(
        ze!(zeEventPoolCreate(
            null_mut(),
            &pool_desc(0, 1),
            0,
            null_mut(),
            &mut pool
        )),
        NULL_HANDLE,
    );
    let mut devices = [device()];
    for flags in [0, HOST_VISIBLE, TIMESTAMPS, HOST_VISIBLE | TIMESTAMPS] {
        ok(ze!(zeEventPoolCreate(
            ctx,
            &pool_desc(flags, 2),
            1,
            devices.as_mut_ptr(),
            &mut pool
        )));
        ok(ze!(zeEventPoolDestroy(pool)));
    }
    // The IPC entry points are not offered.
    let p = event_pool(HOST_VISIBLE, 1);
    let mut ipc_handle = ze_ipc_event_pool_handle_t::default();
    assert_rc(
        ze!(zeEventPoolGetIpcHandle(p, &mut ipc_handle)),
        ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_FEATURE,
    );
    ok(ze!(zeEventPoolDestroy(p)));
}

#[test]
fn event_indices_must_be_inside_the_pool() {
    let pool = event_pool(HOST_VISIBLE, 2);
    let desc = |index: u32| ze_event_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_EVENT_DESC,
        index,
        ..Default::default()
    };
    let mut e = null_mut();
    assert_rc(ze!(zeEventCreate(pool, &desc(2), &mut e)), INVALID_ARGUMENT);
    let first = event(pool, 0);
    let mut bad_scope = desc(1);
    bad_scope.signal = 0x8;
    assert_rc(
        ze!(zeEventCreate(pool, &bad_scope, &mut e)),
        INVALID_ENUMERATION,
    );
    let mut bad_wait = desc(1);
    bad_wait.wait = 0x10;
    assert_rc(
        ze!(zeEventCreate(pool, &bad_wait, &mut e)),
        INVALID_ENUMERATION,
    );
    assert_rc(
        ze!(zeEventCreate(pool, std::ptr::null(), &mut e)),
        NULL_POINTER,
    );
    assert_rc(ze!(zeEventCreate(pool, &desc(1), null_mut())), NULL_POINTER);
    // A second event at a taken index is allowed, as in Intel's driver.
    let twin = event(pool, 0);
    ok(ze!(zeEventDestroy(twin)));
    // A pool with live events cannot go; after they are destroyed it can.
    assert_rc(ze!(zeEventPoolDestroy(pool)), IN_USE);
    ok(ze!(zeEventDestroy(first)));
    let again = event(pool, 0);
    ok(ze!(zeEventDestroy(again)));
    ok(ze!(zeEventPoolDestroy(pool)));
}

#[test]
fn host_signal_query_reset_and_synchronize_timeouts() {
    let pool = event_pool(HOST_VISIBLE, 1);
    let e = event(pool, 0);
    assert_rc(ze!(zeEventQueryStatus(e)), NOT_READY);
    assert_rc(ze!(zeEventHostSynchronize(e, 0)), NOT_READY);
    assert_rc(ze!(zeEventHostSynchronize(e, 1_000_000)), NOT_READY);
    ok(ze!(zeEventHostSignal(e)));
    ok(ze!(zeEventQueryStatus(e)));
    ok(ze!(zeEventHostSynchronize(e, 0)));
    ok(ze!(zeEventHostSynchronize(e, u64::MAX)));
    ok(ze!(zeEventHostReset(e)));
    assert_rc(ze!(zeEventQueryStatus(e)), NOT_READY);
    ok(ze!(zeEventDestroy(e)));
    ok(ze!(zeEventPoolDestroy(pool)));
}

#[test]
fn an_infinite_host_wait_returns_when_another_thread_signals() {
    let pool = event_pool(HOST_VISIBLE, 2);
    let gate = event(pool, 0);
    let started = event(pool, 1);
    let (g, s) = (gate as usize, started as usize);
    let waiter = std::thread::spawn(move || {
        ok(ze!(zeEventHostSignal(s as ze_event_handle_t)));
        ze!(zeEventHostSynchronize(g as ze_event_handle_t, u64::MAX))
    });
    ok(ze!(zeEventHostSynchronize(started, u64::MAX)));
    ok(ze!(zeEventHostSignal(gate)));
    ok(waiter.join().unwrap());
    ok(ze!(zeEventDestroy(gate)));
    ok(ze!(zeEventDestroy(started)));
    ok(ze!(zeEventPoolDestroy(pool)));
}

#[test]
fn append_signal_wait_and_reset_drive_events_from_a_list() {
    let pool = event_pool(HOST_VISIBLE, 3);
    let (a, b, c) = (event(pool, 0), event(pool, 1), event(pool, 2));
    let list = immediate(COMPUTE, ASYNC);
    let mut wait = [a];
    // b is signaled once a is; then c's signal is reset again by the list.
    ok(ze!(zeCommandListAppendWaitOnEvents(
        list,
        1,
        wait.as_mut_ptr()
    )));
    ok(ze!(zeCommandListAppendSignalEvent(list, b)));
    ok(ze!(zeEventHostSignal(c)));
    ok(ze!(zeCommandListAppendEventReset(list, c)));
    assert_rc(ze!(zeEventQueryStatus(b)), NOT_READY);
    ok(ze!(zeEventHostSignal(a)));
    ok(ze!(zeEventHostSynchronize(b, u64::MAX)));
    // The reset comes after b's signal on the same in-order list; wait for it with a
    // final signal.
    ok(ze!(zeEventHostReset(a)));
    ok(ze!(zeCommandListAppendSignalEvent(list, a)));
    ok(ze!(zeEventHostSynchronize(a, u64::MAX)));
    assert_rc(ze!(zeEventQueryStatus(c)), NOT_READY);
    assert_rc(
        ze!(zeCommandListAppendWaitOnEvents(list, 1, null_mut())),
        NULL_POINTER,
    );
    assert_rc(
        ze!(zeCommandListAppendSignalEvent(list, null_mut())),
        NULL_HANDLE,
    );
    assert_rc(
        ze!(zeCommandListAppendEventReset(list, null_mut())),
        NULL_HANDLE,
    );
    ok(ze!(zeCommandListDestroy(list)));
    for e in [a, b, c] {
        ok(ze!(zeEventDestroy(e)));
    }
    ok(ze!(zeEventPoolDestroy(pool)));
}

#[test]
fn events_of_another_context_are_refused() {
    let other = new_context();
    let desc = pool_desc(HOST_VISIBLE, 1);
    let mut pool = null_mut();
    ok(ze!(zeEventPoolCreate(
        other,
        &desc,
        0,
        null_mut(),
        &mut pool
    )));
    let foreign = event(pool, 0);
    let list = immediate(COMPUTE, SYNC);
    assert_rc(
        ze!(zeCommandListAppendSignalEvent(list, foreign)),
        ze_result_t::ZE_RESULT_ERROR_INVALID_SYNCHRONIZATION_OBJECT,
    );
    let mut wait = [foreign];
    assert_rc(
        ze!(zeCommandListAppendBarrier(
            list,
            no_event(),
            1,
            wait.as_mut_ptr()
        )),
        ze_result_t::ZE_RESULT_ERROR_INVALID_SYNCHRONIZATION_OBJECT,
    );
    ok(ze!(zeCommandListDestroy(list)));
    ok(ze!(zeEventDestroy(foreign)));
    ok(ze!(zeEventPoolDestroy(pool)));
    ok(ze!(zeContextDestroy(other)));
}

fn global_now() -> u64 {
    let (mut host, mut dev) = (0u64, 0u64);
    ok(ze!(zeDeviceGetGlobalTimestamps(
        device(),
        &mut host,
        &mut dev
    )));
    dev
}

#[test]
fn kernel_timestamps_bracket_the_command_that_signaled_the_event() {
    let pool = event_pool(HOST_VISIBLE | TIMESTAMPS, 2);
    let (e0, e1) = (event(pool, 0), event(pool, 1));
    let mut ts = ze_kernel_timestamp_result_t::default();
    // Not signaled: NOT_READY, destination untouched.
    ts.global.kernelStart = 0xDEAD;
    assert_rc(ze!(zeEventQueryKernelTimestamp(e0, &mut ts)), NOT_READY);
    assert_eq!(ts.global.kernelStart, 0xDEAD);
    let len = 1 << 20;
    let src = alloc_host(len);
    let dst = alloc_device(len);
    let before = global_now();
    let list = immediate(COMPUTE, ASYNC);
    ok(ze!(zeCommandListAppendMemoryCopy(
        list,
        dst,
        src,
        len,
        e0,
        0,
        none()
    )));
    let mut wait = [e0];
    ok(ze!(zeCommandListAppendMemoryCopy(
        list,
        dst,
        src,
        len,
        e1,
        1,
        wait.as_mut_ptr()
    )));
    ok(ze!(zeEventHostSynchronize(e1, u64::MAX)));
    let after = global_now();
    let mut t0 = ze_kernel_timestamp_result_t::default();
    let mut t1 = ze_kernel_timestamp_result_t::default();
    ok(ze!(zeEventQueryKernelTimestamp(e0, &mut t0)));
    ok(ze!(zeEventQueryKernelTimestamp(e1, &mut t1)));
    let g0 = t0.global;
    let g1 = t1.global;
    assert!(before <= g0.kernelStart, "{before} {}", g0.kernelStart);
    assert!(g0.kernelStart <= g0.kernelEnd && g0.kernelEnd <= g1.kernelStart);
    assert!(g1.kernelStart <= g1.kernelEnd && g1.kernelEnd <= after);
    assert_eq!(t0.context.kernelStart, g0.kernelStart);
    assert_eq!(t0.context.kernelEnd, g0.kernelEnd);
    // The same values, written by the device into USM: packed, then at offsets.
    let out = alloc_shared(256);
    let mut events = [e0, e1];
    let done_pool = event_pool(HOST_VISIBLE, 1);
    let done = event(done_pool, 0);
    ok(ze!(zeCommandListAppendQueryKernelTimestamps(
        list,
        2,
        events.as_mut_ptr(),
        out,
        std::ptr::null(),
        done,
        0,
        none()
    )));
    ok(ze!(zeEventHostSynchronize(done, u64::MAX)));
    // SAFETY: shared memory holding two results.
    let written =
        unsafe { std::slice::from_raw_parts(out.cast::<ze_kernel_timestamp_result_t>(), 2) };
    assert_eq!(written[0].global.kernelStart, g0.kernelStart);
    assert_eq!(written[0].global.kernelEnd, g0.kernelEnd);
    assert_eq!(written[1].global.kernelStart, g1.kernelStart);
    assert_eq!(written[1].context.kernelEnd, g1.kernelEnd);
    let offsets = [128usize, 64];
    ok(ze!(zeEventHostReset(done)));
    ok(ze!(zeCommandListAppendQueryKernelTimestamps(
        list,
        2,
        events.as_mut_ptr(),
        out,
        offsets.as_ptr(),
        done,
        0,
        none()
    )));
    ok(ze!(zeEventHostSynchronize(done, u64::MAX)));
    // SAFETY: shared memory, results at byte offsets 128 and 64.
    let (r0, r1) = unsafe {
        (
            out.cast::<u8>()
                .add(128)
                .cast::<ze_kernel_timestamp_result_t>()
                .read(),
            out.cast::<u8>()
                .add(64)
                .cast::<ze_kernel_timestamp_result_t>()
                .read(),
        )
    };
    assert_eq!(r0.global.kernelEnd, g0.kernelEnd);
    assert_eq!(r1.global.kernelStart, g1.kernelStart);
    // Past the end of the destination allocation.
    let far = [250usize];
    assert_rc(
        ze!(zeCommandListAppendQueryKernelTimestamps(
            list,
            1,
            events.as_mut_ptr(),
            out,
            far.as_ptr(),
            no_event(),
            0,
            none()
        )),
        INVALID_SIZE,
    );
    ok(ze!(zeCommandListDestroy(list)));
    for e in [e0, e1, done] {
        ok(ze!(zeEventDestroy(e)));
    }
    ok(ze!(zeEventPoolDestroy(pool)));
    ok(ze!(zeEventPoolDestroy(done_pool)));
    for p in [src, dst, out] {
        free(p);
    }
}

#[test]
fn kernel_timestamps_need_a_timestamp_pool() {
    let pool = event_pool(HOST_VISIBLE, 1);
    let e = event(pool, 0);
    ok(ze!(zeEventHostSignal(e)));
    let mut ts = ze_kernel_timestamp_result_t::default();
    assert_rc(
        ze!(zeEventQueryKernelTimestamp(e, &mut ts)),
        INVALID_ARGUMENT,
    );
    assert_rc(
        ze!(zeEventQueryKernelTimestamp(e, null_mut())),
        NULL_POINTER,
    );
    let out = alloc_shared(64);
    let list = immediate(COMPUTE, SYNC);
    let mut events = [e];
    assert_rc(
        ze!(zeCommandListAppendQueryKernelTimestamps(
            list,
            1,
            events.as_mut_ptr(),
            out,
            std::ptr::null(),
            no_event(),
            0,
            none()
        )),
        INVALID_ARGUMENT,
    );
    ok(ze!(zeCommandListDestroy(list)));
    free(out);
    ok(ze!(zeEventDestroy(e)));
    ok(ze!(zeEventPoolDestroy(pool)));
}

#[test]
fn events_at_one_index_share_the_slots_state_as_in_intels_driver() {
    let pool = event_pool(HOST_VISIBLE, 2);
    let a = event(pool, 1);
    let b = event(pool, 1);
    let other = event(pool, 0);
    assert_ne!(a, b, "two handles");
    assert_rc(ze!(zeEventQueryStatus(b)), NOT_READY);
    ok(ze!(zeEventHostSignal(a)));
    ok(ze!(zeEventQueryStatus(b)));
    assert_rc(ze!(zeEventQueryStatus(other)), NOT_READY);
    ok(ze!(zeEventHostReset(b)));
    assert_rc(ze!(zeEventQueryStatus(a)), NOT_READY);
    // Destroying one leaves the other working; a new event at a free index starts unsignaled.
    ok(ze!(zeEventDestroy(a)));
    ok(ze!(zeEventHostSignal(b)));
    ok(ze!(zeEventQueryStatus(b)));
    ok(ze!(zeEventDestroy(b)));
    let fresh = event(pool, 1);
    assert_rc(ze!(zeEventQueryStatus(fresh)), NOT_READY);
    for e in [fresh, other] {
        ok(ze!(zeEventDestroy(e)));
    }
    ok(ze!(zeEventPoolDestroy(pool)));
}
