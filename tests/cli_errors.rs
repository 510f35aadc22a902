//! The `usm` tool's error paths: one clear line on stderr and a distinct exit code.

use std::process::{Command, Output};

fn usm(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_usm"));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the usm binary runs")
}

fn stderr_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn missing_loader_is_one_line_naming_the_library_and_exit_code_3() {
    let out = usm(
        &["--driver", "system", "info"],
        &[("LEVEL_ZERO_LOADER", "/nonexistent/libze_loader.so.1")],
    );
    assert_eq!(out.status.code(), Some(3));
    let lines = stderr_lines(&out);
    assert_eq!(lines.len(), 1, "stderr: {lines:?}");
    assert!(lines[0].starts_with("usm: cannot open the Level Zero loader"));
    assert!(lines[0].contains("/nonexistent/libze_loader.so.1"));
    assert!(lines[0].contains("libze1"));
    assert!(out.stdout.is_empty());
}

#[test]
fn system_driver_without_any_driver_says_so_with_exit_code_4() {
    // The software driver refusing its configuration (more devices than it makes) leaves
    // the loader with no driver at all, as on a machine without a GPU driver.
    let soft = ze_soft::library_path().expect("the software driver is built");
    let soft = soft.to_str().expect("a UTF-8 path");
    let out = usm(
        &["--driver", "system", "info"],
        &[("ZE_ENABLE_ALT_DRIVERS", soft), ("ZE_SOFT_DEVICES", "1000")],
    );
    assert_eq!(out.status.code(), Some(4));
    let lines = stderr_lines(&out);
    // The driver's own line about its configuration, then the tool's one line.
    assert_eq!(lines.len(), 2, "stderr: {lines:?}");
    assert!(lines[0].contains("ZE_SOFT_DEVICES=1000"));
    assert!(lines[1].contains("no Level Zero driver could be initialised"));
    assert!(lines[1].contains("--driver soft"));
}

#[test]
fn an_alt_driver_that_does_not_exist_is_refused_with_exit_code_3() {
    for choice in ["system", "auto"] {
        let out = usm(
            &["--driver", choice, "info"],
            &[("ZE_ENABLE_ALT_DRIVERS", "/nonexistent/libze_none.so")],
        );
        assert_eq!(out.status.code(), Some(3));
        let lines = stderr_lines(&out);
        assert_eq!(
            lines,
            ["usm: /nonexistent/libze_none.so (from ZE_ENABLE_ALT_DRIVERS) does not exist"]
        );
    }
}

#[test]
fn etc_passwd_as_an_alt_driver_is_refused_with_exit_code_3() {
    let soft = ze_soft::library_path().expect("the software driver is built");
    // Also when a real driver comes first in the list.
    let list = format!("{},/etc/passwd", soft.display());
    let out = usm(&["info"], &[("ZE_ENABLE_ALT_DRIVERS", &list)]);
    assert_eq!(out.status.code(), Some(3));
    let lines = stderr_lines(&out);
    assert_eq!(lines.len(), 1, "stderr: {lines:?}");
    assert_eq!(
        lines[0],
        "usm: /etc/passwd (from ZE_ENABLE_ALT_DRIVERS) is not a Level Zero driver: not an \
         ELF file"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn unknown_driver_choice_is_a_usage_error_with_exit_code_2() {
    let out = usm(&["--driver", "gpu9", "info"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("invalid value 'gpu9'"), "{text}");
    assert!(text.contains("soft"));
}

#[test]
fn missing_subcommand_is_a_usage_error() {
    let out = usm(&[], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage: usm"));
}

#[test]
fn a_library_that_is_not_a_loader_is_exit_code_3() {
    // libc opens, but exports no zeInit: it cannot be opened as a Level Zero loader.
    let out = usm(
        &["--driver", "system", "info"],
        &[("LEVEL_ZERO_LOADER", "libc.so.6")],
    );
    assert_eq!(out.status.code(), Some(3), "{:?}", stderr_lines(&out));
    let lines = stderr_lines(&out);
    assert_eq!(lines.len(), 1, "stderr: {lines:?}");
    assert!(lines[0].starts_with("usm: cannot open the Level Zero loader `libc.so.6`"));
    assert!(lines[0].contains("not a Level Zero loader"), "{}", lines[0]);
}

#[test]
fn closed_stdout_and_stderr_end_the_tool_quietly() {
    // `usm info 2>&1 | head -1` once head has gone: both streams lead to a pipe whose
    // reader is closed before the tool writes anything.
    let writer = pipe_without_reader();
    let out = Command::new(env!("CARGO_BIN_EXE_usm"))
        .args(["--driver", "soft", "info"])
        .stdout(writer.try_clone().expect("the pipe's writer"))
        .stderr(writer)
        .status()
        .expect("the usm binary runs");
    assert_eq!(out.code(), Some(0), "no panic (101), no failure");
}

#[test]
fn a_closed_stderr_does_not_hide_the_exit_code() {
    let writer = pipe_without_reader();
    let out = Command::new(env!("CARGO_BIN_EXE_usm"))
        .args(["--driver", "system", "info"])
        .env("LEVEL_ZERO_LOADER", "/nonexistent/libze_loader.so.1")
        .stderr(writer)
        .output()
        .expect("the usm binary runs");
    assert_eq!(out.status.code(), Some(3));
}

/// The writing end of a pipe whose reading end is already closed (what `| head -1` leaves
/// once head has gone). Made with `pipe(2)`: `std::io::pipe` needs a newer Rust than the
/// workspace's declared minimum.
fn pipe_without_reader() -> std::fs::File {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors `pipe` writes.
    let rc = unsafe { libc::pipe(fds.as_mut_ptr()) };
    assert_eq!(rc, 0, "pipe: {}", std::io::Error::last_os_error());
    // SAFETY: `fds[0]` is the reading end just made, owned here and closed once.
    unsafe { libc::close(fds[0]) };
    // SAFETY: `fds[1]` is the writing end just made; the `File` becomes its only owner.
    unsafe { std::fs::File::from_raw_fd(fds[1]) }
}
