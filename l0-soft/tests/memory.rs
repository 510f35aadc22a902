//! USM allocations through the real loader: each kind, interior pointers, address ranges,
//! every bad input's code, frees and IPC handles.

use std::ffi::c_void;
use std::ptr::{null, null_mut};

use usm_test_kit::raw::probe::*;

const MAX_ALLOC: usize = (4 << 30) - (8 << 10);

#[test]
fn device_memory_has_type_device_its_device_and_64k_pages() {
    let _serial = serial();
    let s = setup();
    let ctx = new_context();
    let (rc, p) = alloc_device(ctx, 1000, 0, s.devices[0]);
    ok(rc);
    assert!(!p.is_null());
    assert_eq!(
        p as usize % (64 << 10),
        0,
        "default alignment is one 64 KiB page"
    );
    let (kind, id, page, device) = alloc_properties(ctx, p);
    assert_eq!(kind, ze_memory_type_t::ZE_MEMORY_TYPE_DEVICE);
    assert_ne!(id, 0);
    assert_eq!(page, 64 << 10);
    assert_eq!(device, s.devices[0]);
    ok(ze!(zeMemFree(ctx, p)));
    ok(ze!(zeContextDestroy(ctx)));
}

#[test]
fn host_memory_is_host_writable_and_has_no_device() {
    let _serial = serial();
    let ctx = new_context();
    let (rc, p) = alloc_host(ctx, 300, 0);
    ok(rc);
    // SAFETY: 300 writable bytes were just allocated.
    let bytes = unsafe { std::slice::from_raw_parts_mut(p.cast::<u8>(), 300) };
    assert!(bytes.iter().all(|&b| b == 0), "fresh memory reads zeros");
    bytes.iter_mut().enumerate().for_each(|(i, b)| *b = i as u8);
    assert_eq!(bytes[299], 43);
    let (kind, id, page, device) = alloc_properties(ctx, p);
    assert_eq!(kind, ze_memory_type_t::ZE_MEMORY_TYPE_HOST);
    assert_ne!(id, 0);
    assert_eq!(page, 4096);
    assert!(device.is_null());
    ok(ze!(zeMemFree(ctx, p)));
    ok(ze!(zeContextDestroy(ctx)));
}

#[test]
fn shared_memory_with_and_without_a_device() {
    let _serial = serial();
    let s = setup();
    let ctx = new_context();
    let (rc, bound) = alloc_shared(ctx, 64, 0, s.devices[0]);
    ok(rc);
    let (rc, free_floating) = alloc_shared(ctx, 64, 0, null_mut());
    ok(rc);
    // SAFETY: 64 writable bytes each.
    unsafe {
        bound.cast::<u64>().write(7);
        free_floating.cast::<u64>().write(9);
        assert_eq!(
            bound.cast::<u64>().read() + free_floating.cast::<u64>().read(),
            16
        );
    }
    let (kind, _, _, device) = alloc_properties(ctx, bound);
    assert_eq!(
        (kind, device),
        (ze_memory_type_t::ZE_MEMORY_TYPE_SHARED, s.devices[0])
    );
    let (kind, _, _, device) = alloc_properties(ctx, free_floating);
    assert_eq!(
        (kind, device),
        (ze_memory_type_t::ZE_MEMORY_TYPE_SHARED, null_mut())
    );
    ok(ze!(zeMemFree(ctx, bound)));
    ok(ze!(zeMemFree(ctx, free_floating)));
    ok(ze!(zeContextDestroy(ctx)));
}

#[test]
fn every_power_of_two_alignment_is_honoured_as_intels_driver_does() {
    let _serial = serial();
    let s = setup();
    let ctx = new_context();
    // Intel's conformance suite allocates with 4 MiB alignment; any power of two works.
    let aligns = [
        1usize,
        64,
        4096,
        64 << 10,
        1 << 20,
        2 << 20,
        4 << 20,
        64 << 20,
        1 << 30,
    ];
    for align in aligns {
        let (rc, d) = alloc_device(ctx, 10, align, s.devices[0]);
        ok(rc);
        let (rc, h) = alloc_host(ctx, 10, align);
        ok(rc);
        let (rc, sh) = alloc_shared(ctx, 10, align, s.devices[0]);
        ok(rc);
        for p in [d, h, sh] {
            assert_eq!(p as usize % align, 0, "alignment {align}");
            ok(ze!(zeMemFree(ctx, p)));
        }
    }
    ok(ze!(zeContextDestroy(ctx)));
}

#[test]
fn ids_are_unique_and_never_reused() {
    let _serial = serial();
    let s = setup();
    let ctx = new_context();
    let mut ids = Vec::new();
    for _ in 0..4 {
        let (rc, p) = alloc_device(ctx, 8, 0, s.devices[0]);
        ok(rc);
        ids.push(alloc_properties(ctx, p).1);
        ok(ze!(zeMemFree(ctx, p)));
    }
    let mut sorted = ids.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), 4, "{ids:?}");
    ok(ze!(zeContextDestroy(ctx)));
}

#[test]
fn interior_pointers_report_the_allocation_and_its_range() {
    let _serial = serial();
    let s = setup();
    let ctx = new_context();
    let (rc, d) = alloc_device(ctx, 1000, 0, s.devices[0]);
    ok(rc);
    let (rc, h) = alloc_host(ctx, 1000, 0);
    ok(rc);
    for (base, kind) in [
        (d, ze_memory_type_t::ZE_MEMORY_TYPE_DEVICE),
        (h, ze_memory_type_t::ZE_MEMORY_TYPE_HOST),
    ] {
        let id = alloc_properties(ctx, base).1;
        for offset in [1usize, 500, 999] {
            let inner = base.cast::<u8>().wrapping_add(offset).cast::<c_void>();
            let (k, i, _, _) = alloc_properties(ctx, inner);
            assert_eq!((k, i), (kind, id), "offset {offset}");
            let mut b = null_mut();
            let mut size = 0usize;
            ok(ze!(zeMemGetAddressRange(ctx, inner, &mut b, &mut size)));
            assert_eq!((b, size), (base, 1000));
        }
        // One past the end is outside the allocation.
        let past = base.cast::<u8>().wrapping_add(1000).cast::<c_void>();
        let (k, i, page, dev) = alloc_properties(ctx, past);
        assert_eq!(
            (k, i, page, dev),
            (ze_memory_type_t::ZE_MEMORY_TYPE_UNKNOWN, 0, 0, null_mut())
        );
        // Each output of the address range is optional.
        let mut size = 0usize;
        ok(ze!(zeMemGetAddressRange(ctx, base, null_mut(), &mut size)));
        assert_eq!(size, 1000);
        ok(ze!(zeMemGetAddressRange(ctx, base, null_mut(), null_mut())));
    }
    ok(ze!(zeMemFree(ctx, d)));
    ok(ze!(zeMemFree(ctx, h)));
    ok(ze!(zeContextDestroy(ctx)));
}

#[test]
fn non_usm_pointers_are_unknown() {
    let _serial = serial();
    let ctx = new_context();
    let local = [0u8; 16];
    let heap = Box::new([0u8; 16]);
    for p in [local.as_ptr(), heap.as_ptr()] {
        let (kind, id, page, device) = alloc_properties(ctx, p.cast());
        assert_eq!(kind, ze_memory_type_t::ZE_MEMORY_TYPE_UNKNOWN);
        assert_eq!((id, page), (0, 0));
        assert!(device.is_null());
        let mut base = null_mut();
        let mut size = 0;
        // Intel's driver answers ZE_RESULT_ERROR_UNKNOWN here too.
        assert_rc(
            ze!(zeMemGetAddressRange(ctx, p.cast(), &mut base, &mut size)),
            ze_result_t::ZE_RESULT_ERROR_UNKNOWN,
        );
    }
    ok(ze!(zeContextDestroy(ctx)));
}

#[test]
fn freed_memory_is_unknown_afterwards() {
    let _serial = serial();
    let s = setup();
    let ctx = new_context();
    let (rc, p) = alloc_device(ctx, 64, 0, s.devices[0]);
    ok(rc);
    ok(ze!(zeMemFree(ctx, p)));
    assert_eq!(
        alloc_properties(ctx, p).0,
        ze_memory_type_t::ZE_MEMORY_TYPE_UNKNOWN
    );
    ok(ze!(zeContextDestroy(ctx)));
}

#[test]
fn size_zero_is_unsupported_and_odd_alignments_are_rounded_up_as_intels_driver_does() {
    let _serial = serial();
    let s = setup();
    let ctx = new_context();
    let d = s.devices[0];
    let size = ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_SIZE;
    assert_rc(alloc_device(ctx, 0, 0, d).0, size);
    assert_rc(alloc_host(ctx, 0, 0).0, size);
    assert_rc(alloc_shared(ctx, 0, 0, d).0, size);
    // Intel's driver does not refuse an alignment that is not a power of two (its
    // conformance suite allocates with 12-byte alignment); the validation layer does.
    for (odd, rounded) in [
        (3usize, 4usize),
        (12, 16),
        (24, 32),
        ((4 << 20) + 4096, 8 << 20),
    ] {
        for (rc, p) in [
            alloc_device(ctx, 64, odd, d),
            alloc_host(ctx, 64, odd),
            alloc_shared(ctx, 64, odd, d),
        ] {
            if parameters_validated() {
                assert_rc(rc, ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_ALIGNMENT);
                continue;
            }
            ok(rc);
            assert_eq!(p as usize % rounded, 0, "{odd} rounds up to {rounded}");
            ok(ze!(zeMemFree(ctx, p)));
        }
    }
    ok(ze!(zeContextDestroy(ctx)));
}

#[test]
fn an_alignment_larger_than_the_address_space_is_out_of_memory() {
    let _serial = serial();
    let s = setup();
    let ctx = new_context();
    let d = s.devices[0];
    // Larger than the device's memory and than the process's address space.
    let align = 1usize << 50;
    assert_rc(
        alloc_device(ctx, 64, align, d).0,
        ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY,
    );
    assert_rc(
        alloc_shared(ctx, 64, align, d).0,
        ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY,
    );
    assert_rc(
        alloc_host(ctx, 64, align).0,
        ze_result_t::ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY,
    );
    ok(ze!(zeContextDestroy(ctx)));
}

#[test]
fn sizes_above_max_alloc_size_need_the_relaxed_limits_extension() {
    let _serial = serial();
    let s = setup();
    let ctx = new_context();
    let d = s.devices[0];
    let too_big = MAX_ALLOC + 1;
    let size = ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_SIZE;
    assert_rc(alloc_device(ctx, too_big, 0, d).0, size);
    assert_rc(alloc_host(ctx, too_big, 0).0, size);
    assert_rc(alloc_shared(ctx, too_big, 0, d).0, size);
    // Exactly the maximum is allowed (and commits nothing until written).
    let (rc, p) = alloc_device(ctx, MAX_ALLOC, 0, d);
    ok(rc);
    ok(ze!(zeMemFree(ctx, p)));

    let relaxed = relaxed_desc();
    let desc = ze_device_mem_alloc_desc_t {
        pNext: (&relaxed as *const ze_relaxed_allocation_limits_exp_desc_t).cast(),
        ..device_desc()
    };
    let mut p = null_mut();
    ok(ze!(zeMemAllocDevice(ctx, &desc, too_big, 0, d, &mut p)));
    let mut range = 0usize;
    ok(ze!(zeMemGetAddressRange(ctx, p, null_mut(), &mut range)));
    assert_eq!(range, too_big);
    ok(ze!(zeMemFree(ctx, p)));
    // Beyond the 16 GiB of the device even relaxed limits run out of device memory.
    assert_rc(
        ze!(zeMemAllocDevice(ctx, &desc, 17 << 30, 0, d, &mut p)),
        ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY,
    );
    let hdesc = ze_host_mem_alloc_desc_t {
        pNext: (&relaxed as *const ze_relaxed_allocation_limits_exp_desc_t).cast(),
        ..host_desc()
    };
    ok(ze!(zeMemAllocHost(ctx, &hdesc, too_big, 0, &mut p)));
    ok(ze!(zeMemFree(ctx, p)));
    // Unknown relaxed-limit flags are an invalid enumeration.
    let odd = ze_relaxed_allocation_limits_exp_desc_t {
        flags: 2,
        ..relaxed
    };
    let desc = ze_device_mem_alloc_desc_t {
        pNext: (&odd as *const ze_relaxed_allocation_limits_exp_desc_t).cast(),
        ..device_desc()
    };
    assert_rc(
        ze!(zeMemAllocDevice(ctx, &desc, 64, 0, d, &mut p)),
        ze_result_t::ZE_RESULT_ERROR_INVALID_ENUMERATION,
    );
    ok(ze!(zeContextDestroy(ctx)));
}

#[test]
fn bad_handles_pointers_flags_and_stypes_answer_their_codes() {
    let _serial = serial();
    let s = setup();
    let ctx = new_context();
    let d = s.devices[0];
    let desc = device_desc();
    let hdesc = host_desc();
    let mut p = null_mut();
    use ze_result_t as R;
    assert_rc(
        ze!(zeMemAllocDevice(null_mut(), &desc, 64, 0, d, &mut p)),
        R::ZE_RESULT_ERROR_INVALID_NULL_HANDLE,
    );
    assert_rc(
        ze!(zeMemAllocDevice(ctx, &desc, 64, 0, null_mut(), &mut p)),
        R::ZE_RESULT_ERROR_INVALID_NULL_HANDLE,
    );
    assert_rc(
        ze!(zeMemAllocDevice(ctx, null(), 64, 0, d, &mut p)),
        R::ZE_RESULT_ERROR_INVALID_NULL_POINTER,
    );
    assert_rc(
        ze!(zeMemAllocDevice(ctx, &desc, 64, 0, d, null_mut())),
        R::ZE_RESULT_ERROR_INVALID_NULL_POINTER,
    );
    assert_rc(
        ze!(zeMemAllocHost(null_mut(), &hdesc, 64, 0, &mut p)),
        R::ZE_RESULT_ERROR_INVALID_NULL_HANDLE,
    );
    assert_rc(
        ze!(zeMemAllocHost(ctx, null(), 64, 0, &mut p)),
        R::ZE_RESULT_ERROR_INVALID_NULL_POINTER,
    );
    assert_rc(
        ze!(zeMemAllocShared(ctx, &desc, null(), 64, 0, d, &mut p)),
        R::ZE_RESULT_ERROR_INVALID_NULL_POINTER,
    );
    assert_rc(
        ze!(zeMemAllocShared(ctx, null(), &hdesc, 64, 0, d, &mut p)),
        R::ZE_RESULT_ERROR_INVALID_NULL_POINTER,
    );

    let flagged = ze_device_mem_alloc_desc_t { flags: 8, ..desc };
    assert_rc(
        ze!(zeMemAllocDevice(ctx, &flagged, 64, 0, d, &mut p)),
        R::ZE_RESULT_ERROR_INVALID_ENUMERATION,
    );
    let hflagged = ze_host_mem_alloc_desc_t { flags: 16, ..hdesc };
    assert_rc(
        ze!(zeMemAllocHost(ctx, &hflagged, 64, 0, &mut p)),
        R::ZE_RESULT_ERROR_INVALID_ENUMERATION,
    );
    let wrong = ze_device_mem_alloc_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC,
        ..desc
    };
    assert_rc(
        ze!(zeMemAllocDevice(ctx, &wrong, 64, 0, d, &mut p)),
        R::ZE_RESULT_ERROR_INVALID_ARGUMENT,
    );

    // Handles that are not (or no longer) handles of the driver.
    let bogus_device = 0x4400_usize as ze_device_handle_t;
    assert_rc(
        ze!(zeMemAllocDevice(ctx, &desc, 64, 0, bogus_device, &mut p)),
        R::ZE_RESULT_ERROR_INVALID_ARGUMENT,
    );
    let gone = new_context();
    ok(ze!(zeContextDestroy(gone)));
    assert_rc(
        ze!(zeMemAllocHost(gone, &hdesc, 64, 0, &mut p)),
        R::ZE_RESULT_ERROR_INVALID_ARGUMENT,
    );
    assert!(p.is_null(), "no failed call wrote a pointer");
    ok(ze!(zeContextDestroy(ctx)));
}

#[test]
fn freeing_anything_but_a_live_base_pointer_is_rejected() {
    let _serial = serial();
    let s = setup();
    let ctx = new_context();
    let (rc, p) = alloc_device(ctx, 256, 0, s.devices[0]);
    ok(rc);
    let local = 0u64;
    use ze_result_t as R;
    assert_rc(
        ze!(zeMemFree(ctx, (&local as *const u64).cast_mut().cast())),
        R::ZE_RESULT_ERROR_INVALID_ARGUMENT,
    );
    assert_rc(
        ze!(zeMemFree(ctx, p.cast::<u8>().wrapping_add(8).cast())),
        R::ZE_RESULT_ERROR_INVALID_ARGUMENT,
    );
    assert_rc(
        ze!(zeMemFree(ctx, null_mut())),
        R::ZE_RESULT_ERROR_INVALID_NULL_POINTER,
    );
    assert_rc(
        ze!(zeMemFree(null_mut(), p)),
        R::ZE_RESULT_ERROR_INVALID_NULL_HANDLE,
    );
    // Still allocated after all the rejected frees.
    assert_eq!(
        alloc_properties(ctx, p).0,
        ze_memory_type_t::ZE_MEMORY_TYPE_DEVICE
    );
    ok(ze!(zeMemFree(ctx, p)));
    assert_rc(ze!(zeMemFree(ctx, p)), R::ZE_RESULT_ERROR_INVALID_ARGUMENT);
    ok(ze!(zeContextDestroy(ctx)));
}

#[test]
fn memory_is_freed_through_any_context_of_the_driver() {
    let _serial = serial();
    // Intel's driver keeps one allocation table per driver: a pointer allocated in one
    // context is freed through another (Intel's conformance suite relies on it).
    let s = setup();
    let ctx = new_context();
    let other = new_context();
    use ze_result_t as R;
    let (rc, d) = alloc_device(ctx, 256, 0, s.devices[0]);
    ok(rc);
    let (rc, h) = alloc_host(ctx, 64, 0);
    ok(rc);
    ok(ze!(zeMemFree(other, d)));
    assert_eq!(
        alloc_properties(ctx, d).0,
        ze_memory_type_t::ZE_MEMORY_TYPE_UNKNOWN
    );
    assert_rc(ze!(zeMemFree(ctx, d)), R::ZE_RESULT_ERROR_INVALID_ARGUMENT);
    let desc = ze_memory_free_ext_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_MEMORY_FREE_EXT_DESC,
        pNext: null(),
        freePolicy: 0,
    };
    ok(ze!(zeMemFreeExt(other, &desc, h)));
    assert_eq!(
        alloc_properties(ctx, h).0,
        ze_memory_type_t::ZE_MEMORY_TYPE_UNKNOWN
    );
    assert_rc(
        ze!(zeMemFree(other, h)),
        R::ZE_RESULT_ERROR_INVALID_ARGUMENT,
    );
    // Destroying the owning context after its memory was freed elsewhere is fine, and
    // so is destroying the other one.
    ok(ze!(zeContextDestroy(ctx)));
    ok(ze!(zeContextDestroy(other)));
}

#[test]
fn free_ext_frees_with_either_policy_and_checks_its_descriptor() {
    let _serial = serial();
    let ctx = new_context();
    let blocking = ze_memory_free_ext_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_MEMORY_FREE_EXT_DESC,
        pNext: null(),
        freePolicy: ze_driver_memory_free_policy_ext_flag_t::ZE_DRIVER_MEMORY_FREE_POLICY_EXT_FLAG_BLOCKING_FREE.0,
    };
    let deferred = ze_memory_free_ext_desc_t {
        freePolicy: 2,
        ..blocking
    };
    for desc in [blocking, deferred] {
        let (rc, p) = alloc_host(ctx, 64, 0);
        ok(rc);
        ok(ze!(zeMemFreeExt(ctx, &desc, p)));
        assert_eq!(
            alloc_properties(ctx, p).0,
            ze_memory_type_t::ZE_MEMORY_TYPE_UNKNOWN
        );
    }
    let (rc, p) = alloc_host(ctx, 64, 0);
    ok(rc);
    let odd = ze_memory_free_ext_desc_t {
        freePolicy: 4,
        ..blocking
    };
    assert_rc(
        ze!(zeMemFreeExt(ctx, &odd, p)),
        ze_result_t::ZE_RESULT_ERROR_INVALID_ENUMERATION,
    );
    assert_rc(
        ze!(zeMemFreeExt(ctx, null(), p)),
        ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER,
    );
    let wrong = ze_memory_free_ext_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC,
        ..blocking
    };
    assert_rc(
        ze!(zeMemFreeExt(ctx, &wrong, p)),
        ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT,
    );
    // The stype Intel's conformance suite passes (that of the free-policies properties
    // structure) is accepted, as Intel's driver accepts it. API 1.17's validation layer
    // checks the stype itself and refuses it before the driver sees the call.
    let as_in_intels_suite = ze_memory_free_ext_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DRIVER_MEMORY_FREE_EXT_PROPERTIES,
        ..blocking
    };
    let rc = ze!(zeMemFreeExt(ctx, &as_in_intels_suite, p));
    if rc == ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT {
        assert!(
            parameters_validated(),
            "the driver itself refused the stype"
        );
        ok(ze!(zeMemFreeExt(ctx, &blocking, p)));
    } else {
        ok(rc);
    }
    assert_eq!(
        alloc_properties(ctx, p).0,
        ze_memory_type_t::ZE_MEMORY_TYPE_UNKNOWN
    );
    ok(ze!(zeContextDestroy(ctx)));
}

#[test]
fn ipc_handles_open_to_the_same_memory_within_the_process() {
    let _serial = serial();
    let s = setup();
    let ctx = new_context();
    let (rc, p) = alloc_device(ctx, 4096, 0, s.devices[0]);
    ok(rc);
    let mut handle = ze_ipc_mem_handle_t::default();
    ok(ze!(zeMemGetIpcHandle(ctx, p, &mut handle)));
    let mut opened = null_mut();
    ok(ze!(zeMemOpenIpcHandle(
        ctx,
        s.devices[0],
        handle,
        0,
        &mut opened
    )));
    assert_eq!(opened, p);
    ok(ze!(zeMemCloseIpcHandle(ctx, opened)));
    assert_rc(
        ze!(zeMemCloseIpcHandle(ctx, opened)),
        ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT,
    );
    let forged = ze_ipc_mem_handle_t { data: [7; 64] };
    assert_rc(
        ze!(zeMemOpenIpcHandle(
            ctx,
            s.devices[0],
            forged,
            0,
            &mut opened
        )),
        ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT,
    );
    assert_rc(
        ze!(zeMemOpenIpcHandle(
            ctx,
            s.devices[0],
            handle,
            4,
            &mut opened
        )),
        ze_result_t::ZE_RESULT_ERROR_INVALID_ENUMERATION,
    );
    let local = 0u32;
    assert_rc(
        ze!(zeMemGetIpcHandle(
            ctx,
            (&local as *const u32).cast(),
            &mut handle
        )),
        ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT,
    );
    ok(ze!(zeMemFree(ctx, p)));
    // The handle of freed memory opens nothing.
    assert_rc(
        ze!(zeMemOpenIpcHandle(
            ctx,
            s.devices[0],
            handle,
            0,
            &mut opened
        )),
        ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT,
    );
    ok(ze!(zeContextDestroy(ctx)));
}

/// Resident memory of this process, from /proc/self/status.
fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("procfs");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS line");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("VmRSS value");
    kib * 1024
}

#[test]
fn large_allocations_are_lazily_backed() {
    let _serial = serial();
    let s = setup();
    let ctx = new_context();
    let before = resident_bytes();
    let (rc, d) = alloc_device(ctx, MAX_ALLOC, 0, s.devices[0]);
    ok(rc);
    let (rc, h) = alloc_host(ctx, MAX_ALLOC, 0);
    ok(rc);
    let (rc, sh) = alloc_shared(ctx, MAX_ALLOC, 0, s.devices[0]);
    ok(rc);
    // 12 GiB allocated, (far) less than 1 GiB more resident: nothing was committed eagerly.
    let grown = resident_bytes().saturating_sub(before);
    assert!(grown < 1 << 30, "resident memory grew by {grown} bytes");
    for p in [d, h, sh] {
        ok(ze!(zeMemFree(ctx, p)));
    }
    ok(ze!(zeContextDestroy(ctx)));
}

#[test]
fn the_memory_ordinal_is_ignored_as_intels_driver_ignores_it() {
    let _serial = serial();
    let s = setup();
    let ctx = new_context();
    let d = s.devices[0];
    // Intel's conformance suite passes queue group ordinals as memory ordinals.
    let desc = ze_device_mem_alloc_desc_t {
        ordinal: 2,
        ..device_desc()
    };
    let host = host_desc();
    let mut p = null_mut();
    ok(ze!(zeMemAllocDevice(ctx, &desc, 64, 0, d, &mut p)));
    assert_eq!(
        alloc_properties(ctx, p).0,
        ze_memory_type_t::ZE_MEMORY_TYPE_DEVICE
    );
    ok(ze!(zeMemFree(ctx, p)));
    ok(ze!(zeMemAllocShared(ctx, &desc, &host, 64, 0, d, &mut p)));
    ok(ze!(zeMemFree(ctx, p)));
    ok(ze!(zeContextDestroy(ctx)));
}
