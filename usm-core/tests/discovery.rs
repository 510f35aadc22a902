//! Discovery: initialisation, drivers, devices and their properties, contexts.

use usm_test_kit::usm as kit;

use std::collections::HashSet;

use usm_core::{Context, Device, DeviceType, Driver};

#[test]
fn init_is_idempotent_and_thread_safe() {
    kit::init();
    let outcomes: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| usm_core::init().is_ok()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(outcomes, vec![true; 8]);
    let a = usm_core::api().unwrap() as *const _;
    let b = usm_core::api().unwrap() as *const _;
    assert_eq!(a, b);
}

#[test]
fn the_driver_reports_version_properties_and_extensions() {
    let driver = kit::driver();
    let (major, minor) = driver.api_version().unwrap();
    assert_eq!(major, 1, "api version {major}.{minor}");
    let props = driver.properties().unwrap();
    assert_ne!(props.driver_version, 0);
    let extensions = driver.extensions().unwrap();
    let names: HashSet<&str> = extensions.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names.len(),
        extensions.len(),
        "duplicate extension names: {extensions:?}"
    );
    assert!(extensions
        .iter()
        .all(|e| !e.name.is_empty() && e.version != 0));
    for e in &extensions {
        assert!(driver.supports_extension(&e.name).unwrap());
    }
    assert!(!driver.supports_extension("ZE_no_such_extension").unwrap());
    if kit::on_soft_driver() {
        assert!(
            names.contains(usm_core::RELAXED_ALLOCATION_LIMITS_EXTENSION),
            "{names:?}"
        );
    }
}

#[test]
fn devices_have_consistent_properties() {
    let driver = kit::driver();
    let devices = driver.devices().unwrap();
    assert!(!devices.is_empty());
    if kit::on_soft_driver() {
        assert_eq!(devices.len(), 2);
    }
    let mut uuids = HashSet::new();
    for device in &devices {
        assert_eq!(device.driver(), &driver);
        let p = device.properties().unwrap();
        assert!(!p.name.is_empty());
        assert_eq!(p.device_type, DeviceType::Gpu);
        assert_eq!(p.vendor_id, 0x8086);
        assert!(!p.is_subdevice);
        assert_eq!(p.subdevice_id, None);
        assert!(uuids.insert(p.uuid), "duplicate uuid {:?}", p.uuid);
        assert!(p.max_mem_alloc_size > 0);
        assert!(p.max_mem_alloc_size <= p.total_memory, "{p:?}");
        assert!(p.compute_units > 0, "{p:?}");
        assert!(p.max_group_size > 0, "{p:?}");
        let memories = device.memory_properties().unwrap();
        assert!(!memories.is_empty());
        assert_eq!(
            memories.iter().map(|m| m.total_size).sum::<u64>(),
            p.total_memory
        );
        for (i, m) in memories.iter().enumerate() {
            assert_eq!(m.ordinal as usize, i);
        }
    }
}

#[test]
fn queue_groups_offer_compute_and_copy_engines() {
    let device = kit::device();
    let groups = device.queue_groups().unwrap();
    assert!(!groups.is_empty());
    for (i, g) in groups.iter().enumerate() {
        assert_eq!(g.ordinal as usize, i);
        assert!(g.engine_count > 0, "{g:?}");
        assert!(g.is_copy() || g.is_compute(), "{g:?}");
    }
    let compute = groups
        .iter()
        .find(|g| g.is_compute())
        .expect("a compute group");
    assert!(compute.is_copy() && !compute.is_copy_only());
    if kit::on_soft_driver() {
        let copy_only: Vec<_> = groups.iter().filter(|g| g.is_copy_only()).collect();
        assert_eq!(copy_only.len(), 2, "main and link copy groups: {groups:?}");
        assert!(
            copy_only[1].engine_count > 1,
            "link copy engines: {groups:?}"
        );
    }
}

#[test]
fn sub_devices_are_sub_devices_of_their_parent() {
    let device = kit::device();
    let subs = device.sub_devices().unwrap();
    if kit::on_soft_driver() {
        assert!(
            subs.is_empty(),
            "the software driver has no sub-devices by default"
        );
    }
    for (i, s) in subs.iter().enumerate() {
        let p = s.properties().unwrap();
        assert!(p.is_subdevice);
        assert_eq!(p.subdevice_id, Some(i as u32));
    }
}

#[test]
fn all_gpus_lists_every_gpu_device_of_every_driver() {
    kit::init();
    let gpus = Device::all_gpus().unwrap();
    let mut expected = Vec::new();
    for driver in Driver::all().unwrap() {
        for d in driver.devices().unwrap() {
            if d.properties().unwrap().device_type == DeviceType::Gpu {
                expected.push(d);
            }
        }
    }
    assert_eq!(gpus, expected);
}

#[test]
fn default_gpu_is_the_first_gpu_with_one_context_for_the_whole_process() {
    kit::init();
    let (context, device) = Context::default_gpu().unwrap();
    assert_eq!(device, Device::all_gpus().unwrap()[0]);
    assert_eq!(device, Device::first_gpu().unwrap());
    assert_eq!(context.devices(), &[device.clone()][..]);
    assert_eq!(context.driver(), device.driver());
    let (again, same_device) = std::thread::spawn(|| Context::default_gpu().unwrap())
        .join()
        .unwrap();
    assert_eq!(again, context);
    assert_eq!(again.raw(), context.raw());
    assert_eq!(same_device, device);
    // Memory of the default context is not foreign to a second handle of it.
    let m = usm_core::UsmHost::new(&context, 8).unwrap();
    assert_eq!(
        again
            .classify(usm_core::UsmMemory::as_ptr(&m))
            .unwrap()
            .kind,
        usm_core::UsmKind::Host
    );
}

#[test]
fn context_over_no_devices_takes_every_device_of_the_driver() {
    let driver = kit::driver();
    let context = Context::new(&driver, &[]).unwrap();
    assert_eq!(context.devices(), &driver.devices().unwrap()[..]);
    for d in driver.devices().unwrap() {
        assert!(context.contains_device(&d));
    }
    assert_eq!(context.clone(), context);
}

#[test]
fn context_over_a_subset_holds_only_those_devices() {
    let driver = kit::driver();
    let devices = driver.devices().unwrap();
    let last = devices.last().unwrap().clone();
    let context = Context::new(&driver, std::slice::from_ref(&last)).unwrap();
    assert_eq!(context.devices(), std::slice::from_ref(&last));
    assert!(context.contains_device(&last));
    for d in &devices[..devices.len() - 1] {
        assert!(!context.contains_device(d));
    }
    let m = usm_core::UsmDevice::new(&context, &last, 64).unwrap();
    assert_eq!(
        context
            .classify(usm_core::UsmMemory::as_ptr(&m))
            .unwrap()
            .device,
        Some(last)
    );
}

#[test]
fn the_validation_layer_is_loaded_when_asked_for() {
    kit::init();
    let versions = usm_core::loader().unwrap().versions().unwrap();
    let names: Vec<&str> = versions.iter().map(|v| v.component.as_str()).collect();
    assert!(names.contains(&"loader"), "{names:?}");
    let asked = std::env::var("ZE_ENABLE_VALIDATION_LAYER").is_ok_and(|v| v == "1");
    let loaded = names.iter().any(|n| n.contains("validation"));
    assert_eq!(loaded, asked, "{names:?}");
}

#[test]
fn a_device_named_twice_is_in_the_context_once() {
    let device = kit::device();
    let twice = [device.clone(), device.clone()];
    let context = Context::new(device.driver(), &twice).unwrap();
    assert_eq!(context.devices(), std::slice::from_ref(&device));
}

#[test]
fn memory_access_says_which_kinds_the_device_can_use() {
    let device = kit::device();
    let access = device.memory_access().unwrap();
    // usm-core's three kinds are usable on a device that allocates them (the tests do).
    assert!(access.host.is_supported(), "{access:?}");
    assert!(access.device.is_supported(), "{access:?}");
    assert!(access.shared_single_device.is_supported(), "{access:?}");
    if kit::on_soft_driver() {
        let all = usm_core::AccessCapabilities {
            read_write: true,
            atomic: true,
            concurrent: true,
            concurrent_atomic: true,
        };
        assert_eq!(access.host, all);
        assert_eq!(access.device, all);
        assert_eq!(access.shared_single_device, all);
        assert_eq!(access.shared_cross_device, all);
        assert_eq!(access.shared_system, Default::default());
    }
}
