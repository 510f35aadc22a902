//! The driver object: `zeInit`, `zeDriverGet`, the driver's properties, `zeDeviceGet`
//! (the driver's devices) and the API version negotiated with the loader.
//!
//! There is one driver per process. `zeInit` reads the configuration ([`crate::config`];
//! a malformed one answers `ZE_RESULT_ERROR_UNINITIALIZED`) and creates the devices; `zeInit` with flags that exclude GPUs (`ZE_INIT_FLAG_VPU_ONLY`
//! alone) answers `ZE_RESULT_ERROR_UNINITIALIZED`, as Intel's GPU driver does, and the
//! loader then reports no driver.

use std::ffi::{c_char, c_void, CStr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use level_zero_sys::*;

use crate::config;
use crate::device::{self, Device};
use crate::ffi::{self, guard, ZeResult};
use crate::handle::{Kind, Registry};

/// The extensions this driver implements, with their versions.
pub(crate) fn extensions() -> Vec<(&'static std::ffi::CStr, u32)> {
    vec![
        (
            ZE_RELAXED_ALLOCATION_LIMITS_EXP_NAME,
            ze_relaxed_allocation_limits_exp_version_t::ZE_RELAXED_ALLOCATION_LIMITS_EXP_VERSION_1_0
                .0,
        ),
        (
            ZE_MEMORY_FREE_POLICIES_EXT_NAME,
            ze_memory_free_policies_ext_version_t::ZE_MEMORY_FREE_POLICIES_EXT_VERSION_1_0.0,
        ),
        (
            ZE_EVENT_QUERY_TIMESTAMPS_EXP_NAME,
            ze_event_query_timestamps_exp_version_t::ZE_EVENT_QUERY_TIMESTAMPS_EXP_VERSION_1_0.0,
        ),
        #[cfg(ze_api = "1.6")]
        (
            ZE_EVENT_QUERY_KERNEL_TIMESTAMPS_EXT_NAME,
            ze_event_query_kernel_timestamps_ext_version_t::ZE_EVENT_QUERY_KERNEL_TIMESTAMPS_EXT_VERSION_1_0
                .0,
        ),
        #[cfg(ze_api = "1.9")]
        (
            ZE_IMMEDIATE_COMMAND_LIST_APPEND_EXP_NAME,
            ze_immediate_command_list_append_exp_version_t::ZE_IMMEDIATE_COMMAND_LIST_APPEND_EXP_VERSION_1_0
                .0,
        ),
    ]
}

/// The free policies of `zeMemFreeExt` this driver reports (both: memory that queued work
/// still uses stays mapped until that work ends, so freeing never blocks).
pub(crate) const FREE_POLICIES: u32 =
    ze_driver_memory_free_policy_ext_flag_t::ZE_DRIVER_MEMORY_FREE_POLICY_EXT_FLAG_BLOCKING_FREE.0
        | ze_driver_memory_free_policy_ext_flag_t::ZE_DRIVER_MEMORY_FREE_POLICY_EXT_FLAG_DEFER_FREE
            .0;

/// The driver: its handle and its devices.
pub(crate) struct Driver {
    handle: usize,
    /// The devices, in `zeDeviceGet` order.
    pub devices: Vec<Arc<Device>>,
}

impl Driver {
    /// The handle given to the loader.
    pub(crate) fn handle(&self) -> ze_driver_handle_t {
        self.handle as ze_driver_handle_t
    }
}

/// The API version the loader asked for in `zeGetGlobalProcAddrTable` (0: not yet).
static NEGOTIATED: AtomicU32 = AtomicU32::new(0);

/// Records the API version the loader asked for its global table (`ddi::provide`).
pub(crate) fn negotiated(version: ze_api_version_t) {
    NEGOTIATED.store(version.0, Ordering::Relaxed);
}

/// The API version this driver implements towards the loader that opened it: the
/// headers' version, or the loader's when that is older (its tables, and so the entry
/// points it can reach, are those of its version).
fn api_version() -> ze_api_version_t {
    match NEGOTIATED.load(Ordering::Relaxed) {
        0 => HEADER_API_VERSION,
        v => ze_api_version_t(v.min(HEADER_API_VERSION.0)),
    }
}

static DRIVERS: Registry<Driver> = Registry::new(Kind::Driver);
static DRIVER: OnceLock<Result<Arc<Driver>, ze_result_t>> = OnceLock::new();

/// The driver, once `zeInit` succeeded; `ZE_RESULT_ERROR_UNINITIALIZED` before.
pub(crate) fn initialized() -> ZeResult<&'static Arc<Driver>> {
    match DRIVER.get() {
        Some(Ok(driver)) => Ok(driver),
        _ => Err(ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED),
    }
}

/// The driver named by `handle`.
pub(crate) fn get(handle: ze_driver_handle_t) -> ZeResult<Arc<Driver>> {
    initialized()?;
    DRIVERS.get(handle)
}

fn create() -> Result<Arc<Driver>, ze_result_t> {
    let config = config::get().map_err(|_| ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED)?;
    if config.visible.is_empty() {
        eprintln!(
            "ze-soft: ZE_AFFINITY_MASK names none of the {} devices",
            config.devices
        );
        return Err(ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED);
    }
    let devices = config
        .visible
        .iter()
        .map(|&index| device::create(index, config))
        .collect::<ZeResult<Vec<_>>>()?;
    let (_, driver) = DRIVERS.insert_with(|handle: ze_driver_handle_t| Driver {
        handle: handle as usize,
        devices,
    });
    Ok(driver)
}

/// Initialises the driver. As in Intel's driver, only `ZE_INIT_FLAG_GPU_ONLY` decides:
/// flags without it (other than none) decline, and bits the specification does not define
/// are ignored. Refusing them here would make the loader, which calls every driver's
/// `zeInit` with the application's first flags before any layer sees them, drop the driver
/// for the whole process; the validation layer reports them instead
/// (`ZE_RESULT_ERROR_INVALID_ENUMERATION`), and a later correct `zeInit` then succeeds.
fn init(flags: ze_init_flags_t) -> ZeResult {
    if flags != 0 && flags & ze_init_flag_t::ZE_INIT_FLAG_GPU_ONLY.0 == 0 {
        return Err(ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED);
    }
    DRIVER
        .get_or_init(create)
        .as_ref()
        .map(|_| ())
        .map_err(|e| *e)
}

unsafe extern "C" fn ze_init(flags: ze_init_flags_t) -> ze_result_t {
    guard(|| init(flags))
}

unsafe extern "C" fn driver_get(count: *mut u32, drivers: *mut ze_driver_handle_t) -> ze_result_t {
    guard(|| {
        let driver = initialized()?;
        // SAFETY: the loader passes a count and an array of *count handles (or null).
        unsafe { ffi::fill_array(count, drivers, &[driver.handle()]) }
    })
}

/// `zeDeviceGet`: the driver's devices.
unsafe extern "C" fn device_get(
    driver: ze_driver_handle_t,
    count: *mut u32,
    devices: *mut ze_device_handle_t,
) -> ze_result_t {
    guard(|| {
        let handles: Vec<_> = get(driver)?.devices.iter().map(|d| d.handle()).collect();
        // SAFETY: the caller passes a count and an array of *count handles (or null).
        unsafe { ffi::fill_array(count, devices, &handles) }
    })
}

unsafe extern "C" fn get_api_version(
    driver: ze_driver_handle_t,
    version: *mut ze_api_version_t,
) -> ze_result_t {
    guard(|| {
        get(driver)?;
        // SAFETY: the caller passes a writable version or null.
        unsafe { ffi::write(version, api_version()) }
    })
}

/// The driver's UUID: fixed, so that it is the same in every process.
pub(crate) const DRIVER_UUID: [u8; 16] = *b"ze-soft-driver-1";
/// The driver version reported in the properties: major.minor.patch of this crate.
pub(crate) fn driver_version() -> u32 {
    let part = |s: &str| s.parse::<u32>().unwrap_or(0);
    (part(env!("CARGO_PKG_VERSION_MAJOR")) << 24)
        | (part(env!("CARGO_PKG_VERSION_MINOR")) << 16)
        | part(env!("CARGO_PKG_VERSION_PATCH"))
}

unsafe extern "C" fn get_properties(
    driver: ze_driver_handle_t,
    properties: *mut ze_driver_properties_t,
) -> ze_result_t {
    guard(|| {
        get(driver)?;
        // SAFETY: the caller passes a writable properties structure or null.
        let p = unsafe {
            ffi::typed_output(
                properties,
                ze_structure_type_t::ZE_STRUCTURE_TYPE_DRIVER_PROPERTIES,
            )
        }?;
        p.uuid.id = DRIVER_UUID;
        p.driverVersion = driver_version();
        // SAFETY: the chain of an output structure holds the caller's extension structures.
        let free = unsafe {
            ffi::find_in_chain(
                p.pNext,
                ze_structure_type_t::ZE_STRUCTURE_TYPE_DRIVER_MEMORY_FREE_EXT_PROPERTIES,
            )
        };
        if let Some(free) = free {
            // SAFETY: a structure of this stype is the free-policies properties structure,
            // writable as part of the caller's output chain.
            let free = unsafe { &mut *(free as *mut ze_driver_memory_free_ext_properties_t) };
            free.freePolicies = FREE_POLICIES;
        }
        Ok(())
    })
}

unsafe extern "C" fn get_ipc_properties(
    driver: ze_driver_handle_t,
    properties: *mut ze_driver_ipc_properties_t,
) -> ze_result_t {
    guard(|| {
        get(driver)?;
        // SAFETY: the caller passes a writable properties structure or null.
        let p = unsafe {
            ffi::typed_output(
                properties,
                ze_structure_type_t::ZE_STRUCTURE_TYPE_DRIVER_IPC_PROPERTIES,
            )
        }?;
        // Memory IPC handles work across processes (mem/ipc.rs), and so do event pools
        // made with `ZE_EVENT_POOL_FLAG_IPC`.
        p.flags = ze_ipc_property_flag_t::ZE_IPC_PROPERTY_FLAG_MEMORY.0;
        // Event pools with `ZE_EVENT_POOL_FLAG_IPC` are shared between processes.
        p.flags |= ze_ipc_property_flag_t::ZE_IPC_PROPERTY_FLAG_EVENT_POOL.0;
        Ok(())
    })
}

unsafe extern "C" fn get_extension_properties(
    driver: ze_driver_handle_t,
    count: *mut u32,
    properties: *mut ze_driver_extension_properties_t,
) -> ze_result_t {
    guard(|| {
        get(driver)?;
        let list: Vec<ze_driver_extension_properties_t> = extensions()
            .iter()
            .map(|(name, version)| {
                let mut p = ze_driver_extension_properties_t {
                    version: *version,
                    ..Default::default()
                };
                ffi::copy_name(&mut p.name, &name.to_string_lossy());
                p
            })
            .collect();
        // SAFETY: the caller passes a count and an array of *count entries (or null).
        unsafe { ffi::fill_array(count, properties, &list) }
    })
}

unsafe extern "C" fn get_extension_function_address(
    driver: ze_driver_handle_t,
    name: *const c_char,
    function: *mut *mut c_void,
) -> ze_result_t {
    guard(|| {
        get(driver)?;
        if name.is_null() || function.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        // SAFETY: non-null, and the caller passes a NUL-terminated string.
        let _name = unsafe { CStr::from_ptr(name) };
        // No extension of this driver has functions of its own.
        Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)
    })
}

/// `zeInitDrivers`: as in Intel's driver, initialises only when the types asked for
/// include GPUs, then answers like `zeDriverGet`; `ZE_RESULT_ERROR_UNINITIALIZED`
/// otherwise.
#[cfg(ze_api = "1.10")]
unsafe extern "C" fn init_drivers(
    count: *mut u32,
    drivers: *mut ze_driver_handle_t,
    desc: *mut ze_init_driver_type_desc_t,
) -> ze_result_t {
    guard(|| {
        // SAFETY: the loader passes a valid descriptor or null.
        let desc = unsafe { ffi::input(desc.cast_const()) }?;
        if desc.flags & ze_init_driver_type_flag_t::ZE_INIT_DRIVER_TYPE_FLAG_GPU.0 == 0 {
            return Err(ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED);
        }
        init(0)?;
        let driver = initialized()?;
        // SAFETY: the loader passes a count and an array of *count handles (or null).
        unsafe { ffi::fill_array(count, drivers, &[driver.handle()]) }
    })
}

/// `zeDriverGetLastErrorDescription`: the calling thread's description of the last error
/// this driver returned to it (empty before any).
#[cfg(ze_api = "1.6")]
unsafe extern "C" fn get_last_error_description(
    driver: ze_driver_handle_t,
    text: *mut *const c_char,
) -> ze_result_t {
    // Not through `guard`, which would replace the description with this call's own.
    let known = std::panic::catch_unwind(|| get(driver).map(|_| ()));
    match known {
        Ok(Ok(())) if text.is_null() => ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER,
        Ok(Ok(())) => {
            // SAFETY: non-null, and the caller passes a writable pointer.
            unsafe { text.write(ffi::last_error()) };
            ze_result_t::ZE_RESULT_SUCCESS
        }
        Ok(Err(code)) => code,
        Err(_) => ze_result_t::ZE_RESULT_ERROR_UNKNOWN,
    }
}

/// Fills the global table (`zeInit`, `zeInitDrivers`).
pub(crate) fn fill_global_table(t: &mut ze_global_dditable_t) {
    t.pfnInit = Some(ze_init);
    #[cfg(ze_api = "1.10")]
    {
        t.pfnInitDrivers = Some(init_drivers);
    }
}

/// Fills the driver table.
pub(crate) fn fill_table(t: &mut ze_driver_dditable_t) {
    t.pfnGet = Some(driver_get);
    t.pfnGetApiVersion = Some(get_api_version);
    t.pfnGetProperties = Some(get_properties);
    t.pfnGetIpcProperties = Some(get_ipc_properties);
    t.pfnGetExtensionProperties = Some(get_extension_properties);
    t.pfnGetExtensionFunctionAddress = Some(get_extension_function_address);
    #[cfg(ze_api = "1.6")]
    {
        t.pfnGetLastErrorDescription = Some(get_last_error_description);
    }
}

/// Fills the device table's entry that asks the driver: `zeDeviceGet`.
pub(crate) fn fill_device_table(t: &mut ze_device_dditable_t) {
    t.pfnGet = Some(device_get);
}
