//! IPC memory handles, within one process: `zeMemGetIpcHandle` encodes the process id and
//! the allocation's id; `zeMemOpenIpcHandle` in the same process returns the allocation's
//! base address; `zeMemCloseIpcHandle` closes one opening. Handles from another process
//! answer `ZE_RESULT_ERROR_INVALID_ARGUMENT`.

use std::ffi::c_void;

use level_zero_sys::*;

use crate::context;
use crate::device;
use crate::ffi::{self, guard, ZeResult};
use crate::memory::{find, find_by_id};

const MAGIC: &[u8; 8] = b"zesoft\0\x01";

fn encode(id: u64) -> ze_ipc_mem_handle_t {
    let mut bytes = [0u8; 64];
    bytes[..8].copy_from_slice(MAGIC);
    bytes[8..12].copy_from_slice(&std::process::id().to_le_bytes());
    bytes[16..24].copy_from_slice(&id.to_le_bytes());
    let mut handle = ze_ipc_mem_handle_t::default();
    for (dst, src) in handle.data.iter_mut().zip(bytes) {
        *dst = src as std::ffi::c_char;
    }
    handle
}

/// The allocation id of a handle made by this process.
fn decode(handle: &ze_ipc_mem_handle_t) -> ZeResult<u64> {
    let bytes: Vec<u8> = handle.data.iter().map(|&c| c as u8).collect();
    let pid = u32::from_le_bytes(bytes[8..12].try_into().unwrap_or_default());
    if &bytes[..8] != MAGIC || pid != std::process::id() {
        return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
    }
    Ok(u64::from_le_bytes(
        bytes[16..24].try_into().unwrap_or_default(),
    ))
}

unsafe extern "C" fn get_ipc_handle(
    context: ze_context_handle_t,
    ptr: *const c_void,
    out: *mut ze_ipc_mem_handle_t,
) -> ze_result_t {
    guard(|| {
        let context = context::get(context)?;
        if ptr.is_null() || out.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        let a = find(ptr as usize)
            .filter(|a| a.context == context.id())
            .ok_or(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)?;
        // SAFETY: checked non-null; the caller passes a writable handle.
        unsafe { ffi::write(out, encode(a.id)) }
    })
}

unsafe extern "C" fn open_ipc_handle(
    context: ze_context_handle_t,
    device: ze_device_handle_t,
    handle: ze_ipc_mem_handle_t,
    flags: ze_ipc_memory_flags_t,
    out: *mut *mut c_void,
) -> ze_result_t {
    guard(|| {
        let context = context::get(context)?;
        let device = device::get(device)?;
        if out.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        ffi::check_flags(flags, 0x3)?;
        if !context.has_device(&device) {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
        }
        let id = decode(&handle)?;
        let a = find_by_id(id).ok_or(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)?;
        a.open_ipc();
        // SAFETY: checked non-null; the caller passes a writable pointer.
        unsafe { ffi::write(out, a.base as *mut c_void) }
    })
}

unsafe extern "C" fn close_ipc_handle(
    context: ze_context_handle_t,
    ptr: *const c_void,
) -> ze_result_t {
    guard(|| {
        context::get(context)?;
        if ptr.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        let a = find(ptr as usize)
            .filter(|a| a.base == ptr as usize)
            .ok_or(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)?;
        if a.close_ipc() {
            Ok(())
        } else {
            Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)
        }
    })
}

/// Fills the IPC entries of the memory table.
pub(crate) fn fill_table(t: &mut ze_mem_dditable_t) {
    t.pfnGetIpcHandle = Some(get_ipc_handle);
    t.pfnOpenIpcHandle = Some(open_ipc_handle);
    t.pfnCloseIpcHandle = Some(close_ipc_handle);
}
