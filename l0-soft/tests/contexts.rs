//! Contexts through the real loader: create, create with a device subset, destroy, status.

use std::ptr::null_mut;

use usm_test_kit::raw::probe::*;

#[test]
fn a_created_context_is_active_until_destroyed() {
    let _serial = serial();
    let ctx = new_context();
    ok(ze!(zeContextGetStatus(ctx)));
    ok(ze!(zeContextDestroy(ctx)));
    assert_rc(
        ze!(zeContextGetStatus(ctx)),
        ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT,
    );
    assert_rc(
        ze!(zeContextDestroy(ctx)),
        ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT,
    );
}

#[test]
fn contexts_are_distinct() {
    let _serial = serial();
    let (a, b) = (new_context(), new_context());
    assert_ne!(a, b);
    ok(ze!(zeContextDestroy(a)));
    ok(ze!(zeContextGetStatus(b)));
    ok(ze!(zeContextDestroy(b)));
}

#[test]
fn create_ex_takes_a_device_subset_or_all_devices() {
    let _serial = serial();
    let s = setup();
    let desc = context_desc();
    let mut ctx = null_mut();
    let mut devices = s.devices.clone();
    ok(ze!(zeContextCreateEx(
        s.driver,
        &desc,
        1,
        devices.as_mut_ptr(),
        &mut ctx
    )));
    ok(ze!(zeContextGetStatus(ctx)));
    ok(ze!(zeContextDestroy(ctx)));
    ok(ze!(zeContextCreateEx(
        s.driver,
        &desc,
        0,
        null_mut(),
        &mut ctx
    )));
    ok(ze!(zeContextDestroy(ctx)));
}

#[test]
fn create_ex_rejects_a_missing_list_and_unknown_devices() {
    let _serial = serial();
    let s = setup();
    let desc = context_desc();
    let mut ctx = null_mut();
    assert_rc(
        ze!(zeContextCreateEx(s.driver, &desc, 1, null_mut(), &mut ctx)),
        ze_result_t::ZE_RESULT_ERROR_INVALID_SIZE,
    );
    let mut bogus = [0x7700_usize as ze_device_handle_t];
    assert_rc(
        ze!(zeContextCreateEx(
            s.driver,
            &desc,
            1,
            bogus.as_mut_ptr(),
            &mut ctx
        )),
        ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT,
    );
}

#[test]
fn bad_context_creation_arguments_answer_their_codes() {
    let _serial = serial();
    let s = setup();
    let mut ctx = null_mut();
    let desc = context_desc();
    assert_rc(
        ze!(zeContextCreate(null_mut(), &desc, &mut ctx)),
        ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_HANDLE,
    );
    assert_rc(
        ze!(zeContextCreate(s.driver, std::ptr::null(), &mut ctx)),
        ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER,
    );
    assert_rc(
        ze!(zeContextCreate(s.driver, &desc, null_mut())),
        ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER,
    );
    let flagged = ze_context_desc_t { flags: 2, ..desc };
    assert_rc(
        ze!(zeContextCreate(s.driver, &flagged, &mut ctx)),
        ze_result_t::ZE_RESULT_ERROR_INVALID_ENUMERATION,
    );
    let wrong = ze_context_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_FENCE_DESC,
        ..desc
    };
    assert_rc(
        ze!(zeContextCreate(s.driver, &wrong, &mut ctx)),
        ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT,
    );
    assert_rc(
        ze!(zeContextGetStatus(null_mut())),
        ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_HANDLE,
    );
    assert_rc(
        ze!(zeContextDestroy(null_mut())),
        ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_HANDLE,
    );
}

#[test]
fn destroying_a_context_frees_its_memory() {
    let _serial = serial();
    let s = setup();
    let ctx = new_context();
    let (rc, p) = alloc_host(ctx, 64, 0);
    ok(rc);
    ok(ze!(zeContextDestroy(ctx)));
    let other = new_context();
    let (kind, id, _, _) = alloc_properties(other, p);
    assert_eq!((kind, id), (ze_memory_type_t::ZE_MEMORY_TYPE_UNKNOWN, 0));
    ok(ze!(zeContextDestroy(other)));
    let _ = s;
}

#[test]
fn system_barrier_and_residency_succeed_for_context_memory() {
    let _serial = serial();
    let s = setup();
    let ctx = new_context();
    ok(ze!(zeContextSystemBarrier(ctx, s.devices[0])));
    let (rc, p) = alloc_device(ctx, 4096, 0, s.devices[0]);
    ok(rc);
    ok(ze!(zeContextMakeMemoryResident(ctx, s.devices[0], p, 4096)));
    ok(ze!(zeContextEvictMemory(ctx, s.devices[0], p, 4096)));
    // As in Intel's driver, memory of another context of the driver is accepted too.
    let other = new_context();
    ok(ze!(zeContextMakeMemoryResident(
        other,
        s.devices[0],
        p,
        4096
    )));
    ok(ze!(zeContextEvictMemory(other, s.devices[0], p, 4096)));
    ok(ze!(zeContextDestroy(other)));
    let mut local = 0u8;
    assert_rc(
        ze!(zeContextMakeMemoryResident(
            ctx,
            s.devices[0],
            (&mut local as *mut u8).cast(),
            1
        )),
        ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT,
    );
    ok(ze!(zeContextDestroy(ctx)));
}
