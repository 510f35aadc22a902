//! The `zeVirtualMem*` and `zePhysicalMem*` entry points: handle, pointer and descriptor
//! checks, then [`virtual_memory`](crate::virtual_memory), which owns the reservations,
//! physical objects and mappings.

use std::ffi::c_void;

use level_zero_sys::*;

use crate::context;
use crate::device;
use crate::ffi::{self, guard};
use crate::virtual_memory::{self, PAGE};

/// `ZE_PHYSICAL_MEM_FLAG_ALLOCATE_ON_DEVICE` (bit 0: "reserved" before API 1.11).
const ON_DEVICE: u32 = 1;
/// `ZE_PHYSICAL_MEM_FLAG_ALLOCATE_ON_HOST` (API 1.11).
#[cfg(ze_api = "1.11")]
const ON_HOST: u32 = 2;

unsafe extern "C" fn reserve(
    context: ze_context_handle_t,
    start: *const c_void,
    size: usize,
    out: *mut *mut c_void,
) -> ze_result_t {
    guard(|| {
        let context = context::get(context)?;
        if out.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        let base = virtual_memory::reserve(context.id(), start as usize, size)?;
        // SAFETY: checked non-null; the caller passes a writable pointer.
        unsafe { ffi::write(out, base as *mut c_void) }
    })
}

unsafe extern "C" fn free(
    context: ze_context_handle_t,
    ptr: *const c_void,
    size: usize,
) -> ze_result_t {
    guard(|| {
        let context = context::get(context)?;
        if ptr.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        virtual_memory::free(context.id(), ptr as usize, size)
    })
}

unsafe extern "C" fn query_page_size(
    context: ze_context_handle_t,
    device: ze_device_handle_t,
    _size: usize,
    out: *mut usize,
) -> ze_result_t {
    guard(|| {
        context::get(context)?;
        device::get(device)?;
        // Any size is answered, 0 too, as Intel's driver does (the specification lists 0
        // as unsupported; the validation layer refuses it) and Intel's suite relies on.
        // SAFETY: the caller passes null or a writable pointer.
        unsafe { ffi::write(out, PAGE) }
    })
}

unsafe extern "C" fn physical_create(
    context: ze_context_handle_t,
    device: ze_device_handle_t,
    desc: *mut ze_physical_mem_desc_t,
    out: *mut ze_physical_mem_handle_t,
) -> ze_result_t {
    guard(|| {
        let context = context::get(context)?;
        // SAFETY: the caller passes null or a valid descriptor.
        let desc = unsafe { ffi::input(desc.cast_const()) }?;
        if out.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        ffi::check_stype(
            desc.stype,
            ze_structure_type_t::ZE_STRUCTURE_TYPE_PHYSICAL_MEM_DESC,
        )?;
        // Bit 0 is device memory (the default; "reserved" in API 1.4); bit 1, host
        // memory, exists from API 1.11.
        let on_host = match desc.flags {
            0 | ON_DEVICE => false,
            #[cfg(ze_api = "1.11")]
            ON_HOST => true,
            _ => return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ENUMERATION),
        };
        let device = if on_host {
            // Host memory needs no device (Intel's conformance suite passes none); one
            // that is given must still be valid.
            if !device.is_null() {
                device::get(device)?;
            }
            None
        } else {
            let device = device::get(device)?;
            if !context.has_device(&device) {
                return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
            }
            Some(device)
        };
        let handle = virtual_memory::create_physical(context.id(), device, desc.size)?;
        // SAFETY: checked non-null; the caller passes a writable handle.
        unsafe { ffi::write(out, handle) }
    })
}

unsafe extern "C" fn physical_destroy(
    context: ze_context_handle_t,
    physical: ze_physical_mem_handle_t,
) -> ze_result_t {
    guard(|| {
        let context = context::get(context)?;
        virtual_memory::destroy_physical(context.id(), physical)
    })
}

unsafe extern "C" fn map(
    context: ze_context_handle_t,
    ptr: *const c_void,
    size: usize,
    physical: ze_physical_mem_handle_t,
    offset: usize,
    access: ze_memory_access_attribute_t,
) -> ze_result_t {
    guard(|| {
        let context = context::get(context)?;
        if physical.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_HANDLE);
        }
        if ptr.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        virtual_memory::map(context.id(), ptr as usize, size, physical, offset, access)
    })
}

unsafe extern "C" fn unmap(
    context: ze_context_handle_t,
    ptr: *const c_void,
    size: usize,
) -> ze_result_t {
    guard(|| {
        context::get(context)?;
        if ptr.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        virtual_memory::unmap(ptr as usize, size)
    })
}

unsafe extern "C" fn set_access(
    context: ze_context_handle_t,
    ptr: *const c_void,
    size: usize,
    access: ze_memory_access_attribute_t,
) -> ze_result_t {
    guard(|| {
        let context = context::get(context)?;
        if ptr.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        virtual_memory::set_access(context.id(), ptr as usize, size, access)
    })
}

unsafe extern "C" fn get_access(
    context: ze_context_handle_t,
    ptr: *const c_void,
    size: usize,
    access: *mut ze_memory_access_attribute_t,
    out_size: *mut usize,
) -> ze_result_t {
    guard(|| {
        let context = context::get(context)?;
        if ptr.is_null() || access.is_null() || out_size.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        let (attribute, reserved) = virtual_memory::access(context.id(), ptr as usize, size)?;
        // SAFETY: both checked non-null; the caller passes writable pointers.
        unsafe {
            ffi::write(access, attribute)?;
            ffi::write(out_size, reserved)
        }
    })
}

/// Fills the virtual memory table.
pub(crate) fn fill_virtual_table(t: &mut ze_virtual_mem_dditable_t) {
    t.pfnReserve = Some(reserve);
    t.pfnFree = Some(free);
    t.pfnQueryPageSize = Some(query_page_size);
    t.pfnMap = Some(map);
    t.pfnUnmap = Some(unmap);
    t.pfnSetAccessAttribute = Some(set_access);
    t.pfnGetAccessAttribute = Some(get_access);
}

/// Fills the physical memory table.
pub(crate) fn fill_physical_table(t: &mut ze_physical_mem_dditable_t) {
    t.pfnCreate = Some(physical_create);
    t.pfnDestroy = Some(physical_destroy);
}
