//! `Queue::synchronize` and the order of work appended to `raw_list()` against the queue's
//! synchronous calls, through the real loader. A gate (an event the host signals, waited
//! for on the asynchronous list) holds work back, so a missing order shows as a wrong
//! result, not as luck.

use usm_test_kit::gate;
use usm_test_kit::usm as kit;

use std::time::Duration;

use usm_core::{api, check, EventRef, Mode, Queue, QueueOptions, UsmDevice, UsmHost, UsmMemory};

fn open_later(open: impl Fn() + Send + 'static, ms: u64) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(ms));
        open();
    })
}

#[test]
fn synchronize_waits_for_owned_work() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let gate = gate::Gate::close(&context, &queue);
    let pending = queue
        .fill_async(UsmHost::new(&context, 256).unwrap(), &[3], &[])
        .unwrap();
    assert!(
        !pending.is_complete().unwrap(),
        "the gate holds the fill back"
    );
    let opener = open_later(gate.opener(), 50);
    queue.synchronize().unwrap();
    assert!(pending.is_complete().unwrap(), "synchronize returned early");
    opener.join().unwrap();
    let (memory, _) = pending.wait().unwrap();
    assert_eq!(memory.as_slice(), &[3u8; 256][..]);
}

#[test]
fn synchronize_waits_for_scoped_work_and_clones_share_it() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let clone = queue.clone();
    let gate = gate::Gate::close(&context, &queue);
    let mut memory = UsmHost::new(&context, 64).unwrap();
    usm_core::scope(|s| {
        let done = s.memset(&clone, s.hold_mut(&mut memory), 2, &[])?;
        let opener = open_later(gate.opener(), 50);
        queue.synchronize()?;
        assert!(done.is_complete()?, "synchronize returned early");
        opener.join().unwrap();
        Ok(())
    })
    .unwrap();
    assert_eq!(memory.as_slice(), &[2u8; 64][..]);
}

#[test]
fn synchronize_with_nothing_submitted_returns_in_both_modes() {
    let (context, device) = kit::context();
    for mode in [Mode::Asynchronous, Mode::Synchronous] {
        let queue = Queue::with_options(&context, &device, QueueOptions::new().mode(mode)).unwrap();
        queue.synchronize().unwrap();
        queue.synchronize().unwrap();
    }
}

/// Appends a fill of `value` over `memory` to the queue's raw list (after the gate).
fn raw_fill(queue: &Queue, memory: &UsmDevice, value: u8) {
    let pattern = [value];
    // SAFETY: no other thread uses the queue; the memory and the pattern outlive the fill
    // (the test reads the memory back, which waits for the fill, before either drops; the
    // driver copies the pattern at the append).
    let outcome = unsafe {
        api().unwrap().zeCommandListAppendMemoryFill(
            queue.raw_list(),
            memory.as_ptr(),
            pattern.as_ptr().cast(),
            1,
            memory.len(),
            std::ptr::null_mut(),
            0,
            std::ptr::null_mut(),
        )
    };
    check("zeCommandListAppendMemoryFill", outcome, String::new).unwrap();
}

#[test]
fn a_synchronous_read_sees_a_raw_fill_held_back_behind_a_gate() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let mut memory = UsmDevice::new(&context, &device, 4096).unwrap();
    queue.memset(&mut memory, 0, 4096, 1).unwrap();
    let gate = gate::Gate::close(&context, &queue);
    raw_fill(&queue, &memory, 7);
    let opener = open_later(gate.opener(), 50);
    // A synchronous call on the other list: it must wait for the raw fill first.
    let read = queue.to_vec(&memory).unwrap();
    opener.join().unwrap();
    assert_eq!(
        read,
        vec![7u8; 4096],
        "the synchronous read ran before the raw fill"
    );
}

#[test]
fn a_synchronous_write_after_raw_work_is_not_overwritten_by_it() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let mut memory = UsmDevice::new(&context, &device, 4096).unwrap();
    let gate = gate::Gate::close(&context, &queue);
    raw_fill(&queue, &memory, 7);
    let opener = open_later(gate.opener(), 50);
    // Issued after the raw fill: it must land after it.
    queue.memset(&mut memory, 0, 4096, 9).unwrap();
    opener.join().unwrap();
    queue.synchronize().unwrap();
    assert_eq!(queue.to_vec(&memory).unwrap(), vec![9u8; 4096]);
}

#[test]
fn without_raw_work_synchronous_calls_do_not_wait_for_asynchronous_work() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    // A gate as a raw event dependency, not on the raw list: the list is never taken.
    let gate = gate::Gate::detached(&context);
    // SAFETY: an event of the queue's context, alive until `gate` drops at the end, after
    // the work waiting for it was waited for.
    let held = unsafe { EventRef::from_raw(&context, gate.raw()) }.unwrap();
    let pending = queue
        .fill_async(UsmHost::new(&context, 64).unwrap(), &[5], &[&held])
        .unwrap();
    let mut other = UsmHost::new(&context, 64).unwrap();
    // Returns although the asynchronous list holds work that cannot run yet.
    queue.memset(&mut other, 0, 64, 6).unwrap();
    assert_eq!(other.as_slice(), &[6u8; 64][..]);
    assert!(!pending.is_complete().unwrap());
    gate.open();
    let (memory, _) = pending.wait().unwrap();
    assert_eq!(memory.as_slice(), &[5u8; 64][..]);
}

#[test]
fn synchronize_and_ordered_synchronous_calls_from_many_threads() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    // The raw list taken (and its gate opened): every synchronous call below first drains
    // the asynchronous list, while other threads submit to it.
    let gate = gate::Gate::close(&context, &queue);
    gate.open();
    std::thread::scope(|threads| {
        for t in 0..4u8 {
            let (queue, context) = (queue.clone(), context.clone());
            threads.spawn(move || {
                for i in 0..25u8 {
                    let value = t.wrapping_mul(31).wrapping_add(i);
                    let pending = queue
                        .fill_async(UsmHost::new(&context, 512).unwrap(), &[value], &[])
                        .unwrap();
                    let mut other = UsmHost::new(&context, 256).unwrap();
                    queue.memset(&mut other, 0, 256, value).unwrap();
                    assert!(other.as_slice().iter().all(|&b| b == value));
                    queue.synchronize().unwrap();
                    assert!(pending.is_complete().unwrap());
                    let (memory, _) = pending.wait().unwrap();
                    assert!(memory.as_slice().iter().all(|&b| b == value));
                }
            });
        }
    });
    queue.synchronize().unwrap();
}

#[test]
fn owned_work_waits_for_raw_work_through_the_event_it_signals() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let memory = UsmDevice::new(&context, &device, 4096).unwrap();
    let gate = gate::Gate::close(&context, &queue);
    // The raw fill signals an event of its own, which the owned read is given.
    let filled = gate::Gate::detached(&context);
    let pattern = [4u8];
    // SAFETY: no other thread uses the queue; the memory outlives the fill (the read that
    // waits for it owns the memory until done); the driver copies the pattern.
    let outcome = unsafe {
        api().unwrap().zeCommandListAppendMemoryFill(
            queue.raw_list(),
            memory.as_ptr(),
            pattern.as_ptr().cast(),
            1,
            memory.len(),
            filled.raw(),
            0,
            std::ptr::null_mut(),
        )
    };
    check("zeCommandListAppendMemoryFill", outcome, String::new).unwrap();
    // SAFETY: an event of the queue's context, alive until `filled` drops at the end,
    // after the read that waits for it.
    let after_fill = unsafe { EventRef::from_raw(&context, filled.raw()) }.unwrap();
    let read = queue.read_async(memory, &[&after_fill]).unwrap();
    assert!(!read.is_complete().unwrap());
    gate.open();
    let (_, bytes) = read.wait().unwrap();
    assert_eq!(bytes, vec![4u8; 4096]);
    assert!(after_fill.is_complete().unwrap());
}
