//! The property queries of a device (`zeDeviceGet*Properties`).

use level_zero_sys::*;

use super::{get, Device, CORE_CLOCK_MHZ, DEVICE_ID, VENDOR_ID};
use crate::ffi::{self, guard, Typed, ZeResult};

use ze_structure_type_t as S;

/// Answers a query that fills one structure about one device: checks the handle, the
/// pointer and the structure's type, then lets `fill` write the answer.
///
/// # Safety
///
/// `out` is null or points to a writable `T`.
unsafe fn query<T: Typed>(
    device: ze_device_handle_t,
    out: *mut T,
    stype: ze_structure_type_t,
    fill: impl FnOnce(&Device, &mut T),
) -> ze_result_t {
    guard(|| {
        let device = get(device)?;
        // SAFETY: the caller's guarantee on `out`.
        fill(&device, unsafe { ffi::typed_output(out, stype) }?);
        Ok(())
    })
}

/// Answers a "count and array" query whose answer is a single structure.
///
/// # Safety
///
/// `count` is null or writable; when `*count > 0`, `out` is null or points to at least
/// one writable `T`.
unsafe fn query_one<T: Typed>(
    device: ze_device_handle_t,
    count: *mut u32,
    out: *mut T,
    stype: ze_structure_type_t,
    fill: impl FnOnce(&Device, &mut T),
) -> ze_result_t {
    guard(|| {
        let device = get(device)?;
        // SAFETY: the caller's guarantee on `count`.
        let n = unsafe { ffi::output(count) }?;
        if *n > 0 && !out.is_null() {
            // SAFETY: room for *n >= 1 entries, by the caller's guarantee.
            fill(&device, unsafe { ffi::typed_output(out, stype) }?);
        }
        *n = 1;
        Ok(())
    })
}

/// Fills `ze_device_properties_t` (stype `DEVICE_PROPERTIES` or `DEVICE_PROPERTIES_1_2`).
fn fill_properties(device: &Device, p: &mut ze_device_properties_t) -> ZeResult {
    let v1_2 = p.stype == S::ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES_1_2;
    // A zero-initialised structure is filled as the older layout, as in Intel's driver.
    if !v1_2 && p.stype.0 != 0 {
        ffi::check_stype(p.stype, S::ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES)?;
    }
    p.type_ = ze_device_type_t::ZE_DEVICE_TYPE_GPU;
    p.vendorId = VENDOR_ID;
    p.deviceId = DEVICE_ID;
    p.flags = 0;
    p.subdeviceId = 0;
    p.coreClockRate = CORE_CLOCK_MHZ;
    p.maxMemAllocSize = device.max_alloc_size;
    p.maxHardwareContexts = 1024;
    p.maxCommandQueuePriority = 0;
    p.numThreadsPerEU = 8;
    p.physicalEUSimdWidth = 16;
    p.numEUsPerSubslice = 8;
    p.numSubslicesPerSlice = 64;
    p.numSlices = 1;
    // Timestamps count nanoseconds: resolution 1 ns, or 10^9 cycles per second in the
    // 1.2 form of the structure.
    p.timerResolution = if v1_2 { 1_000_000_000 } else { 1 };
    p.timestampValidBits = 64;
    p.kernelTimestampValidBits = 64;
    p.uuid.id = device.uuid;
    ffi::copy_name(&mut p.name, &device.name());
    Ok(())
}

unsafe extern "C" fn get_properties(
    device: ze_device_handle_t,
    properties: *mut ze_device_properties_t,
) -> ze_result_t {
    guard(|| {
        let device = get(device)?;
        // SAFETY: the caller passes a writable properties structure or null.
        fill_properties(&device, unsafe { ffi::output(properties) }?)
    })
}

unsafe extern "C" fn get_compute_properties(
    device: ze_device_handle_t,
    properties: *mut ze_device_compute_properties_t,
) -> ze_result_t {
    let stype = S::ZE_STRUCTURE_TYPE_DEVICE_COMPUTE_PROPERTIES;
    // SAFETY: the caller passes a writable properties structure or null.
    unsafe {
        query(device, properties, stype, |_, p| {
            p.maxTotalGroupSize = 1024;
            p.maxGroupSizeX = 1024;
            p.maxGroupSizeY = 1024;
            p.maxGroupSizeZ = 1024;
            p.maxGroupCountX = u32::MAX;
            p.maxGroupCountY = u32::MAX;
            p.maxGroupCountZ = u32::MAX;
            p.maxSharedLocalMemory = 128 << 10;
            p.numSubGroupSizes = 2;
            p.subGroupSizes = [16, 32, 0, 0, 0, 0, 0, 0];
        })
    }
}

unsafe extern "C" fn get_module_properties(
    device: ze_device_handle_t,
    properties: *mut ze_device_module_properties_t,
) -> ze_result_t {
    let stype = S::ZE_STRUCTURE_TYPE_DEVICE_MODULE_PROPERTIES;
    // SAFETY: the caller passes a writable properties structure or null.
    unsafe {
        query(device, properties, stype, |_, p| {
            // No kernels: no SPIR-V version, no floating-point capabilities declared.
            p.spirvVersionSupported = 0;
            p.flags = 0;
            p.fp16flags = 0;
            p.fp32flags = 0;
            p.fp64flags = 0;
            p.maxArgumentsSize = 2048;
            p.printfBufferSize = 4 << 20;
            p.nativeKernelSupported = ze_native_kernel_uuid_t::default();
        })
    }
}

unsafe extern "C" fn get_queue_group_properties(
    device: ze_device_handle_t,
    count: *mut u32,
    properties: *mut ze_command_queue_group_properties_t,
) -> ze_result_t {
    guard(|| {
        let device = get(device)?;
        // SAFETY: the caller passes a count or null.
        let n = unsafe { ffi::output(count) }?;
        let groups = device.queue_groups();
        if *n == 0 || properties.is_null() {
            *n = groups.len() as u32;
            return Ok(());
        }
        let k = (*n as usize).min(groups.len());
        for (i, group) in groups.iter().take(k).enumerate() {
            let stype = S::ZE_STRUCTURE_TYPE_COMMAND_QUEUE_GROUP_PROPERTIES;
            // SAFETY: i < *n entries, as the caller promised room for.
            let p = unsafe { ffi::typed_output(properties.add(i), stype) }?;
            p.flags = group.flags;
            p.maxMemoryFillPatternSize = group.max_fill_pattern_size;
            p.numQueues = group.num_queues;
        }
        *n = k as u32;
        Ok(())
    })
}

unsafe extern "C" fn get_memory_properties(
    device: ze_device_handle_t,
    count: *mut u32,
    properties: *mut ze_device_memory_properties_t,
) -> ze_result_t {
    let stype = S::ZE_STRUCTURE_TYPE_DEVICE_MEMORY_PROPERTIES;
    // SAFETY: the caller passes a count and room for *count entries, or nulls.
    unsafe {
        query_one(device, count, properties, stype, |device, p| {
            p.flags = 0;
            p.maxClockRate = 3200;
            p.maxBusWidth = 8192;
            p.totalSize = device.arena.len() as u64;
            ffi::copy_name(&mut p.name, "HBM");
        })
    }
}

unsafe extern "C" fn get_memory_access_properties(
    device: ze_device_handle_t,
    properties: *mut ze_device_memory_access_properties_t,
) -> ze_result_t {
    use ze_memory_access_cap_flag_t as F;
    let all = F::ZE_MEMORY_ACCESS_CAP_FLAG_RW.0
        | F::ZE_MEMORY_ACCESS_CAP_FLAG_ATOMIC.0
        | F::ZE_MEMORY_ACCESS_CAP_FLAG_CONCURRENT.0
        | F::ZE_MEMORY_ACCESS_CAP_FLAG_CONCURRENT_ATOMIC.0;
    let stype = S::ZE_STRUCTURE_TYPE_DEVICE_MEMORY_ACCESS_PROPERTIES;
    // SAFETY: the caller passes a writable properties structure or null.
    unsafe {
        query(device, properties, stype, |_, p| {
            p.hostAllocCapabilities = all;
            p.deviceAllocCapabilities = all;
            p.sharedSingleDeviceAllocCapabilities = all;
            p.sharedCrossDeviceAllocCapabilities = all;
            // System allocations (plain malloc) are not usable by the device.
            p.sharedSystemAllocCapabilities = 0;
        })
    }
}

unsafe extern "C" fn get_cache_properties(
    device: ze_device_handle_t,
    count: *mut u32,
    properties: *mut ze_device_cache_properties_t,
) -> ze_result_t {
    let stype = S::ZE_STRUCTURE_TYPE_DEVICE_CACHE_PROPERTIES;
    // SAFETY: the caller passes a count and room for *count entries, or nulls.
    unsafe {
        query_one(device, count, properties, stype, |_, p| {
            p.flags = 0;
            p.cacheSize = 204 << 20;
        })
    }
}

unsafe extern "C" fn get_image_properties(
    device: ze_device_handle_t,
    properties: *mut ze_device_image_properties_t,
) -> ze_result_t {
    let stype = S::ZE_STRUCTURE_TYPE_DEVICE_IMAGE_PROPERTIES;
    // SAFETY: the caller passes a writable properties structure or null.
    unsafe {
        query(device, properties, stype, |_, p| {
            // No image support: every limit is zero.
            *p = ze_device_image_properties_t {
                stype: p.stype,
                pNext: p.pNext,
                ..Default::default()
            };
        })
    }
}

unsafe extern "C" fn get_external_memory_properties(
    device: ze_device_handle_t,
    properties: *mut ze_device_external_memory_properties_t,
) -> ze_result_t {
    let stype = S::ZE_STRUCTURE_TYPE_DEVICE_EXTERNAL_MEMORY_PROPERTIES;
    // SAFETY: the caller passes a writable properties structure or null.
    unsafe {
        query(device, properties, stype, |_, p| {
            // No import or export of external memory.
            p.memoryAllocationImportTypes = 0;
            p.memoryAllocationExportTypes = 0;
            p.imageImportTypes = 0;
            p.imageExportTypes = 0;
        })
    }
}

unsafe extern "C" fn get_p2p_properties(
    device: ze_device_handle_t,
    peer: ze_device_handle_t,
    properties: *mut ze_device_p2p_properties_t,
) -> ze_result_t {
    guard(|| {
        get(device)?;
        get(peer)?;
        let stype = S::ZE_STRUCTURE_TYPE_DEVICE_P2P_PROPERTIES;
        // SAFETY: the caller passes a writable properties structure or null.
        let p = unsafe { ffi::typed_output(properties, stype) }?;
        // All devices share one address space: full access and atomics.
        p.flags = ze_device_p2p_property_flag_t::ZE_DEVICE_P2P_PROPERTY_FLAG_ACCESS.0
            | ze_device_p2p_property_flag_t::ZE_DEVICE_P2P_PROPERTY_FLAG_ATOMICS.0;
        Ok(())
    })
}

/// Fills the property entries of the device table.
pub(super) fn fill_table(t: &mut ze_device_dditable_t) {
    t.pfnGetProperties = Some(get_properties);
    t.pfnGetComputeProperties = Some(get_compute_properties);
    t.pfnGetModuleProperties = Some(get_module_properties);
    t.pfnGetCommandQueueGroupProperties = Some(get_queue_group_properties);
    t.pfnGetMemoryProperties = Some(get_memory_properties);
    t.pfnGetMemoryAccessProperties = Some(get_memory_access_properties);
    t.pfnGetCacheProperties = Some(get_cache_properties);
    t.pfnGetImageProperties = Some(get_image_properties);
    t.pfnGetExternalMemoryProperties = Some(get_external_memory_properties);
    t.pfnGetP2PProperties = Some(get_p2p_properties);
}
