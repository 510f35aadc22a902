//! Raw calls through the real Level Zero loader, pointed at the software driver, as any
//! client would make them: the driver's own tests.
//!
//! [`ze!`](crate::ze) calls an entry point and gives its result code; [`assert_rc`] and
//! [`ok`] check it. [`probe`] holds helpers that give result codes (descriptors,
//! allocations that may be refused), [`work`] helpers on one shared context that assert
//! success (lists, queues, events, copies, buffers of every kind).

// The helpers take the handles and pointers a test passes on to the driver, which must
// check them (the tests pass forged ones on purpose); nothing here dereferences them.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

use std::ptr::null_mut;
use std::sync::OnceLock;

pub use level_zero_sys::*;

pub use crate::driver::Config;
pub use crate::ze;

pub mod probe;
pub mod work;

/// Calls a loader entry point (which must be exported) and gives its result code.
///
/// Every use passes arguments that are valid for the call (live locals, handles the driver
/// returned) or deliberately invalid values the driver must reject without touching them.
/// The loader is opened on the software driver with the default configuration unless the
/// test opened it before ([`loader_with`]).
#[macro_export]
macro_rules! ze {
    ($f:ident ( $($arg:expr),* $(,)? )) => {{
        // The arguments are the test's raw pointers and handles, by design.
        #[allow(clippy::macro_metavars_in_unsafe)]
        // SAFETY: see the macro's documentation: arguments are live or deliberately bogus
        // values that the driver checks before any use.
        let rc = unsafe { $crate::raw::loader().$f($($arg),*) };
        rc.expect(stringify!($f))
    }};
}

/// Enables the software driver with `config` (the first call in the process decides, see
/// [`crate::driver::enable`]) and opens the loader.
pub fn loader_with(config: Config<'_>) -> &'static Loader {
    crate::driver::require(config);
    Loader::global().expect("libze_loader.so.1 is installed (bash ci/deps)")
}

/// The loader, on the software driver with exactly the default configuration unless the
/// process chose another first.
pub fn loader() -> &'static Loader {
    loader_with(Config::Only(&[]))
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

/// Asserts `ZE_RESULT_SUCCESS`.
#[track_caller]
pub fn ok(rc: ze_result_t) {
    assert_rc(rc, SUCCESS);
}

/// `ZE_RESULT_SUCCESS`.
pub const SUCCESS: ze_result_t = ze_result_t::ZE_RESULT_SUCCESS;
/// `ZE_RESULT_NOT_READY`.
pub const NOT_READY: ze_result_t = ze_result_t::ZE_RESULT_NOT_READY;
/// `ZE_RESULT_ERROR_INVALID_ARGUMENT`.
pub const INVALID_ARGUMENT: ze_result_t = ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT;
/// `ZE_RESULT_ERROR_INVALID_SIZE`.
pub const INVALID_SIZE: ze_result_t = ze_result_t::ZE_RESULT_ERROR_INVALID_SIZE;
/// `ZE_RESULT_ERROR_INVALID_NULL_POINTER`.
pub const NULL_POINTER: ze_result_t = ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER;
/// `ZE_RESULT_ERROR_INVALID_NULL_HANDLE`.
pub const NULL_HANDLE: ze_result_t = ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
/// `ZE_RESULT_ERROR_HANDLE_OBJECT_IN_USE`.
pub const IN_USE: ze_result_t = ze_result_t::ZE_RESULT_ERROR_HANDLE_OBJECT_IN_USE;
/// `ZE_RESULT_ERROR_INVALID_ENUMERATION`.
pub const INVALID_ENUMERATION: ze_result_t = ze_result_t::ZE_RESULT_ERROR_INVALID_ENUMERATION;
/// `ZE_RESULT_ERROR_DEVICE_LOST`.
pub const DEVICE_LOST: ze_result_t = ze_result_t::ZE_RESULT_ERROR_DEVICE_LOST;

/// The software device's compute queue group ordinal.
pub const COMPUTE: u32 = 0;
/// The software device's main copy queue group ordinal.
pub const MAIN_COPY: u32 = 1;
/// The software device's link copy queue group ordinal.
pub const LINK_COPY: u32 = 2;

/// The initialised driver and its devices.
pub struct Setup {
    /// The one driver (the software driver).
    pub driver: ze_driver_handle_t,
    /// Its devices.
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

/// A context descriptor.
pub fn context_desc() -> ze_context_desc_t {
    ze_context_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_CONTEXT_DESC,
        ..Default::default()
    }
}

/// A new context on every device.
pub fn new_context() -> ze_context_handle_t {
    let desc = context_desc();
    let mut ctx = null_mut();
    ok(ze!(zeContextCreate(setup().driver, &desc, &mut ctx)));
    ctx
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
pub fn parameters_validated() -> bool {
    validation_layer_enabled()
        && std::env::var("ZE_ENABLE_PARAMETER_VALIDATION").is_ok_and(|v| v == "1")
}

/// Asserts that the driver accepted a call whose flags newer specifications define: an
/// older validation layer, which does not know them, may refuse them before the driver
/// sees the call (`ZE_RESULT_ERROR_INVALID_ENUMERATION`), never the driver itself.
#[track_caller]
pub fn accepted_newer_flags(rc: ze_result_t) {
    if rc == INVALID_ENUMERATION && parameters_validated() {
        crate::report_skip("the validation layer refused flags it predates");
        return;
    }
    ok(rc);
}
