//! Command queues, regular command lists and fences through the real loader: creation
//! rules, the closed/open life cycle, reuse, synchronous and asynchronous execution,
//! and the errors for misuse (including objects still in use).

use std::ptr::null_mut;

use usm_test_kit::raw::work::*;

#[test]
fn queue_and_immediate_list_descriptors_are_checked() {
    let ctx = env().ctx;
    let check = |desc: ze_command_queue_desc_t, expected: ze_result_t| {
        let mut q = null_mut();
        let rc = ze!(zeCommandQueueCreate(ctx, device(), &desc, &mut q));
        assert_rc(rc, expected);
        if rc == SUCCESS {
            ok(ze!(zeCommandQueueDestroy(q)));
        }
        let mut l = null_mut();
        let rc = ze!(zeCommandListCreateImmediate(ctx, device(), &desc, &mut l));
        assert_rc(rc, expected);
        if rc == SUCCESS {
            ok(ze!(zeCommandListDestroy(l)));
        }
    };
    for ordinal in [COMPUTE, MAIN_COPY, LINK_COPY] {
        for mode in 0..=2 {
            for priority in 0..=2 {
                let mut d = queue_desc(ordinal, ze_command_queue_mode_t(mode));
                d.priority = ze_command_queue_priority_t(priority);
                check(d, SUCCESS);
            }
        }
    }
    // The link copy group has 7 engines; explicit indices need EXPLICIT_ONLY in
    // spirit but are accepted as given.
    let mut d = queue_desc(LINK_COPY, ASYNC);
    d.index = 6;
    check(d, SUCCESS);
    d.index = 7;
    check(d, INVALID_ARGUMENT);
    check(queue_desc(3, ASYNC), INVALID_ARGUMENT);
    let mut d = queue_desc(COMPUTE, ASYNC);
    d.index = 1;
    check(d, INVALID_ARGUMENT);
    check(
        queue_desc(COMPUTE, ze_command_queue_mode_t(3)),
        INVALID_ENUMERATION,
    );
    let mut d = queue_desc(COMPUTE, ASYNC);
    d.priority = ze_command_queue_priority_t(3);
    check(d, INVALID_ENUMERATION);
    let mut d = queue_desc(COMPUTE, ASYNC);
    d.flags = 8;
    check(d, INVALID_ENUMERATION);
    // IN_ORDER and COPY_OFFLOAD_HINT (API 1.7+), accepted whatever the driver's headers.
    for flags in [2, 4, 7] {
        let mut d = queue_desc(MAIN_COPY, ASYNC);
        d.flags = flags;
        let mut list = null_mut();
        accepted_newer_flags(ze!(zeCommandListCreateImmediate(
            env().ctx,
            device(),
            &d,
            &mut list
        )));
        if !list.is_null() {
            ok(ze!(zeCommandListDestroy(list)));
        }
    }
    let mut q = null_mut();
    assert_rc(
        ze!(zeCommandQueueCreate(
            ctx,
            device(),
            std::ptr::null(),
            &mut q
        )),
        NULL_POINTER,
    );
    assert_rc(
        ze!(zeCommandQueueCreate(
            ctx,
            device(),
            &queue_desc(0, ASYNC),
            null_mut()
        )),
        NULL_POINTER,
    );
    assert_rc(
        ze!(zeCommandQueueCreate(
            null_mut(),
            device(),
            &queue_desc(0, ASYNC),
            &mut q
        )),
        NULL_HANDLE,
    );
    assert_rc(
        ze!(zeCommandQueueCreate(
            ctx,
            null_mut(),
            &queue_desc(0, ASYNC),
            &mut q
        )),
        NULL_HANDLE,
    );
}

#[test]
fn regular_list_descriptors_are_checked() {
    let ctx = env().ctx;
    let desc = |ordinal: u32, flags: u32| ze_command_list_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_COMMAND_LIST_DESC,
        commandQueueGroupOrdinal: ordinal,
        flags,
        ..Default::default()
    };
    let mut l = null_mut();
    for flags in 0..=7 {
        ok(ze!(zeCommandListCreate(
            ctx,
            device(),
            &desc(MAIN_COPY, flags),
            &mut l
        )));
        ok(ze!(zeCommandListDestroy(l)));
    }
    // IN_ORDER, EXP_CLONEABLE and COPY_OFFLOAD_HINT (API 1.7+), whatever the headers.
    for flags in [8, 16, 32, 63] {
        l = null_mut();
        accepted_newer_flags(ze!(zeCommandListCreate(
            ctx,
            device(),
            &desc(MAIN_COPY, flags),
            &mut l
        )));
        if !l.is_null() {
            ok(ze!(zeCommandListDestroy(l)));
        }
    }
    assert_rc(
        ze!(zeCommandListCreate(ctx, device(), &desc(0, 64), &mut l)),
        INVALID_ENUMERATION,
    );
    assert_rc(
        ze!(zeCommandListCreate(ctx, device(), &desc(3, 0), &mut l)),
        INVALID_ARGUMENT,
    );
    assert_rc(
        ze!(zeCommandListCreate(ctx, device(), std::ptr::null(), &mut l)),
        NULL_POINTER,
    );
    assert_rc(
        ze!(zeCommandListCreate(ctx, device(), &desc(0, 0), null_mut())),
        NULL_POINTER,
    );
}

/// A regular list copying `src` to `dst` (`len` bytes), closed.
fn copy_list(
    ordinal: u32,
    dst: *mut std::ffi::c_void,
    src: *const std::ffi::c_void,
    len: usize,
) -> ze_command_list_handle_t {
    let list = regular(ordinal);
    ok(ze!(zeCommandListAppendMemoryCopy(
        list,
        dst,
        src,
        len,
        no_event(),
        0,
        none()
    )));
    ok(ze!(zeCommandListClose(list)));
    list
}

#[test]
fn a_closed_list_runs_on_a_queue_and_can_run_again_after_changes_to_its_source() {
    let len = 3000;
    let (src, dst) = (alloc_host(len), alloc_device(len));
    let list = copy_list(MAIN_COPY, dst, src, len);
    let q = queue(MAIN_COPY, ASYNC);
    for round in 0..3u8 {
        let data = bytes(len, round);
        // SAFETY: host USM, `len` bytes.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), src.cast::<u8>(), len) };
        let mut lists = [list];
        ok(ze!(zeCommandQueueExecuteCommandLists(
            q,
            1,
            lists.as_mut_ptr(),
            null_mut()
        )));
        ok(ze!(zeCommandQueueSynchronize(q, u64::MAX)));
        assert_eq!(download(dst, len), data, "round {round}");
    }
    // Reset, record something else, run it.
    ok(ze!(zeCommandListReset(list)));
    let pattern = [0x5Au8; 2];
    ok(ze!(zeCommandListAppendMemoryFill(
        list,
        dst,
        pattern.as_ptr().cast(),
        2,
        len,
        no_event(),
        0,
        none()
    )));
    ok(ze!(zeCommandListClose(list)));
    let mut lists = [list];
    ok(ze!(zeCommandQueueExecuteCommandLists(
        q,
        1,
        lists.as_mut_ptr(),
        null_mut()
    )));
    ok(ze!(zeCommandQueueSynchronize(q, u64::MAX)));
    assert_eq!(download(dst, len), vec![0x5A; len]);
    ok(ze!(zeCommandQueueDestroy(q)));
    ok(ze!(zeCommandListDestroy(list)));
    free(src);
    free(dst);
}

#[test]
fn several_lists_of_one_submission_run_in_order() {
    let len = 512;
    let (a, b, c) = (alloc_device(len), alloc_device(len), alloc_device(len));
    let data = bytes(len, 3);
    upload(a, &data);
    let first = copy_list(COMPUTE, b, a, len);
    let second = copy_list(COMPUTE, c, b, len);
    let q = queue(COMPUTE, ASYNC);
    let mut lists = [first, second];
    ok(ze!(zeCommandQueueExecuteCommandLists(
        q,
        2,
        lists.as_mut_ptr(),
        null_mut()
    )));
    ok(ze!(zeCommandQueueSynchronize(q, u64::MAX)));
    assert_eq!(download(c, len), data);
    ok(ze!(zeCommandQueueDestroy(q)));
    for l in lists {
        ok(ze!(zeCommandListDestroy(l)));
    }
    for p in [a, b, c] {
        free(p);
    }
}

#[test]
fn a_synchronous_queue_has_finished_when_execute_returns() {
    let len = 4096;
    let (src, dst) = (alloc_host(len), alloc_shared(len));
    let data = bytes(len, 11);
    // SAFETY: host USM, `len` bytes.
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), src.cast::<u8>(), len) };
    let list = copy_list(COMPUTE, dst, src, len);
    let q = queue(COMPUTE, SYNC);
    let mut lists = [list];
    ok(ze!(zeCommandQueueExecuteCommandLists(
        q,
        1,
        lists.as_mut_ptr(),
        null_mut()
    )));
    // SAFETY: shared USM, `len` bytes, written by the finished copy.
    let got = unsafe { std::slice::from_raw_parts(dst.cast::<u8>(), len) };
    assert!(got == &data[..]);
    ok(ze!(zeCommandQueueDestroy(q)));
    ok(ze!(zeCommandListDestroy(list)));
    free(src);
    free(dst);
}

#[test]
fn misuse_of_lists_and_queues_answers_the_specification_codes() {
    let buf = alloc_device(64);
    let src = alloc_host(64);
    let q = queue(COMPUTE, ASYNC);
    // An open list cannot run.
    let open = regular(COMPUTE);
    let mut lists = [open];
    assert_rc(
        ze!(zeCommandQueueExecuteCommandLists(
            q,
            1,
            lists.as_mut_ptr(),
            null_mut()
        )),
        INVALID_ARGUMENT,
    );
    // A closed list takes no more commands (closing twice is fine).
    ok(ze!(zeCommandListClose(open)));
    ok(ze!(zeCommandListClose(open)));
    assert_rc(
        ze!(zeCommandListAppendMemoryCopy(
            open,
            buf,
            src,
            64,
            no_event(),
            0,
            none()
        )),
        INVALID_ARGUMENT,
    );
    assert_rc(
        ze!(zeCommandListAppendBarrier(open, no_event(), 0, none())),
        INVALID_ARGUMENT,
    );
    // Immediate lists and lists of another ordinal are the wrong type for this queue.
    let imm = immediate(COMPUTE, ASYNC);
    let mut lists = [imm];
    assert_rc(
        ze!(zeCommandQueueExecuteCommandLists(
            q,
            1,
            lists.as_mut_ptr(),
            null_mut()
        )),
        ze_result_t::ZE_RESULT_ERROR_INVALID_COMMAND_LIST_TYPE,
    );
    let copy_only = copy_list(MAIN_COPY, buf, src, 64);
    let mut lists = [open, copy_only];
    assert_rc(
        ze!(zeCommandQueueExecuteCommandLists(
            q,
            2,
            lists.as_mut_ptr(),
            null_mut()
        )),
        ze_result_t::ZE_RESULT_ERROR_INVALID_COMMAND_LIST_TYPE,
    );
    assert_rc(
        ze!(zeCommandQueueExecuteCommandLists(
            q,
            0,
            lists.as_mut_ptr(),
            null_mut()
        )),
        INVALID_SIZE,
    );
    assert_rc(
        ze!(zeCommandQueueExecuteCommandLists(
            q,
            1,
            null_mut(),
            null_mut()
        )),
        NULL_POINTER,
    );
    assert_rc(
        ze!(zeCommandQueueExecuteCommandLists(
            null_mut(),
            1,
            lists.as_mut_ptr(),
            null_mut()
        )),
        NULL_HANDLE,
    );
    // Close and reset of an immediate list are accepted.
    ok(ze!(zeCommandListClose(imm)));
    ok(ze!(zeCommandListReset(imm)));
    ok(ze!(zeCommandQueueSynchronize(q, 0)));
    assert_rc(ze!(zeCommandQueueSynchronize(null_mut(), 0)), NULL_HANDLE);
    assert_rc(ze!(zeCommandListDestroy(null_mut())), NULL_HANDLE);
    assert_rc(ze!(zeCommandListClose(null_mut())), NULL_HANDLE);
    assert_rc(ze!(zeCommandListReset(null_mut())), NULL_HANDLE);
    for l in [open, imm, copy_only] {
        ok(ze!(zeCommandListDestroy(l)));
    }
    ok(ze!(zeCommandQueueDestroy(q)));
    free(buf);
    free(src);
}

fn fence(q: ze_command_queue_handle_t, flags: u32) -> ze_fence_handle_t {
    let desc = ze_fence_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_FENCE_DESC,
        flags,
        ..Default::default()
    };
    let mut f = null_mut();
    ok(ze!(zeFenceCreate(q, &desc, &mut f)));
    f
}

#[test]
fn fences_signal_when_their_submission_ends_and_can_be_reset() {
    let len = 1000;
    let (src, dst) = (alloc_host(len), alloc_device(len));
    let q = queue(MAIN_COPY, ASYNC);
    let f = fence(q, 0);
    assert_rc(ze!(zeFenceQueryStatus(f)), NOT_READY);
    assert_rc(ze!(zeFenceHostSynchronize(f, 0)), NOT_READY);
    assert_rc(ze!(zeFenceHostSynchronize(f, 1_000_000)), NOT_READY);
    // Never submitted: nothing can signal it, so even an infinite wait answers at once.
    assert_rc(ze!(zeFenceHostSynchronize(f, u64::MAX)), NOT_READY);
    let data = bytes(len, 21);
    // SAFETY: host USM, `len` bytes.
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), src.cast::<u8>(), len) };
    let list = copy_list(MAIN_COPY, dst, src, len);
    let mut lists = [list];
    ok(ze!(zeCommandQueueExecuteCommandLists(
        q,
        1,
        lists.as_mut_ptr(),
        f
    )));
    ok(ze!(zeFenceHostSynchronize(f, u64::MAX)));
    ok(ze!(zeFenceQueryStatus(f)));
    assert_eq!(download(dst, len), data);
    ok(ze!(zeFenceReset(f)));
    assert_rc(ze!(zeFenceQueryStatus(f)), NOT_READY);
    // Reuse after reset.
    ok(ze!(zeCommandQueueExecuteCommandLists(
        q,
        1,
        lists.as_mut_ptr(),
        f
    )));
    ok(ze!(zeFenceHostSynchronize(f, u64::MAX)));
    // Created signaled.
    let pre = fence(q, ze_fence_flag_t::ZE_FENCE_FLAG_SIGNALED.0);
    ok(ze!(zeFenceQueryStatus(pre)));
    ok(ze!(zeFenceHostSynchronize(pre, u64::MAX)));
    // A fence of another queue.
    let q2 = queue(MAIN_COPY, ASYNC);
    assert_rc(
        ze!(zeCommandQueueExecuteCommandLists(
            q2,
            1,
            lists.as_mut_ptr(),
            f
        )),
        ze_result_t::ZE_RESULT_ERROR_INVALID_SYNCHRONIZATION_OBJECT,
    );
    // Descriptor errors.
    let bad = ze_fence_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_FENCE_DESC,
        flags: 2,
        ..Default::default()
    };
    let mut out = null_mut();
    assert_rc(ze!(zeFenceCreate(q, &bad, &mut out)), INVALID_ENUMERATION);
    assert_rc(
        ze!(zeFenceCreate(q, std::ptr::null(), &mut out)),
        NULL_POINTER,
    );
    assert_rc(ze!(zeFenceCreate(null_mut(), &bad, &mut out)), NULL_HANDLE);
    for x in [f, pre] {
        ok(ze!(zeFenceDestroy(x)));
    }
    ok(ze!(zeCommandQueueDestroy(q)));
    ok(ze!(zeCommandQueueDestroy(q2)));
    ok(ze!(zeCommandListDestroy(list)));
    free(src);
    free(dst);
}

#[test]
fn queues_fences_and_contexts_in_use_cannot_be_destroyed_until_the_work_ends() {
    let len = 256;
    let (src, dst) = (alloc_host(len), alloc_device(len));
    let pool = event_pool(HOST_VISIBLE, 3);
    let (gate, done, imm_done) = (event(pool, 0), event(pool, 1), event(pool, 2));
    // A regular list on a queue, held back by `gate`.
    let list = regular(COMPUTE);
    let mut wait = [gate];
    ok(ze!(zeCommandListAppendMemoryCopy(
        list,
        dst,
        src,
        len,
        done,
        1,
        wait.as_mut_ptr()
    )));
    ok(ze!(zeCommandListClose(list)));
    let q = queue(COMPUTE, ASYNC);
    let f = fence(q, 0);
    let mut lists = [list];
    ok(ze!(zeCommandQueueExecuteCommandLists(
        q,
        1,
        lists.as_mut_ptr(),
        f
    )));
    // An asynchronous immediate list, held back by the same gate.
    let imm = immediate(MAIN_COPY, ASYNC);
    ok(ze!(zeCommandListAppendBarrier(
        imm,
        imm_done,
        1,
        wait.as_mut_ptr()
    )));
    assert_rc(ze!(zeCommandQueueSynchronize(q, 0)), NOT_READY);
    assert_rc(ze!(zeCommandQueueSynchronize(q, 1_000_000)), NOT_READY);
    assert_rc(ze!(zeFenceHostSynchronize(f, 1_000_000)), NOT_READY);
    assert_rc(ze!(zeCommandQueueDestroy(q)), IN_USE);
    assert_rc(ze!(zeCommandListReset(list)), IN_USE);
    assert_rc(ze!(zeFenceDestroy(f)), IN_USE);
    assert_rc(ze!(zeContextDestroy(env().ctx)), IN_USE);
    // Lists may go while their work waits, as in Intel's driver: the work still runs.
    ok(ze!(zeCommandListDestroy(list)));
    ok(ze!(zeCommandListDestroy(imm)));
    assert_rc(ze!(zeCommandListReset(list)), INVALID_ARGUMENT);
    // A pool whose events live cannot go.
    assert_rc(ze!(zeEventPoolDestroy(pool)), IN_USE);
    // Release the gate: everything finishes, and every destroy then succeeds at once.
    ok(ze!(zeEventHostSignal(gate)));
    ok(ze!(zeFenceHostSynchronize(f, u64::MAX)));
    ok(ze!(zeEventHostSynchronize(imm_done, u64::MAX)));
    ok(ze!(zeEventQueryStatus(done)));
    ok(ze!(zeFenceDestroy(f)));
    ok(ze!(zeCommandQueueDestroy(q)));
    for e in [gate, done, imm_done] {
        ok(ze!(zeEventDestroy(e)));
    }
    ok(ze!(zeEventPoolDestroy(pool)));
    free(src);
    free(dst);
}

#[test]
fn a_list_of_another_context_runs_on_a_queue() {
    // Intel's driver executes a regular list on a queue of another context of the driver
    // (Intel's conformance suite does so from several threads).
    let other = new_context();
    let desc = ze_command_list_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_COMMAND_LIST_DESC,
        commandQueueGroupOrdinal: COMPUTE,
        ..Default::default()
    };
    let mut list = null_mut();
    ok(ze!(zeCommandListCreate(other, device(), &desc, &mut list)));
    let src = alloc_host(64);
    let dst = alloc_host(64);
    let data = bytes(64, 9);
    upload(src, &data);
    ok(ze!(zeCommandListAppendMemoryCopy(
        list,
        dst,
        src,
        64,
        no_event(),
        0,
        none()
    )));
    ok(ze!(zeCommandListClose(list)));
    let q = queue(COMPUTE, SYNC);
    ok(ze!(zeCommandQueueExecuteCommandLists(
        q,
        1,
        &mut list,
        null_mut()
    )));
    assert_eq!(download(dst, 64), data);
    ok(ze!(zeCommandListDestroy(list)));
    ok(ze!(zeCommandQueueDestroy(q)));
    free(src);
    free(dst);
    ok(ze!(zeContextDestroy(other)));
}

#[test]
fn lists_and_events_in_use_may_be_destroyed_and_the_work_still_runs() {
    // As in Intel's driver (Intel's conformance suite destroys them right after appends).
    let pool = event_pool(HOST_VISIBLE, 2);
    let (gate, done) = (event(pool, 0), event(pool, 1));
    let (src, dst) = (alloc_host(64), alloc_host(64));
    let data = bytes(64, 4);
    upload(src, &data);
    let imm = immediate(MAIN_COPY, ASYNC);
    let mut wait = [gate];
    ok(ze!(zeCommandListAppendMemoryCopy(
        imm,
        dst,
        src,
        64,
        done,
        1,
        wait.as_mut_ptr()
    )));
    ok(ze!(zeEventDestroy(done)));
    ok(ze!(zeCommandListDestroy(imm)));
    ok(ze!(zeEventHostSignal(gate)));
    // The copy runs to its end although its list and signal event are gone.
    let waited = std::time::Instant::now();
    while download(dst, 64) != data {
        assert!(waited.elapsed().as_secs() < 30, "the copy never ran");
        std::thread::yield_now();
    }
    ok(ze!(zeEventDestroy(gate)));
    ok(ze!(zeEventPoolDestroy(pool)));
    free(src);
    free(dst);
}

/// The niceness of every worker thread of the driver (named `ze-soft-engine`).
fn worker_niceness() -> Vec<i32> {
    let mut nice = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").expect("/proc/self/task") {
        let dir = task.expect("a task").path();
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if comm.trim() != "ze-soft-engine" {
            continue;
        }
        // Field 19 of `stat`, counted after the parenthesised command name.
        let Ok(stat) = std::fs::read_to_string(dir.join("stat")) else {
            continue; // the thread ended meanwhile
        };
        let after = &stat[stat.rfind(')').expect("stat has a command name") + 2..];
        let field: i32 = after.split(' ').nth(16).unwrap().parse().unwrap();
        nice.push(field);
    }
    nice
}

#[test]
fn queue_priorities_set_the_niceness_of_their_worker_threads() {
    let pool = event_pool(HOST_VISIBLE, 2);
    let gates = [event(pool, 0), event(pool, 1)];
    let mut made = Vec::new();
    for (priority, gate) in [
        (
            ze_command_queue_priority_t::ZE_COMMAND_QUEUE_PRIORITY_PRIORITY_LOW,
            gates[0],
        ),
        (
            ze_command_queue_priority_t::ZE_COMMAND_QUEUE_PRIORITY_PRIORITY_HIGH,
            gates[1],
        ),
    ] {
        let mut desc = queue_desc(MAIN_COPY, ASYNC);
        desc.priority = priority;
        let mut list = null_mut();
        ok(ze!(zeCommandListCreateImmediate(
            env().ctx,
            device(),
            &desc,
            &mut list
        )));
        // A barrier held back by the gate keeps the worker thread alive.
        let mut wait = gate;
        ok(ze!(zeCommandListAppendBarrier(
            list,
            no_event(),
            1,
            &mut wait
        )));
        made.push(list);
    }
    // The worker threads start with their first job and set their niceness first.
    let started = std::time::Instant::now();
    let expected_high = if running_as_root() { -5 } else { 0 };
    loop {
        let nice = worker_niceness();
        if nice.contains(&10) && nice.contains(&expected_high) {
            break;
        }
        assert!(
            started.elapsed().as_secs() < 30,
            "no low (10) and high ({expected_high}) worker among {nice:?}"
        );
        std::thread::yield_now();
    }
    for gate in gates {
        ok(ze!(zeEventHostSignal(gate)));
    }
    // Destroying the lists waits for nothing; their workers finish the barriers.
    for list in made {
        ok(ze!(zeCommandListDestroy(list)));
    }
}

/// Whether the tests run as root (who may raise a thread's priority).
fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}
