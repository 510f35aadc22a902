//! A malformed configuration variable makes initialisation fail (and the loader find no
//! driver), instead of silently running with another configuration: one case per
//! variable, each in a child process of this binary (the driver reads its configuration
//! once per process). The child test is ignored, so on its own it neither runs nor
//! passes; the parent runs it explicitly and checks its verdict and its message.

#[macro_use]
mod common;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::Command;
use std::ptr::null_mut;

use common::*;

/// The child learns its case from these (the harness removes every `ZE_SOFT_*` variable
/// it inherits; the child then sets the one named here).
const NAME: &str = "BAD_CONFIG_NAME";
const VALUE: &str = "BAD_CONFIG_VALUE";

/// Every `ZE_SOFT_*` variable the driver reads, with a value it must refuse, and what the
/// driver's message must say of it.
const CASES: &[(&str, &str, &str)] = &[
    ("ZE_SOFT_DEVICES", "two", "from 1 to 64"),
    ("ZE_SOFT_DEVICES", "65", "from 1 to 64"),
    ("ZE_SOFT_DEVICE_MEMORY", "lots", "byte count"),
    ("ZE_SOFT_DEVICE_MEMORY", "17T", "at most 16T"),
    ("ZE_SOFT_MAX_ALLOC_SIZE", "0", "byte count"),
    ("ZE_SOFT_STRICT_CONTEXTS", "yes", "0 or 1"),
    ("ZE_SOFT_COPY_THREADS", "0", "from 1 to 4"),
    ("ZE_SOFT_COPY_THREADS", "5", "from 1 to 4"),
    ("ZE_SOFT_FAIL_ALLOC", "-1", "positive integer"),
    ("ZE_SOFT_FAIL_ALLOC_EVERY", "0", "positive integer"),
    ("ZE_SOFT_FAIL_COPY", "often", "positive integer"),
    ("ZE_SOFT_FAIL_COPY_EVERY", "1.5", "positive integer"),
    ("ZE_SOFT_FAIL_COPY_COMPLETION", "x", "positive integer"),
    (
        "ZE_SOFT_FAIL_COPY_COMPLETION_EVERY",
        "0",
        "positive integer",
    ),
    // A misspelt name is refused too, not ignored.
    ("ZE_SOFT_DEVICE", "2", "not a variable of this driver"),
];

#[test]
fn a_malformed_value_of_every_variable_fails_initialisation() {
    // A value that is not UTF-8 is refused too, not taken as unset.
    let not_utf8 = OsStr::from_bytes(b"3\xff");
    let cases = CASES
        .iter()
        .map(|&(name, value, says)| (name, OsStr::new(value), says))
        .chain([("ZE_SOFT_FAIL_ALLOC", not_utf8, "positive integer")]);
    let exe = std::env::current_exe().expect("the test binary's path");
    for (name, value, says) in cases {
        let out = Command::new(&exe)
            .args([
                "initialisation_fails_in_this_process",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(NAME, name)
            .env(VALUE, value)
            .output()
            .expect("the test binary runs");
        let value = value.to_string_lossy();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "{name}={value}: the child failed:\n{stdout}\n{stderr}"
        );
        let message = format!("ze-soft: {name}={value}");
        let line = stderr
            .lines()
            .find(|l| l.contains(&message))
            .unwrap_or_else(|| panic!("{name}={value}: no message naming it:\n{stderr}"));
        assert!(line.contains(says), "{name}={value}: {line}");
    }
}

/// Run by the test above, with the case in `BAD_CONFIG_NAME` and `BAD_CONFIG_VALUE`.
#[test]
#[ignore = "a child of a_malformed_value_of_every_variable_fails_initialisation"]
fn initialisation_fails_in_this_process() {
    let name = std::env::var(NAME).expect("run by the parent test");
    let value = std::env::var_os(VALUE).expect("run by the parent test");
    loader();
    // After the harness cleared the inherited configuration, before the driver reads its
    // own at zeInit; this process runs this one test on one thread.
    std::env::set_var(&name, &value);
    assert_rc(ze!(zeInit(0)), ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED);
    let mut count = 0;
    assert_rc(
        ze!(zeDriverGet(&mut count, null_mut())),
        ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED,
    );
    assert_eq!(count, 0);
    // Asked again, the answer is the same: the configuration is read once.
    assert_rc(ze!(zeInit(0)), ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED);
    #[cfg(ze_api = "1.10")]
    {
        let mut desc = ze_init_driver_type_desc_t {
            stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_INIT_DRIVER_TYPE_DESC,
            flags: ze_init_driver_type_flag_t::ZE_INIT_DRIVER_TYPE_FLAG_GPU.0,
            ..Default::default()
        };
        let mut count = 0;
        // SAFETY: a live count and descriptor; no array (count query).
        match unsafe { loader().zeInitDrivers(&mut count, null_mut(), &mut desc) } {
            Ok(rc) => {
                assert_eq!(count, 0, "zeInitDrivers found no driver");
                assert_ne!(rc, ze_result_t::ZE_RESULT_SUCCESS);
            }
            Err(missing) => eprintln!(
                "note: this loader has no {} (API 1.10); only zeInit checked",
                missing.name
            ),
        }
    }
}
