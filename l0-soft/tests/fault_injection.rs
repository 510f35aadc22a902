//! `ZE_SOFT_FAIL_ALLOC=2` and `ZE_SOFT_FAIL_ALLOC_EVERY=4`: the 2nd, 4th, 8th, ...
//! allocation fails, deterministically, with the kind's out-of-memory code.
//! One test only: the count is per process.

use usm_test_kit::raw::probe::*;

#[test]
fn the_nth_and_every_nth_allocation_fail_with_out_of_memory() {
    loader_with(Config::Only(&[
        ("ZE_SOFT_FAIL_ALLOC", "2"),
        ("ZE_SOFT_FAIL_ALLOC_EVERY", "4"),
    ]));
    let s = setup();
    let ctx = new_context();
    // Calls rejected by parameter checks are not counted.
    assert_rc(
        alloc_device(ctx, 0, 0, s.devices[0]).0,
        ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_SIZE,
    );
    let mut outcomes = Vec::new();
    for i in 1..=9 {
        let (rc, p) = match i % 3 {
            0 => alloc_host(ctx, 64, 0),
            1 => alloc_device(ctx, 64, 0, s.devices[0]),
            _ => alloc_shared(ctx, 64, 0, s.devices[0]),
        };
        if rc.is_success() {
            ok(ze!(zeMemFree(ctx, p)));
        } else {
            assert!(p.is_null());
        }
        outcomes.push(rc);
    }
    use ze_result_t as R;
    assert_eq!(
        outcomes,
        [
            R::ZE_RESULT_SUCCESS,                    // 1 device
            R::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY, // 2 shared: the 2nd
            R::ZE_RESULT_SUCCESS,                    // 3 host
            R::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY, // 4 device: every 4th
            R::ZE_RESULT_SUCCESS,                    // 5 shared
            R::ZE_RESULT_SUCCESS,                    // 6 host
            R::ZE_RESULT_SUCCESS,                    // 7 device
            R::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY, // 8 shared: every 4th
            R::ZE_RESULT_SUCCESS,                    // 9 host
        ]
    );
    // The 12th allocation is host memory, and fails with the host's code.
    for _ in 10..=11 {
        let (rc, p) = alloc_host(ctx, 64, 0);
        ok(rc);
        ok(ze!(zeMemFree(ctx, p)));
    }
    assert_rc(
        alloc_host(ctx, 64, 0).0,
        R::ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY,
    );
    ok(ze!(zeContextDestroy(ctx)));
}
