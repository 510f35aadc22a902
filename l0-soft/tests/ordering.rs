//! Ordering through the real loader: event chains across immediate lists and a queue,
//! barriers, in-order execution, and concurrent submission from many threads. Order is
//! proven by the data each step reads, never by sleeping.

use std::ffi::c_void;
use std::ptr::null_mut;

use usm_test_kit::raw::work::*;

#[test]
fn an_event_chain_across_two_immediate_lists_and_a_queue_runs_in_chain_order() {
    let len = 8192;
    let src = alloc_host(len);
    let (b1, b2, b3) = (alloc_device(len), alloc_device(len), alloc_device(len));
    for b in [b1, b2, b3] {
        upload(b, &vec![0u8; len]);
    }
    let data = bytes(len, 42);
    // SAFETY: host USM, `len` bytes.
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), src.cast::<u8>(), len) };
    let pool = event_pool(HOST_VISIBLE, 4);
    let (gate, e1, e2, e3) = (
        event(pool, 0),
        event(pool, 1),
        event(pool, 2),
        event(pool, 3),
    );
    // Submitted in reverse order of the chain; each link waits on the one before.
    let q = queue(COMPUTE, ASYNC);
    let last = regular(COMPUTE);
    let mut w = [e2];
    ok(ze!(zeCommandListAppendMemoryCopy(
        last,
        b3,
        b2,
        len,
        e3,
        1,
        w.as_mut_ptr()
    )));
    ok(ze!(zeCommandListClose(last)));
    let mut lists = [last];
    ok(ze!(zeCommandQueueExecuteCommandLists(
        q,
        1,
        lists.as_mut_ptr(),
        null_mut()
    )));
    let middle = immediate(MAIN_COPY, ASYNC);
    let mut w = [e1];
    // A barrier that waits on e1, then the copy it guards.
    ok(ze!(zeCommandListAppendBarrier(
        middle,
        no_event(),
        1,
        w.as_mut_ptr()
    )));
    ok(ze!(zeCommandListAppendMemoryCopy(
        middle,
        b2,
        b1,
        len,
        e2,
        0,
        none()
    )));
    let first = immediate(LINK_COPY, ASYNC);
    let mut w = [gate];
    ok(ze!(zeCommandListAppendMemoryCopy(
        first,
        b1,
        src,
        len,
        e1,
        1,
        w.as_mut_ptr()
    )));
    // Nothing can have run: the gate is closed.
    for e in [e1, e2, e3] {
        assert_rc(ze!(zeEventQueryStatus(e)), NOT_READY);
    }
    assert_eq!(download(b3, len), vec![0u8; len]);
    ok(ze!(zeEventHostSignal(gate)));
    ok(ze!(zeEventHostSynchronize(e3, u64::MAX)));
    // b3 holds the data only if b1 and then b2 were written before it was read.
    assert_eq!(download(b3, len), data);
    ok(ze!(zeCommandQueueSynchronize(q, u64::MAX)));
    ok(ze!(zeCommandQueueDestroy(q)));
    for l in [last, middle, first] {
        ok(ze!(zeCommandListDestroy(l)));
    }
    for e in [gate, e1, e2, e3] {
        ok(ze!(zeEventDestroy(e)));
    }
    ok(ze!(zeEventPoolDestroy(pool)));
    for p in [src, b1, b2, b3] {
        free(p);
    }
}

#[test]
fn commands_of_one_asynchronous_list_run_in_order() {
    // A chain of dependent copies on one list: each reads what the previous wrote.
    let len = 4096;
    let bufs: Vec<*mut c_void> = (0..6).map(|_| alloc_device(len)).collect();
    let data = bytes(len, 7);
    upload(bufs[0], &data);
    let list = immediate(COMPUTE, ASYNC);
    for w in bufs.windows(2) {
        ok(ze!(zeCommandListAppendMemoryCopy(
            list,
            w[1],
            w[0],
            len,
            no_event(),
            0,
            none()
        )));
    }
    // A fill of the first buffer after the chain must not reach the copies.
    let zero = [0u8];
    ok(ze!(zeCommandListAppendMemoryFill(
        list,
        bufs[0],
        zero.as_ptr().cast(),
        1,
        len,
        no_event(),
        0,
        none()
    )));
    let pool = event_pool(HOST_VISIBLE, 1);
    let done = event(pool, 0);
    ok(ze!(zeCommandListAppendBarrier(list, done, 0, none())));
    ok(ze!(zeEventHostSynchronize(done, u64::MAX)));
    assert_eq!(download(bufs[5], len), data);
    assert_eq!(download(bufs[0], len), vec![0u8; len]);
    ok(ze!(zeCommandListDestroy(list)));
    ok(ze!(zeEventDestroy(done)));
    ok(ze!(zeEventPoolDestroy(pool)));
    for b in bufs {
        free(b);
    }
}

#[test]
fn a_barrier_with_a_wait_list_holds_back_the_commands_behind_it() {
    let len = 1024;
    let (a, b) = (alloc_device(len), alloc_device(len));
    let data = bytes(len, 99);
    upload(a, &data);
    upload(b, &vec![1u8; len]);
    let pool = event_pool(HOST_VISIBLE, 3);
    let (gate, barrier_done, copied) = (event(pool, 0), event(pool, 1), event(pool, 2));
    let list = immediate(COMPUTE, ASYNC);
    let mut w = [gate];
    ok(ze!(zeCommandListAppendBarrier(
        list,
        barrier_done,
        1,
        w.as_mut_ptr()
    )));
    ok(ze!(zeCommandListAppendMemoryCopy(
        list,
        b,
        a,
        len,
        copied,
        0,
        none()
    )));
    assert_rc(ze!(zeEventQueryStatus(barrier_done)), NOT_READY);
    assert_rc(ze!(zeEventQueryStatus(copied)), NOT_READY);
    assert_eq!(download(b, len), vec![1u8; len]);
    ok(ze!(zeEventHostSignal(gate)));
    ok(ze!(zeEventHostSynchronize(copied, u64::MAX)));
    ok(ze!(zeEventQueryStatus(barrier_done)));
    assert_eq!(download(b, len), data);
    ok(ze!(zeCommandListDestroy(list)));
    for e in [gate, barrier_done, copied] {
        ok(ze!(zeEventDestroy(e)));
    }
    ok(ze!(zeEventPoolDestroy(pool)));
    free(a);
    free(b);
}

#[test]
fn a_synchronous_immediate_list_has_finished_when_the_append_returns() {
    let len = 777;
    let (dev, shared) = (alloc_device(len), alloc_shared(len));
    let data = bytes(len, 13);
    let list = immediate(COMPUTE, SYNC);
    ok(ze!(zeCommandListAppendMemoryCopy(
        list,
        dev,
        data.as_ptr().cast(),
        len,
        no_event(),
        0,
        none()
    )));
    ok(ze!(zeCommandListAppendMemoryCopy(
        list,
        shared,
        dev,
        len,
        no_event(),
        0,
        none()
    )));
    // SAFETY: shared USM, `len` bytes, written by the finished copy.
    let got = unsafe { std::slice::from_raw_parts(shared.cast::<u8>(), len) };
    assert!(got == &data[..]);
    ok(ze!(zeCommandListDestroy(list)));
    free(dev);
    free(shared);
}

#[test]
fn eight_threads_submit_concurrently_and_every_byte_lands() {
    const THREADS: usize = 8;
    const ROUNDS: usize = 20;
    let chunk = 4096;
    let dev = alloc_device(chunk * THREADS) as usize;
    let shared_queue = queue(COMPUTE, ASYNC) as usize;
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            std::thread::spawn(move || {
                let dev = dev as *mut c_void;
                // SAFETY: each thread owns its chunk of the device buffer.
                let mine = unsafe { dev.cast::<u8>().add(t * chunk) }.cast::<c_void>();
                let host = alloc_host(chunk);
                let back = alloc_host(chunk);
                let pool = event_pool(HOST_VISIBLE, 1);
                let done = event(pool, 0);
                let list = immediate(if t % 2 == 0 { COMPUTE } else { MAIN_COPY }, ASYNC);
                for round in 0..ROUNDS {
                    let data = bytes(chunk, (t * ROUNDS + round) as u8);
                    // SAFETY: host USM of `chunk` bytes, not in use by the device now.
                    unsafe {
                        std::ptr::copy_nonoverlapping(data.as_ptr(), host.cast::<u8>(), chunk)
                    };
                    if round % 2 == 0 {
                        ok(ze!(zeCommandListAppendMemoryCopy(
                            list,
                            mine,
                            host,
                            chunk,
                            no_event(),
                            0,
                            none()
                        )));
                        ok(ze!(zeCommandListAppendMemoryCopy(
                            list,
                            back,
                            mine,
                            chunk,
                            done,
                            0,
                            none()
                        )));
                        ok(ze!(zeEventHostSynchronize(done, u64::MAX)));
                    } else {
                        // Through the shared queue, with a fence-free regular list.
                        let l = regular(COMPUTE);
                        ok(ze!(zeCommandListAppendMemoryCopy(
                            l,
                            mine,
                            host,
                            chunk,
                            no_event(),
                            0,
                            none()
                        )));
                        ok(ze!(zeCommandListAppendMemoryCopy(
                            l,
                            back,
                            mine,
                            chunk,
                            done,
                            0,
                            none()
                        )));
                        ok(ze!(zeCommandListClose(l)));
                        let mut ls = [l];
                        ok(ze!(zeCommandQueueExecuteCommandLists(
                            shared_queue as ze_command_queue_handle_t,
                            1,
                            ls.as_mut_ptr(),
                            null_mut()
                        )));
                        ok(ze!(zeEventHostSynchronize(done, u64::MAX)));
                        ok(ze!(zeCommandListDestroy(l)));
                    }
                    ok(ze!(zeEventHostReset(done)));
                    // SAFETY: host USM, `chunk` bytes, written by the finished copy.
                    let got = unsafe { std::slice::from_raw_parts(back.cast::<u8>(), chunk) };
                    assert!(got == &data[..], "thread {t} round {round}");
                }
                ok(ze!(zeCommandListDestroy(list)));
                ok(ze!(zeEventDestroy(done)));
                ok(ze!(zeEventPoolDestroy(pool)));
                free(host);
                free(back);
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread");
    }
    ok(ze!(zeCommandQueueSynchronize(
        shared_queue as ze_command_queue_handle_t,
        u64::MAX
    )));
    ok(ze!(zeCommandQueueDestroy(
        shared_queue as ze_command_queue_handle_t
    )));
    free(dev as *mut c_void);
}
