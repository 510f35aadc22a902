//! A malformed configuration variable makes zeInit fail (and the loader find no driver),
//! instead of silently running with another configuration.

#[macro_use]
mod common;

use std::ptr::null_mut;

use common::*;

#[test]
fn a_malformed_device_count_fails_initialisation() {
    loader_with(&[("ZE_SOFT_DEVICES", "two")]);
    assert_rc(ze!(zeInit(0)), ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED);
    let mut count = 0;
    assert_rc(
        ze!(zeDriverGet(&mut count, null_mut())),
        ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED,
    );
    assert_eq!(count, 0);
}
