//! Contexts: create, create with a subset of devices, destroy, status.
//!
//! For the rest of the driver: [`get`] turns a handle into a [`Context`];
//! [`Context::devices`] and [`Context::has_device`] say which devices it spans. Destroying
//! a context frees the memory still allocated in it; while work submitted to its lists or
//! queues runs, it answers `ZE_RESULT_ERROR_HANDLE_OBJECT_IN_USE`, as destroying a list,
//! queue or event that work uses does.

use std::sync::{Arc, OnceLock};

use level_zero_sys::*;

use crate::busy::Busy;
use crate::device::{self, Device};
use crate::driver;
use crate::ffi::{self, guard, ZeResult};
use crate::handle::{Kind, Registry};
use crate::memory;

/// A context: the devices it spans.
pub(crate) struct Context {
    handle: usize,
    devices: Vec<Arc<Device>>,
    /// Submitted work of the context's lists and queues that has not finished.
    busy: Busy,
}

impl Context {
    /// The context's handle.
    #[cfg(ze_api = "1.9")]
    pub(crate) fn handle(&self) -> ze_context_handle_t {
        self.handle as ze_context_handle_t
    }

    /// The handle's numeric value (the key allocations are filed under).
    pub(crate) fn id(&self) -> usize {
        self.handle
    }

    /// Marks work that uses the context, so that destroying it answers
    /// `ZE_RESULT_ERROR_HANDLE_OBJECT_IN_USE` until the work ends.
    pub(crate) fn busy(&self) -> &Busy {
        &self.busy
    }

    /// Whether `device` belongs to this context.
    pub(crate) fn has_device(&self, device: &Device) -> bool {
        self.devices.iter().any(|d| d.index == device.index)
    }
}

static CONTEXTS: Registry<Context> = Registry::new(Kind::Context);

/// The driver's default context (`zeDriverGetDefaultContext`), once asked for.
static DEFAULT: OnceLock<ZeResult<usize>> = OnceLock::new();

/// `zeDriverGetDefaultContext`: the driver's default context, one context with every
/// device of the driver, created at the first request and the same handle every time
/// after; null (with a last-error description) for a bad driver handle.
#[cfg(ze_api = "1.14")]
unsafe extern "C" fn get_default_context(driver: ze_driver_handle_t) -> ze_context_handle_t {
    let mut context = std::ptr::null_mut();
    guard(|| {
        let driver = driver::get(driver)?;
        let handle = DEFAULT.get_or_init(|| {
            let (handle, _) = CONTEXTS.insert_with(|handle: ze_context_handle_t| Context {
                handle: handle as usize,
                devices: driver.devices.clone(),
                busy: Busy::default(),
            });
            Ok(handle as usize)
        });
        context = (*handle)? as ze_context_handle_t;
        Ok(())
    });
    context
}

/// The context named by `handle`.
pub(crate) fn get(handle: ze_context_handle_t) -> ZeResult<Arc<Context>> {
    CONTEXTS.get(handle)
}

const CONTEXT_FLAGS: u32 = ze_context_flag_t::ZE_CONTEXT_FLAG_TBD.0;

fn create(
    driver: ze_driver_handle_t,
    desc: *const ze_context_desc_t,
    devices: Option<(u32, *mut ze_device_handle_t)>,
    out: *mut ze_context_handle_t,
) -> ZeResult {
    let driver = driver::get(driver)?;
    // SAFETY: the caller passes a descriptor or null.
    let desc = unsafe { ffi::input(desc) }?;
    if out.is_null() {
        return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
    }
    ffi::check_stype(
        desc.stype,
        ze_structure_type_t::ZE_STRUCTURE_TYPE_CONTEXT_DESC,
    )?;
    ffi::check_flags(desc.flags, CONTEXT_FLAGS)?;
    let devices = match devices {
        None | Some((0, _)) => driver.devices.clone(),
        // The specification's code for a count without a list.
        Some((_, list)) if list.is_null() => return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_SIZE),
        Some((n, list)) => {
            let mut chosen: Vec<Arc<Device>> = Vec::new();
            for i in 0..n as usize {
                // SAFETY: the caller passes an array of `n` device handles.
                let device = device::get(unsafe { *list.add(i) })?;
                if !chosen.iter().any(|d| d.index == device.index) {
                    chosen.push(device);
                }
            }
            chosen
        }
    };
    let (handle, _) = CONTEXTS.insert_with(|handle: ze_context_handle_t| Context {
        handle: handle as usize,
        devices,
        busy: Busy::default(),
    });
    // SAFETY: checked non-null above; the caller passes a writable handle.
    unsafe { ffi::write(out, handle) }
}

unsafe extern "C" fn context_create(
    driver: ze_driver_handle_t,
    desc: *const ze_context_desc_t,
    out: *mut ze_context_handle_t,
) -> ze_result_t {
    guard(|| create(driver, desc, None, out))
}

unsafe extern "C" fn context_create_ex(
    driver: ze_driver_handle_t,
    desc: *const ze_context_desc_t,
    num_devices: u32,
    devices: *mut ze_device_handle_t,
    out: *mut ze_context_handle_t,
) -> ze_result_t {
    guard(|| create(driver, desc, Some((num_devices, devices)), out))
}

unsafe extern "C" fn context_destroy(context: ze_context_handle_t) -> ze_result_t {
    guard(|| {
        if get(context)?.busy.is_busy() {
            ffi::describe("work submitted to the context's lists or queues has not finished");
            return Err(ze_result_t::ZE_RESULT_ERROR_HANDLE_OBJECT_IN_USE);
        }
        if DEFAULT.get().is_some_and(|d| *d == Ok(context as usize)) {
            ffi::describe("the driver's default context cannot be destroyed");
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
        }
        let context = CONTEXTS.remove(context)?;
        memory::free_all(context.id());
        crate::virtual_memory::release_context(context.id());
        Ok(())
    })
}

unsafe extern "C" fn context_get_status(context: ze_context_handle_t) -> ze_result_t {
    guard(|| get(context).map(|_| ()))
}

unsafe extern "C" fn system_barrier(
    context: ze_context_handle_t,
    device: ze_device_handle_t,
) -> ze_result_t {
    guard(|| {
        let context = get(context)?;
        let device = device::get(device)?;
        if !context.has_device(&device) {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
        }
        Ok(())
    })
}

unsafe extern "C" fn make_memory_resident(
    context: ze_context_handle_t,
    device: ze_device_handle_t,
    ptr: *mut std::ffi::c_void,
    size: usize,
) -> ze_result_t {
    guard(|| {
        let context = get(context)?;
        let device = device::get(device)?;
        if ptr.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        if !context.has_device(&device) {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
        }
        // All memory is always resident; the range must still be USM of the driver (of any
        // of its contexts, as in Intel's driver).
        match memory::lookup(ptr, size)? {
            Some(_) => Ok(()),
            None => Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT),
        }
    })
}

/// Fills the context table.
pub(crate) fn fill_table(t: &mut ze_context_dditable_t) {
    t.pfnCreate = Some(context_create);
    t.pfnCreateEx = Some(context_create_ex);
    t.pfnDestroy = Some(context_destroy);
    t.pfnGetStatus = Some(context_get_status);
    t.pfnSystemBarrier = Some(system_barrier);
    t.pfnMakeMemoryResident = Some(make_memory_resident);
    t.pfnEvictMemory = Some(make_memory_resident);
}

/// Fills the driver table's entry that makes a context: `zeDriverGetDefaultContext`.
pub(crate) fn fill_driver_table(t: &mut ze_driver_dditable_t) {
    #[cfg(ze_api = "1.14")]
    {
        t.pfnGetDefaultContext = Some(get_default_context);
    }
    // Headers before API 1.14 have no such entry.
    #[cfg(not(ze_api = "1.14"))]
    let _ = t;
}
