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
    command(test, env).output().expect("the test binary runs")
}

/// The command that runs the ignored test `test` of this binary, alone, with `env` added.
fn command<V: AsRef<OsStr>>(test: &str, env: &[(&str, V)]) -> Command {
    let exe = std::env::current_exe().expect("the test binary");
    let mut command = Command::new(exe);
    command
        .args([
            test,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_VAR, test)
        .envs(env.iter().map(|(k, v)| (k, v.as_ref())));
    command
}

/// A child that [`spawn`] started: it runs while the parent works with it.
pub struct Spawned {
    /// The process (its standard input is piped: the child waits on it; its standard
    /// error is inherited).
    pub process: std::process::Child,
    lines: std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
}

impl Spawned {
    /// What follows `prefix` in the next line the child printed that holds it (the test
    /// harness may print the test's name first on the same line); fails when the child's
    /// output ends first.
    #[track_caller]
    pub fn line(&mut self, prefix: &str) -> String {
        for line in self.lines.by_ref() {
            let line = line.expect("the child's output");
            if let Some(at) = line.find(prefix) {
                return line[at + prefix.len()..].to_string();
            }
        }
        panic!("the child ended without printing a line starting with {prefix:?}");
    }

    /// Writes `line` to the child's standard input.
    #[track_caller]
    pub fn tell(&mut self, line: &str) {
        use std::io::Write;
        let stdin = self.process.stdin.as_mut().expect("the child's input");
        writeln!(stdin, "{line}").expect("the child reads its input");
    }

    /// Waits for the child; fails unless exactly its test ran and passed.
    #[track_caller]
    pub fn finish(mut self) {
        drop(self.process.stdin.take());
        let rest: Vec<String> = self.lines.by_ref().map_while(Result::ok).collect();
        let status = self.process.wait().expect("the child ends");
        assert!(
            status.success() && rest.iter().any(|l| l.contains("1 passed")),
            "child failed ({status}):\n{}",
            rest.join("\n")
        );
    }
}

/// Starts the ignored test `test` of this binary in a child with `env` added, without
/// waiting for it: for tests where two processes work at the same time. The child reads
/// what the parent [`tell`](Spawned::tell)s it with [`wait_for_parent`].
pub fn spawn<V: AsRef<OsStr>>(test: &str, env: &[(&str, V)]) -> Spawned {
    use std::io::BufRead;
    use std::process::Stdio;
    let mut process = command(test, env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the test binary starts");
    let stdout = process.stdout.take().expect("the child's output");
    Spawned {
        process,
        lines: std::io::BufReader::new(stdout).lines(),
    }
}

/// In a child that [`spawn`] started: the next line its parent told it (empty when the
/// parent closed the input).
pub fn wait_for_parent() -> String {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .expect("the parent's input");
    line.trim_end().to_string()
}

/// The number of file descriptors open in this process (`/proc/self/fd`, without the one
/// reading it).
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("procfs")
        .count()
        .saturating_sub(1)
}

/// Bytes as lowercase hexadecimal, to hand to a child in its environment.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of [`to_hex`]'s text; fails on anything else.
#[track_caller]
pub fn from_hex(text: &str) -> Vec<u8> {
    assert!(text.len() % 2 == 0, "hexadecimal of whole bytes: {text:?}");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hexadecimal"))
        .collect()
}

/// Runs the ignored test `test` of this binary in a child, as [`run`], on a thread, so
/// that the parent works while the child does (both sides of an exchange between
/// processes, talking through a [`Handoff`]). Join the thread to fail unless the child
/// passed. ([`spawn`] is the same with the child's standard input and output for talking.)
pub fn spawn_on_thread(
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

    /// The variable to give the child ([`spawn_on_thread`]'s `env`).
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
