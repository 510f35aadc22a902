//! A copy the driver refuses, or that completes with an error (the software driver's fault
//! injection), reaches the caller as the driver's code, names the call, and leaves the
//! queue usable.

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
fn refused_and_failed_copies_report_the_driver_code() {
    if !kit::soft_driver_or_skip(
        "refused_and_failed_copies_report_the_driver_code",
        "only the software driver can be told to fail a copy on purpose",
    ) {
        return;
    }
    // Counted over the process (this is the only test of this binary): the second copy or
    // fill append is refused; the fourth one to run completes with an error.
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
