//! `zeInit` with a flag the specification does not define is an invalid enumeration (from
//! the driver, or from the validation layer when it is on), and no driver is reported.

#[macro_use]
mod common;

use std::ptr::null_mut;

use common::*;

#[test]
fn an_undefined_init_flag_is_an_invalid_enumeration() {
    loader();
    assert_rc(
        ze!(zeInit(4)),
        ze_result_t::ZE_RESULT_ERROR_INVALID_ENUMERATION,
    );
    let mut count = 0;
    assert_rc(
        ze!(zeDriverGet(&mut count, null_mut())),
        ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED,
    );
}
