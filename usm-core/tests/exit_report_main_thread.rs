//! The report at process exit when the program installed the everyday
//! `tracing_subscriber::fmt().init()` on its main thread and leaks from there: the
//! thread-locals of the main thread are gone when `atexit` handlers run, and the report
//! must still come out. Checked on a child process (this binary run again).

use usm_test_kit::usm as kit;

const CHILD_VAR: &str = "USM_CORE_EXIT_REPORT_CHILD";
/// Set in the child: exit with standard error locked by the exiting thread.
const HOLD_STDERR_VAR: &str = "USM_CORE_EXIT_REPORT_HOLD_STDERR";

/// In the child: a subscriber on the main thread, one allocation leaked, return from main.
fn child() {
    kit::install_warn_subscriber();
    let (context, device) = kit::context();
    kit::leak_shared(&context, &device, 321);
    // The last owning handle goes with memory alive: a `warn` event on this thread, so the
    // subscriber's thread-locals of the main thread are in use (and destroyed at exit).
    drop(context);
    if std::env::var_os(HOLD_STDERR_VAR).is_some() {
        let held = std::io::stderr().lock();
        std::mem::forget(held);
        std::process::exit(0);
    }
}

fn run_child(extra: &[(&str, &str)]) -> (String, String, Option<i32>) {
    let exe = std::env::current_exe().expect("this test binary");
    let mut child = std::process::Command::new(exe)
        .env(CHILD_VAR, "1")
        .envs(extra.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the child process");
    // A hang at exit fails the test instead of hanging it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while child.try_wait().expect("the child's status").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the child hung at exit");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("the child's output");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

fn the_report_reaches_the_subscriber_of_the_main_thread() {
    let (stdout, stderr, code) = run_child(&[]);
    assert_eq!(code, Some(0), "{stderr}");
    let leaked = kit::leaked_address(&stdout);
    assert!(
        !stderr.contains("Thread Local Storage"),
        "the report panicked:\n{stderr}"
    );
    assert!(
        stderr.contains("allocation outlives its context handle"),
        "the main thread reported through its subscriber before exit:\n{stderr}"
    );
    let line = stderr
        .lines()
        .find(|l| l.contains("still alive at process exit") && l.contains(leaked))
        .unwrap_or_else(|| panic!("no report at exit for {leaked}:\n{stderr}"));
    assert!(line.contains("WARN"), "{line}");
    assert!(line.contains("321 bytes of shared memory"), "{line}");
    assert!(
        line.contains("allocated at usm-core/tests/exit_report_main_thread.rs:"),
        "{line}"
    );
}

fn the_report_can_still_be_silenced() {
    let (_, stderr, code) = run_child(&[(usm_core::LEAK_REPORT_ENV, "0")]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("still alive"), "{stderr}");
}

fn the_report_comes_out_when_the_exiting_thread_holds_stderr() {
    // The subscriber writes to standard error, which the exiting thread holds: the
    // reporting thread blocks, and the report comes out from the exiting thread instead.
    let (stdout, stderr, code) = run_child(&[(HOLD_STDERR_VAR, "1")]);
    assert_eq!(code, Some(0), "{stderr}");
    let leaked = kit::leaked_address(&stdout);
    assert!(
        stderr.contains("usm-core: 1 USM allocation(s) still alive at process exit:"),
        "{stderr}"
    );
    assert!(stderr.contains(leaked), "{stderr}");
}

fn main() {
    if std::env::var_os(CHILD_VAR).is_some() {
        child();
        return;
    }
    the_report_reaches_the_subscriber_of_the_main_thread();
    println!("test the_report_reaches_the_subscriber_of_the_main_thread ... ok");
    the_report_can_still_be_silenced();
    println!("test the_report_can_still_be_silenced ... ok");
    the_report_comes_out_when_the_exiting_thread_holds_stderr();
    println!("test the_report_comes_out_when_the_exiting_thread_holds_stderr ... ok");
}
