//! Thread safety: which types cross threads, and counters after concurrent work.

mod support;

use usm_core::{
    AllocOptions, Context, Device, Driver, UsmDevice, UsmHost, UsmKind, UsmMemory, UsmShared,
    UsmView,
};

fn send_and_sync<T: Send + Sync>() {}

#[test]
fn handles_and_memory_are_send_and_sync() {
    send_and_sync::<Driver>();
    send_and_sync::<Device>();
    send_and_sync::<Context>();
    send_and_sync::<UsmDevice>();
    send_and_sync::<UsmShared>();
    send_and_sync::<UsmHost>();
    send_and_sync::<UsmView<'static>>();
    send_and_sync::<usm_core::Error>();
}

#[test]
fn counters_return_to_zero_after_eight_threads_allocate_and_free() {
    let (context, device) = support::context();
    const ROUNDS: usize = 50;
    std::thread::scope(|s| {
        for t in 0..8usize {
            let (context, device) = (&context, &device);
            s.spawn(move || {
                let mut kept = Vec::new();
                for i in 0..ROUNDS {
                    let size = 64 * (1 + (t + i) % 7);
                    let options = AllocOptions::new().alignment(64);
                    match (t + i) % 3 {
                        0 => kept.push(Box::new(
                            UsmDevice::with_options(context, device, size, &options).unwrap(),
                        ) as Box<dyn UsmMemory + Send>),
                        1 => {
                            let mut m =
                                UsmShared::with_options(context, device, size, &options).unwrap();
                            m.as_mut_slice().fill(t as u8);
                            assert!(m.as_slice().iter().all(|&b| b == t as u8));
                            kept.push(Box::new(m));
                        }
                        _ => {
                            let mut m = UsmHost::with_options(context, size, &options).unwrap();
                            m.as_mut_slice().fill(i as u8);
                            kept.push(Box::new(m));
                        }
                    }
                    let last = kept.last().unwrap();
                    let info = context.classify(last.as_ptr()).unwrap();
                    assert_eq!((info.kind, info.offset), (last.kind(), 0));
                    if i % 4 == 3 {
                        kept.drain(..2);
                    }
                }
            });
        }
    });
    let stats = context.stats();
    assert_eq!(stats.live_count(), 0, "{stats:?}");
    assert_eq!(stats.live_bytes(), 0, "{stats:?}");
    let total: u64 = [UsmKind::Device, UsmKind::Shared, UsmKind::Host]
        .iter()
        .map(|&k| stats.kind(k).total_allocations)
        .sum();
    assert_eq!(total, 8 * ROUNDS as u64);
    for k in [UsmKind::Device, UsmKind::Shared, UsmKind::Host] {
        let s = stats.kind(k);
        assert_eq!(s.total_allocations, s.total_frees, "{k}: {s:?}");
        assert!(s.peak_count >= 1, "{k}: {s:?}");
    }
    assert!(context.live_allocations().is_empty());
    assert!(context.take_drop_errors().is_empty());
}

#[test]
fn memory_moves_to_another_thread_and_is_freed_there() {
    let (context, device) = support::context();
    let mut m = UsmShared::new(&context, &device, 16).unwrap();
    m.as_mut_slice().fill(5);
    let seen = std::thread::spawn(move || {
        let sum: u32 = m.as_slice().iter().map(|&b| u32::from(b)).sum();
        drop(m);
        sum
    })
    .join()
    .unwrap();
    assert_eq!(seen, 80);
    assert_eq!(context.stats().shared.total_frees, 1);
}

#[test]
fn shared_memory_is_read_from_several_threads_at_once() {
    let (context, _) = support::context();
    let mut m = UsmHost::new(&context, 1024).unwrap();
    for (i, b) in m.as_mut_slice().iter_mut().enumerate() {
        *b = (i % 251) as u8;
    }
    let m = &m;
    let sums: Vec<u64> = std::thread::scope(|s| {
        (0..4)
            .map(|_| s.spawn(move || m.as_slice().iter().map(|&b| u64::from(b)).sum()))
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect()
    });
    let expected: u64 = (0..1024u64).map(|i| i % 251).sum();
    assert_eq!(sums, vec![expected; 4]);
}

/// Synchronous calls use one list per thread: concurrent threads each get their own, and a
/// thread's list goes back to the queue when the thread exits, for the next thread.
#[test]
fn synchronous_lists_follow_threads_and_are_reused() {
    let (context, device) = support::context();
    let queue = usm_core::Queue::new(&context, &device).unwrap();
    assert_eq!(queue.sync_lists_created(), 0);
    const THREADS: usize = 4;
    let gate = std::sync::Barrier::new(THREADS);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (context, device, queue, gate) = (&context, &device, &queue, &gate);
            s.spawn(move || {
                let mut on_device = UsmDevice::new(context, device, 256).unwrap();
                // Every thread has made its first call before any makes its second, so
                // each one takes a list while the others hold theirs.
                queue.memset(&mut on_device, 0, 256, t as u8).unwrap();
                gate.wait();
                for i in 0..50u8 {
                    let pattern = vec![i ^ t as u8; 256];
                    queue.write_from_slice(&mut on_device, &pattern).unwrap();
                    assert_eq!(queue.to_vec(&on_device).unwrap(), pattern);
                }
            });
        }
    });
    assert_eq!(queue.sync_lists_created(), THREADS);
    // Threads that come one after another reuse the lists the first ones gave back.
    for t in 0..10u8 {
        let (context, device, queue) = (&context, &device, &queue);
        std::thread::scope(|s| {
            s.spawn(move || {
                let mut on_device = UsmDevice::new(context, device, 16).unwrap();
                queue.memset(&mut on_device, 0, 16, t).unwrap();
                assert_eq!(queue.to_vec(&on_device).unwrap(), [t; 16]);
            });
        });
    }
    assert_eq!(queue.sync_lists_created(), THREADS);
}

/// One thread using more queues than it keeps lists for, in turns, and queues dropped
/// while the thread still holds their lists, then new queues (possibly at the same
/// addresses): every call lands on a live list of its own queue (the driver refuses a
/// destroyed list's handle) and each queue keeps one list.
#[test]
fn one_thread_many_queues_and_dropped_queues() {
    let (context, device) = support::context();
    let mut memory = UsmDevice::new(&context, &device, 64).unwrap();
    for round in 0..3u8 {
        let queues: Vec<_> = (0..7)
            .map(|_| usm_core::Queue::new(&context, &device).unwrap())
            .collect();
        for turn in 0..5u8 {
            for (i, queue) in queues.iter().enumerate() {
                let value = round ^ turn ^ i as u8;
                queue.memset(&mut memory, 0, 64, value).unwrap();
                assert_eq!(queue.to_vec(&memory).unwrap(), [value; 64]);
            }
        }
        for queue in &queues {
            assert_eq!(queue.sync_lists_created(), 1);
        }
        // Dropped here while this thread's table still names some of them.
    }
}
