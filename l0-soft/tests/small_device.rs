//! A small configured device (`ZE_SOFT_DEVICE_MEMORY=4M`, `ZE_SOFT_MAX_ALLOC_SIZE=1M`):
//! the limits are reported and enforced, and freed memory can be allocated again.
//! One test only: the tests would otherwise compete for the 4 MiB.

use std::ptr::null_mut;

use usm_test_kit::raw::probe::*;

#[test]
fn limits_are_reported_enforced_and_freed_memory_is_reusable() {
    loader_with(Config::Only(&[
        ("ZE_SOFT_DEVICE_MEMORY", "4M"),
        ("ZE_SOFT_MAX_ALLOC_SIZE", "1M"),
    ]));
    let s = setup();
    let d = s.devices[0];
    let mut props = ze_device_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES,
        ..Default::default()
    };
    ok(ze!(zeDeviceGetProperties(d, &mut props)));
    assert_eq!(props.maxMemAllocSize, 1 << 20);
    let mut count = 1;
    let mut mem = ze_device_memory_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_MEMORY_PROPERTIES,
        ..Default::default()
    };
    ok(ze!(zeDeviceGetMemoryProperties(d, &mut count, &mut mem)));
    assert_eq!(mem.totalSize, 4 << 20);

    let ctx = new_context();
    assert_rc(
        alloc_device(ctx, (1 << 20) + 1, 0, d).0,
        ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_SIZE,
    );
    // Four 1 MiB allocations fill the device; a fifth byte does not fit.
    let blocks: Vec<_> = (0..4)
        .map(|_| {
            let (rc, p) = alloc_device(ctx, 1 << 20, 0, d);
            ok(rc);
            p
        })
        .collect();
    assert_rc(
        alloc_device(ctx, 1, 0, d).0,
        ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY,
    );
    // Host memory is not device memory: still available.
    let (rc, h) = alloc_host(ctx, 1 << 20, 0);
    ok(rc);
    ok(ze!(zeMemFree(ctx, h)));
    // Freeing one block makes room for exactly one block again.
    ok(ze!(zeMemFree(ctx, blocks[2])));
    let (rc, again) = alloc_device(ctx, 1 << 20, 0, d);
    ok(rc);
    assert_eq!(again, blocks[2], "the freed range is reused");
    for p in [blocks[0], blocks[1], again, blocks[3]] {
        ok(ze!(zeMemFree(ctx, p)));
    }
    // With relaxed limits, 3 MiB in one piece fits the emptied 4 MiB device, 5 MiB does not.
    let relaxed = relaxed_desc();
    let desc = ze_device_mem_alloc_desc_t {
        pNext: (&relaxed as *const ze_relaxed_allocation_limits_exp_desc_t).cast(),
        ..device_desc()
    };
    let mut p = null_mut();
    ok(ze!(zeMemAllocDevice(ctx, &desc, 3 << 20, 0, d, &mut p)));
    ok(ze!(zeMemFree(ctx, p)));
    assert_rc(
        ze!(zeMemAllocDevice(ctx, &desc, 5 << 20, 0, d, &mut p)),
        ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY,
    );
    ok(ze!(zeContextDestroy(ctx)));
}
