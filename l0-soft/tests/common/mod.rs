//! Shared set-up of the integration tests: the real loader, pointed at the software driver.
#![allow(dead_code)]

use std::sync::OnceLock;

pub use level_zero_sys::*;

/// Loads the loader with `ZE_ENABLE_ALT_DRIVERS` naming the freshly built driver.
pub fn loader() -> &'static Loader {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        // Tests of one binary share the process; the variable is set before any thread
        // calls into the loader.
        ze_soft::enable_for_process().expect("libze_soft.so is built next to the tests");
    });
    Loader::global().expect("libze_loader.so.1 is installed (bash ci/deps)")
}

/// Asserts that a call answered `expected`, naming both codes on failure.
#[track_caller]
pub fn assert_rc(actual: ze_result_t, expected: ze_result_t) {
    assert_eq!(
        actual,
        expected,
        "got {} expected {}",
        actual.name().unwrap_or("?"),
        expected.name().unwrap_or("?")
    );
}
