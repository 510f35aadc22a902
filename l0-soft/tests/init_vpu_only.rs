//! `zeInit(ZE_INIT_FLAG_VPU_ONLY)`: the software driver is a GPU driver, so it declines,
//! and the loader (which initialises once per process) then reports no driver at all.

use std::ptr::null_mut;

use usm_test_kit::raw::probe::*;

#[test]
fn vpu_only_initialisation_finds_no_driver() {
    loader();
    assert_rc(
        ze!(zeInit(ze_init_flag_t::ZE_INIT_FLAG_VPU_ONLY.0)),
        ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED,
    );
    let mut count = 0;
    let rc = ze!(zeDriverGet(&mut count, null_mut()));
    assert_rc(rc, ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED);
    assert_eq!(count, 0);
}
