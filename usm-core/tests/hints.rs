//! Prefetch and memory advice through the real loader: synchronous, scoped and owned, on
//! every USM kind (as Intel's driver accepts), and what is refused.

use usm_test_kit::usm as kit;

use usm_core::sys::{ze_memory_advice_t, ze_result_t};
use usm_core::{
    scope, Error, MemAdvice, Queue, TransferError, UsmDevice, UsmHost, UsmMemory, UsmShared,
};

/// Whether the loader's parameter validation layer is on in this run.
fn parameters_validated() -> bool {
    [
        "ZE_ENABLE_VALIDATION_LAYER",
        "ZE_ENABLE_PARAMETER_VALIDATION",
    ]
    .iter()
    .all(|v| std::env::var(v).is_ok_and(|v| v == "1"))
}

/// Asserts that an advice was applied: the two of API 1.7 may be refused by an older
/// validation layer, which does not know them (`ZE_RESULT_ERROR_INVALID_ENUMERATION`),
/// never by the driver.
#[track_caller]
fn accepted(outcome: usm_core::Result<()>, advice: MemAdvice) {
    let newer = matches!(
        advice,
        MemAdvice::SetSystemMemoryPreferredLocation | MemAdvice::ClearSystemMemoryPreferredLocation
    );
    match outcome {
        Ok(()) => {}
        Err(Error::Ze(e))
            if newer
                && parameters_validated()
                && e.code.raw() == ze_result_t::ZE_RESULT_ERROR_INVALID_ENUMERATION
                && e.call == "zeCommandListAppendMemAdvise" =>
        {
            println!("{advice:?} refused by the validation layer of an older loader: {e}");
        }
        Err(e) => panic!("{advice:?}: {e}"),
    }
}

#[test]
fn prefetch_and_every_advice_apply_to_shared_memory_and_keep_its_contents() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let mut shared = UsmShared::new(&context, &device, 8192).unwrap();
    shared.as_mut_slice().fill(0x5a);
    for advice in MemAdvice::ALL {
        accepted(queue.mem_advise(&shared, advice), advice);
    }
    queue.prefetch(&shared).unwrap();
    queue.prefetch(&shared.view(4096, 4096).unwrap()).unwrap();
    assert_eq!(shared.as_slice(), &[0x5a; 8192][..]);
}

#[test]
fn device_and_host_memory_accept_hints_as_on_intel() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let on_device = UsmDevice::new(&context, &device, 64).unwrap();
    let host = UsmHost::new(&context, 64).unwrap();
    queue.prefetch(&on_device).unwrap();
    queue.prefetch(&host).unwrap();
    queue.mem_advise(&on_device, MemAdvice::BiasCached).unwrap();
    queue.mem_advise(&host, MemAdvice::SetReadMostly).unwrap();
}

#[test]
fn advice_values_are_those_of_level_zero() {
    for (i, advice) in MemAdvice::ALL.iter().enumerate() {
        assert_eq!(advice.raw(), ze_memory_advice_t(i as u32));
        assert_eq!(MemAdvice::from_raw(advice.raw()), Some(*advice));
    }
    assert_eq!(
        MemAdvice::SetPreferredLocation.raw(),
        ze_memory_advice_t::ZE_MEMORY_ADVICE_SET_PREFERRED_LOCATION
    );
    assert_eq!(MemAdvice::from_raw(ze_memory_advice_t(10)), None);
}

#[test]
fn hints_on_memory_of_another_context_are_refused_before_the_driver() {
    let (context, device) = kit::context();
    let (other, _) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let foreign = UsmShared::new(&other, &device, 64).unwrap();
    for e in [
        queue.prefetch(&foreign).unwrap_err(),
        queue
            .mem_advise(&foreign, MemAdvice::SetReadMostly)
            .unwrap_err(),
    ] {
        assert!(
            matches!(e, Error::Transfer(TransferError::ForeignContext { .. })),
            "{e}"
        );
    }
}

#[test]
fn empty_memory_submits_no_hint() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let shared = UsmShared::new(&context, &device, 64).unwrap();
    let empty = shared.view(64, 0).unwrap();
    queue.prefetch(&empty).unwrap();
    queue.mem_advise(&empty, MemAdvice::BiasUncached).unwrap();
}

#[test]
fn scoped_hints_run_after_earlier_writes_and_return_events() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let mut shared = UsmShared::new(&context, &device, 4096).unwrap();
    let data = vec![3u8; 4096];
    scope(|s| {
        let held = s.hold_mut(&mut shared);
        let written = s.copy(&queue, held, s.hold_host(&data), &[])?;
        let advised = s.mem_advise(&queue, held.as_source(), MemAdvice::SetReadMostly, &[])?;
        let prefetched = s.prefetch(&queue, held.as_source(), &[advised])?;
        prefetched.wait()?;
        // Ordered after the write by the scope: the write is done too.
        assert!(written.is_complete()?);
        let empty = s.prefetch(&queue, held.as_source().range(0, 0)?, &[])?;
        empty.wait()?;
        Ok(())
    })
    .unwrap();
    assert_eq!(shared.as_slice(), &data[..]);
}

#[test]
fn scoped_hints_refuse_plain_host_memory() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let bytes = vec![0u8; 64];
    let e = scope(|s| s.prefetch(&queue, s.hold_host(&bytes), &[]).map(drop)).unwrap_err();
    assert!(matches!(e, Error::NotUsm { .. }), "{e}");
    let e = scope(|s| {
        s.mem_advise(&queue, s.hold_host(&bytes), MemAdvice::BiasCached, &[])
            .map(drop)
    })
    .unwrap_err();
    assert!(matches!(e, Error::NotUsm { .. }), "{e}");
}

#[test]
fn owned_prefetch_gives_the_memory_back() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let mut shared = UsmShared::new(&context, &device, 4096).unwrap();
    shared.as_mut_slice().fill(1);
    let written = queue
        .fill_async(UsmShared::new(&context, &device, 64).unwrap(), &[2], &[])
        .unwrap();
    let pending = queue.prefetch_async(shared, &[&written.event()]).unwrap();
    let shared = pending.wait().unwrap();
    assert!(written.is_complete().unwrap());
    assert_eq!(shared.as_slice(), &[1u8; 4096][..]);
    let (other, _) = kit::context();
    let refused = queue
        .prefetch_async(UsmShared::new(&other, &device, 64).unwrap(), &[])
        .unwrap_err();
    assert!(matches!(
        refused.error,
        Error::Transfer(TransferError::ForeignContext { .. })
    ));
    assert_eq!(refused.value.len(), 64, "the memory comes back");
}
