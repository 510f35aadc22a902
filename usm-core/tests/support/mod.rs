//! Shared set-up of the integration tests: which driver they run on, and small helpers.
//!
//! The tests run through the real Level Zero loader. By default the loader is pointed at the
//! software driver built from this workspace (`ZE_ENABLE_ALT_DRIVERS`, unless already set);
//! with `USM_TEST_DRIVER=system` the same tests run on the drivers installed on the machine.
#![allow(dead_code)]

use std::sync::OnceLock;

use usm_core::{
    AllocOptions, Context, Device, Driver, UsmDevice, UsmHost, UsmKind, UsmMemory, UsmShared,
};

/// The variable that selects the driver under test: `soft` (default) or `system`.
pub const DRIVER_VAR: &str = "USM_TEST_DRIVER";

/// The software driver's variable for its number of devices.
pub const SOFT_DEVICES_VAR: &str = "ZE_SOFT_DEVICES";

/// Whether the tests run on the software driver of this workspace.
pub fn on_soft_driver() -> bool {
    std::env::var(DRIVER_VAR).map_or(true, |v| v != "system")
}

/// Points the loader at the driver under test and initialises Level Zero, once per process.
///
/// Panics with the reason when that fails: every test needs it.
pub fn init() {
    init_with(&[]);
}

/// As [`init`], with extra configuration of the software driver (`ZE_SOFT_*` variables),
/// for the first call in the process.
///
/// The software driver's configuration inherited from the environment is cleared first
/// (the tests say what they expect of it), and it gets two devices, so that tests can
/// cross devices and device subsets.
pub fn init_with(soft_config: &[(&str, &str)]) {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    let outcome = DONE.get_or_init(|| {
        if on_soft_driver() {
            for (name, _) in std::env::vars_os() {
                let name = name.to_string_lossy();
                if name.starts_with("ZE_SOFT_") && name != ze_soft::LIBRARY_VAR {
                    std::env::remove_var(&*name);
                }
            }
            std::env::set_var(SOFT_DEVICES_VAR, "2");
            for (name, value) in soft_config {
                std::env::set_var(name, value);
            }
            // SAFETY: every test reaches Level Zero through this `OnceLock` (the loader,
            // C code reading the environment, starts only after it); the harness's other
            // threads read the environment only through `std::env`, which locks it.
            unsafe { ze_soft::enable_for_process() }.map_err(|e| e.to_string())?;
        }
        usm_core::init().map_err(|e| e.to_string())
    });
    if let Err(e) = outcome {
        panic!("cannot initialise Level Zero for the tests: {e}");
    }
}

/// The first driver.
pub fn driver() -> Driver {
    init();
    Driver::all().expect("zeDriverGet")[0]
}

/// The first GPU device of the first driver that has one.
pub fn device() -> Device {
    init();
    Device::all_gpus().expect("device discovery")[0].clone()
}

/// A new context over [`device`]: each test gets its own, so counters are its own.
pub fn context() -> (Context, Device) {
    let device = device();
    let context = Context::new(device.driver(), std::slice::from_ref(&device)).expect("context");
    (context, device)
}

/// The address of a pointer, for messages and arithmetic.
pub fn addr<T>(p: *const T) -> usize {
    p as usize
}

/// Runs one test of this test binary again in a child process, with `env` added, and
/// returns its standard output and error; fails unless it succeeded.
pub fn run_test_in_child(test: &str, env: &[(&str, &str)]) -> (String, String) {
    let exe = std::env::current_exe().expect("the test binary");
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["--exact", test, "--nocapture", "--test-threads=1"]);
    cmd.envs(env.iter().copied());
    let out = cmd.output().expect("the child process");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
    (stdout, stderr)
}

/// The three USM kinds, in the order the tests walk them.
pub const KINDS: [UsmKind; 3] = [UsmKind::Device, UsmKind::Shared, UsmKind::Host];

/// Allocates one buffer of `kind` through the public API, as a trait object.
pub fn allocate(
    context: &Context,
    device: &Device,
    kind: UsmKind,
    nbytes: usize,
    options: &AllocOptions,
) -> usm_core::Result<Box<dyn UsmMemory>> {
    Ok(match kind {
        UsmKind::Device => Box::new(UsmDevice::with_options(context, device, nbytes, options)?),
        UsmKind::Shared => Box::new(UsmShared::with_options(context, device, nbytes, options)?),
        UsmKind::Host => Box::new(UsmHost::with_options(context, nbytes, options)?),
    })
}

/// Installs a global `tracing` subscriber writing `warn` events and above to standard error.
pub fn install_warn_subscriber() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .init();
}

/// Allocates `nbytes` of shared memory, prints `leaked <address>` on standard output and
/// forgets the memory: it stays alive until the process exits. The caller's location is
/// the one the reports name.
#[track_caller]
pub fn leak_shared(context: &Context, device: &Device, nbytes: usize) {
    let m = UsmShared::new(context, device, nbytes).unwrap();
    println!("leaked {:#x}", m.as_ptr() as usize);
    std::mem::forget(m);
}

/// The address a child printed with [`leak_shared`] (`leaked <address>`).
pub fn leaked_address(stdout: &str) -> &str {
    stdout
        .lines()
        .find_map(|l| l.split("leaked ").nth(1))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no address in {stdout}"))
}
