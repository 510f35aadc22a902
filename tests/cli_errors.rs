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
    // An alternative-driver list naming a library that does not exist leaves the loader
    // with no driver at all, as on a machine without a GPU driver.
    let out = usm(
        &["--driver", "system", "info"],
        &[("ZE_ENABLE_ALT_DRIVERS", "/nonexistent/libze_none.so")],
    );
    assert_eq!(out.status.code(), Some(4));
    let lines = stderr_lines(&out);
    assert_eq!(lines.len(), 1, "stderr: {lines:?}");
    assert!(lines[0].contains("no Level Zero driver could be initialised"));
    assert!(lines[0].contains("--driver soft"));
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
