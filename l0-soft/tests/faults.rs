//! Fault injection for copies and fills (`ZE_SOFT_FAIL_COPY*`), through the real loader.
//!
//! The variables are read once per process, so each test runs itself again in a child
//! process with the variable set (the child sees `FAULT_TEST_CHILD` and plays its part);
//! the parent checks that the child's test passed.

#[macro_use]
mod support;

use std::ffi::c_void;
use std::process::Command;
use std::ptr::null_mut;

use support::*;

const CHILD: &str = "FAULT_TEST_CHILD";

fn in_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

/// Runs test `name` of this binary in a child process with `vars` set.
fn run_in_child(name: &str, vars: &[(&str, &str)]) {
    let exe = std::env::current_exe().expect("test binary path");
    let out = Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .envs(vars.iter().copied())
        .output()
        .expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child {name} failed:\n{stdout}\n{stderr}"
    );
}

const OUT_OF_DEVICE_MEMORY: ze_result_t = ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY;

fn host_bytes(p: *mut c_void, len: usize) -> Vec<u8> {
    // SAFETY: host or shared USM of at least `len` bytes, not written by the device now.
    unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) }.to_vec()
}

fn set_host(p: *mut c_void, data: &[u8]) {
    // SAFETY: host or shared USM of at least `data.len()` bytes.
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), p.cast::<u8>(), data.len()) };
}

#[test]
fn the_nth_copy_or_fill_append_is_refused_and_records_nothing() {
    if !in_child() {
        return run_in_child(
            "the_nth_copy_or_fill_append_is_refused_and_records_nothing",
            &[("ZE_SOFT_FAIL_COPY", "3")],
        );
    }
    let len = 64;
    let (src, dst) = (alloc_host(len), alloc_shared(len));
    set_host(src, &bytes(len, 1));
    set_host(dst, &[0u8; 64]);
    let list = immediate(COMPUTE, SYNC);
    let copy = || {
        ze!(zeCommandListAppendMemoryCopy(
            list,
            dst,
            src,
            len,
            no_event(),
            0,
            none()
        ))
    };
    let one = [9u8];
    let fill = || {
        ze!(zeCommandListAppendMemoryFill(
            list,
            dst,
            one.as_ptr().cast(),
            1,
            len,
            no_event(),
            0,
            none()
        ))
    };
    ok(copy()); // 1
    ok(fill()); // 2
    set_host(dst, &[0u8; 64]);
    assert_rc(copy(), OUT_OF_DEVICE_MEMORY); // 3
    assert_eq!(host_bytes(dst, len), vec![0u8; len], "nothing ran");
    ok(copy()); // 4
    assert_eq!(host_bytes(dst, len), bytes(len, 1));
    // Appends that failed validation are not counted, and other commands never fail.
    ok(ze!(zeCommandListAppendBarrier(list, no_event(), 0, none())));
    ok(ze!(zeCommandListDestroy(list)));
}

#[test]
fn every_nth_copy_append_is_refused() {
    if !in_child() {
        return run_in_child(
            "every_nth_copy_append_is_refused",
            &[("ZE_SOFT_FAIL_COPY_EVERY", "2")],
        );
    }
    let (src, dst) = (alloc_host(16), alloc_host(16));
    let list = regular(MAIN_COPY);
    let results: Vec<ze_result_t> = (0..6)
        .map(|_| {
            ze!(zeCommandListAppendMemoryCopy(
                list,
                dst,
                src,
                16,
                no_event(),
                0,
                none()
            ))
        })
        .collect();
    let o = OUT_OF_DEVICE_MEMORY;
    assert_eq!(results, [SUCCESS, o, SUCCESS, o, SUCCESS, o]);
    ok(ze!(zeCommandListDestroy(list)));
}

#[test]
fn the_nth_copy_to_run_fails_on_its_event_and_the_work_behind_it_fails_too() {
    if !in_child() {
        return run_in_child(
            "the_nth_copy_to_run_fails_on_its_event_and_the_work_behind_it_fails_too",
            &[("ZE_SOFT_FAIL_COPY_COMPLETION", "2")],
        );
    }
    let len = 128;
    let src = alloc_host(len);
    let (d1, d2, d3) = (alloc_shared(len), alloc_shared(len), alloc_shared(len));
    set_host(src, &bytes(len, 5));
    for d in [d1, d2, d3] {
        set_host(d, &[0u8; 128]);
    }
    let pool = event_pool(HOST_VISIBLE, 4);
    let (e1, e2, e3, e4) = (
        event(pool, 0),
        event(pool, 1),
        event(pool, 2),
        event(pool, 3),
    );
    let list = immediate(COMPUTE, ASYNC);
    ok(ze!(zeCommandListAppendMemoryCopy(
        list,
        d1,
        src,
        len,
        e1,
        0,
        none()
    )));
    ok(ze!(zeCommandListAppendMemoryCopy(
        list,
        d2,
        src,
        len,
        e2,
        0,
        none()
    )));
    let mut w = [e2];
    ok(ze!(zeCommandListAppendMemoryCopy(
        list,
        d3,
        src,
        len,
        e3,
        1,
        w.as_mut_ptr()
    )));
    // Independent work after the failure still runs.
    ok(ze!(zeCommandListAppendBarrier(list, e4, 0, none())));
    ok(ze!(zeEventHostSynchronize(e1, u64::MAX)));
    assert_rc(ze!(zeEventHostSynchronize(e2, u64::MAX)), DEVICE_LOST);
    assert_rc(ze!(zeEventQueryStatus(e2)), DEVICE_LOST);
    assert_rc(ze!(zeEventHostSynchronize(e3, u64::MAX)), DEVICE_LOST);
    ok(ze!(zeEventHostSynchronize(e4, u64::MAX)));
    assert_eq!(host_bytes(d1, len), bytes(len, 5));
    assert_eq!(
        host_bytes(d2, len),
        vec![0u8; len],
        "the failed copy wrote nothing"
    );
    assert_eq!(
        host_bytes(d3, len),
        vec![0u8; len],
        "the dependent copy did not run"
    );
    // A reset clears the failure.
    ok(ze!(zeEventHostReset(e2)));
    assert_rc(ze!(zeEventQueryStatus(e2)), NOT_READY);
    ok(ze!(zeCommandListDestroy(list)));
    for e in [e1, e2, e3, e4] {
        ok(ze!(zeEventDestroy(e)));
    }
    ok(ze!(zeEventPoolDestroy(pool)));
}

#[test]
fn failed_completions_reach_fences_queue_synchronize_and_synchronous_appends() {
    if !in_child() {
        return run_in_child(
            "failed_completions_reach_fences_queue_synchronize_and_synchronous_appends",
            &[("ZE_SOFT_FAIL_COPY_COMPLETION_EVERY", "1")],
        );
    }
    let (src, dst) = (alloc_host(32), alloc_host(32));
    // Synchronous immediate list: the append answers the failure.
    let imm = immediate(MAIN_COPY, SYNC);
    assert_rc(
        ze!(zeCommandListAppendMemoryCopy(
            imm,
            dst,
            src,
            32,
            no_event(),
            0,
            none()
        )),
        DEVICE_LOST,
    );
    let one = [1u8];
    assert_rc(
        ze!(zeCommandListAppendMemoryFill(
            imm,
            dst,
            one.as_ptr().cast(),
            1,
            32,
            no_event(),
            0,
            none()
        )),
        DEVICE_LOST,
    );
    // Asynchronous queue with a fence: the fence and the next synchronize report it once.
    let list = regular(COMPUTE);
    ok(ze!(zeCommandListAppendMemoryCopy(
        list,
        dst,
        src,
        32,
        no_event(),
        0,
        none()
    )));
    ok(ze!(zeCommandListClose(list)));
    let q = queue(COMPUTE, ASYNC);
    let desc = ze_fence_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_FENCE_DESC,
        ..Default::default()
    };
    let mut f = null_mut();
    ok(ze!(zeFenceCreate(q, &desc, &mut f)));
    let mut lists = [list];
    ok(ze!(zeCommandQueueExecuteCommandLists(
        q,
        1,
        lists.as_mut_ptr(),
        f
    )));
    assert_rc(ze!(zeFenceHostSynchronize(f, u64::MAX)), DEVICE_LOST);
    assert_rc(ze!(zeCommandQueueSynchronize(q, u64::MAX)), DEVICE_LOST);
    ok(ze!(zeCommandQueueSynchronize(q, u64::MAX)));
    // Synchronous queue: execute answers it.
    let sq = queue(COMPUTE, SYNC);
    assert_rc(
        ze!(zeCommandQueueExecuteCommandLists(
            sq,
            1,
            lists.as_mut_ptr(),
            null_mut()
        )),
        DEVICE_LOST,
    );
    // ... and only there.
    ok(ze!(zeCommandQueueSynchronize(sq, u64::MAX)));
    ok(ze!(zeFenceDestroy(f)));
    ok(ze!(zeCommandQueueDestroy(q)));
    ok(ze!(zeCommandQueueDestroy(sq)));
    ok(ze!(zeCommandListDestroy(list)));
    ok(ze!(zeCommandListDestroy(imm)));
}
