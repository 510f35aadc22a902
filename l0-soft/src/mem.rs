//! The memory table (`zeMem*`): parameter checks, then the allocation model of
//! [`crate::memory`]; `ipc` has the IPC handle entries.

mod ipc;

#[cfg(ze_api = "1.6")]
pub(crate) use ipc::fill_exp_table;

use std::ffi::c_void;
use std::sync::Arc;

use level_zero_sys::*;

use crate::context::{self, Context};
use crate::device::{self, Device};
use crate::ffi::{self, guard, ZeResult};
use crate::memory::{allocate, find, free, MemoryKind, Request};

const DEVICE_FLAGS: u32 = 0x7;
const HOST_FLAGS: u32 = 0xf;

/// Whether a descriptor's `pNext` chain asks for relaxed allocation limits.
///
/// # Safety
///
/// `next` is the `pNext` chain of a descriptor the caller passed.
unsafe fn relaxed(next: *const c_void) -> ZeResult<bool> {
    // SAFETY: the caller passes a valid chain.
    let found = unsafe {
        ffi::find_in_chain(
            next,
            ze_structure_type_t::ZE_STRUCTURE_TYPE_RELAXED_ALLOCATION_LIMITS_EXP_DESC,
        )
    };
    let Some(desc) = found else { return Ok(false) };
    // SAFETY: a structure of this stype is a relaxed-limits descriptor.
    let desc = unsafe { &*(desc as *const ze_relaxed_allocation_limits_exp_desc_t) };
    let max_size =
        ze_relaxed_allocation_limits_exp_flag_t::ZE_RELAXED_ALLOCATION_LIMITS_EXP_FLAG_MAX_SIZE.0;
    ffi::check_flags(desc.flags, max_size)?;
    Ok(desc.flags & max_size != 0)
}

/// A device of `context`, or `ZE_RESULT_ERROR_INVALID_ARGUMENT`.
fn device_in(context: &Context, device: ze_device_handle_t) -> ZeResult<Arc<Device>> {
    let device = device::get(device)?;
    if context.has_device(&device) {
        Ok(device)
    } else {
        Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)
    }
}

/// Allocates and stores the new allocation's address in `out`.
///
/// # Safety
///
/// `out` is null or valid for a write.
unsafe fn allocate_into(context: &Context, request: Request, out: *mut *mut c_void) -> ZeResult {
    let addr = allocate(context.id(), request)?;
    // SAFETY: the caller guarantees `out` is null or writable.
    unsafe { ffi::write(out, addr as *mut c_void) }
}

unsafe extern "C" fn alloc_device(
    context: ze_context_handle_t,
    desc: *const ze_device_mem_alloc_desc_t,
    size: usize,
    alignment: usize,
    device: ze_device_handle_t,
    out: *mut *mut c_void,
) -> ze_result_t {
    guard(|| {
        let context = context::get(context)?;
        if device.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_HANDLE);
        }
        // SAFETY: the caller passes a descriptor or null.
        let desc = unsafe { ffi::input(desc) }?;
        if out.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        ffi::check_flags(desc.flags, DEVICE_FLAGS)?;
        ffi::check_stype(
            desc.stype,
            ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC,
        )?;
        // The memory ordinal is not checked: Intel's driver ignores it, and Intel's
        // conformance suite passes queue group ordinals there.
        let device = device_in(&context, device)?;
        // SAFETY: the descriptor's chain comes from the caller.
        let relaxed = unsafe { relaxed(desc.pNext) }?;
        let request = Request {
            kind: MemoryKind::Device,
            size,
            alignment,
            device: Some(device),
            relaxed,
        };
        // SAFETY: `out` was checked non-null above; the caller passes it writable.
        unsafe { allocate_into(&context, request, out) }
    })
}

unsafe extern "C" fn alloc_shared(
    context: ze_context_handle_t,
    device_desc: *const ze_device_mem_alloc_desc_t,
    host_desc: *const ze_host_mem_alloc_desc_t,
    size: usize,
    alignment: usize,
    device: ze_device_handle_t,
    out: *mut *mut c_void,
) -> ze_result_t {
    guard(|| {
        let context = context::get(context)?;
        // SAFETY: the caller passes descriptors or null.
        let device_desc = unsafe { ffi::input(device_desc) }?;
        // SAFETY: as above.
        let host_desc = unsafe { ffi::input(host_desc) }?;
        if out.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        ffi::check_flags(device_desc.flags, DEVICE_FLAGS)?;
        ffi::check_flags(host_desc.flags, HOST_FLAGS)?;
        ffi::check_stype(
            device_desc.stype,
            ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC,
        )?;
        ffi::check_stype(
            host_desc.stype,
            ze_structure_type_t::ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC,
        )?;
        // The device is optional: shared memory may be bound to no device.
        let device = if device.is_null() {
            None
        } else {
            Some(device_in(&context, device)?)
        };
        // SAFETY: the descriptors' chains come from the caller.
        let relaxed = unsafe { relaxed(device_desc.pNext)? || relaxed(host_desc.pNext)? };
        let request = Request {
            kind: MemoryKind::Shared,
            size,
            alignment,
            device,
            relaxed,
        };
        // SAFETY: `out` was checked non-null above; the caller passes it writable.
        unsafe { allocate_into(&context, request, out) }
    })
}

unsafe extern "C" fn alloc_host(
    context: ze_context_handle_t,
    desc: *const ze_host_mem_alloc_desc_t,
    size: usize,
    alignment: usize,
    out: *mut *mut c_void,
) -> ze_result_t {
    guard(|| {
        let context = context::get(context)?;
        // SAFETY: the caller passes a descriptor or null.
        let desc = unsafe { ffi::input(desc) }?;
        if out.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        ffi::check_flags(desc.flags, HOST_FLAGS)?;
        ffi::check_stype(
            desc.stype,
            ze_structure_type_t::ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC,
        )?;
        // SAFETY: the descriptor's chain comes from the caller.
        let relaxed = unsafe { relaxed(desc.pNext) }?;
        let request = Request {
            kind: MemoryKind::Host,
            size,
            alignment,
            device: None,
            relaxed,
        };
        // SAFETY: `out` was checked non-null above; the caller passes it writable.
        unsafe { allocate_into(&context, request, out) }
    })
}

unsafe extern "C" fn mem_free(context: ze_context_handle_t, ptr: *mut c_void) -> ze_result_t {
    guard(|| {
        context::get(context)?;
        free(ptr)
    })
}

unsafe extern "C" fn mem_free_ext(
    context: ze_context_handle_t,
    desc: *const ze_memory_free_ext_desc_t,
    ptr: *mut c_void,
) -> ze_result_t {
    guard(|| {
        context::get(context)?;
        // SAFETY: the caller passes a descriptor or null.
        let desc = unsafe { ffi::input(desc) }?;
        if ptr.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        ffi::check_flags(desc.freePolicy, crate::driver::FREE_POLICIES)?;
        // Intel's driver never reads this descriptor's stype, and Intel's conformance
        // suite passes the stype of the free-policies *properties* structure here; both
        // are accepted, any other is refused.
        if desc.stype != ze_structure_type_t::ZE_STRUCTURE_TYPE_DRIVER_MEMORY_FREE_EXT_PROPERTIES {
            ffi::check_stype(
                desc.stype,
                ze_structure_type_t::ZE_STRUCTURE_TYPE_MEMORY_FREE_EXT_DESC,
            )?;
        }
        // Both policies free at once: memory in use by queued work stays mapped until that
        // work ends (it holds the allocation), so nothing is reused under it.
        free(ptr)
    })
}

unsafe extern "C" fn get_alloc_properties(
    context: ze_context_handle_t,
    ptr: *const c_void,
    properties: *mut ze_memory_allocation_properties_t,
    device_out: *mut ze_device_handle_t,
) -> ze_result_t {
    guard(|| {
        context::get(context)?;
        if ptr.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        // SAFETY: the caller passes a writable structure or null.
        let p = unsafe {
            ffi::typed_output(
                properties,
                ze_structure_type_t::ZE_STRUCTURE_TYPE_MEMORY_ALLOCATION_PROPERTIES,
            )
        }?;
        // Like Intel's driver, any allocation of the driver answers, whatever its context.
        let found = find(ptr as usize);
        let (type_, id, page, device) = match &found {
            Some(a) => (
                a.kind.ze_type(),
                a.id,
                a.page_size() as u64,
                a.device
                    .as_ref()
                    .map_or(std::ptr::null_mut(), |d| d.handle()),
            ),
            None => (
                ze_memory_type_t::ZE_MEMORY_TYPE_UNKNOWN,
                0,
                0,
                std::ptr::null_mut(),
            ),
        };
        p.type_ = type_;
        p.id = id;
        p.pageSize = page;
        if !device_out.is_null() {
            // SAFETY: non-null; the caller passes a writable handle.
            unsafe { device_out.write(device) };
        }
        Ok(())
    })
}

unsafe extern "C" fn get_address_range(
    context: ze_context_handle_t,
    ptr: *const c_void,
    base: *mut *mut c_void,
    size: *mut usize,
) -> ze_result_t {
    guard(|| {
        context::get(context)?;
        if ptr.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        // Intel's driver answers ZE_RESULT_ERROR_UNKNOWN for a pointer it did not allocate.
        let a = find(ptr as usize).ok_or(ze_result_t::ZE_RESULT_ERROR_UNKNOWN)?;
        // SAFETY: each output is null (not wanted) or writable.
        unsafe {
            if !base.is_null() {
                base.write(a.base as *mut c_void);
            }
            if !size.is_null() {
                size.write(a.size);
            }
        }
        Ok(())
    })
}

/// Fills the memory table.
pub(crate) fn fill_table(t: &mut ze_mem_dditable_t) {
    t.pfnAllocDevice = Some(alloc_device);
    t.pfnAllocShared = Some(alloc_shared);
    t.pfnAllocHost = Some(alloc_host);
    t.pfnFree = Some(mem_free);
    t.pfnFreeExt = Some(mem_free_ext);
    t.pfnGetAllocProperties = Some(get_alloc_properties);
    t.pfnGetAddressRange = Some(get_address_range);
    ipc::fill_table(t);
}
