//! An allocation the driver refuses for lack of memory (the software driver's fault
//! injection) reaches the caller as a `UsmAllocationError` with the driver's code.

use usm_test_kit::usm as kit;

use level_zero_sys::ze_result_t;
use usm_core::{AllocationFailure, Error, UsmDevice, UsmHost, UsmShared};

#[test]
fn out_of_memory_from_the_driver_is_a_usm_allocation_error() {
    if !kit::soft_driver_or_skip(
        "out_of_memory_from_the_driver_is_a_usm_allocation_error",
        "only the software driver can be told to fail an allocation on purpose",
    ) {
        return;
    }
    // Every second allocation fails, from this process's first one (this is the only test
    // of this binary, so the count is ours).
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
    assert!(matches!(e.reason, AllocationFailure::Driver(ref z) if z.call == "zeMemAllocDevice"));
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
