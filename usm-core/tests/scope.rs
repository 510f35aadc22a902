//! Asynchronous work in scopes: events, dependencies, ordering of chains, many copies in
//! flight, threads, fills and regions, and waiting at the end even after a panic.

use usm_test_kit::gate;
use usm_test_kit::usm as kit;

use usm_core::{scope, Engine, Extent, Mode, Queue, Region, UsmDevice, UsmHost, UsmShared};
use usm_test_kit::usm::{bytes, queue};

#[test]
fn a_chain_a_then_b_then_c_runs_in_order() {
    let (context, device) = kit::context();
    let q = Queue::new(&context, &device).unwrap();
    let n = 4096;
    let input = bytes(n, 1);
    let mut a = UsmDevice::new(&context, &device, n).unwrap();
    let mut b = UsmDevice::new(&context, &device, n).unwrap();
    let mut c = UsmHost::new(&context, n).unwrap();
    scope(|s| {
        let (ha, hb, hc) = (s.hold_mut(&mut a), s.hold_mut(&mut b), s.hold_mut(&mut c));
        let ea = s.copy(&q, ha, s.hold_host(&input), &[])?;
        let eb = s.copy(&q, hb, ha.as_source(), &[ea])?;
        let ec = s.copy(&q, hc, hb.as_source(), &[eb])?;
        ec.wait()?;
        assert!(ea.is_complete()? && eb.is_complete()?);
        Ok(())
    })
    .unwrap();
    assert_eq!(c.as_slice(), &input[..]);
}

#[test]
fn a_chain_across_three_queues_is_ordered_by_its_events() {
    let (context, device) = kit::context();
    let qs = [
        queue(&context, &device, Engine::Compute, Mode::Asynchronous),
        queue(&context, &device, Engine::MainCopy, Mode::Asynchronous),
        queue(&context, &device, Engine::LinkCopy, Mode::Asynchronous),
    ];
    let n = 1 << 16;
    let input = bytes(n, 2);
    let mut a = UsmShared::new(&context, &device, n).unwrap();
    let mut b = UsmDevice::new(&context, &device, n).unwrap();
    let mut c = UsmHost::new(&context, n).unwrap();
    for _round in 0..5 {
        c.as_mut_slice().fill(0);
        scope(|s| {
            let (ha, hb, hc) = (s.hold_mut(&mut a), s.hold_mut(&mut b), s.hold_mut(&mut c));
            let e0 = s.fill(&qs[0], ha, &[0xab; 16], &[])?;
            let e1 = s.copy(&qs[1], hb, s.hold_host(&input), &[])?;
            // C gets A's fill overwritten by B's bytes, only if the order is respected.
            let e2 = s.copy(&qs[2], hc, ha.as_source(), &[e0])?;
            let e3 = s.copy(&qs[0], hc, hb.as_source(), &[e1, e2])?;
            e3.wait()
        })
        .unwrap();
        assert_eq!(c.as_slice(), &input[..]);
    }
}

#[test]
fn writes_after_reads_of_the_same_memory_wait_for_them() {
    let (context, device) = kit::context();
    let q1 = queue(&context, &device, Engine::MainCopy, Mode::Asynchronous);
    let q2 = queue(&context, &device, Engine::LinkCopy, Mode::Asynchronous);
    let n = 1 << 15;
    let first = bytes(n, 3);
    let mut a = UsmDevice::new(&context, &device, n).unwrap();
    let mut copy_of_first = UsmHost::new(&context, n).unwrap();
    // The read on q2 cannot run before the gate opens; the fill on q1 must wait for it.
    let gate = gate::Gate::close(&context, &q2);
    scope(|s| {
        let (ha, hcopy) = (s.hold_mut(&mut a), s.hold_mut(&mut copy_of_first));
        s.copy(&q1, ha, s.hold_host(&first), &[])?;
        // No events given: the scope orders the read after the write, and the fill after
        // the read, although they run on two engines.
        s.copy(&q2, hcopy, ha.as_source(), &[])?;
        s.memset(&q1, ha, 0, &[])?;
        open_soon(&gate);
        Ok(())
    })
    .unwrap();
    assert_eq!(copy_of_first.as_slice(), &first[..]);
}

#[test]
fn reads_after_writes_on_another_engine_wait_for_them() {
    let (context, device) = kit::context();
    let q1 = queue(&context, &device, Engine::MainCopy, Mode::Asynchronous);
    let q2 = queue(&context, &device, Engine::LinkCopy, Mode::Asynchronous);
    let n = 1 << 15;
    let written = bytes(n, 4);
    let mut a = UsmDevice::new(&context, &device, n).unwrap();
    q1.memset(&mut a, 0, n, 0).unwrap();
    let mut read = UsmHost::new(&context, n).unwrap();
    // The write on q1 cannot run before the gate opens; the read on q2 must wait for it.
    let gate = gate::Gate::close(&context, &q1);
    scope(|s| {
        let (ha, hread) = (s.hold_mut(&mut a), s.hold_mut(&mut read));
        s.copy(&q1, ha, s.hold_host(&written), &[])?;
        s.copy(&q2, hread, ha.as_source(), &[])?;
        open_soon(&gate);
        Ok(())
    })
    .unwrap();
    assert_eq!(read.as_slice(), &written[..]);
}

#[test]
fn many_asynchronous_copies_are_in_flight_at_once() {
    let (context, device) = kit::context();
    let q = Queue::new(&context, &device).unwrap();
    let count = 64;
    let inputs: Vec<Vec<u8>> = (0..count).map(|i| bytes(1000 + i, i as u8)).collect();
    let mut outs: Vec<UsmHost> = inputs
        .iter()
        .map(|v| UsmHost::new(&context, v.len()).unwrap())
        .collect();
    let mut stages: Vec<UsmDevice> = inputs
        .iter()
        .map(|v| UsmDevice::new(&context, &device, v.len()).unwrap())
        .collect();
    scope(|s| {
        let mut events = Vec::new();
        for ((input, stage), out) in inputs.iter().zip(&mut stages).zip(&mut outs) {
            let (hs, ho) = (s.hold_mut(stage), s.hold_mut(out));
            s.copy(&q, hs, s.hold_host(input), &[])?;
            events.push(s.copy(&q, ho, hs.as_source(), &[])?);
        }
        let all = s.join(&q, &events)?;
        all.wait()?;
        for e in &events {
            assert!(e.is_complete()?);
        }
        Ok(())
    })
    .unwrap();
    for (out, input) in outs.iter().zip(&inputs) {
        assert_eq!(out.as_slice(), &input[..]);
    }
    // Events are reused by the next scope instead of made anew.
    let made = q.events_created();
    let mut d = UsmDevice::new(&context, &device, 8).unwrap();
    scope(|s| {
        let h = s.hold_mut(&mut d);
        for _ in 0..10 {
            s.memset(&q, h, 1, &[])?;
        }
        Ok(())
    })
    .unwrap();
    assert_eq!(q.events_created(), made);
}

#[test]
fn threads_submit_into_one_scope() {
    let (context, device) = kit::context();
    let q = Queue::new(&context, &device).unwrap();
    let inputs: Vec<Vec<u8>> = (0..8).map(|i| bytes(5000, i as u8)).collect();
    let mut outs: Vec<UsmShared> = (0..8)
        .map(|_| UsmShared::new(&context, &device, 5000).unwrap())
        .collect();
    scope(|s| {
        std::thread::scope(|t| {
            for (input, out) in inputs.iter().zip(&mut outs) {
                let (q, input) = (&q, s.hold_host(input));
                let out = s.hold_mut(out);
                t.spawn(move || {
                    for _ in 0..10 {
                        s.copy(q, out, input, &[]).unwrap();
                    }
                });
            }
        });
        Ok(())
    })
    .unwrap();
    for (out, input) in outs.iter().zip(&inputs) {
        assert_eq!(out.as_slice(), &input[..]);
    }
}

#[test]
fn to_vec_inside_a_scope_sees_earlier_writes() {
    let (context, device) = kit::context();
    let q = Queue::new(&context, &device).unwrap();
    let mut d = UsmDevice::new(&context, &device, 300).unwrap();
    let data = bytes(300, 4);
    scope(|s| {
        let h = s.hold_mut(&mut d);
        s.copy(&q, h, s.hold_host(&data), &[])?;
        assert_eq!(s.to_vec(&q, h.as_source(), &[])?, data);
        s.memset(&q, h.range(10, 5)?, 0, &[])?;
        let mut expected = data.clone();
        expected[10..15].fill(0);
        assert_eq!(s.to_vec(&q, h.as_source(), &[])?, expected);
        Ok(())
    })
    .unwrap();
}

#[test]
fn regions_of_one_allocation_copy_when_disjoint() {
    let (context, device) = kit::context();
    let q = Queue::new(&context, &device).unwrap();
    let data = bytes(64, 5);
    let mut m = UsmShared::new(&context, &device, 64).unwrap();
    m.as_mut_slice().copy_from_slice(&data);
    scope(|s| {
        let h = s.hold_mut(&mut m);
        // Rows 0..2 of an 8x8 array into rows 4..6.
        s.copy_region(
            &q,
            (h, Region::new_2d(0, 4, 8)),
            (h.as_source(), Region::new_2d(0, 0, 8)),
            &Extent::new_2d(8, 2),
            &[],
        )?;
        Ok(())
    })
    .unwrap();
    let mut expected = data.clone();
    expected.copy_within(0..16, 32);
    assert_eq!(m.as_slice(), &expected[..]);
}

#[test]
fn a_synchronous_queue_completes_work_before_returning_events() {
    let (context, device) = kit::context();
    let q = queue(&context, &device, Engine::Compute, Mode::Synchronous);
    let mut d = UsmDevice::new(&context, &device, 16).unwrap();
    scope(|s| {
        let e = s.fill(&q, s.hold_mut(&mut d), &[1, 2, 3, 4], &[])?;
        assert!(e.is_complete()?);
        Ok(())
    })
    .unwrap();
    assert_eq!(q.to_vec(&d).unwrap(), [1, 2, 3, 4].repeat(4));
}

/// Opens `gate` from another thread a little later.
fn open_soon(gate: &gate::Gate) {
    let open = gate.opener();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(50));
        open();
    });
}

#[test]
fn a_panic_in_a_scope_still_waits_for_its_work() {
    let (context, device) = kit::context();
    let q = Queue::new(&context, &device).unwrap();
    let n = 1 << 20;
    let data = bytes(n, 6);
    let mut h = UsmHost::new(&context, n).unwrap();
    let gate = gate::Gate::close(&context, &q);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        scope(|s| {
            s.copy(&q, s.hold_mut(&mut h), s.hold_host(&data), &[])?;
            // The copy cannot run before the gate opens, a little after the panic (which
            // skips the panic hook, so that it is quick).
            open_soon(&gate);
            std::panic::resume_unwind(Box::new("failing after a submission"));
            #[allow(unreachable_code)]
            Ok(())
        })
    }));
    assert!(outcome.is_err());
    assert_eq!(h.as_slice(), &data[..]);
}

#[test]
fn an_error_in_a_scope_is_returned_after_its_work() {
    let (context, device) = kit::context();
    let q = Queue::new(&context, &device).unwrap();
    let data = bytes(4096, 7);
    let mut h = UsmHost::new(&context, 4096).unwrap();
    let gate = gate::Gate::close(&context, &q);
    let e = scope(|s| {
        let dst = s.hold_mut(&mut h);
        s.copy(&q, dst, s.hold_host(&data), &[])?;
        // The copy cannot run before the gate opens, a little after the error.
        open_soon(&gate);
        s.copy(&q, dst, s.hold_host(&data[1..]), &[])?;
        Ok(())
    })
    .unwrap_err();
    assert!(matches!(
        e,
        usm_core::Error::Transfer(usm_core::TransferError::SizeMismatch {
            dst_len: 4096,
            src_len: 4095
        })
    ));
    assert_eq!(h.as_slice(), &data[..]);
}

#[test]
fn host_memory_used_by_queues_of_two_contexts_is_ordered() {
    let (c1, device) = kit::context();
    let c2 = usm_core::Context::new(device.driver(), std::slice::from_ref(&device)).unwrap();
    let q1 = Queue::new(&c1, &device).unwrap();
    let q2 = Queue::new(&c2, &device).unwrap();
    let n = 1 << 16;
    let input = bytes(n, 8);
    let mut staging = vec![0u8; n];
    let mut d1 = UsmDevice::new(&c1, &device, n).unwrap();
    let mut d2 = UsmDevice::new(&c2, &device, n).unwrap();
    q1.write_from_slice(&mut d1, &input).unwrap();
    // The write of the staging memory cannot run before the gate opens.
    let gate = gate::Gate::close(&c1, &q1);
    scope(|s| {
        let stage = s.hold_host_mut(&mut staging);
        // Written on a queue of the first context, read on one of the second: the
        // scope cannot pass the event across contexts, so it waits for it itself.
        s.copy(&q1, stage, s.hold(&d1), &[])?;
        open_soon(&gate);
        s.copy(&q2, s.hold_mut(&mut d2), stage.as_source(), &[])?;
        Ok(())
    })
    .unwrap();
    assert_eq!(q2.to_vec(&d2).unwrap(), input);
}

#[test]
fn empty_ranges_in_a_scope_submit_nothing_but_still_give_events() {
    let (context, device) = kit::context();
    let q = Queue::new(&context, &device).unwrap();
    let mut a = UsmDevice::new(&context, &device, 8).unwrap();
    let b = UsmDevice::new(&context, &device, 8).unwrap();
    let host: [u8; 0] = [];
    q.write_from_slice(&mut a, &[1; 8]).unwrap();
    scope(|s| {
        let (ha, hb) = (s.hold_mut(&mut a), s.hold(&b));
        // Empty ranges at the very end of their allocations, as the synchronous calls
        // accept them.
        let copied = s.copy(&q, ha.range(8, 0)?, hb.range(8, 0)?, &[])?;
        let from_host = s.copy(&q, ha.range(8, 0)?, s.hold_host(&host), &[copied])?;
        let filled = s.memset(&q, ha.range(8, 0)?, 2, &[from_host])?;
        filled.wait()?;
        assert!(copied.is_complete()? && from_host.is_complete()?);
        Ok(())
    })
    .unwrap();
    assert_eq!(q.to_vec(&a).unwrap(), [1; 8]);
}

#[test]
fn work_waits_for_the_events_it_is_given_even_on_other_memory() {
    let (context, device) = kit::context();
    let q1 = queue(&context, &device, Engine::MainCopy, Mode::Asynchronous);
    let q2 = queue(&context, &device, Engine::LinkCopy, Mode::Asynchronous);
    let mut a = UsmHost::new(&context, 64).unwrap();
    let mut b = UsmHost::new(&context, 64).unwrap();
    let gate = gate::Gate::close(&context, &q1);
    scope(|s| {
        let first = s.memset(&q1, s.hold_mut(&mut a), 1, &[])?;
        // Other memory, another engine: only the events order these after `first`.
        let second = s.memset(&q2, s.hold_mut(&mut b), 2, &[first])?;
        let joined = s.join(&q2, &[first])?;
        // Time enough for them to run, were they not waiting.
        std::thread::sleep(std::time::Duration::from_millis(20));
        let waited = !second.is_complete()? && !joined.is_complete()?;
        gate.open();
        assert!(waited, "work ran before the event it was given");
        joined.wait()?;
        assert!(first.is_complete()?);
        Ok(())
    })
    .unwrap();
    assert_eq!((a.as_slice()[0], b.as_slice()[0]), (1, 2));
}

#[test]
fn scoped_work_waits_for_owned_work() {
    let (context, device) = kit::context();
    let q1 = queue(&context, &device, Engine::MainCopy, Mode::Asynchronous);
    let q2 = queue(&context, &device, Engine::LinkCopy, Mode::Asynchronous);
    let gate = gate::Gate::close(&context, &q1);
    let owned = q1
        .fill_async(UsmHost::new(&context, 64).unwrap(), &[1], &[])
        .unwrap();
    let mut b = UsmHost::new(&context, 64).unwrap();
    scope(|s| {
        // Other memory, another engine: only the adopted event orders this after `owned`.
        let after_owned = s.adopt(&owned.event());
        let scoped = s.memset(&q2, s.hold_mut(&mut b), 2, &[after_owned])?;
        std::thread::sleep(std::time::Duration::from_millis(20));
        let waited = !scoped.is_complete()?;
        gate.open();
        assert!(waited, "scoped work ran before the owned work it waits for");
        scoped.wait()?;
        assert!(owned.is_complete()?);
        Ok(())
    })
    .unwrap();
    let (a, _) = owned.wait().unwrap();
    assert_eq!((a.as_slice()[0], b.as_slice()[0]), (1, 2));
}

#[test]
fn owned_work_waits_for_scoped_work() {
    let (context, device) = kit::context();
    let q1 = queue(&context, &device, Engine::MainCopy, Mode::Asynchronous);
    let q2 = queue(&context, &device, Engine::LinkCopy, Mode::Asynchronous);
    let mut a = UsmHost::new(&context, 64).unwrap();
    let gate = gate::Gate::close(&context, &q1);
    let owned = scope(|s| {
        let scoped = s.memset(&q1, s.hold_mut(&mut a), 1, &[])?;
        // Owned work outlives the scope; it keeps its own reference to the scoped event.
        let owned = q2
            .fill_async(
                UsmHost::new(&context, 64).unwrap(),
                &[2],
                &[scoped.as_event_ref()],
            )
            .map_err(usm_core::Error::from)?;
        std::thread::sleep(std::time::Duration::from_millis(20));
        let waited = !owned.is_complete()?;
        gate.open();
        assert!(waited, "owned work ran before the scoped work it waits for");
        Ok(owned)
    })
    .unwrap();
    let (b, _) = owned.wait().unwrap();
    assert_eq!((a.as_slice()[0], b.as_slice()[0]), (1, 2));
}

#[test]
fn an_event_outlives_its_scope_in_the_owned_work_that_waits_for_it() {
    let (context, device) = kit::context();
    let q = queue(&context, &device, Engine::MainCopy, Mode::Asynchronous);
    let mut a = UsmHost::new(&context, 8).unwrap();
    let kept = scope(|s| {
        let scoped = s.memset(&q, s.hold_mut(&mut a), 3, &[])?;
        Ok(scoped.as_event_ref().clone())
    })
    .unwrap();
    // The scope ended and waited; the event is still a valid, completed dependency.
    assert!(kept.is_complete().unwrap());
    let owned = q
        .fill_async(UsmHost::new(&context, 8).unwrap(), &[4], &[&kept])
        .unwrap();
    let (b, _) = owned.wait().unwrap();
    assert_eq!((a.as_slice()[0], b.as_slice()[0]), (3, 4));
}
