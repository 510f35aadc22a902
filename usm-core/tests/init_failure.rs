//! A failed initialisation is kept and handed to every caller. Checked in child processes
//! (this test binary run again), since a process initialises only once.

use usm_test_kit::child;

use level_zero_sys::ze_result_t;
use usm_core::{Context, Driver, Error};

const CHILD_VAR: &str = "USM_CORE_INIT_CHILD";

/// The child half of the tests below: initialises from several threads and checks that
/// every caller gets the same error, whichever entry point it used.
#[test]
#[ignore = "child of the tests of this binary"]
fn child_initialises() {
    child::expect_child();
    let expected = std::env::var_os(CHILD_VAR).expect("run by its parent");
    let errors: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| usm_core::init().unwrap_err().to_string()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(errors.iter().all(|e| e == &errors[0]), "{errors:?}");
    let first = usm_core::init().unwrap_err();
    assert_eq!(Driver::all().unwrap_err().to_string(), first.to_string());
    assert_eq!(
        Context::default_gpu().unwrap_err().to_string(),
        first.to_string()
    );
    match (expected.to_str().unwrap(), &first) {
        ("load", Error::Load(e)) => {
            assert!(
                e.to_string().contains("/nonexistent/libze_loader.so.1"),
                "{e}"
            )
        }
        ("zeInit", Error::Ze(e)) => {
            assert_eq!(e.call, "zeInit");
            assert_eq!(e.code, ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED);
        }
        (what, other) => panic!("{what}: unexpected {other:?}"),
    }
    println!("child checked {expected:?}");
}

fn run_child(expected: &str, env: &[(&str, &str)]) {
    let mut env = env.to_vec();
    env.push((CHILD_VAR, expected));
    let stdout = child::run("child_initialises", &env).stdout;
    assert!(
        stdout.contains("child checked"),
        "child did not run:\n{stdout}"
    );
}

#[test]
fn a_missing_loader_is_the_same_load_error_for_every_caller() {
    run_child(
        "load",
        &[(
            level_zero_sys::Loader::PATH_ENV,
            "/nonexistent/libze_loader.so.1",
        )],
    );
}

#[test]
fn a_failing_zeinit_is_the_same_driver_error_for_every_caller() {
    run_child(
        "zeInit",
        &[("ZE_ENABLE_ALT_DRIVERS", "/nonexistent/libze_none.so")],
    );
}
