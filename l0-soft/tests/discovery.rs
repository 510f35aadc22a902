//! Discovery through the real loader: zeInit, the driver, its devices and their properties.

use std::ffi::CStr;
use std::ptr::{null, null_mut};

use usm_test_kit::raw::probe::*;

fn name_of(chars: &[std::ffi::c_char]) -> String {
    // SAFETY: the driver NUL-terminates every name it writes into these arrays.
    unsafe { CStr::from_ptr(chars.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

#[test]
fn zeinit_succeeds_and_the_loader_finds_exactly_the_software_driver() {
    let s = setup();
    assert!(!s.driver.is_null());
    assert_eq!(s.devices.len(), 1, "one device by default");
    // A second zeInit is harmless.
    ok(ze!(zeInit(0)));
    ok(ze!(zeInit(ze_init_flag_t::ZE_INIT_FLAG_GPU_ONLY.0)));
}

#[test]
fn driver_get_with_a_larger_count_returns_the_real_count() {
    setup();
    let mut count = 5;
    let mut drivers = [null_mut(); 5];
    ok(ze!(zeDriverGet(&mut count, drivers.as_mut_ptr())));
    assert_eq!(count, 1);
    assert_eq!(drivers[0], setup().driver);
}

#[test]
fn driver_properties_have_a_uuid_and_version() {
    let s = setup();
    let mut p = ze_driver_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DRIVER_PROPERTIES,
        ..Default::default()
    };
    ok(ze!(zeDriverGetProperties(s.driver, &mut p)));
    assert_eq!(&p.uuid.id, b"ze-soft-driver-1");
    assert_eq!(p.driverVersion >> 24, 0);
    assert_eq!((p.driverVersion >> 16) & 0xff, 1);
}

#[test]
fn a_zero_initialised_output_structure_is_filled_as_intels_driver_fills_it() {
    let s = setup();
    let mut count = 0;
    ok(ze!(zeDeviceGetCommandQueueGroupProperties(
        s.devices[0],
        &mut count,
        null_mut()
    )));
    // Intel's conformance suite passes zeroed structures, stype included.
    let mut groups = vec![ze_command_queue_group_properties_t::default(); count as usize];
    assert_eq!(groups[0].stype.0, 0);
    ok(ze!(zeDeviceGetCommandQueueGroupProperties(
        s.devices[0],
        &mut count,
        groups.as_mut_ptr()
    )));
    assert!(groups.iter().all(|g| g.numQueues >= 1 && g.flags != 0));
    let mut props = ze_device_properties_t::default();
    ok(ze!(zeDeviceGetProperties(s.devices[0], &mut props)));
    assert_eq!(props.vendorId, 0x8086);
}

#[test]
fn a_wrong_stype_is_an_invalid_argument() {
    let s = setup();
    let mut p = ze_driver_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES,
        ..Default::default()
    };
    assert_rc(
        ze!(zeDriverGetProperties(s.driver, &mut p)),
        ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT,
    );
}

#[test]
fn ipc_properties_offer_memory_handles_and_event_pools() {
    let s = setup();
    let mut p = ze_driver_ipc_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DRIVER_IPC_PROPERTIES,
        ..Default::default()
    };
    ok(ze!(zeDriverGetIpcProperties(s.driver, &mut p)));
    assert_eq!(
        p.flags,
        ze_ipc_property_flag_t::ZE_IPC_PROPERTY_FLAG_MEMORY.0
            | ze_ipc_property_flag_t::ZE_IPC_PROPERTY_FLAG_EVENT_POOL.0
    );
}

#[test]
fn the_extensions_are_allocation_limits_free_policies_and_event_timestamps() {
    let s = setup();
    let mut expected = vec![
        (
            "ZE_experimental_relaxed_allocation_limits".to_string(),
            1 << 16,
        ),
        ("ZE_extension_memory_free_policies".to_string(), 1 << 16),
        (
            "ZE_experimental_event_query_timestamps".to_string(),
            1 << 16,
        ),
    ];
    if cfg!(ze_api = "1.6") {
        expected.push((
            "ZE_extension_event_query_kernel_timestamps".to_string(),
            1 << 16,
        ));
    }
    if cfg!(ze_api = "1.9") {
        expected.push((
            "ZE_experimental_immediate_command_list_append".to_string(),
            1 << 16,
        ));
    }
    let mut count = 0;
    ok(ze!(zeDriverGetExtensionProperties(
        s.driver,
        &mut count,
        null_mut()
    )));
    assert_eq!(count as usize, expected.len());
    let mut list = [ze_driver_extension_properties_t::default(); 8];
    count = 8;
    ok(ze!(zeDriverGetExtensionProperties(
        s.driver,
        &mut count,
        list.as_mut_ptr()
    )));
    assert_eq!(count as usize, expected.len());
    let names: Vec<(String, u32)> = list[..expected.len()]
        .iter()
        .map(|e| (name_of(&e.name), e.version))
        .collect();
    assert_eq!(names, expected);
    // A smaller count gets the first entries only.
    count = 1;
    ok(ze!(zeDriverGetExtensionProperties(
        s.driver,
        &mut count,
        list.as_mut_ptr()
    )));
    assert_eq!(count, 1);
}

#[test]
fn driver_properties_report_both_free_policies() {
    let s = setup();
    let mut free = ze_driver_memory_free_ext_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DRIVER_MEMORY_FREE_EXT_PROPERTIES,
        ..Default::default()
    };
    let mut p = ze_driver_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DRIVER_PROPERTIES,
        pNext: (&mut free as *mut ze_driver_memory_free_ext_properties_t).cast(),
        ..Default::default()
    };
    ok(ze!(zeDriverGetProperties(s.driver, &mut p)));
    assert_eq!(free.freePolicies, 3);
}

#[test]
fn bogus_and_null_driver_handles_are_rejected() {
    setup();
    let mut count = 0;
    assert_rc(
        ze!(zeDeviceGet(
            0x1200_usize as ze_driver_handle_t,
            &mut count,
            null_mut()
        )),
        ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT,
    );
    assert_rc(
        ze!(zeDeviceGet(null_mut(), &mut count, null_mut())),
        ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_HANDLE,
    );
    assert_rc(
        ze!(zeDeviceGet(setup().driver, null_mut(), null_mut())),
        ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER,
    );
}

#[test]
fn no_extension_function_address_exists() {
    let s = setup();
    let mut f = null_mut();
    assert_rc(
        ze!(zeDriverGetExtensionFunctionAddress(
            s.driver,
            c"zexDriverImportExternalPointer".as_ptr(),
            &mut f
        )),
        ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT,
    );
    assert!(f.is_null());
    assert_rc(
        ze!(zeDriverGetExtensionFunctionAddress(
            s.driver,
            null(),
            &mut f
        )),
        ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER,
    );
}

fn device_properties(device: ze_device_handle_t) -> ze_device_properties_t {
    let mut p = ze_device_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES,
        ..Default::default()
    };
    ok(ze!(zeDeviceGetProperties(device, &mut p)));
    p
}

#[test]
fn the_device_looks_like_a_discrete_intel_data_center_gpu() {
    let s = setup();
    let p = device_properties(s.devices[0]);
    assert_eq!(p.type_, ze_device_type_t::ZE_DEVICE_TYPE_GPU);
    assert_eq!(p.vendorId, 0x8086);
    assert_eq!(p.deviceId, 0x0bd5);
    assert_eq!(
        p.flags & ze_device_property_flag_t::ZE_DEVICE_PROPERTY_FLAG_INTEGRATED.0,
        0
    );
    assert_eq!(
        p.flags & ze_device_property_flag_t::ZE_DEVICE_PROPERTY_FLAG_SUBDEVICE.0,
        0
    );
    assert_eq!(
        name_of(&p.name),
        "Level Zero software device 0 (ze_soft, CPU)"
    );
    assert_eq!(p.maxMemAllocSize, (4 << 30) - (8 << 10));
    assert_eq!(p.coreClockRate, 1600);
    assert_eq!(
        p.numSlices * p.numSubslicesPerSlice * p.numEUsPerSubslice,
        512
    );
    assert_eq!(p.timerResolution, 1);
    assert_eq!(&p.uuid.id[..14], b"ze-soft-device");
    // The 1.2 form reports the timer in cycles per second.
    let mut p12 = ze_device_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES_1_2,
        ..Default::default()
    };
    ok(ze!(zeDeviceGetProperties(s.devices[0], &mut p12)));
    assert_eq!(p12.timerResolution, 1_000_000_000);
}

#[test]
fn memory_properties_report_the_default_16_gib() {
    let s = setup();
    let mut count = 0;
    ok(ze!(zeDeviceGetMemoryProperties(
        s.devices[0],
        &mut count,
        null_mut()
    )));
    assert_eq!(count, 1);
    let mut p = ze_device_memory_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_MEMORY_PROPERTIES,
        ..Default::default()
    };
    ok(ze!(zeDeviceGetMemoryProperties(
        s.devices[0],
        &mut count,
        &mut p
    )));
    assert_eq!(p.totalSize, 16 << 30);
    assert_eq!(name_of(&p.name), "HBM");
    // Consistent with the device properties.
    assert!(device_properties(s.devices[0]).maxMemAllocSize <= p.totalSize);
}

#[test]
fn memory_access_allows_host_device_and_shared_but_not_system_memory() {
    let s = setup();
    let mut p = ze_device_memory_access_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_MEMORY_ACCESS_PROPERTIES,
        ..Default::default()
    };
    ok(ze!(zeDeviceGetMemoryAccessProperties(s.devices[0], &mut p)));
    let rw = ze_memory_access_cap_flag_t::ZE_MEMORY_ACCESS_CAP_FLAG_RW.0;
    assert_ne!(p.hostAllocCapabilities & rw, 0);
    assert_ne!(p.deviceAllocCapabilities & rw, 0);
    assert_ne!(p.sharedSingleDeviceAllocCapabilities & rw, 0);
    assert_eq!(p.sharedSystemAllocCapabilities, 0);
}

#[test]
fn queue_groups_are_compute_main_copy_and_link_copy() {
    let s = setup();
    let mut count = 0;
    ok(ze!(zeDeviceGetCommandQueueGroupProperties(
        s.devices[0],
        &mut count,
        null_mut()
    )));
    assert_eq!(count, 3);
    let template = ze_command_queue_group_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_COMMAND_QUEUE_GROUP_PROPERTIES,
        ..Default::default()
    };
    let mut groups = [template; 3];
    ok(ze!(zeDeviceGetCommandQueueGroupProperties(
        s.devices[0],
        &mut count,
        groups.as_mut_ptr()
    )));
    let compute =
        ze_command_queue_group_property_flag_t::ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COMPUTE.0;
    let copy = ze_command_queue_group_property_flag_t::ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COPY.0;
    let summary: Vec<(u32, u32, usize)> = groups
        .iter()
        .map(|g| (g.flags, g.numQueues, g.maxMemoryFillPatternSize))
        .collect();
    assert_eq!(
        summary,
        [(compute | copy, 1, 128), (copy, 1, 16), (copy, 7, 1)]
    );
}

#[test]
fn compute_module_cache_image_and_external_memory_properties() {
    let s = setup();
    let d = s.devices[0];
    let mut c = ze_device_compute_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_COMPUTE_PROPERTIES,
        ..Default::default()
    };
    ok(ze!(zeDeviceGetComputeProperties(d, &mut c)));
    assert_eq!(c.maxTotalGroupSize, 1024);
    assert_eq!(&c.subGroupSizes[..c.numSubGroupSizes as usize], &[16, 32]);

    let mut m = ze_device_module_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_MODULE_PROPERTIES,
        spirvVersionSupported: 99,
        ..Default::default()
    };
    ok(ze!(zeDeviceGetModuleProperties(d, &mut m)));
    assert_eq!(m.spirvVersionSupported, 0, "no SPIR-V until kernels exist");

    let mut count = 0;
    ok(ze!(zeDeviceGetCacheProperties(d, &mut count, null_mut())));
    assert_eq!(count, 1);
    let mut cache = ze_device_cache_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_CACHE_PROPERTIES,
        ..Default::default()
    };
    ok(ze!(zeDeviceGetCacheProperties(d, &mut count, &mut cache)));
    assert_eq!(cache.cacheSize, 204 << 20);

    let mut img = ze_device_image_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_IMAGE_PROPERTIES,
        maxImageDims2D: 7,
        ..Default::default()
    };
    ok(ze!(zeDeviceGetImageProperties(d, &mut img)));
    assert_eq!(
        (img.maxImageDims1D, img.maxImageDims2D, img.maxSamplers),
        (0, 0, 0)
    );

    let mut ext = ze_device_external_memory_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_EXTERNAL_MEMORY_PROPERTIES,
        memoryAllocationImportTypes: 3,
        ..Default::default()
    };
    ok(ze!(zeDeviceGetExternalMemoryProperties(d, &mut ext)));
    assert_eq!(ext.memoryAllocationImportTypes, 0);
}

#[test]
fn status_sub_devices_peer_access_and_timestamps() {
    let s = setup();
    let d = s.devices[0];
    ok(ze!(zeDeviceGetStatus(d)));
    let mut count = 9;
    ok(ze!(zeDeviceGetSubDevices(d, &mut count, null_mut())));
    assert_eq!(count, 0);
    let mut can = 0;
    ok(ze!(zeDeviceCanAccessPeer(d, d, &mut can)));
    assert_eq!(can, 1);
    let mut p2p = ze_device_p2p_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_P2P_PROPERTIES,
        ..Default::default()
    };
    ok(ze!(zeDeviceGetP2PProperties(d, d, &mut p2p)));
    assert_eq!(p2p.flags, 3);
    let (mut h1, mut d1, mut h2, mut d2) = (0u64, 0u64, 0u64, 0u64);
    ok(ze!(zeDeviceGetGlobalTimestamps(d, &mut h1, &mut d1)));
    ok(ze!(zeDeviceGetGlobalTimestamps(d, &mut h2, &mut d2)));
    assert!(h1 > 0 && d1 > 0);
    assert!(h2 >= h1 && d2 >= d1, "timestamps never go back");
}

#[test]
fn null_and_bogus_device_handles_are_rejected() {
    setup();
    let mut p = ze_device_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES,
        ..Default::default()
    };
    assert_rc(
        ze!(zeDeviceGetProperties(null_mut(), &mut p)),
        ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_HANDLE,
    );
    assert_rc(
        ze!(zeDeviceGetProperties(setup().devices[0], null_mut())),
        ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER,
    );
    // A value that was never a handle: rejected, never dereferenced.
    let bogus = 0x5a5a_5a00_usize as ze_device_handle_t;
    assert_rc(
        ze!(zeDeviceGetProperties(bogus, &mut p)),
        ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT,
    );
}

#[test]
fn modules_kernels_and_images_are_unsupported() {
    let s = setup();
    let ctx = new_context();
    let desc = ze_module_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_MODULE_DESC,
        format: ze_module_format_t::ZE_MODULE_FORMAT_IL_SPIRV,
        inputSize: 4,
        pInputModule: b"\x03\x02\x23\x07".as_ptr(),
        ..Default::default()
    };
    let mut module = null_mut();
    assert_rc(
        ze!(zeModuleCreate(
            ctx,
            s.devices[0],
            &desc,
            &mut module,
            null_mut()
        )),
        ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_FEATURE,
    );
    let sdesc = ze_sampler_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_SAMPLER_DESC,
        ..Default::default()
    };
    let mut sampler = null_mut();
    assert_rc(
        ze!(zeSamplerCreate(ctx, s.devices[0], &sdesc, &mut sampler)),
        ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_FEATURE,
    );
    let idesc = ze_image_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_IMAGE_DESC,
        type_: ze_image_type_t::ZE_IMAGE_TYPE_2D,
        width: 4,
        height: 4,
        depth: 1,
        ..Default::default()
    };
    let mut image = null_mut();
    assert_rc(
        ze!(zeImageCreate(ctx, s.devices[0], &idesc, &mut image)),
        ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_FEATURE,
    );
    ok(ze!(zeContextDestroy(ctx)));
}

#[test]
fn the_validation_layer_is_loaded_when_asked_for() {
    setup();
    let versions = loader().versions().expect("zelLoaderGetVersions");
    let names: Vec<&str> = versions.iter().map(|v| v.component.as_str()).collect();
    assert!(names.contains(&"loader"), "{names:?}");
    assert_eq!(
        names.iter().any(|n| n.contains("validation")),
        validation_layer_enabled(),
        "{names:?}"
    );
}
