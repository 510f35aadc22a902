//! Shared set-up of the command list, queue, event and copy tests: the real loader,
//! pointed at the software driver, one driver/device/context per test binary, and small
//! helpers that create objects and move bytes, each asserting success.
#![allow(dead_code)]

mod buffer;
#[allow(unused_imports)]
pub use buffer::{Buffer, Kind, KINDS};

use std::ffi::c_void;
use std::ptr::{null, null_mut};
use std::sync::OnceLock;

pub use level_zero_sys::*;

/// Calls a loader entry point (which must be exported) and gives its result code.
#[macro_export]
macro_rules! ze {
    ($f:ident ( $($arg:expr),* $(,)? )) => {{
        // The arguments are the test's raw pointers and handles, by design.
        #[allow(clippy::macro_metavars_in_unsafe)]
        // SAFETY: the tests pass arguments valid for the call, or deliberately invalid
        // ones the specification says the driver must reject.
        let rc = unsafe { $crate::support::env().l.$f($($arg),*) };
        rc.expect(stringify!($f))
    }};
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

/// Whether the loader's parameter validation layer is on in this run.
pub fn parameters_validated() -> bool {
    [
        "ZE_ENABLE_VALIDATION_LAYER",
        "ZE_ENABLE_PARAMETER_VALIDATION",
    ]
    .iter()
    .all(|v| std::env::var(v).is_ok_and(|v| v == "1"))
}

/// Asserts that the driver accepted a call whose flags newer specifications define: an
/// older validation layer, which does not know them, may refuse them before the driver
/// sees the call (`ZE_RESULT_ERROR_INVALID_ENUMERATION`), never the driver itself.
#[track_caller]
pub fn accepted_newer_flags(rc: ze_result_t) {
    if rc == ze_result_t::ZE_RESULT_ERROR_INVALID_ENUMERATION && parameters_validated() {
        return;
    }
    ok(rc);
}

/// Asserts `ZE_RESULT_SUCCESS`.
#[track_caller]
pub fn ok(rc: ze_result_t) {
    assert_rc(rc, ze_result_t::ZE_RESULT_SUCCESS);
}

pub const SUCCESS: ze_result_t = ze_result_t::ZE_RESULT_SUCCESS;
pub const NOT_READY: ze_result_t = ze_result_t::ZE_RESULT_NOT_READY;
pub const INVALID_ARGUMENT: ze_result_t = ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT;
pub const INVALID_SIZE: ze_result_t = ze_result_t::ZE_RESULT_ERROR_INVALID_SIZE;
pub const NULL_POINTER: ze_result_t = ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER;
pub const NULL_HANDLE: ze_result_t = ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
pub const IN_USE: ze_result_t = ze_result_t::ZE_RESULT_ERROR_HANDLE_OBJECT_IN_USE;
pub const INVALID_ENUMERATION: ze_result_t = ze_result_t::ZE_RESULT_ERROR_INVALID_ENUMERATION;
pub const DEVICE_LOST: ze_result_t = ze_result_t::ZE_RESULT_ERROR_DEVICE_LOST;

/// Queue group ordinals of the software device.
pub const COMPUTE: u32 = 0;
pub const MAIN_COPY: u32 = 1;
pub const LINK_COPY: u32 = 2;

/// The loader, driver, devices and one context shared by the tests of a binary.
pub struct Env {
    pub l: &'static Loader,
    pub driver: ze_driver_handle_t,
    pub devices: Vec<ze_device_handle_t>,
    pub ctx: ze_context_handle_t,
}

// SAFETY: the handles are opaque numbers the driver accepts from any thread.
unsafe impl Send for Env {}
// SAFETY: as above; nothing is mutated through a shared `Env`.
unsafe impl Sync for Env {}

static ENV: OnceLock<Env> = OnceLock::new();

/// The shared environment, initialised at the first call with the driver configured by
/// `vars` (set before the loader starts; later calls ignore them).
pub fn env_with(vars: &[(&str, &str)]) -> &'static Env {
    ENV.get_or_init(|| {
        for (k, v) in vars {
            std::env::set_var(k, v);
        }
        init()
    })
}

/// The shared environment, initialised at the first call.
pub fn env() -> &'static Env {
    ENV.get_or_init(init)
}

fn init() -> Env {
    {
        // SAFETY: every test reaches the loader through the `OnceLock` that runs this (C
        // code reading the environment starts only after it); other threads use
        // `std::env`, which locks it.
        unsafe { ze_soft::enable_for_process() }.expect("libze_soft.so is built next to the tests");
        let l = Loader::global().expect("libze_loader.so.1 is installed (bash ci/deps)");
        // SAFETY: plain calls with valid out-pointers.
        unsafe {
            ok(l.zeInit(0).unwrap());
            let mut n = 1u32;
            let mut driver = null_mut();
            ok(l.zeDriverGet(&mut n, &mut driver).unwrap());
            let mut count = 0u32;
            ok(l.zeDeviceGet(driver, &mut count, null_mut()).unwrap());
            let mut devices = vec![null_mut(); count as usize];
            ok(l.zeDeviceGet(driver, &mut count, devices.as_mut_ptr())
                .unwrap());
            let desc = ze_context_desc_t {
                stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_CONTEXT_DESC,
                ..Default::default()
            };
            let mut ctx = null_mut();
            ok(l.zeContextCreate(driver, &desc, &mut ctx).unwrap());
            Env {
                l,
                driver,
                devices,
                ctx,
            }
        }
    }
}

/// The first device.
pub fn device() -> ze_device_handle_t {
    env().devices[0]
}

/// A new context on the driver's devices.
pub fn new_context() -> ze_context_handle_t {
    let desc = ze_context_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_CONTEXT_DESC,
        ..Default::default()
    };
    let mut ctx = null_mut();
    ok(ze!(zeContextCreate(env().driver, &desc, &mut ctx)));
    ctx
}

/// Device memory of `size` bytes in `ctx`.
pub fn alloc_device_in(ctx: ze_context_handle_t, size: usize) -> *mut c_void {
    alloc_device_on(ctx, device(), size)
}

/// Device memory of `size` bytes of `dev` in `ctx`.
pub fn alloc_device_on(
    ctx: ze_context_handle_t,
    dev: ze_device_handle_t,
    size: usize,
) -> *mut c_void {
    let desc = ze_device_mem_alloc_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC,
        ..Default::default()
    };
    let mut p = null_mut();
    ok(ze!(zeMemAllocDevice(ctx, &desc, size, 64, dev, &mut p)));
    p
}

/// Device memory of `size` bytes.
pub fn alloc_device(size: usize) -> *mut c_void {
    alloc_device_in(env().ctx, size)
}

/// Host memory (USM) of `size` bytes.
pub fn alloc_host(size: usize) -> *mut c_void {
    let desc = ze_host_mem_alloc_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC,
        ..Default::default()
    };
    let mut p = null_mut();
    ok(ze!(zeMemAllocHost(env().ctx, &desc, size, 64, &mut p)));
    p
}

/// Shared memory of `size` bytes.
pub fn alloc_shared(size: usize) -> *mut c_void {
    let d = ze_device_mem_alloc_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC,
        ..Default::default()
    };
    let h = ze_host_mem_alloc_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC,
        ..Default::default()
    };
    let mut p = null_mut();
    ok(ze!(zeMemAllocShared(
        env().ctx,
        &d,
        &h,
        size,
        64,
        device(),
        &mut p
    )));
    p
}

/// Frees USM of the shared context.
pub fn free(p: *mut c_void) {
    ok(ze!(zeMemFree(env().ctx, p)));
}

/// A command queue descriptor.
pub fn queue_desc(ordinal: u32, mode: ze_command_queue_mode_t) -> ze_command_queue_desc_t {
    ze_command_queue_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC,
        ordinal,
        mode,
        ..Default::default()
    }
}

pub const SYNC: ze_command_queue_mode_t =
    ze_command_queue_mode_t::ZE_COMMAND_QUEUE_MODE_SYNCHRONOUS;
pub const ASYNC: ze_command_queue_mode_t =
    ze_command_queue_mode_t::ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS;

/// An immediate command list of the shared context on `ordinal`.
pub fn immediate(ordinal: u32, mode: ze_command_queue_mode_t) -> ze_command_list_handle_t {
    immediate_on(device(), ordinal, mode)
}

/// An immediate command list of the shared context on `dev`.
pub fn immediate_on(
    dev: ze_device_handle_t,
    ordinal: u32,
    mode: ze_command_queue_mode_t,
) -> ze_command_list_handle_t {
    let desc = queue_desc(ordinal, mode);
    let mut list = null_mut();
    ok(ze!(zeCommandListCreateImmediate(
        env().ctx,
        dev,
        &desc,
        &mut list
    )));
    list
}

/// A regular command list of the shared context on `ordinal`.
pub fn regular(ordinal: u32) -> ze_command_list_handle_t {
    let desc = ze_command_list_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_COMMAND_LIST_DESC,
        commandQueueGroupOrdinal: ordinal,
        ..Default::default()
    };
    let mut list = null_mut();
    ok(ze!(zeCommandListCreate(
        env().ctx,
        device(),
        &desc,
        &mut list
    )));
    list
}

/// A command queue of the shared context on `ordinal`.
pub fn queue(ordinal: u32, mode: ze_command_queue_mode_t) -> ze_command_queue_handle_t {
    let desc = queue_desc(ordinal, mode);
    let mut q = null_mut();
    ok(ze!(zeCommandQueueCreate(
        env().ctx,
        device(),
        &desc,
        &mut q
    )));
    q
}

/// An event pool of the shared context.
pub fn event_pool(flags: u32, count: u32) -> ze_event_pool_handle_t {
    let desc = ze_event_pool_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_EVENT_POOL_DESC,
        flags,
        count,
        ..Default::default()
    };
    let mut pool = null_mut();
    ok(ze!(zeEventPoolCreate(
        env().ctx,
        &desc,
        0,
        null_mut(),
        &mut pool
    )));
    pool
}

pub const HOST_VISIBLE: u32 = ze_event_pool_flag_t::ZE_EVENT_POOL_FLAG_HOST_VISIBLE.0;
pub const TIMESTAMPS: u32 = ze_event_pool_flag_t::ZE_EVENT_POOL_FLAG_KERNEL_TIMESTAMP.0;

/// Event `index` of `pool`.
pub fn event(pool: ze_event_pool_handle_t, index: u32) -> ze_event_handle_t {
    let desc = ze_event_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_EVENT_DESC,
        index,
        ..Default::default()
    };
    let mut e = null_mut();
    ok(ze!(zeEventCreate(pool, &desc, &mut e)));
    e
}

/// A synchronous immediate copy.
pub fn copy_now(dst: *mut c_void, src: *const c_void, len: usize) {
    let list = immediate(MAIN_COPY, SYNC);
    ok(ze!(zeCommandListAppendMemoryCopy(
        list,
        dst,
        src,
        len,
        null_mut(),
        0,
        null_mut()
    )));
    ok(ze!(zeCommandListDestroy(list)));
}

/// Writes `data` to (device) memory at `dst`.
pub fn upload(dst: *mut c_void, data: &[u8]) {
    copy_now(dst, data.as_ptr().cast(), data.len());
}

/// Reads `len` bytes of (device) memory at `src`.
pub fn download(src: *const c_void, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    copy_now(out.as_mut_ptr().cast(), src, len);
    out
}

/// `len` bytes that differ from their neighbours and from other seeds.
pub fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| {
            (i as u8)
                .wrapping_mul(31)
                .wrapping_add(seed)
                .wrapping_add((i >> 8) as u8)
        })
        .collect()
}

pub fn none() -> *mut ze_event_handle_t {
    null_mut()
}

pub fn no_event() -> ze_event_handle_t {
    null_mut()
}

pub fn cnull() -> *const c_void {
    null()
}
