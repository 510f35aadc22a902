//! `zeInit` with only a flag the specification does not define: as Intel's GPU driver, the
//! software driver declines flags that do not ask for GPUs, so the loader reports no
//! driver. With parameter validation the layer names the bad flag instead.

use std::ptr::null_mut;

use usm_test_kit::raw::probe::*;

#[test]
fn an_undefined_init_flag_alone_finds_no_driver() {
    loader();
    let expected = if parameters_validated() {
        ze_result_t::ZE_RESULT_ERROR_INVALID_ENUMERATION
    } else {
        ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED
    };
    assert_rc(ze!(zeInit(4)), expected);
    let mut count = 0;
    assert_rc(
        ze!(zeDriverGet(&mut count, null_mut())),
        ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED,
    );
    assert_eq!(count, 0);
}
