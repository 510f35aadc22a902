//! Shared set-up of the integration tests: the real loader, pointed at the software driver
//! through `ZE_ENABLE_ALT_DRIVERS`, as any client would use it.
#![allow(dead_code, unused_macros)]

use std::ffi::c_void;
use std::ptr::{null, null_mut};
use std::sync::OnceLock;

pub use level_zero_sys::*;

/// Calls a loader entry point and returns its result code.
///
/// Every use passes arguments that are valid for the call (live locals, handles the driver
/// returned) or deliberately invalid values the driver must reject without touching them.
macro_rules! ze {
    ($f:ident($($a:expr),* $(,)?)) => {
        // SAFETY: see the macro's documentation: arguments are live or deliberately bogus
        // values that the driver checks before any use.
        unsafe { $crate::common::loader().$f($($a),*) }.expect(stringify!($f))
    };
}

/// Sets environment variables and opens the loader pointed at the software driver. The
/// variables are set once, before the loader initialises, from the first caller; any other
/// `ZE_SOFT_*` configuration inherited from the caller's environment is removed, so that
/// each test binary runs with exactly the configuration it names.
pub fn loader_with(vars: &[(&str, &str)]) -> &'static Loader {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        for (k, _) in std::env::vars_os() {
            let name = k.to_string_lossy();
            if name.starts_with("ZE_SOFT_") && name != "ZE_SOFT_LIBRARY" {
                std::env::remove_var(&k);
            }
        }
        for (k, v) in vars {
            std::env::set_var(k, v);
        }
        // SAFETY: every test opens the loader through this `OnceLock` (C code reading the
        // environment starts only after it); other threads use `std::env`, which locks it.
        unsafe { ze_soft::enable_for_process() }.expect("libze_soft.so is built next to the tests");
    });
    Loader::global().expect("libze_loader.so.1 is installed (bash ci/deps)")
}

/// The loader with the default configuration.
pub fn loader() -> &'static Loader {
    loader_with(&[])
}

/// Asserts that a call answered `expected`, naming both codes on failure.
#[track_caller]
pub fn assert_rc(actual: ze_result_t, expected: ze_result_t) {
    assert_eq!(
        actual,
        expected,
        "got {} expected {}",
        actual.name().unwrap_or("?"),
        expected.name().unwrap_or("?")
    );
}

/// Asserts success.
#[track_caller]
pub fn ok(actual: ze_result_t) {
    assert_rc(actual, ze_result_t::ZE_RESULT_SUCCESS);
}

/// The initialised driver and its devices.
pub struct Setup {
    pub driver: ze_driver_handle_t,
    pub devices: Vec<ze_device_handle_t>,
}

// SAFETY: the handles are opaque values the driver checks on every call; sharing them
// between threads is what the Level Zero API allows.
unsafe impl Sync for Setup {}
// SAFETY: as above.
unsafe impl Send for Setup {}

/// `zeInit(0)`, the one driver and its devices, once per process.
pub fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        loader();
        ok(ze!(zeInit(0)));
        let mut count = 0;
        ok(ze!(zeDriverGet(&mut count, null_mut())));
        assert_eq!(count, 1, "exactly the software driver");
        let mut driver = null_mut();
        ok(ze!(zeDriverGet(&mut count, &mut driver)));
        let mut n = 0;
        ok(ze!(zeDeviceGet(driver, &mut n, null_mut())));
        let mut devices = vec![null_mut(); n as usize];
        ok(ze!(zeDeviceGet(driver, &mut n, devices.as_mut_ptr())));
        Setup { driver, devices }
    })
}

/// A new context on every device.
pub fn new_context() -> ze_context_handle_t {
    let s = setup();
    let desc = context_desc();
    let mut ctx = null_mut();
    ok(ze!(zeContextCreate(s.driver, &desc, &mut ctx)));
    ctx
}

pub fn context_desc() -> ze_context_desc_t {
    ze_context_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_CONTEXT_DESC,
        ..Default::default()
    }
}

pub fn device_desc() -> ze_device_mem_alloc_desc_t {
    ze_device_mem_alloc_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC,
        ..Default::default()
    }
}

pub fn host_desc() -> ze_host_mem_alloc_desc_t {
    ze_host_mem_alloc_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC,
        ..Default::default()
    }
}

pub fn relaxed_desc() -> ze_relaxed_allocation_limits_exp_desc_t {
    ze_relaxed_allocation_limits_exp_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_RELAXED_ALLOCATION_LIMITS_EXP_DESC,
        pNext: null(),
        flags:
            ze_relaxed_allocation_limits_exp_flag_t::ZE_RELAXED_ALLOCATION_LIMITS_EXP_FLAG_MAX_SIZE
                .0,
    }
}

/// Allocates device memory on `device`, returning the code and the pointer.
pub fn alloc_device(
    ctx: ze_context_handle_t,
    size: usize,
    alignment: usize,
    device: ze_device_handle_t,
) -> (ze_result_t, *mut c_void) {
    let desc = device_desc();
    let mut p = null_mut();
    let rc = ze!(zeMemAllocDevice(
        ctx, &desc, size, alignment, device, &mut p
    ));
    (rc, p)
}

pub fn alloc_host(
    ctx: ze_context_handle_t,
    size: usize,
    alignment: usize,
) -> (ze_result_t, *mut c_void) {
    let desc = host_desc();
    let mut p = null_mut();
    let rc = ze!(zeMemAllocHost(ctx, &desc, size, alignment, &mut p));
    (rc, p)
}

pub fn alloc_shared(
    ctx: ze_context_handle_t,
    size: usize,
    alignment: usize,
    device: ze_device_handle_t,
) -> (ze_result_t, *mut c_void) {
    let (ddesc, hdesc) = (device_desc(), host_desc());
    let mut p = null_mut();
    let rc = ze!(zeMemAllocShared(
        ctx, &ddesc, &hdesc, size, alignment, device, &mut p
    ));
    (rc, p)
}

/// The allocation properties of `ptr`: (type, id, page size, device).
pub fn alloc_properties(
    ctx: ze_context_handle_t,
    ptr: *const c_void,
) -> (ze_memory_type_t, u64, u64, ze_device_handle_t) {
    let mut p = ze_memory_allocation_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_MEMORY_ALLOCATION_PROPERTIES,
        ..Default::default()
    };
    let mut device = null_mut();
    ok(ze!(zeMemGetAllocProperties(ctx, ptr, &mut p, &mut device)));
    (p.type_, p.id, p.pageSize, device)
}

/// Serialises the tests of a binary that take it: some free memory and then check that
/// the freed address is unknown or refused, which another test running at the same time
/// could make untrue by being given the same address.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether the loader's validation layer is active in this run.
pub fn validation_layer_enabled() -> bool {
    std::env::var("ZE_ENABLE_VALIDATION_LAYER").is_ok_and(|v| v == "1")
}

/// Whether the validation layer also checks parameters in this run.
pub fn parameter_validation_enabled() -> bool {
    validation_layer_enabled()
        && std::env::var("ZE_ENABLE_PARAMETER_VALIDATION").is_ok_and(|v| v == "1")
}
