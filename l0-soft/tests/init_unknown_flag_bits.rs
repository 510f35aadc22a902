//! `zeInit` with `ZE_INIT_FLAG_GPU_ONLY` and a bit the specification does not define: the
//! driver ignores the unknown bit, as Intel's driver does, so the loader (which calls each
//! driver's `zeInit` with these flags before any layer sees them) keeps it. With parameter
//! validation the call answers `ZE_RESULT_ERROR_INVALID_ENUMERATION` from the layer.

use std::ptr::null_mut;

use usm_test_kit::raw::probe::*;

#[test]
fn unknown_init_flag_bits_are_ignored_by_the_driver() {
    loader();
    let gpu_only = ze_init_flag_t::ZE_INIT_FLAG_GPU_ONLY.0;
    let rc = ze!(zeInit(gpu_only | 4));
    if parameters_validated() {
        // Loader 1.8 keeps this first answer for every later zeInit of the process.
        assert_rc(rc, ze_result_t::ZE_RESULT_ERROR_INVALID_ENUMERATION);
        return;
    }
    ok(rc);
    let mut count = 0;
    ok(ze!(zeDriverGet(&mut count, null_mut())));
    assert_eq!(count, 1);
    let mut driver = null_mut();
    ok(ze!(zeDriverGet(&mut count, &mut driver)));
    let mut devices = 0;
    ok(ze!(zeDeviceGet(driver, &mut devices, null_mut())));
    assert_eq!(devices, 1);
}
