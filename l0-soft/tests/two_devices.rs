//! `ZE_SOFT_DEVICES=2`: two devices with their own UUIDs and memory, peers of each other.
//! (The configuration is read once per process, hence this separate test binary.)

use std::ptr::null_mut;

use usm_test_kit::raw::probe::*;

fn two() -> &'static Setup {
    loader_with(Config::Only(&[("ZE_SOFT_DEVICES", "2")]));
    let s = setup();
    assert_eq!(s.devices.len(), 2);
    s
}

fn properties(device: ze_device_handle_t) -> ze_device_properties_t {
    let mut p = ze_device_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES,
        ..Default::default()
    };
    ok(ze!(zeDeviceGetProperties(device, &mut p)));
    p
}

#[test]
fn the_devices_have_distinct_handles_uuids_and_names() {
    let s = two();
    assert_ne!(s.devices[0], s.devices[1]);
    let (a, b) = (properties(s.devices[0]), properties(s.devices[1]));
    assert_ne!(a.uuid.id, b.uuid.id);
    assert_ne!(a.name, b.name);
    assert_eq!(
        (a.type_, b.type_),
        (
            ze_device_type_t::ZE_DEVICE_TYPE_GPU,
            ze_device_type_t::ZE_DEVICE_TYPE_GPU
        )
    );
}

#[test]
fn the_devices_are_peers() {
    let s = two();
    let mut can = 0;
    ok(ze!(zeDeviceCanAccessPeer(
        s.devices[0],
        s.devices[1],
        &mut can
    )));
    assert_eq!(can, 1);
    let mut p2p = ze_device_p2p_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_P2P_PROPERTIES,
        ..Default::default()
    };
    ok(ze!(zeDeviceGetP2PProperties(
        s.devices[1],
        s.devices[0],
        &mut p2p
    )));
    assert_eq!(p2p.flags, 3);
}

#[test]
fn device_memory_belongs_to_the_device_it_was_allocated_on() {
    let s = two();
    let ctx = new_context();
    let (rc, a) = alloc_device(ctx, 64, 0, s.devices[0]);
    ok(rc);
    let (rc, b) = alloc_device(ctx, 64, 0, s.devices[1]);
    ok(rc);
    assert_eq!(alloc_properties(ctx, a).3, s.devices[0]);
    assert_eq!(alloc_properties(ctx, b).3, s.devices[1]);
    ok(ze!(zeMemFree(ctx, a)));
    ok(ze!(zeMemFree(ctx, b)));
    ok(ze!(zeContextDestroy(ctx)));
}

#[test]
fn a_context_of_one_device_refuses_memory_on_the_other() {
    let s = two();
    let desc = context_desc();
    let mut ctx = null_mut();
    let mut first = [s.devices[0]];
    ok(ze!(zeContextCreateEx(
        s.driver,
        &desc,
        1,
        first.as_mut_ptr(),
        &mut ctx
    )));
    let (rc, p) = alloc_device(ctx, 64, 0, s.devices[0]);
    ok(rc);
    assert_rc(
        alloc_device(ctx, 64, 0, s.devices[1]).0,
        ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT,
    );
    assert_rc(
        alloc_shared(ctx, 64, 0, s.devices[1]).0,
        ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT,
    );
    ok(ze!(zeMemFree(ctx, p)));
    ok(ze!(zeContextDestroy(ctx)));
}
