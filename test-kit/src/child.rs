//! Runs a test of this test binary again in a child process, for what needs a fresh
//! process (the software driver reads its configuration once per process).
//!
//! The child half is an ignored test (`#[ignore = "child of <parent>"]`) that begins with
//! [`expect_child`]: run on its own (`--ignored`), it fails instead of passing. The parent
//! calls [`run`], which runs exactly that test and fails unless it ran and passed.

use std::ffi::OsStr;
use std::process::{Command, Output};

/// Set in a child's environment to the name of the test it runs.
pub const CHILD_VAR: &str = "USM_TEST_KIT_CHILD";

/// Whether this process is a child that [`run`] started.
pub fn in_child() -> bool {
    std::env::var_os(CHILD_VAR).is_some()
}

/// Fails unless this process is a child that [`run`] started: the first line of every
/// child half.
#[track_caller]
pub fn expect_child() {
    assert!(
        in_child(),
        "the child half of a test: its parent runs it with its configuration"
    );
}

/// What a child printed.
#[derive(Debug)]
pub struct ChildOutput {
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

/// Runs the ignored test `test` of this binary in a child with `env` added to this
/// process's environment, and gives what it printed. Fails unless exactly that one test
/// ran and passed.
#[track_caller]
pub fn run<V: AsRef<OsStr>>(test: &str, env: &[(&str, V)]) -> ChildOutput {
    let out = output(test, env);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child {test} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    ChildOutput { stdout, stderr }
}

/// Runs the ignored test `test` of this binary in a child with `env` added, and gives its
/// raw outcome, for parents that expect the child to fail.
pub fn output<V: AsRef<OsStr>>(test: &str, env: &[(&str, V)]) -> Output {
    let exe = std::env::current_exe().expect("the test binary");
    Command::new(exe)
        .args([
            test,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_VAR, test)
        .envs(env.iter().map(|(k, v)| (k, v.as_ref())))
        .output()
        .expect("the test binary runs")
}

/// Runs the ignored test `test` of this binary in a child, as [`run`], on a thread, so
/// that the parent works while the child does (both sides of an exchange between
/// processes). Join the thread to fail unless the child passed.
pub fn spawn(
    test: &'static str,
    env: Vec<(String, String)>,
) -> std::thread::JoinHandle<ChildOutput> {
    std::thread::spawn(move || {
        let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        run(test, &pairs)
    })
}

/// The environment variable naming the file of a [`Handoff`].
pub const HANDOFF_VAR: &str = "USM_TEST_KIT_HANDOFF";

/// A one-shot message from a running child to its parent (say, an IPC handle the child
/// exported): a file the child writes at once ([`Handoff::publish`]) and the parent waits
/// for ([`Handoff::receive`]).
#[derive(Debug)]
pub struct Handoff {
    path: std::path::PathBuf,
}

impl Handoff {
    /// A new handoff, unique to this process and `name`.
    pub fn new(name: &str) -> Handoff {
        let path = std::env::temp_dir().join(format!(
            "usm-test-kit-handoff-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        Handoff { path }
    }

    /// The variable to give the child ([`spawn`]'s `env`).
    pub fn env(&self) -> (String, String) {
        (HANDOFF_VAR.to_string(), self.path.display().to_string())
    }

    /// In the child: sends `text` to the parent (atomically: a renamed temporary file).
    #[track_caller]
    pub fn publish(text: &str) {
        let path = std::env::var(HANDOFF_VAR).expect("the parent gives a handoff");
        let tmp = format!("{path}.tmp");
        std::fs::write(&tmp, text).expect("write the handoff");
        std::fs::rename(&tmp, &path).expect("publish the handoff");
    }

    /// Waits (at most 30 s) for what the child published.
    #[track_caller]
    pub fn receive(&self) -> String {
        let start = std::time::Instant::now();
        loop {
            if let Ok(text) = std::fs::read_to_string(&self.path) {
                let _ = std::fs::remove_file(&self.path);
                return text;
            }
            assert!(
                start.elapsed() < std::time::Duration::from_secs(30),
                "the child published nothing"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
}
