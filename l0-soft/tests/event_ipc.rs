//! Event pools shared between processes (`ZE_EVENT_POOL_FLAG_IPC`), through the real
//! loader: a parent test and child processes of this binary ([`child::run`], on a thread
//! while the parent works) open each other's pools from plain-byte handles and signal,
//! wait, query and reset each other's events from the host and from commands.
//!
//! A handle goes to a child in `IPC_HANDLE` (hex); a child that exports sends its handle
//! back through a [`child::Handoff`]. The parent tests take
//! [`serial`] one at a time: some count this process's descriptors.

use std::ptr::null_mut;

use usm_test_kit::child::{self, spawn_on_thread};
use usm_test_kit::raw::work::*;

const IPC: u32 = ze_event_pool_flag_t::ZE_EVENT_POOL_FLAG_IPC.0;
/// A wait long enough for any other process to get there (30 s).
const LONG: u64 = 30_000_000_000;
const HANDLE_VAR: &str = "IPC_HANDLE";

fn hex(h: &ze_ipc_event_pool_handle_t) -> String {
    h.data.iter().map(|&c| format!("{:02x}", c as u8)).collect()
}

fn unhex(s: &str) -> ze_ipc_event_pool_handle_t {
    let mut h = ze_ipc_event_pool_handle_t::default();
    for (i, d) in h.data.iter_mut().enumerate() {
        *d = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex") as std::ffi::c_char;
    }
    h
}

/// The open descriptors of this process.
fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd").expect("/proc").count()
}

/// An IPC pool of `count` host-visible events (with `extra` flags) in the shared context.
fn ipc_pool(count: u32, extra: u32) -> ze_event_pool_handle_t {
    event_pool(IPC | HOST_VISIBLE | extra, count)
}

fn get_handle(pool: ze_event_pool_handle_t) -> ze_ipc_event_pool_handle_t {
    let mut h = ze_ipc_event_pool_handle_t::default();
    ok(ze!(zeEventPoolGetIpcHandle(pool, &mut h)));
    h
}

fn open(h: ze_ipc_event_pool_handle_t) -> (ze_result_t, ze_event_pool_handle_t) {
    let mut pool = null_mut();
    let rc = ze!(zeEventPoolOpenIpcHandle(env().ctx, h, &mut pool));
    (rc, pool)
}

fn opened(h: ze_ipc_event_pool_handle_t) -> ze_event_pool_handle_t {
    let (rc, pool) = open(h);
    ok(rc);
    pool
}

fn status(e: ze_event_handle_t) -> ze_result_t {
    ze!(zeEventQueryStatus(e))
}

/// Destroys `events`, then their pool (closes it when `opened`).
fn release(events: &[ze_event_handle_t], pool: ze_event_pool_handle_t, opened: bool) {
    for &e in events {
        ok(ze!(zeEventDestroy(e)));
    }
    if opened {
        ok(ze!(zeEventPoolCloseIpcHandle(pool)));
    } else {
        ok(ze!(zeEventPoolDestroy(pool)));
    }
}

/// The handle the environment names (in a child).
fn handle_from_env() -> ze_ipc_event_pool_handle_t {
    unhex(&std::env::var(HANDLE_VAR).expect("IPC_HANDLE is set by the parent"))
}

#[test]
fn host_signals_and_resets_cross_between_processes_both_ways() {
    let _serial = serial();
    let pool = ipc_pool(4, 0);
    let (ready, reply) = (event(pool, 0), event(pool, 1));
    let h = get_handle(pool);
    let child = spawn_on_thread(
        "children::host_signal_then_wait",
        vec![(HANDLE_VAR.into(), hex(&h))],
    );
    // The child signals `ready` from its host.
    assert_rc(ze!(zeEventHostSynchronize(ready, LONG)), SUCCESS);
    assert_rc(status(ready), SUCCESS);
    // It waits for `reply`, then resets both.
    ok(ze!(zeEventHostSignal(reply)));
    child.join().expect("the child passed");
    assert_rc(status(reply), NOT_READY);
    assert_rc(status(ready), NOT_READY);
    release(&[ready, reply], pool, false);
}

#[test]
fn commands_of_each_process_wait_for_and_signal_the_others_events() {
    let _serial = serial();
    let pool = ipc_pool(4, TIMESTAMPS);
    let e: Vec<_> = (0..4).map(|i| event(pool, i)).collect();
    let h = get_handle(pool);
    let child = spawn_on_thread(
        "children::commands_wait_and_signal",
        vec![(HANDLE_VAR.into(), hex(&h))],
    );
    // The child appends a barrier waiting for e0 and signaling e1, then signals e2.
    assert_rc(ze!(zeEventHostSynchronize(e[2], LONG)), SUCCESS);
    // Its command waits for e0, which nobody signaled yet.
    assert_rc(ze!(zeEventHostSynchronize(e[1], 50_000_000)), NOT_READY);
    // This process's command waits for the child's e1 and signals e3.
    let list = immediate(MAIN_COPY, ASYNC);
    let mut wait = e[1];
    ok(ze!(zeCommandListAppendBarrier(list, e[3], 1, &mut wait)));
    ok(ze!(zeEventHostSignal(e[0])));
    assert_rc(ze!(zeEventHostSynchronize(e[3], LONG)), SUCCESS);
    assert_rc(status(e[1]), SUCCESS);
    // The child's command stamped e1 through the shared memory.
    let mut ts = ze_kernel_timestamp_result_t::default();
    ok(ze!(zeEventQueryKernelTimestamp(e[1], &mut ts)));
    assert!(ts.global.kernelStart > 0 && ts.global.kernelEnd >= ts.global.kernelStart);
    child.join().expect("the child passed");
    ok(ze!(zeCommandListDestroy(list)));
    release(&e, pool, false);
}

#[test]
fn a_child_exports_and_its_events_outlive_its_exit_here() {
    let _serial = serial();
    let handoff = child::Handoff::new("event-pool");
    let child = spawn_on_thread("children::export_and_exit", vec![handoff.env()]);
    let h = unhex(&handoff.receive());
    // The driver is up before descriptors are counted.
    env();
    let before = fd_count();
    let pool = opened(h);
    // The opened pool holds no descriptor.
    assert_eq!(fd_count(), before);
    let (go, done) = (event(pool, 0), event(pool, 1));
    let list = immediate(MAIN_COPY, ASYNC);
    ok(ze!(zeCommandListAppendSignalEvent(list, go)));
    assert_rc(ze!(zeEventHostSynchronize(done, LONG)), SUCCESS);
    child.join().expect("the child passed");
    // (The child's output pipes are closed now.)
    let before = fd_count();
    // The exporter is gone: its events still answer here, and work here still uses them.
    assert_rc(status(done), SUCCESS);
    ok(ze!(zeEventHostReset(done)));
    assert_rc(status(done), NOT_READY);
    let mut wait = go;
    ok(ze!(zeCommandListAppendBarrier(list, done, 1, &mut wait)));
    assert_rc(ze!(zeEventHostSynchronize(done, LONG)), SUCCESS);
    // Its handle opens no more.
    assert_rc(open(h).0, INVALID_ARGUMENT);
    ok(ze!(zeCommandListDestroy(list)));
    release(&[go, done], pool, true);
    assert_eq!(fd_count(), before);
}

#[test]
fn several_importers_wait_for_one_signal_and_each_answers() {
    let _serial = serial();
    const IMPORTERS: u32 = 3;
    let pool = ipc_pool(1 + IMPORTERS, 0);
    let go = event(pool, 0);
    let answers: Vec<_> = (1..=IMPORTERS).map(|i| event(pool, i)).collect();
    let h = get_handle(pool);
    let children: Vec<_> = (1..=IMPORTERS)
        .map(|i| {
            spawn_on_thread(
                "children::wait_then_answer",
                vec![
                    (HANDLE_VAR.into(), hex(&h)),
                    ("IPC_INDEX".into(), i.to_string()),
                ],
            )
        })
        .collect();
    assert_rc(
        ze!(zeEventHostSynchronize(answers[0], 20_000_000)),
        NOT_READY,
    );
    ok(ze!(zeEventHostSignal(go)));
    for &a in &answers {
        assert_rc(ze!(zeEventHostSynchronize(a, LONG)), SUCCESS);
    }
    for c in children {
        c.join().expect("every importer passed");
    }
    ok(ze!(zeEventDestroy(go)));
    release(&answers, pool, false);
}

#[test]
fn forged_stale_and_unshareable_handles_are_refused_and_leak_no_descriptor() {
    let _serial = serial();
    // The driver is up before descriptors are counted.
    env();
    let start = fd_count();
    let pool = ipc_pool(2, 0);
    let h = get_handle(pool);
    let forge = |at: usize, value: u8| {
        let mut f = h;
        f.data[at] = (f.data[at] as u8 ^ value) as std::ffi::c_char;
        f
    };
    // The handle's layout: descriptors at 0..4 and 8..12, count at 16, pid at 20, magic
    // at 24, flags at 32, token at 40..56.
    let with_u32 = |at: usize, value: u32| {
        let mut f = h;
        for (i, b) in value.to_le_bytes().iter().enumerate() {
            f.data[at + i] = *b as std::ffi::c_char;
        }
        f
    };
    // Not a handle of this driver: zeros, random bytes, a wrong magic.
    assert_rc(
        open(ze_ipc_event_pool_handle_t::default()).0,
        INVALID_ARGUMENT,
    );
    let mut random = ze_ipc_event_pool_handle_t::default();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for d in random.data.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *d = x as u8 as std::ffi::c_char;
    }
    assert_rc(open(random).0, INVALID_ARGUMENT);
    assert_rc(open(forge(24, 1)).0, INVALID_ARGUMENT);
    // A process that does not exist.
    assert_rc(open(with_u32(20, 0x3fff_fff0)).0, INVALID_ARGUMENT);
    // Another descriptor of the exporter, which is no pool of this driver: standard
    // input, and a descriptor that is not open.
    for fd in [0u32, 100_000] {
        let both = {
            let mut f = with_u32(0, fd);
            f.data[8..12].copy_from_slice(&with_u32(8, fd).data[8..12]);
            f
        };
        assert_rc(open(both).0, INVALID_ARGUMENT);
        // As a descriptor of this process received through a socket (bytes 0..4 only).
        assert_rc(open(with_u32(0, fd)).0, INVALID_ARGUMENT);
    }
    // Another count, other flags, another token.
    for at in [16, 32, 40, 55] {
        assert_rc(open(forge(at, 0x40)).0, INVALID_ARGUMENT);
    }
    // The pool's memfd received as a descriptor of this process (as a socket passes it):
    // it opens, and the driver leaves that descriptor to its owner.
    let exported = i32::from_le_bytes(std::array::from_fn(|i| h.data[8 + i] as u8));
    // SAFETY: duplicating the exported descriptor, as a socket would hand it over.
    let received = unsafe { libc::dup(exported) };
    assert!(received >= 0);
    let by_socket = opened(with_u32(0, received as u32));
    ok(ze!(zeEventPoolCloseIpcHandle(by_socket)));
    // SAFETY: `received` is ours, and still open: the driver did not close it.
    assert_eq!(unsafe { libc::close(received) }, 0);
    // The real handle opens, in this process too; the opened pool cannot be exported.
    let same = opened(h);
    let mut again = ze_ipc_event_pool_handle_t::default();
    assert_rc(
        ze!(zeEventPoolGetIpcHandle(same, &mut again)),
        ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_FEATURE,
    );
    ok(ze!(zeEventPoolCloseIpcHandle(same)));
    // Closing twice: the handle names nothing any more.
    assert_rc(ze!(zeEventPoolCloseIpcHandle(same)), INVALID_ARGUMENT);
    // A pool without IPC has no handle, as in Intel's driver.
    let local = event_pool(HOST_VISIBLE, 1);
    assert_rc(
        ze!(zeEventPoolGetIpcHandle(local, &mut again)),
        ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_FEATURE,
    );
    ok(ze!(zeEventPoolDestroy(local)));
    // Null out-parameters.
    assert_rc(ze!(zeEventPoolGetIpcHandle(pool, null_mut())), NULL_POINTER);
    assert_rc(
        ze!(zeEventPoolOpenIpcHandle(env().ctx, h, null_mut())),
        NULL_POINTER,
    );
    // A destroyed pool's handle opens nothing, whatever now has its descriptor number.
    ok(ze!(zeEventPoolDestroy(pool)));
    let reuse = ipc_pool(2, 0);
    assert_rc(open(h).0, INVALID_ARGUMENT);
    ok(ze!(zeEventPoolDestroy(reuse)));
    assert_eq!(fd_count(), start);
}

#[test]
fn events_of_an_opened_pool_keep_their_state_and_new_exporter_events_start_unsignaled() {
    let _serial = serial();
    let pool = ipc_pool(2, 0);
    let e = event(pool, 0);
    ok(ze!(zeEventHostSignal(e)));
    let other = opened(get_handle(pool));
    // Created in the importer: already signaled, as the exporter left it.
    let seen = event(other, 0);
    assert_rc(status(seen), SUCCESS);
    ok(ze!(zeEventHostReset(seen)));
    assert_rc(status(e), NOT_READY);
    ok(ze!(zeEventHostSignal(seen)));
    ok(ze!(zeEventDestroy(e)));
    // A new event of the exporter at that index starts not signaled.
    let fresh = event(pool, 0);
    assert_rc(status(fresh), NOT_READY);
    assert_rc(status(seen), NOT_READY);
    // The importer's pool with a live event cannot close, as a pool cannot be destroyed.
    assert_rc(ze!(zeEventPoolCloseIpcHandle(other)), IN_USE);
    release(&[seen], other, true);
    release(&[fresh], pool, false);
}

#[test]
fn one_signal_wakes_every_thread_waiting_through_another_mapping() {
    let _serial = serial();
    let pool = ipc_pool(1, 0);
    let signal = event(pool, 0);
    let other = opened(get_handle(pool));
    let seen = event(other, 0);
    // Handles are plain numbers the driver accepts from any thread.
    let waited = seen as usize;
    let waiters: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || {
                ze!(zeEventHostSynchronize(waited as ze_event_handle_t, LONG))
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(20));
    ok(ze!(zeEventHostSignal(signal)));
    for w in waiters {
        assert_rc(w.join().expect("a waiter"), SUCCESS);
    }
    release(&[seen], other, true);
    release(&[signal], pool, false);
}

#[test]
fn a_failed_allocation_while_opening_leaves_nothing_behind() {
    let _serial = serial();
    child::run("children::fault_while_opening", &[] as &[(&str, &str)]);
}

/// `zeEventPoolPutIpcHandle` (API 1.6): each get is one reference; the last put closes
/// the exported descriptor, so the handle opens no more; opened pools stay usable. Puts
/// of handles this process did not export answer success, as in Intel's driver.
#[cfg(ze_api = "1.6")]
#[test]
fn putting_every_reference_back_retires_the_handle() {
    let _serial = serial();
    let put = |h| {
        // SAFETY: the shared context and a handle by value.
        unsafe { env().l.zeEventPoolPutIpcHandle(env().ctx, h) }
    };
    // A put of forged bytes answers success, as in Intel's driver. A loader older than API
    // 1.6 lacks the call.
    match put(ze_ipc_event_pool_handle_t::default()) {
        Ok(rc) => assert_rc(rc, SUCCESS),
        Err(missing) => {
            assert_eq!(missing.name, "zeEventPoolPutIpcHandle");
            eprintln!("note: the loader predates zeEventPoolPutIpcHandle (API 1.6); checked that it is a MissingFunction");
            return;
        }
    }
    let put = |h| put(h).expect("the loader has zeEventPoolPutIpcHandle");
    let start = fd_count();
    let pool = ipc_pool(1, 0);
    let e = event(pool, 0);
    let h = get_handle(pool);
    let h2 = get_handle(pool);
    assert_eq!(hex(&h), hex(&h2), "one exported descriptor per pool");
    ok(put(h));
    let opened_pool = opened(h);
    ok(put(h2));
    // Every reference is back: the handle opens no more.
    assert_rc(open(h).0, INVALID_ARGUMENT);
    // The pool opened before still shares the state.
    let seen = event(opened_pool, 0);
    ok(ze!(zeEventHostSignal(e)));
    assert_rc(status(seen), SUCCESS);
    // A retired handle's put changes nothing.
    ok(put(h));
    // A new get exports again.
    let third = opened(get_handle(pool));
    ok(ze!(zeEventPoolCloseIpcHandle(third)));
    release(&[seen], opened_pool, true);
    release(&[e], pool, false);
    assert_eq!(fd_count(), start);
}

mod children {
    //! The child halves: each opens or exports a pool and plays its part.

    use super::*;

    #[test]
    #[ignore = "child of event_ipc::host_signals_and_resets_cross_between_processes_both_ways"]
    fn host_signal_then_wait() {
        child::expect_child();
        let pool = opened(handle_from_env());
        let (ready, reply) = (event(pool, 0), event(pool, 1));
        ok(ze!(zeEventHostSignal(ready)));
        assert_rc(ze!(zeEventHostSynchronize(reply, LONG)), SUCCESS);
        ok(ze!(zeEventHostReset(reply)));
        ok(ze!(zeEventHostReset(ready)));
        release(&[ready, reply], pool, true);
    }

    #[test]
    #[ignore = "child of event_ipc::commands_of_each_process_wait_for_and_signal_the_others_events"]
    fn commands_wait_and_signal() {
        child::expect_child();
        let pool = opened(handle_from_env());
        let e: Vec<_> = (0..4).map(|i| event(pool, i)).collect();
        let list = immediate(MAIN_COPY, ASYNC);
        let mut wait = e[0];
        ok(ze!(zeCommandListAppendBarrier(list, e[1], 1, &mut wait)));
        ok(ze!(zeEventHostSignal(e[2])));
        // The parent's command, which waits for ours, signals e3.
        assert_rc(ze!(zeEventHostSynchronize(e[3], LONG)), SUCCESS);
        ok(ze!(zeCommandListDestroy(list)));
        release(&e, pool, true);
    }

    #[test]
    #[ignore = "child of event_ipc::a_child_exports_and_its_events_outlive_its_exit_here"]
    fn export_and_exit() {
        child::expect_child();
        let pool = ipc_pool(2, 0);
        let (go, done) = (event(pool, 0), event(pool, 1));
        child::Handoff::publish(&hex(&get_handle(pool)));
        // The parent's command signals `go`; ours then signals `done`, and we exit.
        let list = immediate(MAIN_COPY, ASYNC);
        let mut wait = go;
        ok(ze!(zeCommandListAppendBarrier(list, done, 1, &mut wait)));
        assert_rc(ze!(zeEventHostSynchronize(done, LONG)), SUCCESS);
        ok(ze!(zeCommandListDestroy(list)));
        release(&[go, done], pool, false);
    }

    #[test]
    #[ignore = "child of event_ipc::several_importers_wait_for_one_signal_and_each_answers"]
    fn wait_then_answer() {
        child::expect_child();
        let index: u32 = std::env::var("IPC_INDEX")
            .expect("IPC_INDEX")
            .parse()
            .expect("a number");
        let pool = opened(handle_from_env());
        let (go, answer) = (event(pool, 0), event(pool, index));
        assert_rc(ze!(zeEventHostSynchronize(go, LONG)), SUCCESS);
        ok(ze!(zeEventHostSignal(answer)));
        release(&[go, answer], pool, true);
    }

    #[test]
    #[ignore = "child of event_ipc::a_failed_allocation_while_opening_leaves_nothing_behind"]
    fn fault_while_opening() {
        child::expect_child();
        // The pool's shared memory is allocation 1, the first opening allocation 2.
        env_with(Config::Only(&[("ZE_SOFT_FAIL_ALLOC", "2")]));
        let pool = ipc_pool(1, 0);
        let h = get_handle(pool);
        let before = fd_count();
        let (rc, failed) = open(h);
        assert_rc(rc, ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY);
        assert!(failed.is_null());
        assert_eq!(fd_count(), before);
        let pool2 = opened(h);
        ok(ze!(zeEventPoolCloseIpcHandle(pool2)));
        assert_eq!(fd_count(), before);
        ok(ze!(zeEventPoolDestroy(pool)));
    }
}
