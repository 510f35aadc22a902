//! Asynchronous work that completes with an error (the software driver's fault injection):
//! the scope still waits for everything, work that depends on the failed work fails too,
//! and the scope returns the driver's code.

use usm_test_kit::usm as kit;

use level_zero_sys::ze_result_t;
use usm_core::{scope, Error, Queue, UsmDevice, UsmHost};

#[test]
fn a_failed_copy_fails_its_dependents_and_the_scope() {
    if !kit::soft_driver_or_skip(
        "a_failed_copy_fails_its_dependents_and_the_scope",
        "only the software driver can be told to fail a copy on purpose",
    ) {
        return;
    }
    // The second copy or fill to run in this process (its only test) completes with an
    // error.
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
