//! `zeMem*IpcHandle`: memory IPC handles (the event pool ones are in their own family).

use std::ffi::c_void;

use level_zero_sys::{
    ze_context_handle_t, ze_device_handle_t, ze_ipc_mem_handle_t, ze_ipc_memory_flags_t, Api,
};

use crate::error::{check, Result};

/// `zeMemGetIpcHandle`.
///
/// # Safety
///
/// `context` is a live context; `ptr` is any address (the driver checks it).
pub(crate) unsafe fn get_mem_handle(
    api: &Api,
    context: ze_context_handle_t,
    ptr: *const c_void,
) -> Result<ze_ipc_mem_handle_t> {
    let mut handle = ze_ipc_mem_handle_t::default();
    // SAFETY: forwarded from the caller; live out-pointer.
    let outcome = unsafe { api.zeMemGetIpcHandle(context, ptr, &mut handle) };
    check("zeMemGetIpcHandle", outcome, || {
        format!("hContext={context:p}, ptr={ptr:p}")
    })?;
    Ok(handle)
}

/// `zeMemOpenIpcHandle`.
///
/// # Safety
///
/// `context` and `device` are live handles of one driver.
pub(crate) unsafe fn open_mem_handle(
    api: &Api,
    context: ze_context_handle_t,
    device: ze_device_handle_t,
    handle: ze_ipc_mem_handle_t,
    flags: ze_ipc_memory_flags_t,
) -> Result<*mut c_void> {
    let mut ptr = std::ptr::null_mut();
    // SAFETY: forwarded from the caller; the handle is passed by value; live out-pointer.
    let outcome = unsafe { api.zeMemOpenIpcHandle(context, device, handle, flags, &mut ptr) };
    check("zeMemOpenIpcHandle", outcome, || {
        format!("hContext={context:p}, hDevice={device:p}, flags={flags:#x}")
    })?;
    Ok(ptr)
}

/// `zeMemCloseIpcHandle`.
///
/// # Safety
///
/// `context` is a live context; `ptr` was opened by [`open_mem_handle`] and nothing uses it
/// any more.
pub(crate) unsafe fn close_mem_handle(
    api: &Api,
    context: ze_context_handle_t,
    ptr: *const c_void,
) -> Result<()> {
    // SAFETY: forwarded from the caller.
    let outcome = unsafe { api.zeMemCloseIpcHandle(context, ptr) };
    check("zeMemCloseIpcHandle", outcome, || {
        format!("hContext={context:p}, ptr={ptr:p}")
    })
}

/// `zeMemPutIpcHandle` (API 1.6).
///
/// # Safety
///
/// `context` is a live context.
#[cfg(ze_api = "1.6")]
pub(crate) unsafe fn put_mem_handle(
    api: &Api,
    context: ze_context_handle_t,
    handle: ze_ipc_mem_handle_t,
) -> Result<()> {
    // SAFETY: forwarded from the caller; the handle is passed by value.
    let outcome = unsafe { api.zeMemPutIpcHandle(context, handle) };
    check("zeMemPutIpcHandle", outcome, || {
        format!("hContext={context:p}")
    })
}
