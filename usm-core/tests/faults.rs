//! The software driver's fault injection seen through usm-core: refused and failed
//! allocations, copies and fills reach the caller as typed errors with the driver's code.
//! The driver reads its fault configuration once per process, counted over the process,
//! so each case is an ignored child test in a module named after it, which configures
//! the driver as its first call; its parent test runs it in a fresh process
//! ([`child::run`]), or reports it skipped when the tests do not run on the software
//! driver (only it can be told to fail on purpose).

use usm_test_kit::child;
use usm_test_kit::usm as kit;

/// One parent test per child case.
macro_rules! each_in_its_own_process {
    ($($module:ident::$case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                const CASE: &str = concat!(stringify!($module), "::", stringify!($case));
                if kit::soft_driver_or_skip(
                    CASE,
                    "only the software driver can be told to fail on purpose",
                ) {
                    child::run(CASE, &[] as &[(&str, &str)]);
                }
            }
        )*
    };
}

each_in_its_own_process! {
    fault_injection::out_of_memory_from_the_driver_is_a_usm_allocation_error,
    copy_faults::refused_and_failed_copies_report_the_driver_code,
    copy_fault_params::failed_copies_and_fills_name_their_addresses_and_sizes,
    scope_faults::a_failed_copy_fails_its_dependents_and_the_scope,
}

mod fault_injection {
    //! An allocation the driver refuses for lack of memory (the software driver's fault
    //! injection) reaches the caller as a `UsmAllocationError` with the driver's code.

    use usm_test_kit::child;
    use usm_test_kit::usm as kit;

    use level_zero_sys::ze_result_t;
    use usm_core::{AllocationFailure, Error, UsmDevice, UsmHost, UsmShared};

    #[test]
    #[ignore = "child of faults::fault_injection"]
    fn out_of_memory_from_the_driver_is_a_usm_allocation_error() {
        child::expect_child();
        // Every second allocation fails, from this process's first one (this child is
        // the only test of its process, so the count is ours).
        kit::init_with(&[("ZE_SOFT_FAIL_ALLOC_EVERY", "2")]);
        let (context, device) = kit::context();
        let ok = UsmDevice::new(&context, &device, 4096).unwrap();
        let Err(Error::Allocation(e)) = UsmDevice::new(&context, &device, 4096) else {
            panic!("the second allocation must fail")
        };
        assert_eq!(
            e.code(),
            Some(usm_core::ResultCode(
                ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY
            ))
        );
        assert_eq!((e.size, e.device.as_ref()), (4096, Some(&device)));
        assert!(
            matches!(e.reason, AllocationFailure::Driver(ref z) if z.call == "zeMemAllocDevice")
        );
        let _shared = UsmShared::new(&context, &device, 64).unwrap();
        let Err(Error::Allocation(e)) = UsmShared::new(&context, &device, 64) else {
            panic!("the fourth allocation must fail")
        };
        assert_eq!(
            e.code(),
            Some(usm_core::ResultCode(
                ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY
            ))
        );
        let _host = UsmHost::new(&context, 64).unwrap();
        let Err(Error::Allocation(e)) = UsmHost::new(&context, 64) else {
            panic!("the sixth allocation must fail")
        };
        assert_eq!(
            e.code(),
            Some(usm_core::ResultCode(
                ze_result_t::ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY
            ))
        );
        assert!(
            e.to_string().contains("ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY"),
            "{e}"
        );
        let stats = context.stats();
        assert_eq!(stats.live_count(), 3);
        assert_eq!(stats.device.total_allocations, 1);
        drop(ok);
    }
}

mod copy_faults {
    //! A copy the driver refuses, or that completes with an error (the software driver's fault
    //! injection), reaches the caller as the driver's code, names the call, and leaves the
    //! queue usable.

    use usm_test_kit::child;
    use usm_test_kit::usm as kit;

    use level_zero_sys::ze_result_t;
    use usm_core::{Error, Queue, UsmDevice};

    fn code_and_call(e: Error) -> (ze_result_t, &'static str) {
        match e {
            Error::Ze(z) => (z.code.raw(), z.call),
            other => panic!("expected a driver error, got {other:?}"),
        }
    }

    #[test]
    #[ignore = "child of faults::copy_faults"]
    fn refused_and_failed_copies_report_the_driver_code() {
        child::expect_child();
        // Counted over the process (this child is the only test of its process): the
        // second copy or fill append is refused; the fourth one to run completes with an
        // error.
        kit::init_with(&[
            ("ZE_SOFT_FAIL_COPY", "2"),
            ("ZE_SOFT_FAIL_COPY_COMPLETION", "4"),
        ]);
        let (context, device) = kit::context();
        let queue = Queue::new(&context, &device).unwrap();
        let mut d = UsmDevice::new(&context, &device, 16).unwrap();
        // Append 1, run 1.
        queue.write_from_slice(&mut d, &[1; 16]).unwrap();
        // Append 2: refused.
        let (code, call) = code_and_call(queue.memset(&mut d, 0, 16, 2).unwrap_err());
        assert_eq!(code, ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY);
        assert_eq!(call, "zeCommandListAppendMemoryFill");
        // Appends 3 and 4, runs 2 and 3: the refused fill changed nothing.
        assert_eq!(queue.to_vec(&d).unwrap(), [1; 16]);
        queue.memset(&mut d, 0, 16, 3).unwrap();
        // Append 5, run 4: completes with an error, which the synchronous append reports.
        let (code, call) = code_and_call(queue.to_vec(&d).unwrap_err());
        assert_eq!(code, ze_result_t::ZE_RESULT_ERROR_DEVICE_LOST);
        assert_eq!(call, "zeCommandListAppendMemoryCopy");
        // The queue works on.
        assert_eq!(queue.to_vec(&d).unwrap(), [3; 16]);
    }
}

mod copy_fault_params {
    //! A copy or fill the driver refuses or fails names, in its error, the addresses and sizes
    //! it was given (the software driver's fault injection).

    use usm_test_kit::child;
    use usm_test_kit::usm as kit;

    use level_zero_sys::ze_result_t;
    use usm_core::{Error, Queue, UsmDevice, UsmMemory, ZeError};

    fn driver_error(e: Error) -> ZeError {
        match e {
            Error::Ze(z) => z,
            other => panic!("expected a driver error, got {other:?}"),
        }
    }

    #[test]
    #[ignore = "child of faults::copy_fault_params"]
    fn failed_copies_and_fills_name_their_addresses_and_sizes() {
        child::expect_child();
        // Counted over the process (this child is the only test of its process): the
        // first copy or fill append is refused; the first one to run completes with an
        // error.
        kit::init_with(&[
            ("ZE_SOFT_FAIL_COPY", "1"),
            ("ZE_SOFT_FAIL_COPY_COMPLETION", "1"),
        ]);
        let (context, device) = kit::context();
        let queue = Queue::new(&context, &device).unwrap();
        let mut d = UsmDevice::new(&context, &device, 16).unwrap();
        let e = driver_error(queue.memset(&mut d, 0, 16, 2).unwrap_err());
        assert_eq!(e.code, ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY);
        assert_eq!(e.call, "zeCommandListAppendMemoryFill");
        assert!(
            e.params
                .contains(&format!(", ptr={:p}, pattern_size=1, size=16,", d.as_ptr())),
            "{}",
            e.params
        );
        let mut out = [0u8; 16];
        let e = driver_error(queue.copy_to_host(&mut out, &d, 0).unwrap_err());
        assert_eq!(e.code, ze_result_t::ZE_RESULT_ERROR_DEVICE_LOST);
        assert_eq!(e.call, "zeCommandListAppendMemoryCopy");
        assert!(
            e.params.contains(&format!(
                ", dstptr={:p}, srcptr={:p}, size=16,",
                out.as_ptr(),
                d.as_ptr()
            )),
            "{}",
            e.params
        );
    }
}

mod scope_faults {
    //! Asynchronous work that completes with an error (the software driver's fault injection):
    //! the scope still waits for everything, work that depends on the failed work fails too,
    //! and the scope returns the driver's code.

    use usm_test_kit::child;
    use usm_test_kit::usm as kit;

    use level_zero_sys::ze_result_t;
    use usm_core::{scope, Error, Queue, UsmDevice, UsmHost};

    #[test]
    #[ignore = "child of faults::scope_faults"]
    fn a_failed_copy_fails_its_dependents_and_the_scope() {
        child::expect_child();
        // The second copy or fill to run in this process (the child's only test) completes
        // with an error.
        kit::init_with(&[("ZE_SOFT_FAIL_COPY_COMPLETION", "2")]);
        let (context, device) = kit::context();
        let queue = Queue::new(&context, &device).unwrap();
        let mut a = UsmDevice::new(&context, &device, 64).unwrap();
        let mut b = UsmDevice::new(&context, &device, 64).unwrap();
        let mut c = UsmHost::new(&context, 64).unwrap();
        c.as_mut_slice().fill(9);
        let input = [5u8; 64];
        let e = scope(|s| {
            let (ha, hb, hc) = (s.hold_mut(&mut a), s.hold_mut(&mut b), s.hold_mut(&mut c));
            s.copy(&queue, ha, s.hold_host(&input), &[])?; // runs first: fine
            s.copy(&queue, hb, ha.as_source(), &[])?; // runs second: fails
            s.copy(&queue, hc, hb.as_source(), &[])?; // waits on the failed copy: fails
            Ok(())
        })
        .unwrap_err();
        match e {
            Error::Ze(z) => {
                assert_eq!(z.code, ze_result_t::ZE_RESULT_ERROR_DEVICE_LOST);
                assert_eq!(z.call, "zeEventHostSynchronize");
            }
            other => panic!("expected a driver error, got {other:?}"),
        }
        assert_eq!(c.as_slice(), &[9; 64]);
        assert_eq!(queue.to_vec(&a).unwrap(), input);
    }
}
