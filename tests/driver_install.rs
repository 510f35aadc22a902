//! The software driver for crates outside the workspace: `usm driver install` puts the
//! library in a known place, and a test binary moved away from the build still finds it
//! there through `ze_soft::enable_for_process`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh folder of this test under the system's temporary folder, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("usm-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn usm(args: &[&str], home: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_usm"))
        .args(args)
        .env("HOME", home)
        .env_remove("ZE_SOFT_LIBRARY")
        .env_remove("ZE_ENABLE_ALT_DRIVERS")
        .output()
        .expect("the usm binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn install_puts_the_library_under_the_prefix_and_prints_the_loader_line() {
    let tmp = TempDir::new("install-prefix");
    let prefix = tmp.0.join("opt");
    let out = usm(
        &["driver", "install", "--prefix", prefix.to_str().unwrap()],
        &tmp.0,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let installed = std::fs::canonicalize(ze_soft::install_path(&prefix)).unwrap();
    assert_eq!(
        text(&out.stdout),
        format!("export ZE_ENABLE_ALT_DRIVERS={}\n", installed.display())
    );
    ze_soft::check_driver_file(&installed, "the test").unwrap();
    assert!(text(&out.stderr).contains("is not searched by default"));
}

#[test]
fn install_refuses_a_file_that_is_not_a_driver() {
    let tmp = TempDir::new("install-refused");
    let out = usm(
        &["driver", "install", "--from", "/etc/passwd", "--prefix"],
        &tmp.0,
    );
    assert_eq!(out.status.code(), Some(2), "--prefix needs a value");
    let prefix = tmp.0.join("p");
    let out = usm(
        &[
            "driver",
            "install",
            "--from",
            "/etc/passwd",
            "--prefix",
            prefix.to_str().unwrap(),
        ],
        &tmp.0,
    );
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        text(&out.stderr),
        "usm: /etc/passwd (from --from) is not a Level Zero driver: not an ELF file\n"
    );
    assert!(!prefix.exists(), "nothing was installed");
}

#[test]
fn a_moved_test_binary_finds_the_installed_driver() {
    let tmp = TempDir::new("moved");
    let home = tmp.0.join("home");
    let out = usm(&["driver", "install"], &home);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let installed = std::fs::canonicalize(ze_soft::install_path(&home.join(".local"))).unwrap();
    // This very test binary, copied where no libze_soft.so is near it.
    let moved = tmp.0.join("elsewhere").join("moved-test");
    std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
    std::fs::copy(std::env::current_exe().unwrap(), &moved).unwrap();
    let mut child = Command::new(&moved);
    child
        .args([
            "--exact",
            "runs_on_the_installed_driver_when_moved",
            "--ignored",
            "--nocapture",
        ])
        .env("HOME", &home)
        .env_remove("ZE_SOFT_LIBRARY")
        .env_remove("ZE_ENABLE_ALT_DRIVERS");
    let out = run_fresh_copy(&mut child);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains(&format!("driver in use: {}", installed.display())),
        "{stdout}"
    );
    assert!(stdout.contains("copied through the device: ok"), "{stdout}");
}

/// Runs a binary just copied. Another test of this process may fork while the copy is
/// being written; until its child execs, it holds the copy open for writing and exec
/// fails with `ETXTBSY`, so that is retried for a while.
fn run_fresh_copy(command: &mut Command) -> Output {
    /// Linux's "text file busy".
    const ETXTBSY: i32 = 26;
    let mut tries = 0;
    loop {
        match command.output() {
            Err(e) if e.raw_os_error() == Some(ETXTBSY) && tries < 100 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            outcome => return outcome.expect("the moved binary runs"),
        }
    }
}

/// Run by [`a_moved_test_binary_finds_the_installed_driver`] in the moved copy.
#[test]
#[ignore = "run in a moved copy of this binary by a_moved_test_binary_finds_the_installed_driver"]
fn runs_on_the_installed_driver_when_moved() {
    // SAFETY: the only test this process runs (`--exact`); no other thread reads the
    // environment and the loader is not open yet.
    let path = unsafe { ze_soft::enable_for_process() }.expect("the installed driver");
    println!("driver in use: {}", path.display());
    let (context, device) = usm_core::Context::default_gpu().unwrap();
    let queue = usm_core::Queue::new(&context, &device).unwrap();
    let mut on_device = usm_core::UsmDevice::new(&context, &device, 64).unwrap();
    queue.write_from_slice(&mut on_device, &[5; 64]).unwrap();
    assert_eq!(queue.to_vec(&on_device).unwrap(), vec![5u8; 64]);
    println!("copied through the device: ok");
}

#[test]
fn etc_passwd_in_alt_drivers_is_refused_by_enable_for_process() {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args([
            "--exact",
            "enable_for_process_with_passwd",
            "--ignored",
            "--nocapture",
        ])
        .env("ZE_ENABLE_ALT_DRIVERS", "/etc/passwd")
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains(
            "refused: /etc/passwd (from ZE_ENABLE_ALT_DRIVERS) is not a Level Zero driver: \
             not an ELF file"
        ),
        "{stdout}"
    );
}

/// Run by [`etc_passwd_in_alt_drivers_is_refused_by_enable_for_process`] in a child.
#[test]
#[ignore = "run in a child process by etc_passwd_in_alt_drivers_is_refused_by_enable_for_process"]
fn enable_for_process_with_passwd() {
    // SAFETY: the only test this process runs; the loader is not open.
    let e = unsafe { ze_soft::enable_for_process() }.unwrap_err();
    assert!(matches!(e, ze_soft::DriverSetupError::NotADriver { .. }));
    assert_eq!(
        std::env::var("ZE_ENABLE_ALT_DRIVERS").unwrap(),
        "/etc/passwd",
        "left alone"
    );
    println!("refused: {e}");
}
