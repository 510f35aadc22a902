//! `zeMem*`: allocation, freeing and queries of USM memory.

use std::ffi::c_void;

use level_zero_sys::{
    ze_context_handle_t, ze_device_handle_t, ze_device_mem_alloc_desc_t, ze_host_mem_alloc_desc_t,
    ze_memory_allocation_properties_t, ze_structure_type_t, Api,
};

use crate::error::{check, Result};

/// `zeMemAllocDevice`.
///
/// # Safety
///
/// `context` and `device` are live handles of one driver; `desc` (and what it chains)
/// lives across the call.
#[inline]
pub(crate) unsafe fn alloc_device(
    api: &Api,
    context: ze_context_handle_t,
    desc: &ze_device_mem_alloc_desc_t,
    size: usize,
    alignment: usize,
    device: ze_device_handle_t,
) -> Result<*mut c_void> {
    let mut ptr: *mut c_void = std::ptr::null_mut();
    // SAFETY: forwarded from the caller; live out-pointer.
    let outcome = unsafe { api.zeMemAllocDevice(context, desc, size, alignment, device, &mut ptr) };
    check("zeMemAllocDevice", outcome, move || {
        format!(
            "hContext={context:p}, device_desc.flags={:#x}, device_desc.ordinal={}, \
             size={size}, alignment={alignment}, hDevice={device:p}",
            desc.flags, desc.ordinal
        )
    })?;
    Ok(ptr)
}

/// `zeMemAllocShared`.
///
/// # Safety
///
/// As [`alloc_device`], for both descriptors.
#[inline]
pub(crate) unsafe fn alloc_shared(
    api: &Api,
    context: ze_context_handle_t,
    device_desc: &ze_device_mem_alloc_desc_t,
    host_desc: &ze_host_mem_alloc_desc_t,
    size: usize,
    alignment: usize,
    device: ze_device_handle_t,
) -> Result<*mut c_void> {
    let mut ptr: *mut c_void = std::ptr::null_mut();
    // SAFETY: forwarded from the caller; live out-pointer.
    let outcome = unsafe {
        api.zeMemAllocShared(
            context,
            device_desc,
            host_desc,
            size,
            alignment,
            device,
            &mut ptr,
        )
    };
    check("zeMemAllocShared", outcome, move || {
        format!(
            "hContext={context:p}, device_desc.flags={:#x}, device_desc.ordinal={}, \
             host_desc.flags={:#x}, size={size}, alignment={alignment}, hDevice={device:p}",
            device_desc.flags, device_desc.ordinal, host_desc.flags
        )
    })?;
    Ok(ptr)
}

/// `zeMemAllocHost`.
///
/// # Safety
///
/// `context` is a live handle; `desc` (and what it chains) lives across the call.
#[inline]
pub(crate) unsafe fn alloc_host(
    api: &Api,
    context: ze_context_handle_t,
    desc: &ze_host_mem_alloc_desc_t,
    size: usize,
    alignment: usize,
) -> Result<*mut c_void> {
    let mut ptr: *mut c_void = std::ptr::null_mut();
    // SAFETY: forwarded from the caller; live out-pointer.
    let outcome = unsafe { api.zeMemAllocHost(context, desc, size, alignment, &mut ptr) };
    check("zeMemAllocHost", outcome, move || {
        format!(
            "hContext={context:p}, host_desc.flags={:#x}, size={size}, alignment={alignment}",
            desc.flags
        )
    })?;
    Ok(ptr)
}

/// `zeMemFree`.
///
/// # Safety
///
/// `ptr` came from a `zeMemAlloc*` call in the live `context`, no work in flight uses it,
/// and it is freed once.
#[inline]
pub(crate) unsafe fn free(api: &Api, context: ze_context_handle_t, ptr: *mut c_void) -> Result<()> {
    // SAFETY: forwarded from the caller.
    let outcome = unsafe { api.zeMemFree(context, ptr) };
    check("zeMemFree", outcome, move || {
        format!("hContext={context:p}, ptr={ptr:p}")
    })
}

/// `zeMemGetAllocProperties`: the allocation properties of `ptr` and its device (null for
/// host memory).
///
/// # Safety
///
/// `context` is a live handle. `ptr` is only looked up by the driver, never dereferenced.
pub(crate) unsafe fn alloc_properties(
    api: &Api,
    context: ze_context_handle_t,
    ptr: *const c_void,
) -> Result<(ze_memory_allocation_properties_t, ze_device_handle_t)> {
    let mut props = ze_memory_allocation_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_MEMORY_ALLOCATION_PROPERTIES,
        ..Default::default()
    };
    let mut device: ze_device_handle_t = std::ptr::null_mut();
    // SAFETY: valid context per the caller; typed, live out-parameters.
    let outcome = unsafe { api.zeMemGetAllocProperties(context, ptr, &mut props, &mut device) };
    check("zeMemGetAllocProperties", outcome, move || {
        format!("hContext={context:p}, ptr={ptr:p}")
    })?;
    Ok((props, device))
}

/// `zeMemGetAddressRange`: the base and size of the allocation `ptr` lies in.
///
/// # Safety
///
/// As [`alloc_properties`].
pub(crate) unsafe fn address_range(
    api: &Api,
    context: ze_context_handle_t,
    ptr: *const c_void,
) -> Result<(usize, usize)> {
    let mut base: *mut c_void = std::ptr::null_mut();
    let mut size = 0usize;
    // SAFETY: valid context per the caller; live out-parameters.
    let outcome = unsafe { api.zeMemGetAddressRange(context, ptr, &mut base, &mut size) };
    check("zeMemGetAddressRange", outcome, move || {
        format!("hContext={context:p}, ptr={ptr:p}")
    })?;
    Ok((base as usize, size))
}
