//! Prefetch and advice on immediate lists, checked as Intel's driver checks them (and as
//! the loader's validation layer does before it): every USM kind accepted, size 0 accepted,
//! foreign host pointers refused, the advice's device in the list's context.

use std::ptr::null_mut;

use usm_test_kit::raw::work::*;

fn two_devices() -> &'static Env {
    env_with(Config::Only(&[("ZE_SOFT_DEVICES", "2")]))
}

/// A context over the first device only, and an immediate list of it.
fn narrow_list() -> (ze_context_handle_t, ze_command_list_handle_t) {
    let env = two_devices();
    let desc = ze_context_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_CONTEXT_DESC,
        ..Default::default()
    };
    let mut devices = [env.devices[0]];
    let mut ctx = null_mut();
    ok(ze!(zeContextCreateEx(
        env.driver,
        &desc,
        1,
        devices.as_mut_ptr(),
        &mut ctx
    )));
    let qd = queue_desc(COMPUTE, SYNC);
    let mut list = null_mut();
    ok(ze!(zeCommandListCreateImmediate(
        ctx,
        env.devices[0],
        &qd,
        &mut list
    )));
    (ctx, list)
}

#[test]
fn every_usm_kind_and_size_zero_are_accepted_on_an_immediate_list() {
    two_devices();
    let list = immediate(COMPUTE, ASYNC);
    for kind in [Kind::Shared, Kind::Device, Kind::Host] {
        let buf = Buffer::new(kind, 4096);
        ok(ze!(zeCommandListAppendMemoryPrefetch(list, buf.ptr, 4096)));
        ok(ze!(zeCommandListAppendMemoryPrefetch(list, buf.ptr, 0)));
        ok(ze!(zeCommandListAppendMemAdvise(
            list,
            device(),
            buf.ptr,
            0,
            ze_memory_advice_t::ZE_MEMORY_ADVICE_BIAS_CACHED
        )));
        ok(ze!(zeCommandListAppendBarrier(list, no_event(), 0, none())));
    }
    ok(ze!(zeCommandListDestroy(list)));
}

#[test]
fn a_foreign_host_pointer_is_an_invalid_argument_for_both() {
    two_devices();
    let list = immediate(COMPUTE, SYNC);
    let mut host = vec![0u8; 64];
    let ptr = host.as_mut_ptr().cast::<std::ffi::c_void>();
    assert_rc(
        ze!(zeCommandListAppendMemoryPrefetch(list, ptr, 64)),
        INVALID_ARGUMENT,
    );
    assert_rc(
        ze!(zeCommandListAppendMemAdvise(
            list,
            device(),
            ptr,
            64,
            ze_memory_advice_t::ZE_MEMORY_ADVICE_SET_READ_MOSTLY
        )),
        INVALID_ARGUMENT,
    );
    ok(ze!(zeCommandListDestroy(list)));
}

#[test]
fn advice_for_a_device_outside_the_lists_context_is_an_invalid_argument() {
    let env = two_devices();
    assert_eq!(env.devices.len(), 2);
    let (ctx, list) = narrow_list();
    let mut shared = null_mut();
    let dd = ze_device_mem_alloc_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC,
        ..Default::default()
    };
    let hd = ze_host_mem_alloc_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC,
        ..Default::default()
    };
    ok(ze!(zeMemAllocShared(
        ctx,
        &dd,
        &hd,
        256,
        0,
        env.devices[0],
        &mut shared
    )));
    let advice = ze_memory_advice_t::ZE_MEMORY_ADVICE_SET_PREFERRED_LOCATION;
    ok(ze!(zeCommandListAppendMemAdvise(
        list,
        env.devices[0],
        shared,
        256,
        advice
    )));
    assert_rc(
        ze!(zeCommandListAppendMemAdvise(
            list,
            env.devices[1],
            shared,
            256,
            advice
        )),
        INVALID_ARGUMENT,
    );
    ok(ze!(zeCommandListDestroy(list)));
    ok(ze!(zeMemFree(ctx, shared)));
    ok(ze!(zeContextDestroy(ctx)));
}

#[test]
fn advice_past_the_last_one_is_an_invalid_enumeration_and_a_range_past_the_end_a_size_error() {
    two_devices();
    let list = immediate(COMPUTE, SYNC);
    let shared = Buffer::new(Kind::Shared, 128);
    assert_rc(
        ze!(zeCommandListAppendMemAdvise(
            list,
            device(),
            shared.ptr,
            128,
            ze_memory_advice_t(0x7fff_fffe)
        )),
        INVALID_ENUMERATION,
    );
    assert_rc(
        ze!(zeCommandListAppendMemoryPrefetch(list, shared.ptr, 129)),
        INVALID_SIZE,
    );
    ok(ze!(zeCommandListDestroy(list)));
}
