//! Virtual and physical memory through the real loader: reservations, physical objects,
//! mappings used by copies, access attributes, and every bad input's code.

#[macro_use]
mod support;

use std::ffi::c_void;
use std::ptr::{null, null_mut};

use support::*;

const PAGE: usize = 64 << 10;
const UNSUPPORTED_SIZE: ze_result_t = ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_SIZE;
const UNSUPPORTED_ALIGNMENT: ze_result_t = ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_ALIGNMENT;
const RW: ze_memory_access_attribute_t =
    ze_memory_access_attribute_t::ZE_MEMORY_ACCESS_ATTRIBUTE_READWRITE;
const RO: ze_memory_access_attribute_t =
    ze_memory_access_attribute_t::ZE_MEMORY_ACCESS_ATTRIBUTE_READONLY;
const NONE: ze_memory_access_attribute_t =
    ze_memory_access_attribute_t::ZE_MEMORY_ACCESS_ATTRIBUTE_NONE;

/// A start address to ask for: a hint the driver may not honour. (The validation layer of
/// loader 1.8 refuses a null start, which the specification allows.)
const HINT: *const c_void = (0x6000_0000_0000usize) as *const c_void;

fn reserve(size: usize) -> *mut c_void {
    let mut p = null_mut();
    ok(ze!(zeVirtualMemReserve(env().ctx, HINT, size, &mut p)));
    p
}

fn physical(size: usize) -> ze_physical_mem_handle_t {
    let mut desc = physical_desc(size);
    let mut h = null_mut();
    ok(ze!(zePhysicalMemCreate(
        env().ctx,
        device(),
        &mut desc,
        &mut h
    )));
    h
}

fn physical_desc(size: usize) -> ze_physical_mem_desc_t {
    ze_physical_mem_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_PHYSICAL_MEM_DESC,
        pNext: null(),
        flags: 0,
        size,
    }
}

fn at(p: *mut c_void, offset: usize) -> *mut c_void {
    p.cast::<u8>().wrapping_add(offset).cast()
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(7) ^ seed).collect()
}

#[test]
fn the_page_size_is_the_device_page_for_every_size() {
    for size in [1, 4096, PAGE, PAGE + 1, 2 << 20, 1 << 30] {
        let mut page = 0;
        ok(ze!(zeVirtualMemQueryPageSize(
            env().ctx,
            device(),
            size,
            &mut page
        )));
        assert_eq!(page, PAGE, "size {size}");
    }
    let mut page = 0;
    if !parameters_validated() {
        // Size 0 is answered too, as Intel's driver does (the validation layer refuses it).
        ok(ze!(zeVirtualMemQueryPageSize(
            env().ctx,
            device(),
            0,
            &mut page
        )));
        assert_eq!(page, PAGE);
    }
    assert_rc(
        ze!(zeVirtualMemQueryPageSize(
            env().ctx,
            device(),
            1,
            null_mut()
        )),
        NULL_POINTER,
    );
    assert_rc(
        ze!(zeVirtualMemQueryPageSize(
            null_mut(),
            device(),
            1,
            &mut page
        )),
        NULL_HANDLE,
    );
}

#[test]
fn reservations_are_page_aligned_and_refuse_bad_sizes() {
    let mut p = null_mut();
    for size in [0, 1, PAGE - 1, PAGE + 4096] {
        assert_rc(
            ze!(zeVirtualMemReserve(env().ctx, HINT, size, &mut p)),
            UNSUPPORTED_SIZE,
        );
    }
    assert_rc(
        ze!(zeVirtualMemReserve(env().ctx, HINT, PAGE, null_mut())),
        NULL_POINTER,
    );
    if !parameters_validated() {
        // No start address: the driver chooses (as Intel's does).
        ok(ze!(zeVirtualMemReserve(env().ctx, null(), PAGE, &mut p)));
        assert_eq!(p as usize % PAGE, 0);
        ok(ze!(zeVirtualMemFree(env().ctx, p, PAGE)));
    }
    let r = reserve(4 * PAGE);
    assert_eq!(r as usize % PAGE, 0);
    // A second reservation with the first's end as hint does not overlap it.
    let mut q = null_mut();
    ok(ze!(zeVirtualMemReserve(
        env().ctx,
        at(r, 4 * PAGE),
        PAGE,
        &mut q
    )));
    assert!(q as usize >= r as usize + 4 * PAGE || (q as usize) + PAGE <= r as usize);
    // Freed only with their exact base and size.
    assert_rc(ze!(zeVirtualMemFree(env().ctx, r, PAGE)), INVALID_ARGUMENT);
    assert_rc(
        ze!(zeVirtualMemFree(env().ctx, at(r, PAGE), 3 * PAGE)),
        INVALID_ARGUMENT,
    );
    ok(ze!(zeVirtualMemFree(env().ctx, r, 4 * PAGE)));
    assert_rc(
        ze!(zeVirtualMemFree(env().ctx, r, 4 * PAGE)),
        INVALID_ARGUMENT,
    );
    ok(ze!(zeVirtualMemFree(env().ctx, q, PAGE)));
    // Address space only: a reservation far larger than the device succeeds.
    let huge = 16usize << 40;
    let mut h = null_mut();
    ok(ze!(zeVirtualMemReserve(env().ctx, HINT, huge, &mut h)));
    ok(ze!(zeVirtualMemFree(env().ctx, h, huge)));
}

#[test]
fn physical_memory_refuses_bad_descriptors() {
    let mut h = null_mut();
    let mut desc = physical_desc(PAGE);
    assert_rc(
        ze!(zePhysicalMemCreate(env().ctx, device(), null_mut(), &mut h)),
        NULL_POINTER,
    );
    assert_rc(
        ze!(zePhysicalMemCreate(
            env().ctx,
            device(),
            &mut desc,
            null_mut()
        )),
        NULL_POINTER,
    );
    assert_rc(
        ze!(zePhysicalMemCreate(
            env().ctx,
            null_mut(),
            &mut desc,
            &mut h
        )),
        NULL_HANDLE,
    );
    for size in [0, 1, PAGE + 1] {
        let mut desc = physical_desc(size);
        assert_rc(
            ze!(zePhysicalMemCreate(env().ctx, device(), &mut desc, &mut h)),
            UNSUPPORTED_SIZE,
        );
    }
    if !parameters_validated() {
        // The validation layer answers these itself (unknown flag bits, stype).
        let mut desc = ze_physical_mem_desc_t {
            flags: 1 << 5,
            ..physical_desc(PAGE)
        };
        assert_rc(
            ze!(zePhysicalMemCreate(env().ctx, device(), &mut desc, &mut h)),
            INVALID_ENUMERATION,
        );
        let mut desc = ze_physical_mem_desc_t {
            stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC,
            ..physical_desc(PAGE)
        };
        assert_rc(
            ze!(zePhysicalMemCreate(env().ctx, device(), &mut desc, &mut h)),
            INVALID_ARGUMENT,
        );
    }
    // Larger than the device: out of device memory.
    let mut desc = physical_desc(1 << 50);
    assert_rc(
        ze!(zePhysicalMemCreate(env().ctx, device(), &mut desc, &mut h)),
        ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY,
    );
}

#[test]
fn mapped_physical_memory_is_device_memory_that_copies_reach() {
    let r = reserve(4 * PAGE);
    let p = physical(2 * PAGE);
    let va = at(r, PAGE);
    ok(ze!(zeVirtualMemMap(env().ctx, va, 2 * PAGE, p, 0, RW)));

    let data = pattern(2 * PAGE, 3);
    upload(va, &data);
    assert_eq!(download(va, 2 * PAGE), data);
    // Interior ranges too, and a fill.
    let list = immediate(COMPUTE, SYNC);
    let byte = 0xa5u8;
    ok(ze!(zeCommandListAppendMemoryFill(
        list,
        at(va, 100),
        (&byte as *const u8).cast(),
        1,
        1000,
        null_mut(),
        0,
        null_mut()
    )));
    let back = download(at(va, 64), 1100);
    assert!(back[..36].iter().eq(data[64..100].iter()));
    assert!(back[36..1036].iter().all(|&b| b == byte));

    // The driver reports it as device memory of the device, at its own base and size.
    let mut props = ze_memory_allocation_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_MEMORY_ALLOCATION_PROPERTIES,
        ..Default::default()
    };
    let mut dev = null_mut();
    ok(ze!(zeMemGetAllocProperties(
        env().ctx,
        at(va, 5),
        &mut props,
        &mut dev
    )));
    assert_eq!(props.type_, ze_memory_type_t::ZE_MEMORY_TYPE_DEVICE);
    assert_eq!(props.pageSize as usize, PAGE);
    assert_eq!(dev, device());
    let (mut base, mut size) = (null_mut(), 0);
    ok(ze!(zeMemGetAddressRange(
        env().ctx,
        at(va, PAGE + 7),
        &mut base,
        &mut size
    )));
    assert_eq!((base, size), (va, 2 * PAGE));

    // Never freed as an allocation: unmapped.
    assert_rc(ze!(zeMemFree(env().ctx, va)), INVALID_ARGUMENT);
    ok(ze!(zeVirtualMemUnmap(env().ctx, va, 2 * PAGE)));
    ok(ze!(zePhysicalMemDestroy(env().ctx, p)));
    ok(ze!(zeVirtualMemFree(env().ctx, r, 4 * PAGE)));
    ok(ze!(zeCommandListDestroy(list)));
}

#[test]
fn physical_memory_keeps_its_contents_from_one_mapping_to_the_next() {
    let (r1, r2) = (reserve(PAGE), reserve(2 * PAGE));
    let p = physical(PAGE);
    ok(ze!(zeVirtualMemMap(env().ctx, r1, PAGE, p, 0, RW)));
    let data = pattern(PAGE, 9);
    upload(r1, &data);
    // Mapped once at a time.
    assert_rc(
        ze!(zeVirtualMemMap(env().ctx, r2, PAGE, p, 0, RW)),
        INVALID_ARGUMENT,
    );
    // In use while mapped.
    assert_rc(ze!(zePhysicalMemDestroy(env().ctx, p)), IN_USE);
    ok(ze!(zeVirtualMemUnmap(env().ctx, r1, PAGE)));
    ok(ze!(zeVirtualMemMap(
        env().ctx,
        at(r2, PAGE),
        PAGE,
        p,
        0,
        RO
    )));
    assert_eq!(download(at(r2, PAGE), PAGE), data);
    // Freeing the reservation unmaps what it holds.
    ok(ze!(zeVirtualMemFree(env().ctx, r2, 2 * PAGE)));
    ok(ze!(zePhysicalMemDestroy(env().ctx, p)));
    assert_rc(ze!(zePhysicalMemDestroy(env().ctx, p)), INVALID_ARGUMENT);
    ok(ze!(zeVirtualMemFree(env().ctx, r1, PAGE)));
}

#[test]
fn mapping_refuses_bad_ranges_offsets_and_access() {
    let r = reserve(4 * PAGE);
    let p = physical(2 * PAGE);
    let ctx = env().ctx;
    assert_rc(
        ze!(zeVirtualMemMap(ctx, at(r, 1), PAGE, p, 0, RW)),
        UNSUPPORTED_ALIGNMENT,
    );
    assert_rc(ze!(zeVirtualMemMap(ctx, r, 0, p, 0, RW)), UNSUPPORTED_SIZE);
    assert_rc(
        ze!(zeVirtualMemMap(ctx, r, PAGE + 1, p, 0, RW)),
        UNSUPPORTED_SIZE,
    );
    assert_rc(
        ze!(zeVirtualMemMap(ctx, r, PAGE, p, 7, RW)),
        UNSUPPORTED_ALIGNMENT,
    );
    // Past the physical object's end.
    assert_rc(
        ze!(zeVirtualMemMap(ctx, r, 2 * PAGE, p, PAGE, RW)),
        INVALID_ARGUMENT,
    );
    assert_rc(
        ze!(zeVirtualMemMap(ctx, r, PAGE, p, 4 * PAGE, RW)),
        INVALID_ARGUMENT,
    );
    // Past the reservation's end, and outside any reservation.
    assert_rc(
        ze!(zeVirtualMemMap(ctx, at(r, 3 * PAGE), 2 * PAGE, p, 0, RW)),
        INVALID_ARGUMENT,
    );
    let elsewhere = alloc_device(PAGE);
    assert_rc(
        ze!(zeVirtualMemMap(ctx, elsewhere, PAGE, p, 0, RW)),
        INVALID_ARGUMENT,
    );
    free(elsewhere);
    assert_rc(
        ze!(zeVirtualMemMap(ctx, r, PAGE, null_mut(), 0, RW)),
        NULL_HANDLE,
    );
    assert_rc(
        ze!(zeVirtualMemMap(ctx, null(), PAGE, p, 0, RW)),
        NULL_POINTER,
    );
    if !parameters_validated() {
        assert_rc(
            ze!(zeVirtualMemMap(
                ctx,
                r,
                PAGE,
                p,
                0,
                ze_memory_access_attribute_t(3)
            )),
            INVALID_ENUMERATION,
        );
    }
    // Over another mapping.
    let q = physical(PAGE);
    ok(ze!(zeVirtualMemMap(ctx, at(r, PAGE), PAGE, q, 0, RW)));
    assert_rc(
        ze!(zeVirtualMemMap(ctx, r, 2 * PAGE, p, 0, RW)),
        INVALID_ARGUMENT,
    );
    ok(ze!(zeVirtualMemMap(
        ctx,
        at(r, 2 * PAGE),
        2 * PAGE,
        p,
        0,
        RW
    )));
    // A copy may span adjacent mappings of different physical objects, as on a GPU: the
    // bytes land in both.
    let data = pattern(2 * PAGE, 5);
    upload(at(r, PAGE + PAGE / 2), &data);
    assert_eq!(download(at(r, PAGE + PAGE / 2), PAGE / 2), data[..PAGE / 2]);
    assert_eq!(download(at(r, 2 * PAGE), 3 * PAGE / 2), data[PAGE / 2..]);
    let list = immediate(COMPUTE, SYNC);
    let host = vec![1u8; 2 * PAGE];
    // Reserved address space that nothing is mapped at is not memory, also at the end of
    // a range that starts in a mapping.
    ok(ze!(zeVirtualMemUnmap(ctx, at(r, PAGE), PAGE)));
    assert_rc(
        ze!(zeCommandListAppendMemoryCopy(
            list,
            at(r, 3 * PAGE),
            host.as_ptr().cast(),
            2 * PAGE,
            null_mut(),
            0,
            null_mut()
        )),
        INVALID_SIZE,
    );
    assert_rc(
        ze!(zeCommandListAppendMemoryCopy(
            list,
            at(r, PAGE),
            host.as_ptr().cast(),
            16,
            null_mut(),
            0,
            null_mut()
        )),
        INVALID_ARGUMENT,
    );
    assert_rc(
        ze!(zeVirtualMemUnmap(ctx, at(r, 3), PAGE)),
        UNSUPPORTED_ALIGNMENT,
    );
    assert_rc(ze!(zeVirtualMemUnmap(ctx, r, 5)), UNSUPPORTED_SIZE);
    ok(ze!(zeCommandListDestroy(list)));
    ok(ze!(zeVirtualMemFree(ctx, r, 4 * PAGE)));
    ok(ze!(zePhysicalMemDestroy(ctx, p)));
    ok(ze!(zePhysicalMemDestroy(ctx, q)));
}

#[test]
fn access_attributes_belong_to_the_reservation() {
    let ctx = env().ctx;
    let r = reserve(2 * PAGE);
    let (mut access, mut size) = (RW, 0);
    ok(ze!(zeVirtualMemGetAccessAttribute(
        ctx,
        r,
        PAGE,
        &mut access,
        &mut size
    )));
    assert_eq!(
        (access, size),
        (NONE, 2 * PAGE),
        "a new reservation has no access"
    );
    ok(ze!(zeVirtualMemSetAccessAttribute(
        ctx,
        at(r, PAGE),
        PAGE,
        RO
    )));
    ok(ze!(zeVirtualMemGetAccessAttribute(
        ctx,
        r,
        PAGE,
        &mut access,
        &mut size
    )));
    assert_eq!((access, size), (RO, 2 * PAGE));
    let p = physical(PAGE);
    ok(ze!(zeVirtualMemMap(ctx, r, PAGE, p, 0, RW)));
    ok(ze!(zeVirtualMemGetAccessAttribute(
        ctx,
        r,
        PAGE,
        &mut access,
        &mut size
    )));
    assert_eq!(access, RW);
    if !parameters_validated() {
        assert_rc(
            ze!(zeVirtualMemSetAccessAttribute(
                ctx,
                r,
                PAGE,
                ze_memory_access_attribute_t(7)
            )),
            INVALID_ENUMERATION,
        );
    }
    assert_rc(
        ze!(zeVirtualMemSetAccessAttribute(ctx, r, 3 * PAGE, RO)),
        INVALID_ARGUMENT,
    );
    assert_rc(
        ze!(zeVirtualMemGetAccessAttribute(
            ctx,
            r,
            PAGE,
            null_mut(),
            &mut size
        )),
        NULL_POINTER,
    );
    let elsewhere = alloc_device(PAGE);
    assert_rc(
        ze!(zeVirtualMemGetAccessAttribute(
            ctx,
            elsewhere,
            PAGE,
            &mut access,
            &mut size
        )),
        INVALID_ARGUMENT,
    );
    free(elsewhere);
    ok(ze!(zeVirtualMemFree(ctx, r, 2 * PAGE)));
    ok(ze!(zePhysicalMemDestroy(ctx, p)));
}

#[test]
fn destroying_a_context_releases_its_reservations_and_physical_memory() {
    let ctx = new_context();
    let mut r = null_mut();
    ok(ze!(zeVirtualMemReserve(ctx, HINT, PAGE, &mut r)));
    let mut desc = physical_desc(PAGE);
    let mut p = null_mut();
    ok(ze!(zePhysicalMemCreate(ctx, device(), &mut desc, &mut p)));
    ok(ze!(zeVirtualMemMap(ctx, r, PAGE, p, 0, RW)));
    // Another context cannot use them.
    assert_rc(ze!(zePhysicalMemDestroy(env().ctx, p)), INVALID_ARGUMENT);
    assert_rc(ze!(zeVirtualMemFree(env().ctx, r, PAGE)), INVALID_ARGUMENT);
    ok(ze!(zeContextDestroy(ctx)));
    // Gone with the context: the address is no longer device memory.
    let mut props = ze_memory_allocation_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_MEMORY_ALLOCATION_PROPERTIES,
        ..Default::default()
    };
    let mut dev = null_mut();
    ok(ze!(zeMemGetAllocProperties(
        env().ctx,
        r,
        &mut props,
        &mut dev
    )));
    assert_eq!(props.type_, ze_memory_type_t::ZE_MEMORY_TYPE_UNKNOWN);
}

/// Physical host memory (API 1.11): mapped for the host and the device at once, and into
/// several reservations at once, all seeing the same bytes.
#[cfg(ze_api = "1.11")]
#[test]
fn physical_host_memory_is_shared_by_the_host_and_every_mapping() {
    let versions = env().l.versions().expect("zelLoaderGetVersions");
    let loader = versions.iter().find(|v| v.component == "loader").unwrap();
    if parameters_validated() && version_parts(loader.spec_version) < (1, 11) {
        // That layer checks flags against its own (older) headers.
        eprintln!(
            "skipped: the validation layer of a loader older than API 1.11 refuses \
             ZE_PHYSICAL_MEM_FLAG_ALLOCATE_ON_HOST"
        );
        return;
    }
    let ctx = env().ctx;
    let mut desc = ze_physical_mem_desc_t {
        flags: ze_physical_mem_flag_t::ZE_PHYSICAL_MEM_FLAG_ALLOCATE_ON_HOST.0,
        ..physical_desc(PAGE)
    };
    let mut p = null_mut();
    // Whole host pages are enough for host memory; a partial one is not.
    let mut partial = ze_physical_mem_desc_t { size: 100, ..desc };
    assert_rc(
        ze!(zePhysicalMemCreate(ctx, device(), &mut partial, &mut p)),
        UNSUPPORTED_SIZE,
    );
    ok(ze!(zePhysicalMemCreate(ctx, device(), &mut desc, &mut p)));
    if !parameters_validated() {
        // Host memory needs no device, as in Intel's driver (the layer wants one).
        let mut q = null_mut();
        ok(ze!(zePhysicalMemCreate(ctx, null_mut(), &mut desc, &mut q)));
        ok(ze!(zePhysicalMemDestroy(ctx, q)));
    }
    let (r1, r2) = (reserve(PAGE), reserve(PAGE));
    ok(ze!(zeVirtualMemMap(ctx, r1, PAGE, p, 0, RW)));
    ok(ze!(zeVirtualMemMap(ctx, r2, PAGE, p, 0, RW)));
    // SAFETY: r1 maps one page of host memory, read/write for the host.
    let host = unsafe { std::slice::from_raw_parts_mut(r1.cast::<u8>(), PAGE) };
    let data = pattern(PAGE, 11);
    host.copy_from_slice(&data);
    assert_eq!(download(r2, PAGE), data, "the device sees the host's bytes");
    upload(r2, &pattern(PAGE, 12));
    assert_eq!(
        host,
        &pattern(PAGE, 12)[..],
        "the host sees the device's bytes"
    );
    let mut props = ze_memory_allocation_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_MEMORY_ALLOCATION_PROPERTIES,
        ..Default::default()
    };
    let mut dev = null_mut();
    ok(ze!(zeMemGetAllocProperties(ctx, r1, &mut props, &mut dev)));
    assert_eq!(props.type_, ze_memory_type_t::ZE_MEMORY_TYPE_HOST);
    assert!(dev.is_null());
    ok(ze!(zeVirtualMemUnmap(ctx, r1, PAGE)));
    ok(ze!(zeVirtualMemUnmap(ctx, r2, PAGE)));
    ok(ze!(zePhysicalMemDestroy(ctx, p)));
    ok(ze!(zeVirtualMemFree(ctx, r1, PAGE)));
    ok(ze!(zeVirtualMemFree(ctx, r2, PAGE)));
}
