//! Every bad input is refused with a typed error before anything is submitted: the memory
//! is unchanged afterwards.

use usm_test_kit::usm as kit;

use usm_core::{
    scope, Context, Engine, Error, Extent, Mode, Operand, PatternRule, Queue, QueueOptions, Region,
    TransferError, UsmDevice, UsmHost, UsmMemory,
};
use usm_test_kit::usm::{bytes, queue};

fn transfer_error(e: Error) -> TransferError {
    match e {
        Error::Transfer(t) => t,
        other => panic!("expected a TransferError, got {other:?}"),
    }
}

/// A queue and a 64-byte device memory holding known bytes.
fn setup() -> (Context, usm_core::Device, Queue, UsmDevice, Vec<u8>) {
    let (context, device) = kit::context();
    let q = Queue::new(&context, &device).unwrap();
    let mut d = UsmDevice::new(&context, &device, 64).unwrap();
    let data = bytes(64, 1);
    q.write_from_slice(&mut d, &data).unwrap();
    (context, device, q, d, data)
}

#[test]
fn out_of_bounds_ranges_are_refused_on_either_side() {
    let (context, device, q, mut d, data) = setup();
    let other = UsmDevice::new(&context, &device, 16).unwrap();
    let e = transfer_error(q.copy(&mut d, 60, &other, 0, 5).unwrap_err());
    assert_eq!(
        e,
        TransferError::OutOfBounds {
            operand: Operand::Destination,
            offset: 60,
            len: 5,
            size: 64
        }
    );
    let e = transfer_error(q.copy(&mut d, 0, &other, 12, 5).unwrap_err());
    assert_eq!(
        e,
        TransferError::OutOfBounds {
            operand: Operand::Source,
            offset: 12,
            len: 5,
            size: 16
        }
    );
    let e = transfer_error(q.copy_from_host(&mut d, usize::MAX, &[1]).unwrap_err());
    assert!(matches!(e, TransferError::OutOfBounds { .. }));
    let mut out = [0u8; 65];
    let e = transfer_error(q.copy_to_host(&mut out, &d, 0).unwrap_err());
    assert!(matches!(e, TransferError::OutOfBounds { len: 65, .. }));
    let e = transfer_error(q.memset(&mut d, 1, 64, 0).unwrap_err());
    assert!(matches!(e, TransferError::OutOfBounds { offset: 1, .. }));
    assert_eq!(q.to_vec(&d).unwrap(), data);
}

#[test]
fn size_mismatches_are_refused() {
    let (context, device, q, mut d, data) = setup();
    let small = UsmHost::new(&context, 63).unwrap();
    let e = transfer_error(q.copy_all(&mut d, &small).unwrap_err());
    assert_eq!(
        e,
        TransferError::SizeMismatch {
            dst_len: 64,
            src_len: 63
        }
    );
    let e = transfer_error(q.write_from_slice(&mut d, &[0; 65]).unwrap_err());
    assert_eq!(
        e,
        TransferError::SizeMismatch {
            dst_len: 64,
            src_len: 65
        }
    );
    let _ = device;
    assert_eq!(q.to_vec(&d).unwrap(), data);
}

#[test]
fn overlapping_ranges_of_one_allocation_are_refused() {
    let (context, device) = kit::context();
    let q = Queue::new(&context, &device).unwrap();
    let mut h = UsmHost::new(&context, 64).unwrap();
    h.as_mut_slice().copy_from_slice(&bytes(64, 2));
    let base = h.as_ptr() as usize;
    let e = scope(|s| {
        let m = s.hold_mut(&mut h);
        s.copy(&q, m.range(10, 20)?, m.as_source().range(25, 20)?, &[])?;
        Ok(())
    })
    .unwrap_err();
    assert_eq!(
        transfer_error(e),
        TransferError::Overlap {
            dst: base + 10,
            src: base + 25,
            len: 20
        }
    );
    // Touching but disjoint ranges are fine.
    scope(|s| {
        let m = s.hold_mut(&mut h);
        s.copy(&q, m.range(10, 15)?, m.as_source().range(25, 15)?, &[])?;
        Ok(())
    })
    .unwrap();
    let mut expected = bytes(64, 2);
    expected.copy_within(25..40, 10);
    assert_eq!(h.as_slice(), &expected[..]);
}

#[test]
fn overlapping_regions_of_one_allocation_are_refused() {
    let (context, device) = kit::context();
    let q = Queue::new(&context, &device).unwrap();
    let mut h = UsmHost::new(&context, 64).unwrap();
    let e = scope(|s| {
        let m = s.hold_mut(&mut h);
        s.copy_region(
            &q,
            (m, Region::new_2d(0, 1, 8)),
            (m.as_source(), Region::new_2d(0, 0, 8)),
            &Extent::new_2d(8, 2),
            &[],
        )?;
        Ok(())
    })
    .unwrap_err();
    assert!(matches!(transfer_error(e), TransferError::Overlap { .. }));
}

#[test]
fn memory_of_another_context_is_refused() {
    let (context, device, q, mut d, data) = setup();
    let other_context = Context::new(device.driver(), std::slice::from_ref(&device)).unwrap();
    let mut foreign = UsmDevice::new(&other_context, &device, 64).unwrap();
    let e = transfer_error(q.copy_all(&mut d, &foreign).unwrap_err());
    assert!(matches!(
        e,
        TransferError::ForeignContext {
            operand: Operand::Source,
            ..
        }
    ));
    let e = transfer_error(q.copy_all(&mut foreign, &d).unwrap_err());
    assert!(
        matches!(e, TransferError::ForeignContext { operand: Operand::Destination, addr, .. }
            if addr == foreign.as_ptr() as usize)
    );
    let e = transfer_error(q.memset(&mut foreign, 0, 1, 0).unwrap_err());
    assert!(matches!(e, TransferError::ForeignContext { .. }));
    let _ = context;
    assert_eq!(q.to_vec(&d).unwrap(), data);
}

#[test]
fn fill_patterns_breaking_the_rules_are_refused() {
    let (context, device, q, mut d, data) = setup();
    let max = q.max_fill_pattern_size();
    let rule = |e: Error| match transfer_error(e) {
        TransferError::BadPattern { rule, max: m, .. } => {
            assert_eq!(m, max);
            rule
        }
        other => panic!("expected BadPattern, got {other:?}"),
    };
    assert_eq!(
        rule(q.fill(&mut d, 0, 8, &[]).unwrap_err()),
        PatternRule::Empty
    );
    assert_eq!(
        rule(q.fill(&mut d, 0, 8, &[1, 2, 3]).unwrap_err()),
        PatternRule::NotPowerOfTwo
    );
    assert_eq!(
        rule(q.fill(&mut d, 0, 8, &[0; 12]).unwrap_err()),
        PatternRule::NotPowerOfTwo
    );
    assert_eq!(
        rule(q.fill(&mut d, 0, 64, &vec![0; max * 2]).unwrap_err()),
        PatternRule::TooLong
    );
    assert_eq!(q.to_vec(&d).unwrap(), data);
    // A pattern too long for the copy engine is fine on the compute engine (the software
    // device's copy engine takes 16 bytes, its compute engine 128).
    let compute = queue(&context, &device, Engine::Compute, Mode::Asynchronous);
    if compute.max_fill_pattern_size() >= max * 2 {
        compute.fill(&mut d, 0, 64, &vec![3; max * 2]).unwrap();
        assert_eq!(compute.to_vec(&d).unwrap(), [3; 64]);
    } else {
        assert!(!kit::on_soft_driver());
    }
}

#[test]
fn malformed_regions_are_refused() {
    let (context, device, q, mut d, data) = setup();
    let src = UsmDevice::new(&context, &device, 64).unwrap();
    let mut bad = |dst_r: Region, src_r: Region, e: Extent| {
        transfer_error(q.copy_region(&mut d, &dst_r, &src, &src_r, &e).unwrap_err())
    };
    let ok = Region::new_2d(0, 0, 8);
    assert!(matches!(
        bad(ok, ok, Extent::new_2d(0, 2)),
        TransferError::BadRegion { .. }
    ));
    assert!(matches!(
        bad(Region::new_2d(4, 0, 8), ok, Extent::new_2d(5, 2)),
        TransferError::BadRegion {
            operand: Operand::Destination,
            ..
        }
    ));
    assert!(matches!(
        bad(ok, Region::new_2d(0, 7, 8), Extent::new_2d(8, 2)),
        TransferError::OutOfBounds {
            operand: Operand::Source,
            ..
        }
    ));
    assert!(matches!(
        bad(
            Region::new_3d(0, 0, 0, 8, 16),
            Region::new_3d(0, 0, 0, 8, 8),
            Extent::new_3d(8, 2, 2)
        ),
        TransferError::BadRegion {
            operand: Operand::Source,
            ..
        }
    ));
    assert_eq!(q.to_vec(&d).unwrap(), data);
}

/// Regions whose last byte lies beyond 2^64 (offsets computed in 64 bits would wrap round to
/// a small, in-bounds number) are refused as out of bounds, not submitted, and do not panic.
#[test]
fn regions_whose_offsets_pass_2_pow_64_are_refused() {
    let (context, device, q, mut d, data) = setup();
    let src = UsmDevice::new(&context, &device, 64).unwrap();
    let ok = Region::new_2d(0, 0, 8);
    let half = (1u32 << 31) + 1;
    // 2-D: rows up to 2^32 + 2 of u32::MAX bytes; the last byte is at 2^64.
    let e = q
        .copy_region(
            &mut d,
            &Region::new_2d(0, half, u32::MAX),
            &src,
            &ok,
            &Extent::new_2d(1, half),
        )
        .unwrap_err();
    assert!(
        matches!(
            transfer_error(e),
            TransferError::OutOfBounds {
                operand: Operand::Destination,
                size: 64,
                ..
            }
        ),
        "2-D"
    );
    // 3-D: slices up to 2^32 + 2 of u32::MAX bytes; the last byte is at 2^64 again.
    let e = q
        .copy_region(
            &mut d,
            &Region::new_3d(0, 0, half, 1, u32::MAX),
            &src,
            &Region::new_3d(0, 0, 0, 1, 1),
            &Extent::new_3d(1, 1, half),
        )
        .unwrap_err();
    assert!(
        matches!(
            transfer_error(e),
            TransferError::OutOfBounds {
                operand: Operand::Destination,
                size: 64,
                ..
            }
        ),
        "3-D"
    );
    assert_eq!(q.to_vec(&d).unwrap(), data);
}

#[test]
fn an_engine_the_device_lacks_is_refused() {
    let (context, device) = kit::context();
    // The software device has link copy engines; any device has a compute engine.
    let engine = if kit::on_soft_driver() {
        Engine::LinkCopy
    } else {
        Engine::Compute
    };
    let count = Queue::with_options(&context, &device, QueueOptions::new().engine(engine))
        .unwrap()
        .queue_group()
        .engine_count;
    let e = Queue::with_options(
        &context,
        &device,
        QueueOptions::new().engine(engine).index(count),
    )
    .unwrap_err();
    assert!(matches!(
        transfer_error(e),
        TransferError::NoSuchEngine { index, .. } if index == count
    ));
    // The last one exists.
    let q = Queue::with_options(
        &context,
        &device,
        QueueOptions::new().engine(engine).index(count - 1),
    )
    .unwrap();
    assert_eq!(q.chosen_engine().index, count - 1);
}

#[test]
fn a_device_outside_the_context_is_refused() {
    kit::init();
    let devices = kit::driver().devices().unwrap();
    if devices.len() < 2 {
        assert!(
            !kit::on_soft_driver(),
            "the tests configure two software devices"
        );
        return;
    }
    let context = Context::new(devices[0].driver(), &devices[..1]).unwrap();
    let e = Queue::new(&context, &devices[1]).unwrap_err();
    assert!(
        matches!(e, Error::DeviceNotInContext { device, context: c }
            if device == devices[1].raw() as usize && c == context.raw() as usize),
        "{e}"
    );
}

#[test]
fn events_of_another_context_are_refused() {
    let (c1, device) = kit::context();
    let c2 = Context::new(device.driver(), std::slice::from_ref(&device)).unwrap();
    let q1 = Queue::new(&c1, &device).unwrap();
    let q2 = Queue::new(&c2, &device).unwrap();
    let mut a = UsmDevice::new(&c1, &device, 8).unwrap();
    let mut b = UsmDevice::new(&c2, &device, 8).unwrap();
    let e = scope(|s| {
        let first = s.memset(&q1, s.hold_mut(&mut a), 1, &[])?;
        s.memset(&q2, s.hold_mut(&mut b), 2, &[first])?;
        Ok(())
    })
    .unwrap_err();
    assert_eq!(
        transfer_error(e),
        TransferError::ForeignEvent {
            event_context: c1.raw() as usize,
            queue_context: c2.raw() as usize,
        }
    );
}

#[test]
fn every_pattern_length_up_to_twice_the_maximum_is_accepted_exactly_when_legal() {
    let (context, device) = kit::context();
    let q = queue(&context, &device, Engine::Compute, Mode::Synchronous);
    let max = q.max_fill_pattern_size();
    let mut d = UsmDevice::new(&context, &device, 2 * max).unwrap();
    for len in 1..=2 * max {
        let pattern = bytes(len, len as u8);
        let outcome = q.fill(&mut d, 0, 2 * max, &pattern);
        if len.is_power_of_two() && len <= max {
            outcome.unwrap();
            let expected: Vec<u8> = pattern.iter().copied().cycle().take(2 * max).collect();
            assert_eq!(q.to_vec(&d).unwrap(), expected, "pattern {len}");
        } else {
            let rule = match transfer_error(outcome.unwrap_err()) {
                TransferError::BadPattern { rule, len: l, .. } if l == len => rule,
                other => panic!("pattern {len}: {other:?}"),
            };
            let expected = if len.is_power_of_two() {
                PatternRule::TooLong
            } else {
                PatternRule::NotPowerOfTwo
            };
            assert_eq!(rule, expected, "pattern {len}");
        }
    }
}

#[test]
fn memory_of_another_context_as_a_host_slice_is_refused() {
    let (context, device) = kit::context();
    let (other, _) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let mut d = UsmDevice::new(&context, &device, 64).unwrap();
    let mut foreign = UsmHost::new(&other, 64).unwrap();
    let foreign_addr = foreign.as_ptr() as usize;
    let e = transfer_error(
        queue
            .copy_from_host(&mut d, 0, foreign.as_slice())
            .unwrap_err(),
    );
    assert_eq!(
        e,
        TransferError::ForeignContext {
            operand: Operand::Source,
            addr: foreign_addr,
            memory_context: other.raw() as usize,
            queue_context: context.raw() as usize,
        }
    );
    // An interior slice, as a destination, is refused the same way.
    let e = transfer_error(
        queue
            .copy_to_host(&mut foreign.as_mut_slice()[8..24], &d, 0)
            .unwrap_err(),
    );
    assert!(
        matches!(e, TransferError::ForeignContext { operand: Operand::Destination, addr, .. }
            if addr == foreign_addr + 8),
        "{e}"
    );
    // Host memory of the queue's own context is plain host memory to it.
    let own = UsmHost::new(&context, 64).unwrap();
    queue.copy_from_host(&mut d, 0, own.as_slice()).unwrap();
}
