//! What usm-core's tests share: the driver they run on, contexts, the USM kinds, memory
//! of any kind with known bytes, queues, leaks for the exit report, the array interface.
//!
//! The tests run through the real Level Zero loader. By default it is pointed at the
//! software driver built from this workspace; with `USM_TEST_DRIVER=system`
//! ([`crate::driver::DRIVER_VAR`]) the same tests run on the drivers installed on the
//! machine.

use std::sync::OnceLock;

use usm_core::suai::{SuaiDict, SuaiError, SuaiView};
use usm_core::{
    AllocOptions, Context, Device, Driver, Engine, Mode, Queue, QueueOptions, UsmDestination,
    UsmDevice, UsmHost, UsmKind, UsmMemory, UsmShared,
};

pub use crate::bytes;
pub use crate::driver::{on_soft_driver, Config};

/// The software driver's variable for its number of devices.
pub const SOFT_DEVICES_VAR: &str = "ZE_SOFT_DEVICES";

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
    let mut vars = vec![(SOFT_DEVICES_VAR, "2")];
    vars.extend_from_slice(soft_config);
    init_config(Config::Only(&vars));
}

/// As [`init`], with the software driver configured by `config` (first call in the
/// process).
pub fn init_config(config: Config<'_>) {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    let outcome = DONE.get_or_init(|| {
        crate::driver::enable(config)?;
        usm_core::init().map_err(|e| e.to_string())
    });
    if let Err(e) = outcome {
        panic!("cannot initialise Level Zero for the tests: {e}");
    }
}

/// Whether the tests run on the software driver; when not, reports `test` as skipped
/// with `why` ([`crate::report_skip`]), so that the caller can return.
#[must_use]
pub fn soft_driver_or_skip(test: &str, why: &str) -> bool {
    let on = on_soft_driver();
    if !on {
        crate::report_skip(&format!("{test}: {why}"));
    }
    on
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

/// The three USM kinds, in the order the tests walk them.
pub const KINDS: [UsmKind; 3] = [UsmKind::Device, UsmKind::Shared, UsmKind::Host];

/// `nbytes` of `kind` memory, as a trait object that can be read and written.
pub fn alloc(
    context: &Context,
    device: &Device,
    kind: UsmKind,
    nbytes: usize,
) -> Box<dyn UsmDestination> {
    match kind {
        UsmKind::Device => Box::new(UsmDevice::new(context, device, nbytes).expect("device")),
        UsmKind::Shared => Box::new(UsmShared::new(context, device, nbytes).expect("shared")),
        UsmKind::Host => Box::new(UsmHost::new(context, nbytes).expect("host")),
    }
}

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

/// A queue on `engine` in `mode`. The software device has every engine; on an installed
/// device without that engine, the queue is on the compute engine instead.
pub fn queue(context: &Context, device: &Device, engine: Engine, mode: Mode) -> Queue {
    let on = |engine| {
        Queue::with_options(
            context,
            device,
            QueueOptions::new().engine(engine).mode(mode),
        )
    };
    match on(engine) {
        Ok(q) => q,
        Err(e) if !on_soft_driver() => {
            eprintln!("no {engine} engine ({e}); using the compute engine");
            on(Engine::Compute).expect("a compute queue")
        }
        Err(e) => panic!("the software device has a {engine} engine: {e}"),
    }
}

/// One queue of each engine and mode the device has.
pub fn all_queues(context: &Context, device: &Device) -> Vec<Queue> {
    let mut out = Vec::new();
    for engine in [Engine::Compute, Engine::MainCopy, Engine::LinkCopy] {
        for mode in [Mode::Synchronous, Mode::Asynchronous] {
            if let Ok(q) = Queue::with_options(
                context,
                device,
                QueueOptions::new().engine(engine).mode(mode),
            ) {
                out.push(q);
            }
        }
    }
    assert!(!out.is_empty());
    out
}

/// Shared memory holding the bytes 0, 1, 2, ...
pub fn counting(context: &Context, device: &Device, n: usize) -> UsmShared {
    let mut memory = UsmShared::new(context, device, n).unwrap();
    for (i, b) in memory.as_mut_slice().iter_mut().enumerate() {
        *b = i as u8;
    }
    memory
}

/// Takes the dict through its JSON text, as another library would receive it.
pub fn through_json(dict: &SuaiDict) -> SuaiDict {
    SuaiDict::from_json(&dict.to_json()).unwrap()
}

/// Consumes `dict` in `context` (the memory outlives every view in these tests).
pub fn take<'a>(
    dict: &SuaiDict,
    context: &Context,
    kind: Option<UsmKind>,
) -> Result<SuaiView<'a>, SuaiError> {
    // SAFETY: each test keeps the memory alive and unwritten while it uses the view.
    unsafe { dict.consume_in(context, kind) }
}

/// `n` bytes of `kind` holding 0, 1, 2, ..., written by a copy.
pub fn counting_of_kind(
    queue: &Queue,
    context: &Context,
    device: &Device,
    kind: UsmKind,
    n: usize,
) -> Box<dyn UsmDestination> {
    let mut memory = alloc(context, device, kind, n);
    let bytes: Vec<u8> = (0..n as u8).collect();
    queue.write_from_slice(memory.as_mut(), &bytes).unwrap();
    memory
}
