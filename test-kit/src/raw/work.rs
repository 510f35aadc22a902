//! Helpers on one shared driver, device and context per test binary that create objects
//! and move bytes, each asserting success.

use std::ffi::c_void;
use std::ptr::{null, null_mut};
use std::sync::OnceLock;

pub use super::*;
pub use crate::bytes;

mod buffer;
pub use buffer::{Buffer, Kind, KINDS};

/// The loader, driver, devices and one context shared by the tests of a binary.
pub struct Env {
    /// The loader.
    pub l: &'static Loader,
    /// The one driver.
    pub driver: ze_driver_handle_t,
    /// Its devices.
    pub devices: Vec<ze_device_handle_t>,
    /// The shared context, on every device.
    pub ctx: ze_context_handle_t,
}

// SAFETY: the handles are opaque numbers the driver accepts from any thread.
unsafe impl Send for Env {}
// SAFETY: as above; nothing is mutated through a shared `Env`.
unsafe impl Sync for Env {}

static ENV: OnceLock<Env> = OnceLock::new();

/// The shared environment, initialised at the first call with the driver configured by
/// `config` (later calls, and a configuration chosen before, win over it).
pub fn env_with(config: Config<'_>) -> &'static Env {
    ENV.get_or_init(|| {
        let l = loader_with(config);
        let s = setup();
        Env {
            l,
            driver: s.driver,
            devices: s.devices.clone(),
            ctx: new_context(),
        }
    })
}

/// The shared environment, initialised at the first call with the default configuration.
pub fn env() -> &'static Env {
    env_with(Config::Only(&[]))
}

/// The first device.
pub fn device() -> ze_device_handle_t {
    env().devices[0]
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

/// Synchronous mode.
pub const SYNC: ze_command_queue_mode_t =
    ze_command_queue_mode_t::ZE_COMMAND_QUEUE_MODE_SYNCHRONOUS;
/// Asynchronous mode.
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

/// The host-visible event pool flag.
pub const HOST_VISIBLE: u32 = ze_event_pool_flag_t::ZE_EVENT_POOL_FLAG_HOST_VISIBLE.0;
/// The kernel-timestamp event pool flag.
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

/// No wait list.
pub fn none() -> *mut ze_event_handle_t {
    null_mut()
}

/// No signal event.
pub fn no_event() -> ze_event_handle_t {
    null_mut()
}

/// A null source pointer.
pub fn cnull() -> *const c_void {
    null()
}
