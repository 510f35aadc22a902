//! A free the driver refuses is recorded on the context, never panicked. The only test of
//! its binary: it frees memory behind usm-core's back, and no other test may allocate in
//! between (the address could be handed out again).

use usm_test_kit::usm as kit;

use level_zero_sys::ze_result_t;
use usm_core::{Error, UsmHost, UsmMemory};

#[test]
fn a_free_the_driver_refuses_is_recorded_not_panicked() {
    let (context, _) = kit::context();
    let m = UsmHost::new(&context, 64).unwrap();
    let api = usm_core::api().unwrap();
    // SAFETY: frees memory behind usm-core's back on purpose (as foreign code might); the
    // memory is not touched afterwards, only dropped.
    let rc = unsafe { api.zeMemFree(context.raw(), m.as_ptr()) }.unwrap();
    assert_eq!(rc, ze_result_t::ZE_RESULT_SUCCESS);
    let addr = m.as_ptr() as usize;
    drop(m);
    let errors = context.take_drop_errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let Error::Ze(e) = &errors[0] else {
        panic!("expected the driver's code, got {:?}", errors[0])
    };
    assert_eq!(e.call, "zeMemFree");
    assert!(e.params.contains(&format!("ptr={addr:#x}")), "{}", e.params);
    assert_ne!(e.code, ze_result_t::ZE_RESULT_SUCCESS);
    if kit::on_soft_driver() {
        assert_eq!(e.code, ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT, "{e}");
    }
    assert!(context.take_drop_errors().is_empty(), "taken once");
    let stats = context.stats();
    assert_eq!((stats.host.live_count, stats.host.total_frees), (0, 1));
}
