//! Owned asynchronous work: handles that own their memory until done, dependencies between
//! them, shared sources, refusals that give the memory back, and event reuse.

use usm_test_kit::gate;
use usm_test_kit::usm as kit;

use std::sync::Arc;

use usm_core::{
    Context, Engine, Error, Mode, PatternRule, Queue, TransferError, UsmDevice, UsmHost,
};
use usm_test_kit::usm::{bytes, queue};

#[test]
fn owned_work_round_trips_through_every_call() {
    let (context, device) = kit::context();
    let copy_engine = Queue::new(&context, &device).unwrap();
    let other_engine = queue(&context, &device, Engine::LinkCopy, Mode::Asynchronous);
    let n = 1 << 16;
    let input = bytes(n, 1);
    let a = UsmDevice::new(&context, &device, n).unwrap();
    let b = UsmHost::new(&context, n).unwrap();
    let written = copy_engine.write_async(a, input.clone(), &[]).unwrap();
    let fill_b = other_engine.fill_async(b, &[0xcd], &[]).unwrap();
    let (b, _) = fill_b.wait().unwrap();
    let (a, _) = written.wait().unwrap();
    let a = Arc::new(a);
    let copied = other_engine.copy_async(b, Arc::clone(&a), &[]).unwrap();
    let read = copy_engine
        .read_async(Arc::clone(&a), &[&copied.event()])
        .unwrap();
    let (b, _) = copied.wait().unwrap();
    assert_eq!(b.as_slice(), &input[..]);
    let (_, bytes_read) = read.wait().unwrap();
    assert_eq!(bytes_read, input);
}

#[test]
fn dependencies_hold_across_engines_without_host_waits() {
    let (context, device) = kit::context();
    let q1 = queue(&context, &device, Engine::MainCopy, Mode::Asynchronous);
    let q2 = queue(&context, &device, Engine::Compute, Mode::Asynchronous);
    let n = 1 << 16;
    let input = bytes(n, 2);
    for _round in 0..5 {
        let a = UsmDevice::new(&context, &device, n).unwrap();
        let written = q1.write_async(a, input.clone(), &[]).unwrap();
        let event = written.event();
        // The handle of the write may go (it waits); its event lives on in `event`.
        let (a, _) = written.wait().unwrap();
        let a = Arc::new(a);
        let first = q2.read_async(Arc::clone(&a), &[&event]).unwrap();
        let second = q1.read_async(Arc::clone(&a), &[&first.event()]).unwrap();
        assert!(event.is_complete().unwrap());
        let (_, x) = second.wait().unwrap();
        let (_, y) = first.wait().unwrap();
        assert_eq!(x, input);
        assert_eq!(y, input);
    }
}

#[test]
fn many_owned_copies_share_one_source() {
    let (context, device) = kit::context();
    let q = Queue::new(&context, &device).unwrap();
    let input = bytes(3000, 3);
    let mut host = UsmHost::new(&context, 3000).unwrap();
    host.as_mut_slice().copy_from_slice(&input);
    let source = Arc::new(host);
    let pending: Vec<_> = (0..32)
        .map(|_| {
            let d = UsmDevice::new(&context, &device, 3000).unwrap();
            q.copy_async(d, Arc::clone(&source), &[]).unwrap()
        })
        .collect();
    // The source is shared by every copy: the host still reads it meanwhile.
    assert_eq!(source.as_slice(), &input[..]);
    for p in pending {
        let (d, _) = p.wait().unwrap();
        assert_eq!(q.to_vec(&d).unwrap(), input);
    }
    let made = q.events_created();
    assert!(made <= 33, "{made} events for 32 copies in flight");
    // Events come back when the work is done and are reused.
    for _ in 0..10 {
        let d = UsmDevice::new(&context, &device, 3000).unwrap();
        drop(q.copy_async(d, Arc::clone(&source), &[]).unwrap());
    }
    assert_eq!(q.events_created(), made);
}

#[test]
fn refused_work_gives_its_memory_back() {
    let (context, device) = kit::context();
    let q = Queue::new(&context, &device).unwrap();
    let d = UsmDevice::new(&context, &device, 16).unwrap();
    let ptr = usm_core::UsmMemory::as_ptr(&d);
    let failed = q.write_async(d, vec![0; 15], &[]).unwrap_err();
    assert!(matches!(
        failed.error,
        Error::Transfer(TransferError::SizeMismatch {
            dst_len: 16,
            src_len: 15
        })
    ));
    let (d, data) = failed.value;
    assert_eq!((usm_core::UsmMemory::as_ptr(&d), data.len()), (ptr, 15));
    let failed = q.fill_async(d, &[1, 2, 3], &[]).unwrap_err();
    assert!(matches!(
        failed.error,
        Error::Transfer(TransferError::BadPattern {
            rule: PatternRule::NotPowerOfTwo,
            ..
        })
    ));
    // `?` keeps the error and frees the memory.
    let as_error: Error = failed.into();
    assert!(matches!(
        as_error,
        Error::Transfer(TransferError::BadPattern { .. })
    ));
}

#[test]
fn events_of_another_context_are_refused() {
    let (c1, device) = kit::context();
    let c2 = Context::new(device.driver(), std::slice::from_ref(&device)).unwrap();
    let q1 = Queue::new(&c1, &device).unwrap();
    let q2 = Queue::new(&c2, &device).unwrap();
    let first = q1
        .fill_async(UsmDevice::new(&c1, &device, 8).unwrap(), &[1], &[])
        .unwrap();
    let failed = q2
        .fill_async(
            UsmDevice::new(&c2, &device, 8).unwrap(),
            &[2],
            &[&first.event()],
        )
        .unwrap_err();
    match failed.error {
        Error::Transfer(e) => assert_eq!(
            e,
            TransferError::ForeignEvent {
                event_context: c1.raw() as usize,
                queue_context: c2.raw() as usize,
            }
        ),
        other => panic!("expected a TransferError, got {other:?}"),
    }
    first.wait().unwrap();
}

#[test]
fn dropping_a_pending_handle_waits_for_its_work() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let gate = gate::Gate::close(&context, &queue);
    let pending = queue
        .write_async(UsmHost::new(&context, 64).unwrap(), vec![7; 64], &[])
        .unwrap();
    let done = pending.event();
    assert!(!done.is_complete().unwrap(), "the gate holds the copy back");
    // Opened a little later, from another thread: the drop below must wait for it.
    let open = gate.opener();
    let opener = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(50));
        open();
    });
    drop(pending);
    assert!(done.is_complete().unwrap());
    opener.join().unwrap();
}

#[test]
fn owned_work_waits_for_the_events_it_is_given() {
    let (context, device) = kit::context();
    let q1 = queue(&context, &device, Engine::MainCopy, Mode::Asynchronous);
    let q2 = queue(&context, &device, Engine::LinkCopy, Mode::Asynchronous);
    let gate = gate::Gate::close(&context, &q1);
    let first = q1
        .fill_async(UsmHost::new(&context, 64).unwrap(), &[1], &[])
        .unwrap();
    // Other memory, another engine: only the event orders it after `first`.
    let second = q2
        .fill_async(UsmHost::new(&context, 64).unwrap(), &[2], &[&first.event()])
        .unwrap();
    // Time enough for it to run, were it not waiting.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let waited = !second.is_complete().unwrap();
    gate.open();
    assert!(waited, "work ran before the event it was given");
    let (b, _) = second.wait().unwrap();
    assert!(first.is_complete().unwrap());
    let (a, _) = first.wait().unwrap();
    assert_eq!((a.as_slice()[0], b.as_slice()[0]), (1, 2));
}
