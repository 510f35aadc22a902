//! A `ZE_AFFINITY_MASK` that names none of the devices leaves the driver without devices:
//! `zeInit` declines and the loader reports no driver.

use std::ptr::null_mut;

use usm_test_kit::raw::probe::*;

#[test]
fn a_mask_naming_no_device_finds_no_driver() {
    loader_with(Config::Only(&[
        ("ZE_SOFT_DEVICES", "2"),
        ("ZE_AFFINITY_MASK", "2,0.1"),
    ]));
    assert_rc(ze!(zeInit(0)), ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED);
    let mut count = 0;
    assert_rc(
        ze!(zeDriverGet(&mut count, null_mut())),
        ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED,
    );
    assert_eq!(count, 0);
}
