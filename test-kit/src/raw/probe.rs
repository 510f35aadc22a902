//! Helpers that give the driver's result codes: descriptors, and allocations a test
//! expects to be accepted or refused.

use std::ffi::c_void;
use std::ptr::{null, null_mut};

pub use super::*;

/// A device allocation descriptor.
pub fn device_desc() -> ze_device_mem_alloc_desc_t {
    ze_device_mem_alloc_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC,
        ..Default::default()
    }
}

/// A host allocation descriptor.
pub fn host_desc() -> ze_host_mem_alloc_desc_t {
    ze_host_mem_alloc_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC,
        ..Default::default()
    }
}

/// The relaxed-limits extension descriptor asking for allocations above the maximum size.
pub fn relaxed_desc() -> ze_relaxed_allocation_limits_exp_desc_t {
    ze_relaxed_allocation_limits_exp_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_RELAXED_ALLOCATION_LIMITS_EXP_DESC,
        pNext: null(),
        flags:
            ze_relaxed_allocation_limits_exp_flag_t::ZE_RELAXED_ALLOCATION_LIMITS_EXP_FLAG_MAX_SIZE
                .0,
    }
}

/// Allocates device memory on `device`, giving the code and the pointer.
pub fn alloc_device(
    ctx: ze_context_handle_t,
    size: usize,
    alignment: usize,
    device: ze_device_handle_t,
) -> (ze_result_t, *mut c_void) {
    let desc = device_desc();
    let mut p = null_mut();
    let rc = ze!(zeMemAllocDevice(
        ctx, &desc, size, alignment, device, &mut p
    ));
    (rc, p)
}

/// Allocates host memory, giving the code and the pointer.
pub fn alloc_host(
    ctx: ze_context_handle_t,
    size: usize,
    alignment: usize,
) -> (ze_result_t, *mut c_void) {
    let desc = host_desc();
    let mut p = null_mut();
    let rc = ze!(zeMemAllocHost(ctx, &desc, size, alignment, &mut p));
    (rc, p)
}

/// Allocates shared memory on `device`, giving the code and the pointer.
pub fn alloc_shared(
    ctx: ze_context_handle_t,
    size: usize,
    alignment: usize,
    device: ze_device_handle_t,
) -> (ze_result_t, *mut c_void) {
    let (ddesc, hdesc) = (device_desc(), host_desc());
    let mut p = null_mut();
    let rc = ze!(zeMemAllocShared(
        ctx, &ddesc, &hdesc, size, alignment, device, &mut p
    ));
    (rc, p)
}

/// The allocation properties of `ptr`: (type, id, page size, device).
pub fn alloc_properties(
    ctx: ze_context_handle_t,
    ptr: *const c_void,
) -> (ze_memory_type_t, u64, u64, ze_device_handle_t) {
    let mut p = ze_memory_allocation_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_MEMORY_ALLOCATION_PROPERTIES,
        ..Default::default()
    };
    let mut device = null_mut();
    ok(ze!(zeMemGetAllocProperties(ctx, ptr, &mut p, &mut device)));
    (p.type_, p.id, p.pageSize, device)
}
