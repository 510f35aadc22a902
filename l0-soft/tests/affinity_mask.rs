//! `ZE_AFFINITY_MASK` with four configured devices: only the devices the mask names are
//! exposed, in their own order, each with its own name and UUID; entries naming no device
//! are ignored. (The configuration is read once per process, hence this separate binary.)

use usm_test_kit::raw::probe::*;

fn properties(device: ze_device_handle_t) -> ze_device_properties_t {
    let mut p = ze_device_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES,
        ..Default::default()
    };
    ok(ze!(zeDeviceGetProperties(device, &mut p)));
    p
}

fn name(p: &ze_device_properties_t) -> String {
    let bytes: Vec<u8> = p
        .name
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8(bytes).unwrap()
}

#[test]
fn only_the_masked_devices_are_exposed_in_their_own_order() {
    loader_with(Config::Only(&[
        ("ZE_SOFT_DEVICES", "4"),
        ("ZE_AFFINITY_MASK", "3, 1.0,9,1,2.1,x"),
    ]));
    let s = setup();
    assert_eq!(s.devices.len(), 2);
    let (first, second) = (properties(s.devices[0]), properties(s.devices[1]));
    assert_eq!(name(&first), "Level Zero software device 1 (ze_soft, CPU)");
    assert_eq!(name(&second), "Level Zero software device 3 (ze_soft, CPU)");
    // The UUID is the device's own, whatever the mask: its number is in the last bytes.
    assert_eq!(first.uuid.id[14..], [1, 0]);
    assert_eq!(second.uuid.id[14..], [3, 0]);
    // The exposed devices work: a context over both, memory on the second.
    let ctx = new_context();
    let desc = ze_device_mem_alloc_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC,
        ..Default::default()
    };
    let mut p = std::ptr::null_mut();
    ok(ze!(zeMemAllocDevice(
        ctx,
        &desc,
        64,
        0,
        s.devices[1],
        &mut p
    )));
    ok(ze!(zeMemFree(ctx, p)));
    ok(ze!(zeContextDestroy(ctx)));
}
