//! The child-process helper: a child half runs only when its parent runs it, and the
//! parent fails unless that one test ran and passed.

use std::process::Command;

use usm_test_kit::child;

const VALUE: &str = "USM_TEST_KIT_VALUE";

#[test]
fn a_passing_child_runs_with_the_environment_it_is_given() {
    let out = child::run("passing_child", &[(VALUE, "7")]);
    assert!(out.stdout.contains("value 7"), "{}", out.stdout);
}

#[test]
fn a_failing_child_fails_its_parent() {
    let parent = std::panic::catch_unwind(|| child::run("failing_child", &[(VALUE, "1")]));
    let message = parent.expect_err("the parent fails");
    let message = message
        .downcast_ref::<String>()
        .expect("the parent's message");
    assert!(message.contains("child failing_child failed"), "{message}");
    assert!(message.contains("fails on purpose"), "{message}");
}

#[test]
fn a_child_that_does_not_exist_fails_its_parent() {
    let parent = std::panic::catch_unwind(|| child::run("no_such_child", &[(VALUE, "1")]));
    assert!(parent.is_err(), "no test ran, so the parent must fail");
}

#[test]
fn a_child_half_run_on_its_own_fails() {
    let exe = std::env::current_exe().expect("the test binary");
    let out = Command::new(exe)
        .args(["passing_child", "--exact", "--ignored", "--test-threads=1"])
        .env_remove(child::CHILD_VAR)
        .env(VALUE, "7")
        .output()
        .expect("the test binary runs");
    assert!(!out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("the child half of a test"), "{stdout}");
}

#[test]
#[ignore = "child of a_passing_child_runs_with_the_environment_it_is_given"]
fn passing_child() {
    child::expect_child();
    println!(
        "value {}",
        std::env::var(VALUE).expect("given by the parent")
    );
}

#[test]
#[ignore = "child of a_failing_child_fails_its_parent"]
fn failing_child() {
    child::expect_child();
    panic!("fails on purpose");
}
