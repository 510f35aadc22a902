//! `zeDevice*`: discovery, properties and queue groups of devices.

use level_zero_sys::{
    ze_command_queue_group_properties_t, ze_device_compute_properties_t, ze_device_handle_t,
    ze_device_memory_access_properties_t, ze_device_memory_properties_t, ze_device_properties_t,
    ze_driver_handle_t, ze_structure_type_t, Api,
};

use super::enumerate;
use crate::error::{check, Result};

/// `zeDeviceGet`: the root devices of `driver`.
///
/// # Safety
///
/// `driver` is a driver handle of the initialised loader.
pub(crate) unsafe fn get(api: &Api, driver: ze_driver_handle_t) -> Result<Vec<ze_device_handle_t>> {
    let query = |count: &mut u32, array| {
        let c = *count;
        // SAFETY: as the caller promises (see the function); `enumerate` passes a null
        // array or one of `count` elements.
        let outcome = unsafe { api.zeDeviceGet(driver, count, array) };
        check("zeDeviceGet", outcome, move || {
            format!("hDriver={driver:p}, pCount={c}")
        })
    };
    // SAFETY: valid handle per the caller; the array contract is `enumerate`'s.
    unsafe { enumerate(std::ptr::null_mut(), query) }
}

/// `zeDeviceGetSubDevices`.
///
/// # Safety
///
/// `device` is a device handle of the initialised loader.
pub(crate) unsafe fn sub_devices(
    api: &Api,
    device: ze_device_handle_t,
) -> Result<Vec<ze_device_handle_t>> {
    let query = |count: &mut u32, array| {
        let c = *count;
        // SAFETY: as the caller promises (see the function); `enumerate` passes a null
        // array or one of `count` elements.
        let outcome = unsafe { api.zeDeviceGetSubDevices(device, count, array) };
        check("zeDeviceGetSubDevices", outcome, move || {
            format!("hDevice={device:p}, pCount={c}")
        })
    };
    // SAFETY: valid handle per the caller; the array contract is `enumerate`'s.
    unsafe { enumerate(std::ptr::null_mut(), query) }
}

/// `zeDeviceGetProperties`.
///
/// # Safety
///
/// As [`sub_devices`].
pub(crate) unsafe fn properties(
    api: &Api,
    device: ze_device_handle_t,
) -> Result<ze_device_properties_t> {
    let mut p = ze_device_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES,
        ..Default::default()
    };
    // SAFETY: valid handle per the caller, live typed out-struct.
    let outcome = unsafe { api.zeDeviceGetProperties(device, &mut p) };
    check("zeDeviceGetProperties", outcome, move || {
        format!("hDevice={device:p}")
    })?;
    Ok(p)
}

/// `zeDeviceGetComputeProperties`.
///
/// # Safety
///
/// As [`sub_devices`].
pub(crate) unsafe fn compute_properties(
    api: &Api,
    device: ze_device_handle_t,
) -> Result<ze_device_compute_properties_t> {
    let mut p = ze_device_compute_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_COMPUTE_PROPERTIES,
        ..Default::default()
    };
    // SAFETY: valid handle per the caller, live typed out-struct.
    let outcome = unsafe { api.zeDeviceGetComputeProperties(device, &mut p) };
    check("zeDeviceGetComputeProperties", outcome, move || {
        format!("hDevice={device:p}")
    })?;
    Ok(p)
}

/// `zeDeviceGetMemoryProperties`: every local memory of `device`.
///
/// # Safety
///
/// As [`sub_devices`].
pub(crate) unsafe fn memory_properties(
    api: &Api,
    device: ze_device_handle_t,
) -> Result<Vec<ze_device_memory_properties_t>> {
    let template = ze_device_memory_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_MEMORY_PROPERTIES,
        ..Default::default()
    };
    let query = |count: &mut u32, array| {
        let c = *count;
        // SAFETY: as the caller promises (see the function); `enumerate` passes a null
        // array or one of `count` elements.
        let outcome = unsafe { api.zeDeviceGetMemoryProperties(device, count, array) };
        check("zeDeviceGetMemoryProperties", outcome, move || {
            format!("hDevice={device:p}, pCount={c}")
        })
    };
    // SAFETY: valid handle per the caller; the array contract is `enumerate`'s.
    unsafe { enumerate(template, query) }
}

/// `zeDeviceGetMemoryAccessProperties`.
///
/// # Safety
///
/// As [`sub_devices`].
pub(crate) unsafe fn memory_access_properties(
    api: &Api,
    device: ze_device_handle_t,
) -> Result<ze_device_memory_access_properties_t> {
    let mut p = ze_device_memory_access_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_MEMORY_ACCESS_PROPERTIES,
        ..Default::default()
    };
    // SAFETY: valid handle per the caller, live typed out-struct.
    let outcome = unsafe { api.zeDeviceGetMemoryAccessProperties(device, &mut p) };
    check("zeDeviceGetMemoryAccessProperties", outcome, move || {
        format!("hDevice={device:p}")
    })?;
    Ok(p)
}

/// `zeDeviceGetCommandQueueGroupProperties`: every queue group of `device`, in ordinal
/// order.
///
/// # Safety
///
/// As [`sub_devices`].
pub(crate) unsafe fn queue_group_properties(
    api: &Api,
    device: ze_device_handle_t,
) -> Result<Vec<ze_command_queue_group_properties_t>> {
    let template = ze_command_queue_group_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_COMMAND_QUEUE_GROUP_PROPERTIES,
        ..Default::default()
    };
    let query = |count: &mut u32, array| {
        let c = *count;
        // SAFETY: as the caller promises (see the function); `enumerate` passes a null
        // array or one of `count` elements.
        let outcome = unsafe { api.zeDeviceGetCommandQueueGroupProperties(device, count, array) };
        check(
            "zeDeviceGetCommandQueueGroupProperties",
            outcome,
            move || format!("hDevice={device:p}, pCount={c}"),
        )
    };
    // SAFETY: valid handle per the caller; the array contract is `enumerate`'s.
    unsafe { enumerate(template, query) }
}
