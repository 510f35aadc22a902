//! A copy or fill the driver refuses or fails names, in its error, the addresses and sizes
//! it was given (the software driver's fault injection).

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
fn failed_copies_and_fills_name_their_addresses_and_sizes() {
    if !kit::soft_driver_or_skip(
        "failed_copies_and_fills_name_their_addresses_and_sizes",
        "only the software driver can be told to fail a copy on purpose",
    ) {
        return;
    }
    // Counted over the process (this is the only test of this binary): the first copy or
    // fill append is refused; the first one to run completes with an error.
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
