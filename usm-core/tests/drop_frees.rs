//! Dropping memory frees it in the driver. In a test binary of its own: it asks the driver
//! about an address after freeing it, which another test running in parallel in the same
//! process could legitimately be handed again.

use usm_test_kit::usm as kit;

use usm_core::{AllocOptions, Error};

use kit::{allocate, KINDS};

#[test]
fn drop_frees_the_memory_in_the_driver() {
    let (context, device) = kit::context();
    for kind in KINDS {
        let m = allocate(&context, &device, kind, 4096, &AllocOptions::new()).unwrap();
        let ptr = m.as_ptr();
        assert_eq!(context.classify(ptr).unwrap().kind, kind);
        assert_eq!(context.stats().kind(kind).live_count, 1);
        drop(m);
        match context.classify(ptr) {
            Err(Error::NotUsm { addr }) => assert_eq!(addr, ptr as usize),
            other => panic!("{kind} memory still known after drop: {other:?}"),
        }
        let stats = *context.stats().kind(kind);
        assert_eq!((stats.live_count, stats.live_bytes), (0, 0));
        assert_eq!((stats.total_allocations, stats.total_frees), (1, 1));
        assert_eq!((stats.peak_count, stats.peak_bytes), (1, 4096));
    }
    assert!(context.take_drop_errors().is_empty());
}
