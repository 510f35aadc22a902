//! Entry points of newer Level Zero versions (API 1.2 to 1.14) that clients call on memory
//! and command list paths, through the real loader.
//!
//! Each exists only where the headers the driver was built with declare it
//! (`cfg(ze_api = "1.N")`). Through a loader older than the entry point (Debian's 1.8
//! speaks API 1.4), the loader itself lacks the function: the tests then check that
//! level-zero-sys reports it as a typed `MissingFunction`, and say so on standard error.

#![allow(unused_imports)]

#[macro_use]
mod support;

use std::ffi::CStr;
use std::ptr::null_mut;

use support::*;

/// The API version of the loader the tests run through.
fn loader_api() -> (u32, u32) {
    let versions = env().l.versions().expect("zelLoaderGetVersions");
    let loader = versions
        .iter()
        .find(|v| v.component == "loader")
        .expect("the loader reports its own version");
    version_parts(loader.spec_version)
}

/// Calls a loader entry point that API `1.minor` introduced: `Some(code)` where the
/// loader has it; `None` (after checking that the call is a `MissingFunction` naming it,
/// and saying so) where the loader is older.
#[cfg(ze_api = "1.6")]
macro_rules! since {
    ($minor:expr, $f:ident ( $($arg:expr),* $(,)? )) => {{
        // The arguments are the test's raw pointers and handles, by design.
        #[allow(clippy::macro_metavars_in_unsafe)]
        // SAFETY: the tests pass arguments valid for the call, or deliberately invalid
        // ones the specification says the driver must reject.
        let result = unsafe { env().l.$f($($arg),*) };
        match result {
            Ok(rc) => Some(rc),
            Err(missing) => {
                let api = loader_api();
                assert!(
                    api < (1, $minor),
                    "a loader of API {}.{} must export {}", api.0, api.1, stringify!($f)
                );
                assert_eq!(missing.name, stringify!($f));
                eprintln!(
                    "note: the loader (API {}.{}) predates {} (API 1.{}); checked that \
                     calling it is a MissingFunction",
                    api.0, api.1, stringify!($f), $minor
                );
                None
            }
        }
    }};
}

#[test]
fn the_api_version_is_the_headers_or_the_loaders_when_older() {
    let mut version = ze_api_version_t::ZE_API_VERSION_1_0;
    ok(ze!(zeDriverGetApiVersion(env().driver, &mut version)));
    let headers = version_parts(HEADER_API_VERSION.0);
    assert_eq!(version_parts(version.0), headers.min(loader_api()));
}

#[test]
fn the_timestamp_extensions_are_reported() {
    let mut count = 0;
    ok(ze!(zeDriverGetExtensionProperties(
        env().driver,
        &mut count,
        null_mut()
    )));
    let mut list = vec![ze_driver_extension_properties_t::default(); count as usize];
    ok(ze!(zeDriverGetExtensionProperties(
        env().driver,
        &mut count,
        list.as_mut_ptr()
    )));
    let names: Vec<String> = list
        .iter()
        .map(|e| {
            // SAFETY: the driver NUL-terminates every name.
            unsafe { CStr::from_ptr(e.name.as_ptr()) }
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert!(names.contains(&"ZE_experimental_event_query_timestamps".to_string()));
    assert_eq!(
        names.contains(&"ZE_extension_event_query_kernel_timestamps".to_string()),
        cfg!(ze_api = "1.6"),
        "{names:?}"
    );
}

/// An event of a pool with `flags` signaled by a copy on an immediate list, and the list;
/// `None` where a validation layer older than the flags refused the pool.
fn signaled_event(flags: u32) -> Option<(ze_event_handle_t, ze_command_list_handle_t)> {
    let desc = ze_event_pool_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_EVENT_POOL_DESC,
        flags: HOST_VISIBLE | flags,
        count: 2,
        ..Default::default()
    };
    let mut pool = null_mut();
    accepted_newer_flags(ze!(zeEventPoolCreate(
        env().ctx,
        &desc,
        0,
        null_mut(),
        &mut pool
    )));
    if pool.is_null() {
        eprintln!("note: the validation layer does not know event pool flags {flags:#x}");
        return None;
    }
    let e = event(pool, 0);
    let list = immediate(MAIN_COPY, SYNC);
    let src = alloc_host(4096);
    let dst = alloc_device(4096);
    ok(ze!(zeCommandListAppendMemoryCopy(
        list,
        dst,
        src,
        4096,
        e,
        0,
        none()
    )));
    ok(ze!(zeEventHostSynchronize(e, u64::MAX)));
    Some((e, list))
}

/// A timestamp event signaled by a copy on an immediate list, and the list.
fn signaled_timestamp_event() -> (ze_event_handle_t, ze_command_list_handle_t) {
    signaled_event(TIMESTAMPS).expect("every layer knows KERNEL_TIMESTAMP")
}

#[test]
fn query_timestamps_exp_reports_one_packet_with_the_commands_times() {
    let (e, _list) = signaled_timestamp_event();
    let mut count = 0;
    ok(ze!(zeEventQueryTimestampsExp(
        e,
        device(),
        &mut count,
        null_mut()
    )));
    assert_eq!(count, 1);
    let mut ts = ze_kernel_timestamp_result_t::default();
    ok(ze!(zeEventQueryTimestampsExp(
        e,
        device(),
        &mut count,
        &mut ts
    )));
    let mut expected = ze_kernel_timestamp_result_t::default();
    ok(ze!(zeEventQueryKernelTimestamp(e, &mut expected)));
    assert_eq!(
        (ts.global.kernelStart, ts.global.kernelEnd),
        (expected.global.kernelStart, expected.global.kernelEnd)
    );
    assert!(ts.global.kernelEnd >= ts.global.kernelStart);
    // A count above the packets is corrected, nothing written.
    count = 5;
    ok(ze!(zeEventQueryTimestampsExp(
        e,
        device(),
        &mut count,
        null_mut()
    )));
    assert_eq!(count, 1);
    assert_rc(
        ze!(zeEventQueryTimestampsExp(
            e,
            device(),
            null_mut(),
            null_mut()
        )),
        NULL_POINTER,
    );
    assert_rc(
        ze!(zeEventQueryTimestampsExp(
            e,
            null_mut(),
            &mut count,
            null_mut()
        )),
        NULL_HANDLE,
    );
}

#[cfg(ze_api = "1.6")]
#[test]
fn query_kernel_timestamps_ext_fills_the_kernel_buffer_once_signaled() {
    let (e, _list) = signaled_timestamp_event();
    let mut count = 0;
    let Some(rc) = since!(
        6,
        zeEventQueryKernelTimestampsExt(e, device(), &mut count, null_mut())
    ) else {
        return;
    };
    ok(rc);
    assert_eq!(count, 1);
    let mut ts = ze_kernel_timestamp_result_t::default();
    let mut results = ze_event_query_kernel_timestamps_results_ext_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_EVENT_QUERY_KERNEL_TIMESTAMPS_RESULTS_EXT_PROPERTIES,
        pKernelTimestampsBuffer: &mut ts,
        ..Default::default()
    };
    ok(ze!(zeEventQueryKernelTimestampsExt(
        e,
        device(),
        &mut count,
        &mut results
    )));
    assert!(ts.global.kernelEnd >= ts.global.kernelStart && ts.global.kernelEnd > 0);
    // Not signaled: NOT_READY, the buffer untouched.
    ok(ze!(zeEventHostReset(e)));
    let mut untouched = ze_kernel_timestamp_result_t::default();
    results.pKernelTimestampsBuffer = &mut untouched;
    assert_rc(
        ze!(zeEventQueryKernelTimestampsExt(
            e,
            device(),
            &mut count,
            &mut results
        )),
        NOT_READY,
    );
    assert_eq!(untouched.global.kernelEnd, 0);
}

#[cfg(ze_api = "1.6")]
#[test]
fn host_synchronize_waits_for_an_asynchronous_immediate_list() {
    let list = immediate(MAIN_COPY, ASYNC);
    let pool = event_pool(HOST_VISIBLE, 1);
    let gate = event(pool, 0);
    let src = alloc_host(1 << 16);
    let dst = alloc_host(1 << 16);
    // SAFETY: host memory of 64 KiB each, not yet used by any command.
    unsafe {
        std::ptr::write_bytes(src.cast::<u8>(), 0x5a, 1 << 16);
        std::ptr::write_bytes(dst.cast::<u8>(), 0, 1 << 16);
    }
    let mut wait = gate;
    ok(ze!(zeCommandListAppendMemoryCopy(
        list,
        dst,
        src,
        1 << 16,
        no_event(),
        1,
        &mut wait
    )));
    let Some(rc) = since!(6, zeCommandListHostSynchronize(list, 0)) else {
        return;
    };
    // The copy waits for the gate: not done yet.
    assert_rc(rc, NOT_READY);
    assert_rc(
        ze!(zeCommandListHostSynchronize(list, 1_000_000)),
        NOT_READY,
    );
    ok(ze!(zeEventHostSignal(gate)));
    ok(ze!(zeCommandListHostSynchronize(list, u64::MAX)));
    // SAFETY: the copy has finished; 64 KiB of host memory.
    let copied = unsafe { std::slice::from_raw_parts(dst.cast::<u8>(), 1 << 16) };
    assert!(copied.iter().all(|&b| b == 0x5a));
}

#[cfg(ze_api = "1.6")]
#[test]
fn host_synchronize_refuses_a_regular_list_and_bad_handles() {
    let list = regular(COMPUTE);
    let Some(rc) = since!(6, zeCommandListHostSynchronize(list, 0)) else {
        return;
    };
    assert_rc(rc, INVALID_ARGUMENT);
    assert_rc(
        ze!(zeCommandListHostSynchronize(null_mut(), 0)),
        NULL_HANDLE,
    );
    ok(ze!(zeCommandListHostSynchronize(
        immediate(COMPUTE, SYNC),
        0
    )));
}

#[cfg(ze_api = "1.9")]
#[test]
fn command_lists_report_their_device_context_ordinal_and_kind() {
    let imm = immediate(LINK_COPY, ASYNC);
    let reg = regular(MAIN_COPY);
    let mut dev = null_mut();
    let Some(rc) = since!(9, zeCommandListGetDeviceHandle(imm, &mut dev)) else {
        return;
    };
    ok(rc);
    assert_eq!(dev, device());
    let mut ctx = null_mut();
    ok(ze!(zeCommandListGetContextHandle(reg, &mut ctx)));
    assert_eq!(ctx, env().ctx);
    let mut ordinal = 99;
    ok(ze!(zeCommandListGetOrdinal(imm, &mut ordinal)));
    assert_eq!(ordinal, LINK_COPY);
    ok(ze!(zeCommandListGetOrdinal(reg, &mut ordinal)));
    assert_eq!(ordinal, MAIN_COPY);
    let mut is = 7;
    ok(ze!(zeCommandListIsImmediate(imm, &mut is)));
    assert_eq!(is, 1);
    ok(ze!(zeCommandListIsImmediate(reg, &mut is)));
    assert_eq!(is, 0);
    for bad in [
        ze!(zeCommandListGetDeviceHandle(imm, null_mut())),
        ze!(zeCommandListGetContextHandle(imm, null_mut())),
        ze!(zeCommandListGetOrdinal(imm, null_mut())),
        ze!(zeCommandListIsImmediate(imm, null_mut())),
    ] {
        assert_rc(bad, NULL_POINTER);
    }
    assert_rc(
        ze!(zeCommandListGetOrdinal(null_mut(), &mut ordinal)),
        NULL_HANDLE,
    );
}

#[cfg(ze_api = "1.9")]
#[test]
fn immediate_get_index_answers_the_descriptors_index_for_immediate_lists_only() {
    let mut desc = queue_desc(LINK_COPY, SYNC);
    desc.index = 5;
    let mut imm = null_mut();
    ok(ze!(zeCommandListCreateImmediate(
        env().ctx,
        device(),
        &desc,
        &mut imm
    )));
    let mut index = 0;
    let Some(rc) = since!(9, zeCommandListImmediateGetIndex(imm, &mut index)) else {
        return;
    };
    ok(rc);
    assert_eq!(index, 5);
    assert_rc(
        ze!(zeCommandListImmediateGetIndex(regular(COMPUTE), &mut index)),
        INVALID_ARGUMENT,
    );
    assert_rc(
        ze!(zeCommandListImmediateGetIndex(imm, null_mut())),
        NULL_POINTER,
    );
}

#[cfg(ze_api = "1.7")]
#[test]
fn every_device_is_a_root_device() {
    let mut root = device();
    let Some(rc) = since!(7, zeDeviceGetRootDevice(device(), &mut root)) else {
        return;
    };
    ok(rc);
    assert!(root.is_null(), "a root device has no root device above it");
    assert_rc(
        ze!(zeDeviceGetRootDevice(device(), null_mut())),
        NULL_POINTER,
    );
    assert_rc(
        ze!(zeDeviceGetRootDevice(null_mut(), &mut root)),
        NULL_HANDLE,
    );
}

#[cfg(ze_api = "1.6")]
#[test]
fn the_last_error_description_names_the_failure_of_this_thread() {
    let mut text: *const std::ffi::c_char = std::ptr::null();
    // An unimplemented entry point leaves a description that names it (called with
    // arguments the validation layer lets through).
    let desc = ze_sampler_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_SAMPLER_DESC,
        ..Default::default()
    };
    let mut sampler = null_mut();
    assert_rc(
        ze!(zeSamplerCreate(env().ctx, device(), &desc, &mut sampler)),
        ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_FEATURE,
    );
    let Some(rc) = since!(6, zeDriverGetLastErrorDescription(env().driver, &mut text)) else {
        return;
    };
    ok(rc);
    // SAFETY: the driver returns a NUL-terminated string it owns.
    let described = unsafe { CStr::from_ptr(text) }
        .to_string_lossy()
        .into_owned();
    assert_eq!(
        described,
        "zeSamplerCreate is not implemented by the software driver"
    );
    // A failure of another thread does not change this thread's description.
    std::thread::spawn(|| {
        assert_rc(
            ze!(zeMemFree(env().ctx, 0x1000 as *mut _)),
            INVALID_ARGUMENT,
        );
    })
    .join()
    .unwrap();
    ok(ze!(zeDriverGetLastErrorDescription(
        env().driver,
        &mut text
    )));
    // SAFETY: as above.
    let again = unsafe { CStr::from_ptr(text) }
        .to_string_lossy()
        .into_owned();
    assert_eq!(again, described);
    // A failure of this thread replaces it with the failure's code.
    assert_rc(
        ze!(zeMemFree(env().ctx, 0x1000 as *mut _)),
        INVALID_ARGUMENT,
    );
    ok(ze!(zeDriverGetLastErrorDescription(
        env().driver,
        &mut text
    )));
    // SAFETY: as above.
    let now = unsafe { CStr::from_ptr(text) }
        .to_string_lossy()
        .into_owned();
    assert_eq!(now, "ZE_RESULT_ERROR_INVALID_ARGUMENT");
    assert_rc(
        ze!(zeDriverGetLastErrorDescription(env().driver, null_mut())),
        NULL_POINTER,
    );
}

#[cfg(ze_api = "1.14")]
#[test]
fn the_default_context_spans_every_device_and_stays_the_same() {
    let Some(first) = since!(14, zeDriverGetDefaultContext(env().driver)) else {
        return;
    };
    assert!(!first.is_null());
    assert_eq!(ze!(zeDriverGetDefaultContext(env().driver)), first);
    ok(ze!(zeContextGetStatus(first)));
    // Usable like any context: allocate device memory on the device in it.
    let desc = ze_device_mem_alloc_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC,
        ..Default::default()
    };
    let mut p = null_mut();
    ok(ze!(zeMemAllocDevice(
        first,
        &desc,
        4096,
        0,
        device(),
        &mut p
    )));
    ok(ze!(zeMemFree(first, p)));
    // It cannot be destroyed from under the driver's other users.
    assert_rc(ze!(zeContextDestroy(first)), INVALID_ARGUMENT);
    ok(ze!(zeContextGetStatus(first)));
    // A bad driver handle answers null.
    assert!(ze!(zeDriverGetDefaultContext(0x12345 as ze_driver_handle_t)).is_null());
}

#[cfg(ze_api = "1.10")]
#[test]
fn init_drivers_returns_the_driver_for_gpu_types_only() {
    let mut desc = ze_init_driver_type_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_INIT_DRIVER_TYPE_DESC,
        flags: ze_init_driver_type_flag_t::ZE_INIT_DRIVER_TYPE_FLAG_GPU.0,
        ..Default::default()
    };
    env();
    let mut count = 0;
    let Some(rc) = since!(10, zeInitDrivers(&mut count, null_mut(), &mut desc)) else {
        return;
    };
    ok(rc);
    assert_eq!(count, 1);
    let mut drivers = [null_mut(); 2];
    count = 2;
    ok(ze!(zeInitDrivers(
        &mut count,
        drivers.as_mut_ptr(),
        &mut desc
    )));
    assert_eq!(count, 1);
    // The same driver zeDriverGet gave (handles may be the loader's, but equal).
    assert_eq!(drivers[0], env().driver);
    // Asking for NPUs only finds no driver.
    desc.flags = ze_init_driver_type_flag_t::ZE_INIT_DRIVER_TYPE_FLAG_NPU.0;
    count = 0;
    let rc = ze!(zeInitDrivers(&mut count, null_mut(), &mut desc));
    assert!(
        rc == ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED || count == 0,
        "NPU only: {} with {count} drivers",
        rc.name().unwrap_or("?")
    );
}

#[cfg(ze_api = "1.6")]
#[test]
fn mapped_timestamps_are_on_the_hosts_time_domain() {
    const MAPPED: u32 = ze_event_pool_flag_t::ZE_EVENT_POOL_FLAG_KERNEL_MAPPED_TIMESTAMP.0;
    let (mut before, mut after, mut device_time) = (0u64, 0u64, 0u64);
    ok(ze!(zeDeviceGetGlobalTimestamps(
        device(),
        &mut before,
        &mut device_time
    )));
    let Some((e, _list)) = signaled_event(MAPPED) else {
        return;
    };
    ok(ze!(zeDeviceGetGlobalTimestamps(
        device(),
        &mut after,
        &mut device_time
    )));
    let mut count = 1;
    let mut kernel = ze_kernel_timestamp_result_t::default();
    let mut synced = ze_synchronized_timestamp_result_ext_t::default();
    let mut results = ze_event_query_kernel_timestamps_results_ext_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_EVENT_QUERY_KERNEL_TIMESTAMPS_RESULTS_EXT_PROPERTIES,
        pKernelTimestampsBuffer: &mut kernel,
        pSynchronizedTimestampsBuffer: &mut synced,
        ..Default::default()
    };
    let Some(rc) = since!(
        6,
        zeEventQueryKernelTimestampsExt(e, device(), &mut count, &mut results)
    ) else {
        return;
    };
    ok(rc);
    // The command ran between the two host timestamps, in nanoseconds of the host clock.
    assert!(
        before <= synced.global.kernelStart,
        "{before} > {}",
        synced.global.kernelStart
    );
    assert!(synced.global.kernelStart <= synced.global.kernelEnd);
    assert!(
        synced.global.kernelEnd <= after,
        "{} > {after}",
        synced.global.kernelEnd
    );
    assert_eq!(synced.global.kernelEnd, kernel.global.kernelEnd);
}

#[cfg(ze_api = "1.9")]
#[test]
fn an_immediate_list_runs_regular_lists_between_its_wait_and_signal_events() {
    let pool = event_pool(HOST_VISIBLE, 2);
    let (gate, done) = (event(pool, 0), event(pool, 1));
    let (src, mid, dst) = (alloc_host(4096), alloc_device(4096), alloc_host(4096));
    let data = bytes(4096, 21);
    upload(src, &data);
    // Two regular lists: host -> device, then device -> host.
    let mut lists = [regular(MAIN_COPY), regular(MAIN_COPY)];
    ok(ze!(zeCommandListAppendMemoryCopy(
        lists[0],
        mid,
        src,
        4096,
        no_event(),
        0,
        none()
    )));
    ok(ze!(zeCommandListAppendMemoryCopy(
        lists[1],
        dst,
        mid,
        4096,
        no_event(),
        0,
        none()
    )));
    for l in lists {
        ok(ze!(zeCommandListClose(l)));
    }
    let imm = immediate(MAIN_COPY, ASYNC);
    let mut wait = gate;
    let Some(rc) = since!(
        9,
        zeCommandListImmediateAppendCommandListsExp(imm, 2, lists.as_mut_ptr(), done, 1, &mut wait)
    ) else {
        return;
    };
    ok(rc);
    // Held back by the gate.
    assert_rc(ze!(zeEventHostSynchronize(done, 1_000_000)), NOT_READY);
    ok(ze!(zeEventHostSignal(gate)));
    ok(ze!(zeEventHostSynchronize(done, u64::MAX)));
    assert_eq!(download(dst, 4096), data);
    // Only closed regular lists of the immediate list's ordinal, on an immediate list.
    let open = regular(MAIN_COPY);
    let mut bad = [open];
    assert_rc(
        ze!(zeCommandListImmediateAppendCommandListsExp(
            imm,
            1,
            bad.as_mut_ptr(),
            no_event(),
            0,
            none()
        )),
        INVALID_ARGUMENT,
    );
    let mut other_ordinal = [regular(COMPUTE)];
    ok(ze!(zeCommandListClose(other_ordinal[0])));
    assert_rc(
        ze!(zeCommandListImmediateAppendCommandListsExp(
            imm,
            1,
            other_ordinal.as_mut_ptr(),
            no_event(),
            0,
            none()
        )),
        INVALID_ARGUMENT,
    );
    assert_rc(
        ze!(zeCommandListImmediateAppendCommandListsExp(
            lists[0],
            1,
            lists.as_mut_ptr(),
            no_event(),
            0,
            none()
        )),
        INVALID_ARGUMENT,
    );
    assert_rc(
        ze!(zeCommandListImmediateAppendCommandListsExp(
            imm,
            1,
            null_mut(),
            no_event(),
            0,
            none()
        )),
        NULL_POINTER,
    );
}
