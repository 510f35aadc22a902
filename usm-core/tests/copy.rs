//! Synchronous copies: every pair of kinds, sub-ranges at unaligned offsets, whole-memory
//! reads and writes, typed helpers, other devices and every engine.

use usm_test_kit::usm as kit;

use usm_core::{Context, Engine, Mode, Queue, UsmDevice, UsmHost, UsmMemory, UsmShared};
use usm_test_kit::usm::{all_queues, alloc, bytes, KINDS};

#[test]
fn round_trip_through_every_pair_of_kinds() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let data = bytes(4099, 1);
    for from in KINDS {
        for to in KINDS {
            let mut a = alloc(&context, &device, from, data.len());
            let mut b = alloc(&context, &device, to, data.len());
            queue.write_from_slice(&mut *a, &data).unwrap();
            queue.copy_all(&mut *b, &*a).unwrap();
            assert_eq!(queue.to_vec(&*b).unwrap(), data, "{from} -> {to}");
            // And back, over bytes that were changed meanwhile.
            queue.memset(&mut *a, 0, data.len(), 0).unwrap();
            queue.copy(&mut *a, 0, &*b, 0, data.len()).unwrap();
            assert_eq!(queue.to_vec(&*a).unwrap(), data, "{to} -> {from}");
        }
    }
}

#[test]
fn round_trip_on_every_engine_and_mode() {
    let (context, device) = kit::context();
    let data = bytes(1000, 2);
    for queue in all_queues(&context, &device) {
        let mut d = UsmDevice::new(&context, &device, data.len()).unwrap();
        queue.write_from_slice(&mut d, &data).unwrap();
        assert_eq!(queue.to_vec(&d).unwrap(), data, "{queue:?}");
    }
}

#[test]
fn unaligned_sub_ranges_copy_exactly_their_bytes() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let n = 301;
    let src_data = bytes(n, 3);
    for from in KINDS {
        for to in KINDS {
            let mut src = alloc(&context, &device, from, n);
            let mut dst = alloc(&context, &device, to, n);
            queue.write_from_slice(&mut *src, &src_data).unwrap();
            queue.memset(&mut *dst, 0, n, 0xee).unwrap();
            for (src_off, dst_off, len) in [(1, 3, 7), (13, 0, 200), (0, 77, 1), (299, 5, 2)] {
                queue.copy(&mut *dst, dst_off, &*src, src_off, len).unwrap();
            }
            let mut expected = vec![0xee; n];
            for (src_off, dst_off, len) in [(1, 3, 7), (13, 0, 200), (0, 77, 1), (299, 5, 2)] {
                expected[dst_off..dst_off + len].copy_from_slice(&src_data[src_off..src_off + len]);
            }
            assert_eq!(queue.to_vec(&*dst).unwrap(), expected, "{from} -> {to}");
        }
    }
}

#[test]
fn host_slices_copy_in_and_out_at_offsets() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let mut d = UsmDevice::new(&context, &device, 64).unwrap();
    queue.memset(&mut d, 0, 64, 9).unwrap();
    queue.copy_from_host(&mut d, 5, &[1, 2, 3]).unwrap();
    let mut out = [0u8; 6];
    queue.copy_to_host(&mut out, &d, 3).unwrap();
    assert_eq!(out, [9, 9, 1, 2, 3, 9]);
}

#[test]
fn views_are_sources_of_their_range_only() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let mut d = UsmDevice::new(&context, &device, 32).unwrap();
    queue.write_from_slice(&mut d, &bytes(32, 4)).unwrap();
    let view = d.view(10, 5).unwrap();
    assert_eq!(queue.to_vec(&view).unwrap(), bytes(32, 4)[10..15]);
}

#[test]
fn typed_helpers_round_trip_plain_old_data() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let values: Vec<u32> = (0..100).map(|i| i * 0x0101_0101).collect();
    let mut d = UsmDevice::new(&context, &device, 400).unwrap();
    queue.write_from_slice_of(&mut d, &values).unwrap();
    assert_eq!(queue.to_vec_of::<u32, _>(&d).unwrap(), values);
    let mut four = [0u32; 4];
    queue.copy_to_host_of(&mut four, &d, 8).unwrap();
    assert_eq!(four, values[2..6]);
    queue.copy_from_host_of(&mut d, 4, &[7u16, 8]).unwrap();
    let back = queue.to_vec_of::<u16, _>(&d).unwrap();
    assert_eq!(&back[2..4], &[7, 8]);
    assert!(matches!(
        queue.to_vec_of::<u64, _>(&d.view(0, 12).unwrap()),
        Err(usm_core::Error::TypedView { len: 12, .. })
    ));
}

#[test]
fn shared_and_host_memory_see_device_copies_on_the_host() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let data = bytes(256, 5);
    let mut d = UsmDevice::new(&context, &device, 256).unwrap();
    let mut s = UsmShared::new(&context, &device, 256).unwrap();
    let mut h = UsmHost::new(&context, 256).unwrap();
    queue.write_from_slice(&mut d, &data).unwrap();
    queue.copy_all(&mut s, &d).unwrap();
    queue.copy_all(&mut h, &d).unwrap();
    assert_eq!(s.as_slice(), &data[..]);
    assert_eq!(h.as_slice(), &data[..]);
}

#[test]
fn copies_cross_the_devices_of_one_context() {
    kit::init();
    let driver = kit::driver();
    let devices = driver.devices().unwrap();
    if devices.len() < 2 {
        assert!(
            !kit::on_soft_driver(),
            "the tests configure two software devices"
        );
        eprintln!("one device only: nothing to cross");
        return;
    }
    let context = Context::new(&driver, &devices).unwrap();
    let data = bytes(777, 6);
    let mut on_first = UsmDevice::new(&context, &devices[0], data.len()).unwrap();
    let mut on_second = UsmDevice::new(&context, &devices[1], data.len()).unwrap();
    let q0 = Queue::new(&context, &devices[0]).unwrap();
    let q1 = Queue::new(&context, &devices[1]).unwrap();
    q0.write_from_slice(&mut on_first, &data).unwrap();
    q0.copy_all(&mut on_second, &on_first).unwrap();
    assert_eq!(q1.to_vec(&on_second).unwrap(), data);
}

#[test]
fn zero_length_copies_do_nothing() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let mut d = UsmDevice::new(&context, &device, 8).unwrap();
    queue.memset(&mut d, 0, 8, 1).unwrap();
    queue.copy_from_host(&mut d, 8, &[]).unwrap();
    queue.memset(&mut d, 3, 0, 2).unwrap();
    assert_eq!(queue.to_vec(&d).unwrap(), [1; 8]);
}

#[test]
fn default_queue_uses_the_main_copy_engine() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let has_copy_engine = device
        .queue_groups()
        .unwrap()
        .iter()
        .any(|g| g.is_copy_only());
    // The software device has copy engines.
    assert!(has_copy_engine || !kit::on_soft_driver());
    if has_copy_engine {
        assert_eq!(queue.engine(), Engine::MainCopy);
        assert!(queue.queue_group().is_copy_only());
    } else {
        assert_eq!(queue.engine(), Engine::Compute);
    }
    assert_eq!(queue.mode(), Mode::Asynchronous);
}

#[test]
fn synchronous_calls_on_an_asynchronous_queue_need_no_event() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let mut d = UsmDevice::new(&context, &device, 64).unwrap();
    for i in 0..50 {
        queue.memset(&mut d, 0, 64, i).unwrap();
    }
    // They run on the queue's synchronous list, which completes them before returning.
    assert_eq!(queue.events_created(), 0);
    assert_eq!(queue.to_vec(&d).unwrap(), [49; 64]);
    // Asynchronous work takes events from the pool.
    usm_core::scope(|s| s.memset(&queue, s.hold_mut(&mut d), 7, &[]).map(|_| ())).unwrap();
    assert_eq!(queue.events_created(), 1);
    assert_eq!(queue.to_vec(&d).unwrap(), [7; 64]);
}
