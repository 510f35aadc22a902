//! `zeContext*`: creation and destruction of contexts.

use level_zero_sys::{
    ze_context_desc_t, ze_context_handle_t, ze_device_handle_t, ze_driver_handle_t,
    ze_structure_type_t, Api,
};

use crate::error::{check, Result};

fn desc() -> ze_context_desc_t {
    ze_context_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_CONTEXT_DESC,
        ..Default::default()
    }
}

/// `zeContextCreate`: a context over every device of `driver`.
///
/// # Safety
///
/// `driver` is a driver handle of the initialised loader.
pub(crate) unsafe fn create(api: &Api, driver: ze_driver_handle_t) -> Result<ze_context_handle_t> {
    let mut handle: ze_context_handle_t = std::ptr::null_mut();
    // SAFETY: valid driver handle per the caller, typed descriptor, live out-parameter.
    let outcome = unsafe { api.zeContextCreate(driver, &desc(), &mut handle) };
    check("zeContextCreate", outcome, move || {
        format!("hDriver={driver:p}")
    })?;
    Ok(handle)
}

/// `zeContextCreateEx`: a context over `devices` of `driver`.
///
/// # Safety
///
/// `driver` is a driver handle of the initialised loader and `devices` are devices of it.
pub(crate) unsafe fn create_ex(
    api: &Api,
    driver: ze_driver_handle_t,
    devices: &[ze_device_handle_t],
) -> Result<ze_context_handle_t> {
    let mut handle: ze_context_handle_t = std::ptr::null_mut();
    // Level Zero takes the device list as a mutable pointer but only reads it.
    let list = devices.as_ptr().cast_mut();
    // SAFETY: valid handles per the caller, typed descriptor, `list` holds `len` handles
    // living across the call, live out-parameter.
    let outcome =
        unsafe { api.zeContextCreateEx(driver, &desc(), devices.len() as u32, list, &mut handle) };
    check("zeContextCreateEx", outcome, move || {
        format!(
            "hDriver={driver:p}, numDevices={}, phDevices={devices:?}",
            devices.len()
        )
    })?;
    Ok(handle)
}

/// `zeContextDestroy`.
///
/// # Safety
///
/// `context` came from [`create`] or [`create_ex`], nothing made from it is alive, and it
/// is destroyed once.
pub(crate) unsafe fn destroy(api: &Api, context: ze_context_handle_t) -> Result<()> {
    // SAFETY: forwarded from the caller.
    let outcome = unsafe { api.zeContextDestroy(context) };
    check("zeContextDestroy", outcome, move || {
        format!("hContext={context:p}")
    })
}

/// `zeContextGetStatus`: `Ok` while the context is usable.
///
/// # Safety
///
/// `context` is a live context handle of the initialised loader.
pub(crate) unsafe fn get_status(api: &Api, context: ze_context_handle_t) -> Result<()> {
    // SAFETY: forwarded from the caller.
    let outcome = unsafe { api.zeContextGetStatus(context) };
    check("zeContextGetStatus", outcome, move || {
        format!("hContext={context:p}")
    })
}
