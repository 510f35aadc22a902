//! USM allocations of every kind: properties, host access, freeing, and every bad input.

use usm_test_kit::usm as kit;

use level_zero_sys::ze_result_t;
use usm_core::{
    AllocOptions, AllocationFailure, CacheBias, Context, Device, Error, Placement, UsmDevice,
    UsmHost, UsmKind, UsmMemory, UsmShared,
};

use kit::{allocate, KINDS};

/// The error of an allocation that must fail.
fn refused(
    context: &Context,
    device: &Device,
    kind: UsmKind,
    nbytes: usize,
    options: &AllocOptions,
) -> usm_core::UsmAllocationError {
    match allocate(context, device, kind, nbytes, options) {
        Ok(m) => panic!(
            "{kind} allocation of {nbytes} bytes succeeded: {:?}",
            m.as_ptr()
        ),
        Err(e) => allocation_error(e),
    }
}

fn allocation_error(e: Error) -> usm_core::UsmAllocationError {
    match e {
        Error::Allocation(a) => a,
        other => panic!("expected a UsmAllocationError, got {other:?}"),
    }
}

#[test]
fn every_kind_allocates_at_several_sizes_and_alignments() {
    let (context, device) = kit::context();
    for kind in KINDS {
        for size in [1usize, 7, 4096, 65_539] {
            for alignment in [0usize, 1, 8, 64, 4096, 65_536] {
                let options = AllocOptions::new().alignment(alignment);
                let m = allocate(&context, &device, kind, size, &options)
                    .unwrap_or_else(|e| panic!("{kind} {size} {alignment}: {e}"));
                let addr = m.as_ptr() as usize;
                assert_ne!(addr, 0);
                assert_eq!(m.len(), size);
                assert!(!m.is_empty());
                assert_eq!(m.kind(), kind);
                assert_eq!(m.context(), &context);
                if alignment > 1 {
                    assert_eq!(addr % alignment, 0, "{kind} {size} aligned {alignment}");
                    assert_eq!(m.alignment(), alignment);
                }
                assert!(m.alignment().is_power_of_two());
                assert_eq!(addr % m.alignment(), 0);
                match kind {
                    UsmKind::Host => assert_eq!(m.device(), None),
                    _ => assert_eq!(m.device(), Some(&device)),
                }
                let info = context.classify(m.as_ptr()).expect("classify");
                assert_eq!((info.kind, info.base, info.offset), (kind, addr, 0));
                assert!(info.size >= size, "driver size {} < {size}", info.size);
            }
        }
    }
    assert_eq!(context.stats().live_count(), 0);
    assert_eq!(context.stats().device.total_allocations, 4 * 6);
    assert_eq!(context.stats().shared.total_frees, 4 * 6);
}

#[test]
fn shared_memory_reads_back_what_the_host_wrote() {
    let (context, device) = kit::context();
    let mut m = UsmShared::new(&context, &device, 256).unwrap();
    for (i, b) in m.as_mut_slice().iter_mut().enumerate() {
        *b = i as u8;
    }
    let expected: Vec<u8> = (0..=255u8).collect();
    assert_eq!(m.as_slice(), &expected[..]);
    let words = m.as_slice_of::<u32>().unwrap();
    assert_eq!(words.len(), 64);
    assert_eq!(words[1], u32::from_ne_bytes([4, 5, 6, 7]));
}

#[test]
fn host_memory_offers_typed_mutable_views() {
    let (context, _) = kit::context();
    let mut m = UsmHost::with_options(&context, 64, &AllocOptions::new().alignment(64)).unwrap();
    m.as_mut_slice_of::<f64>()
        .unwrap()
        .copy_from_slice(&[0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5]);
    assert_eq!(&m.as_slice()[..8], &0.5f64.to_ne_bytes());
    assert_eq!(m.as_slice_of::<f64>().unwrap()[7], 7.5);
}

#[test]
fn typed_view_with_a_size_that_is_not_a_multiple_is_refused() {
    let (context, _) = kit::context();
    let m = UsmHost::new(&context, 10).unwrap();
    match m.as_slice_of::<u32>() {
        Err(Error::TypedView { len, reason, .. }) => {
            assert_eq!(len, 10);
            assert!(reason.contains("multiple of 4"), "{reason}");
        }
        other => panic!("expected a TypedView error, got {other:?}"),
    }
}

#[test]
fn counters_follow_live_allocations_and_keep_the_peak() {
    let (context, device) = kit::context();
    let a = UsmDevice::new(&context, &device, 100).unwrap();
    let b = UsmDevice::new(&context, &device, 300).unwrap();
    let h = UsmHost::new(&context, 50).unwrap();
    let s = context.stats();
    assert_eq!((s.device.live_count, s.device.live_bytes), (2, 400));
    assert_eq!((s.host.live_count, s.host.live_bytes), (1, 50));
    assert_eq!(s.shared, Default::default());
    assert_eq!((s.live_count(), s.live_bytes()), (3, 450));
    assert_eq!(context.live_allocations().len(), 3);
    drop(b);
    let s = context.stats();
    assert_eq!((s.device.live_count, s.device.live_bytes), (1, 100));
    assert_eq!((s.device.peak_count, s.device.peak_bytes), (2, 400));
    drop((a, h));
    assert_eq!(context.stats().live_count(), 0);
    assert!(context.live_allocations().is_empty());
}

#[test]
fn zero_bytes_is_refused_before_any_driver_call() {
    let (context, device) = kit::context();
    for kind in KINDS {
        let e = refused(&context, &device, kind, 0, &AllocOptions::new());
        assert_eq!(e.reason, AllocationFailure::ZeroSize);
        assert_eq!((e.kind, e.size, e.alignment), (kind, 0, 0));
        assert_eq!(e.code(), None);
        assert_eq!(e.device_name, None);
        assert!(e.to_string().contains("zero-sized"), "{e}");
    }
    assert_eq!(context.stats().live_count(), 0);
    assert_eq!(context.stats().device.total_allocations, 0);
}

#[test]
fn alignment_that_is_not_a_power_of_two_is_refused_before_any_driver_call() {
    let (context, device) = kit::context();
    for kind in KINDS {
        for alignment in [3usize, 6, 12, 100, 4097, usize::MAX] {
            let options = AllocOptions::new().alignment(alignment);
            let e = refused(&context, &device, kind, 64, &options);
            assert_eq!(e.reason, AllocationFailure::AlignmentNotPowerOfTwo);
            assert_eq!((e.kind, e.size, e.alignment), (kind, 64, alignment));
            assert_eq!(e.code(), None);
            let text = e.to_string();
            assert!(text.contains(&format!("alignment {alignment}")), "{text}");
            assert!(text.contains("power of two"), "{text}");
        }
    }
    assert_eq!(context.stats().shared.total_allocations, 0);
}

#[test]
fn size_above_the_maximum_allocation_is_a_usm_allocation_error_with_the_driver_code() {
    let (context, device) = kit::context();
    let max = device.properties().unwrap().max_mem_alloc_size as usize;
    for kind in KINDS {
        let size = max + 1;
        let e = refused(
            &context,
            &device,
            kind,
            size,
            &AllocOptions::new().alignment(64),
        );
        assert_eq!(
            e.code(),
            Some(usm_core::ResultCode(
                ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_SIZE
            )),
            "{e}"
        );
        assert_eq!((e.kind, e.size, e.alignment), (kind, size, 64));
        match kind {
            UsmKind::Host => assert_eq!((&e.device, e.device_name.as_deref()), (&None, None)),
            _ => {
                assert_eq!(e.device.as_ref(), Some(&device));
                let name = device.properties().unwrap().name;
                assert_eq!(e.device_name.as_deref(), Some(name.as_str()));
            }
        }
        let AllocationFailure::Driver(ze) = &e.reason else {
            panic!("expected the driver's refusal, got {:?}", e.reason)
        };
        let call = match kind {
            UsmKind::Device => "zeMemAllocDevice",
            UsmKind::Shared => "zeMemAllocShared",
            UsmKind::Host => "zeMemAllocHost",
        };
        assert_eq!(ze.call, call);
        assert!(ze.params.contains(&format!("size={size}")), "{}", ze.params);
        let text = e.to_string();
        assert!(text.contains("ZE_RESULT_ERROR_UNSUPPORTED_SIZE"), "{text}");
        assert!(text.contains(&format!("{size} bytes of {kind}")), "{text}");
    }
    assert_eq!(context.stats().live_count(), 0);
}

#[test]
fn huge_size_is_a_usm_allocation_error() {
    let (context, device) = kit::context();
    for kind in KINDS {
        let size = usize::MAX / 2;
        let e = refused(&context, &device, kind, size, &AllocOptions::new());
        assert_eq!(
            e.code(),
            Some(usm_core::ResultCode(
                ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_SIZE
            )),
            "{e}"
        );
        assert_eq!((e.kind, e.size), (kind, size));
    }
}

#[test]
fn relaxed_limits_allow_a_size_above_the_maximum_allocation() {
    let (context, device) = kit::context();
    let props = device.properties().unwrap();
    let relaxed = AllocOptions::new().relaxed_limits(true);
    let size = props.max_mem_alloc_size as usize + 4096;
    let supported = device
        .driver()
        .supports_extension(usm_core::RELAXED_ALLOCATION_LIMITS_EXTENSION)
        .unwrap();
    if kit::on_soft_driver() {
        assert!(supported, "the software driver offers relaxed limits");
    }
    if !supported {
        let e = allocation_error(
            UsmDevice::with_options(&context, &device, size, &relaxed).unwrap_err(),
        );
        assert_eq!(e.reason, AllocationFailure::RelaxedLimitsUnsupported);
        return;
    }
    assert!(size as u64 <= props.total_memory, "{props:?}");
    // One at a time: each reserves more than 4 GiB of address space.
    for kind in KINDS {
        let big = allocate(&context, &device, kind, size, &relaxed)
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(big.len(), size);
        let info = context.classify(big.as_ptr()).unwrap();
        assert_eq!((info.kind, info.offset), (kind, 0));
        assert!(info.size >= size);
        let end = big.as_ptr().cast::<u8>().wrapping_add(size - 1);
        assert_eq!(context.classify(end.cast()).unwrap().offset, size - 1);
    }
}

#[test]
fn relaxed_limits_beyond_the_device_memory_are_out_of_device_memory() {
    let (context, device) = kit::context();
    if !device
        .driver()
        .supports_extension(usm_core::RELAXED_ALLOCATION_LIMITS_EXTENSION)
        .unwrap()
    {
        assert!(
            !kit::on_soft_driver(),
            "the software driver offers relaxed limits"
        );
        return;
    }
    let total = device.properties().unwrap().total_memory as usize;
    let options = AllocOptions::new().relaxed_limits(true);
    let e = allocation_error(
        UsmDevice::with_options(&context, &device, total + (1 << 20), &options).unwrap_err(),
    );
    assert_eq!(
        e.code(),
        Some(usm_core::ResultCode(
            ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY
        )),
        "{e}"
    );
    assert_eq!(e.kind, UsmKind::Device);
}

#[test]
fn descriptor_flags_are_accepted_by_the_driver() {
    let (context, device) = kit::context();
    let variants = [
        AllocOptions::new().cache(CacheBias::Cached),
        AllocOptions::new().cache(CacheBias::Uncached),
        AllocOptions::new()
            .host_cache(CacheBias::Uncached)
            .write_combined(true),
        AllocOptions::new().initial_placement(Placement::Device),
        AllocOptions::new().initial_placement(Placement::Host),
    ];
    for options in &variants {
        for kind in KINDS {
            let m = allocate(&context, &device, kind, 512, options)
                .unwrap_or_else(|e| panic!("{kind} {options:?}: {e}"));
            assert_eq!(context.classify(m.as_ptr()).unwrap().kind, kind);
        }
    }
}

#[test]
fn device_of_another_context_is_refused_before_any_driver_call() {
    let driver = kit::driver();
    let devices = driver.devices().unwrap();
    let (context, device) = kit::context();
    // A device the context does not hold: another device of the driver (the software
    // driver has two in these tests; a machine with one GPU has none to offer).
    let Some(other) = devices
        .iter()
        .find(|d| !context.contains_device(d))
        .cloned()
    else {
        assert!(
            !kit::on_soft_driver(),
            "the tests configure two soft devices"
        );
        assert_eq!(context.devices(), &[device.clone()][..]);
        return;
    };
    assert!(context.contains_device(&device));
    let e = UsmShared::new(&context, &other, 64).unwrap_err();
    assert!(
        matches!(e, usm_core::Error::DeviceNotInContext { device, context: c }
            if device == other.raw() as usize && c == context.raw() as usize),
        "{e}"
    );
    assert_eq!(context.stats().live_count(), 0);
}

#[test]
fn memory_dropped_after_its_context_handle_is_still_freed() {
    let (context, device) = kit::context();
    let memory = UsmDevice::new(&context, &device, 4096).unwrap();
    let shared = UsmShared::new(&context, &device, 4096).unwrap();
    drop(context);
    // The memory keeps the context alive: it can still be asked about and freed.
    let info = memory.context().classify(memory.as_ptr()).unwrap();
    assert_eq!(info.kind, UsmKind::Device);
    assert_eq!(memory.context().stats().live_count(), 2);
    let witness = shared.context().clone();
    drop(memory);
    drop(shared);
    assert_eq!(witness.stats().live_count(), 0);
    assert_eq!(witness.stats().device.total_frees, 1);
    assert!(witness.take_drop_errors().is_empty());
}

#[test]
fn device_memory_views_offer_no_host_slice() {
    let (context, device) = kit::context();
    let m = UsmDevice::new(&context, &device, 64).unwrap();
    let view = m.view(8, 16).unwrap();
    assert_eq!(
        (view.offset(), view.len(), view.kind()),
        (8, 16, UsmKind::Device)
    );
    match view.as_slice() {
        Err(Error::NotHostAccessible { kind }) => assert_eq!(kind, UsmKind::Device),
        other => panic!("expected NotHostAccessible, got {other:?}"),
    }
}

#[test]
fn views_of_owned_memory_read_the_same_bytes() {
    let (context, device) = kit::context();
    let mut m = UsmShared::new(&context, &device, 32).unwrap();
    m.as_mut_slice().copy_from_slice(&[9u8; 32]);
    m.as_mut_slice()[10] = 42;
    let view = m.view(8, 8).unwrap();
    assert_eq!(view.as_slice().unwrap(), &[9, 9, 42, 9, 9, 9, 9, 9]);
    assert_eq!(view.base(), m.as_ptr());
    assert_eq!(view.allocation_len(), 32);
    let inner = view.view(2, 1).unwrap();
    assert_eq!(
        (inner.offset(), inner.as_slice().unwrap()),
        (10, &[42u8][..])
    );
    assert_eq!(inner.base(), m.as_ptr());
    match m.view(30, 3) {
        Err(Error::OutOfBounds { offset, len, size }) => {
            assert_eq!((offset, len, size), (30, 3, 32))
        }
        other => panic!("expected OutOfBounds, got {other:?}"),
    }
    assert!(matches!(view.view(0, 9), Err(Error::OutOfBounds { .. })));
    assert!(matches!(
        m.view(usize::MAX, 2),
        Err(Error::OutOfBounds { .. })
    ));
}

#[test]
fn allocation_error_is_a_std_error_with_the_code_on_the_outer_error() {
    let (context, device) = kit::context();
    let e = UsmDevice::new(&context, &device, usize::MAX / 2).unwrap_err();
    assert_eq!(
        e.code(),
        Some(usm_core::ResultCode(
            ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_SIZE
        ))
    );
    let dynamic: &dyn std::error::Error = &e;
    assert!(
        dynamic.to_string().starts_with("cannot allocate"),
        "{dynamic}"
    );
}

#[test]
fn alignment_the_driver_cannot_honour_is_a_usm_allocation_error() {
    let (context, device) = kit::context();
    // Larger than the process's address space: the driver accepts any power of two, as
    // Intel's does, but cannot find such an address.
    let alignment = 1usize << 50;
    for kind in KINDS {
        let options = AllocOptions::new().alignment(alignment);
        let e = refused(&context, &device, kind, 64, &options);
        assert_eq!((e.kind, e.size, e.alignment), (kind, 64, alignment));
        assert!(matches!(e.reason, AllocationFailure::Driver(_)), "{e}");
        if kit::on_soft_driver() {
            let expected = match kind {
                UsmKind::Host => ze_result_t::ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY,
                _ => ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY,
            };
            assert_eq!(e.code(), Some(usm_core::ResultCode(expected)), "{e}");
        }
    }
}

#[test]
fn more_than_isize_max_bytes_is_refused_before_any_driver_call() {
    let (context, device) = kit::context();
    for kind in KINDS {
        let size = isize::MAX as usize + 1;
        let options = AllocOptions::new().relaxed_limits(true);
        let e = refused(&context, &device, kind, size, &options);
        assert_eq!(e.reason, AllocationFailure::LargerThanAddressSpace);
        assert_eq!((e.kind, e.size, e.code()), (kind, size, None));
    }
}

#[test]
fn a_clone_is_the_same_kind_of_context_handle_as_its_original() {
    let (context, device) = kit::context();
    assert!(context.is_owning());
    assert!(context.clone().is_owning());
    let memory = UsmShared::new(&context, &device, 64).unwrap();
    let through_memory = memory.context().clone();
    assert!(!memory.context().is_owning());
    assert!(!through_memory.is_owning(), "a clone keeps the kind");
    assert_eq!(through_memory, context);
}

#[test]
fn dropping_a_clone_of_a_memory_s_context_makes_no_leak_report() {
    // Before, the hidden flag made such a clone an owning handle: its drop reported the
    // memory as leaked while the real owner was still alive.
    let (context, device) = kit::context();
    let memory = UsmShared::new(&context, &device, 64).unwrap();
    let capture = LeakCapture::default();
    capture.run(|| drop(memory.context().clone()));
    assert_eq!(capture.count(), 0, "no leak report for a non-owning clone");
    capture.run(|| drop(context));
    // One summary and one event per live allocation.
    assert_eq!(capture.count(), 2, "the last owner reports the live memory");
    drop(memory);
}

/// Counts `warn` events of target `usm_core::leak` emitted while it runs code.
#[derive(Default, Clone)]
struct LeakCapture(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl LeakCapture {
    fn run(&self, f: impl FnOnce()) {
        use tracing_subscriber::layer::SubscriberExt;
        let subscriber = tracing_subscriber::registry().with(self.clone());
        tracing::subscriber::with_default(subscriber, f);
    }

    fn count(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for LeakCapture {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let m = event.metadata();
        if m.target() == "usm_core::leak" && *m.level() == tracing::Level::WARN {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
}
