//! The report made when the process exits with USM allocations alive, checked on a child
//! process (this test binary run again, for the one helper test below).

use usm_test_kit::child;
use usm_test_kit::usm as kit;

/// Set in the child: install a global `tracing` subscriber writing to standard error.
const SUBSCRIBER_VAR: &str = "USM_CORE_LEAK_SUBSCRIBER";

/// The child half of the tests below: allocates, forgets the memory and returns, so that
/// the process exits with one live allocation.
#[test]
#[ignore = "child of the tests of this binary"]
fn child_leaks_one_allocation() {
    child::expect_child();
    if std::env::var_os(SUBSCRIBER_VAR).is_some() {
        kit::install_warn_subscriber();
    }
    let (context, device) = kit::context();
    kit::leak_shared(&context, &device, 321);
}

fn run_child(env: &[(&str, &str)]) -> (String, String) {
    let out = child::run("child_leaks_one_allocation", env);
    (out.stdout, out.stderr)
}

#[test]
fn process_exit_with_live_memory_reports_it_on_stderr() {
    let (stdout, stderr) = run_child(&[]);
    let leaked = kit::leaked_address(&stdout);
    assert!(
        stderr.contains("usm-core: 1 USM allocation(s) still alive at process exit:"),
        "{stderr}"
    );
    let line = stderr
        .lines()
        .find(|l| l.contains(leaked))
        .unwrap_or_else(|| panic!("{leaked} not reported:\n{stderr}"));
    assert!(line.contains("321 bytes of shared memory"), "{line}");
    assert!(
        line.contains("allocated at usm-core/tests/leak_at_exit.rs:"),
        "{line}"
    );
}

#[test]
fn the_report_at_exit_can_be_silenced() {
    let (_, stderr) = run_child(&[(usm_core::LEAK_REPORT_ENV, "0")]);
    assert!(!stderr.contains("still alive"), "{stderr}");
}

#[test]
fn the_report_at_exit_goes_to_a_tracing_subscriber_when_one_listens() {
    let (_, stderr) = run_child(&[(SUBSCRIBER_VAR, "1")]);
    let line = stderr
        .lines()
        .find(|l| l.contains("still alive at process exit"))
        .unwrap_or_else(|| panic!("no report at exit:\n{stderr}"));
    assert!(line.contains("WARN"), "{line}");
    assert!(line.contains("usm_core::leak"), "{line}");
    assert!(line.contains("321 bytes of shared memory"), "{line}");
    assert!(
        line.contains("allocated at usm-core/tests/leak_at_exit.rs:"),
        "{line}"
    );
    assert!(
        !stderr.contains("usm-core: 1 USM allocation(s)"),
        "{stderr}"
    );
    // The last context handle went away first, with its own report.
    assert!(
        stderr.contains("allocation outlives its context handle"),
        "{stderr}"
    );
}
