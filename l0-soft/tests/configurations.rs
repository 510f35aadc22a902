//! Configurations of the software driver that need a fresh process (it reads its
//! configuration once, at `zeInit`): each case is an ignored child test in a module named
//! after its configuration, which sets it as its first call; a parent test of the same
//! name at the top runs it in a child process of this binary ([`child::run`]).

use usm_test_kit::child;

/// One parent test per child case: runs the case in a fresh process.
macro_rules! each_in_its_own_process {
    ($($module:ident::$case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                const CASE: &str = concat!(stringify!($module), "::", stringify!($case));
                child::run(CASE, &[] as &[(&str, &str)]);
            }
        )*
    };
}

each_in_its_own_process! {
    init_bad_flags::an_undefined_init_flag_alone_finds_no_driver,
    init_unknown_flag_bits::unknown_init_flag_bits_are_ignored_by_the_driver,
    init_vpu_only::vpu_only_initialisation_finds_no_driver,
    affinity_mask::only_the_masked_devices_are_exposed_in_their_own_order,
    affinity_mask_none::a_mask_naming_no_device_finds_no_driver,
    small_device::limits_are_reported_enforced_and_freed_memory_is_reusable,
    strict_contexts::strict_contexts_refuse_memory_of_another_context_and_keep_their_own,
    strict_contexts::strict_contexts_refuse_to_execute_a_list_of_another_context,
}

mod init_bad_flags {
    //! `zeInit` with only a flag the specification does not define: as Intel's GPU driver, the
    //! software driver declines flags that do not ask for GPUs, so the loader reports no
    //! driver. With parameter validation the layer names the bad flag instead.

    use std::ptr::null_mut;

    use usm_test_kit::child;
    use usm_test_kit::raw::probe::*;

    #[test]
    #[ignore = "child of configurations::init_bad_flags"]
    fn an_undefined_init_flag_alone_finds_no_driver() {
        child::expect_child();
        loader();
        let expected = if parameters_validated() {
            ze_result_t::ZE_RESULT_ERROR_INVALID_ENUMERATION
        } else {
            ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED
        };
        assert_rc(ze!(zeInit(4)), expected);
        let mut count = 0;
        assert_rc(
            ze!(zeDriverGet(&mut count, null_mut())),
            ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED,
        );
        assert_eq!(count, 0);
    }
}

mod init_unknown_flag_bits {
    //! `zeInit` with `ZE_INIT_FLAG_GPU_ONLY` and a bit the specification does not define: the
    //! driver ignores the unknown bit, as Intel's driver does, so the loader (which calls each
    //! driver's `zeInit` with these flags before any layer sees them) keeps it. With parameter
    //! validation the call answers `ZE_RESULT_ERROR_INVALID_ENUMERATION` from the layer.

    use std::ptr::null_mut;

    use usm_test_kit::child;
    use usm_test_kit::raw::probe::*;

    #[test]
    #[ignore = "child of configurations::init_unknown_flag_bits"]
    fn unknown_init_flag_bits_are_ignored_by_the_driver() {
        child::expect_child();
        loader();
        let gpu_only = ze_init_flag_t::ZE_INIT_FLAG_GPU_ONLY.0;
        let rc = ze!(zeInit(gpu_only | 4));
        if parameters_validated() {
            // Loader 1.8 keeps this first answer for every later zeInit of the process.
            assert_rc(rc, ze_result_t::ZE_RESULT_ERROR_INVALID_ENUMERATION);
            return;
        }
        ok(rc);
        let mut count = 0;
        ok(ze!(zeDriverGet(&mut count, null_mut())));
        assert_eq!(count, 1);
        let mut driver = null_mut();
        ok(ze!(zeDriverGet(&mut count, &mut driver)));
        let mut devices = 0;
        ok(ze!(zeDeviceGet(driver, &mut devices, null_mut())));
        assert_eq!(devices, 1);
    }
}

mod init_vpu_only {
    //! `zeInit(ZE_INIT_FLAG_VPU_ONLY)`: the software driver is a GPU driver, so it declines,
    //! and the loader (which initialises once per process) then reports no driver at all.

    use std::ptr::null_mut;

    use usm_test_kit::child;
    use usm_test_kit::raw::probe::*;

    #[test]
    #[ignore = "child of configurations::init_vpu_only"]
    fn vpu_only_initialisation_finds_no_driver() {
        child::expect_child();
        loader();
        assert_rc(
            ze!(zeInit(ze_init_flag_t::ZE_INIT_FLAG_VPU_ONLY.0)),
            ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED,
        );
        let mut count = 0;
        let rc = ze!(zeDriverGet(&mut count, null_mut()));
        assert_rc(rc, ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED);
        assert_eq!(count, 0);
    }
}

mod affinity_mask {
    //! `ZE_AFFINITY_MASK` with four configured devices: only the devices the mask names are
    //! exposed, in their own order, each with its own name and UUID; entries naming no device
    //! are ignored. (The configuration is read once per process, hence this separate binary.)

    use usm_test_kit::child;
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
    #[ignore = "child of configurations::affinity_mask"]
    fn only_the_masked_devices_are_exposed_in_their_own_order() {
        child::expect_child();
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
}

mod affinity_mask_none {
    //! A `ZE_AFFINITY_MASK` that names none of the devices leaves the driver without devices:
    //! `zeInit` declines and the loader reports no driver.

    use std::ptr::null_mut;

    use usm_test_kit::child;
    use usm_test_kit::raw::probe::*;

    #[test]
    #[ignore = "child of configurations::affinity_mask_none"]
    fn a_mask_naming_no_device_finds_no_driver() {
        child::expect_child();
        loader_with(Config::Only(&[
            ("ZE_SOFT_DEVICES", "2"),
            ("ZE_AFFINITY_MASK", "2,0.1"),
        ]));
        assert_rc(ze!(zeInit(0)), ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED);
        let mut count = 0;
        assert_rc(
            ze!(zeDriverGet(&mut count, null_mut())),
            ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED,
        );
        assert_eq!(count, 0);
    }
}

mod small_device {
    //! A small configured device (`ZE_SOFT_DEVICE_MEMORY=4M`, `ZE_SOFT_MAX_ALLOC_SIZE=1M`):
    //! the limits are reported and enforced, and freed memory can be allocated again.
    //! One test only: the tests would otherwise compete for the 4 MiB.

    use std::ptr::null_mut;

    use usm_test_kit::child;
    use usm_test_kit::raw::probe::*;

    #[test]
    #[ignore = "child of configurations::small_device"]
    fn limits_are_reported_enforced_and_freed_memory_is_reusable() {
        child::expect_child();
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
}

mod strict_contexts {
    //! `ZE_SOFT_STRICT_CONTEXTS=1`: commands refuse USM of another context (the default, like
    //! Intel's driver, accepts it). In a test binary of its own: the configuration is read once
    //! per process.

    use std::ffi::c_void;

    use usm_test_kit::child;
    use usm_test_kit::raw::work::*;

    fn strict() -> &'static Env {
        env_with(Config::Only(&[("ZE_SOFT_STRICT_CONTEXTS", "1")]))
    }

    #[test]
    #[ignore = "child of configurations::strict_contexts"]
    fn strict_contexts_refuse_memory_of_another_context_and_keep_their_own() {
        child::expect_child();
        strict();
        let other = new_context();
        let foreign = alloc_device_in(other, 256);
        let own = alloc_device(256);
        let data = bytes(256, 9);
        let list = immediate(COMPUTE, SYNC);
        // The list's own context: accepted.
        ok(ze!(zeCommandListAppendMemoryCopy(
            list,
            own,
            data.as_ptr().cast(),
            256,
            no_event(),
            0,
            none()
        )));
        // Another context's memory as destination, source or fill target: refused.
        assert_rc(
            ze!(zeCommandListAppendMemoryCopy(
                list,
                foreign,
                data.as_ptr().cast(),
                256,
                no_event(),
                0,
                none()
            )),
            INVALID_ARGUMENT,
        );
        assert_rc(
            ze!(zeCommandListAppendMemoryCopy(
                list,
                own,
                foreign.cast_const(),
                256,
                no_event(),
                0,
                none()
            )),
            INVALID_ARGUMENT,
        );
        let pattern = 1u8;
        assert_rc(
            ze!(zeCommandListAppendMemoryFill(
                list,
                foreign,
                (&pattern as *const u8).cast::<c_void>(),
                1,
                16,
                no_event(),
                0,
                none()
            )),
            INVALID_ARGUMENT,
        );
        // Copying from another context is what zeCommandListAppendMemoryCopyFromContext is for,
        // naming that context: accepted.
        ok(ze!(zeCommandListAppendMemoryCopyFromContext(
            list,
            own,
            other,
            foreign.cast_const(),
            256,
            no_event(),
            0,
            none()
        )));
        // Naming the wrong source context is refused.
        assert_rc(
            ze!(zeCommandListAppendMemoryCopyFromContext(
                list,
                own,
                env().ctx,
                foreign.cast_const(),
                256,
                no_event(),
                0,
                none()
            )),
            INVALID_ARGUMENT,
        );
        ok(ze!(zeCommandListDestroy(list)));
        free(own);
        ok(ze!(zeMemFree(other, foreign)));
        ok(ze!(zeContextDestroy(other)));
    }

    #[test]
    #[ignore = "child of configurations::strict_contexts"]
    fn strict_contexts_refuse_to_execute_a_list_of_another_context() {
        child::expect_child();
        strict();
        let other = new_context();
        let desc = ze_command_list_desc_t {
            stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_COMMAND_LIST_DESC,
            commandQueueGroupOrdinal: COMPUTE,
            ..Default::default()
        };
        let mut foreign_list = std::ptr::null_mut();
        ok(ze!(zeCommandListCreate(
            other,
            device(),
            &desc,
            &mut foreign_list
        )));
        ok(ze!(zeCommandListClose(foreign_list)));
        let own_list = regular(COMPUTE);
        ok(ze!(zeCommandListClose(own_list)));
        let q = queue(COMPUTE, SYNC);
        let mut lists = [foreign_list];
        assert_rc(
            ze!(zeCommandQueueExecuteCommandLists(
                q,
                1,
                lists.as_mut_ptr(),
                std::ptr::null_mut()
            )),
            INVALID_ARGUMENT,
        );
        let mut lists = [own_list];
        ok(ze!(zeCommandQueueExecuteCommandLists(
            q,
            1,
            lists.as_mut_ptr(),
            std::ptr::null_mut()
        )));
        ok(ze!(zeCommandQueueSynchronize(q, u64::MAX)));
        ok(ze!(zeCommandQueueDestroy(q)));
        ok(ze!(zeCommandListDestroy(own_list)));
        ok(ze!(zeCommandListDestroy(foreign_list)));
        ok(ze!(zeContextDestroy(other)));
    }
}
