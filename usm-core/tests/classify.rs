//! Pointer classification (`Context::classify`, `as_usm_memory`) for every kind, base and
//! interior pointers, and the pointers it must reject.

use usm_test_kit::usm as kit;

use std::ffi::c_void;

use usm_core::{
    as_usm_memory, AllocOptions, Context, Error, UsmDevice, UsmHost, UsmKind, UsmMemory, UsmShared,
};

fn owned(
    context: &Context,
    device: &usm_core::Device,
    kind: UsmKind,
    n: usize,
) -> Box<dyn UsmMemory> {
    let options = AllocOptions::new().alignment(64);
    match kind {
        UsmKind::Device => Box::new(UsmDevice::with_options(context, device, n, &options).unwrap()),
        UsmKind::Shared => Box::new(UsmShared::with_options(context, device, n, &options).unwrap()),
        UsmKind::Host => Box::new(UsmHost::with_options(context, n, &options).unwrap()),
    }
}

#[test]
fn base_and_interior_pointers_of_every_kind_are_classified() {
    let (context, device) = kit::context();
    for kind in [UsmKind::Device, UsmKind::Shared, UsmKind::Host] {
        let m = owned(&context, &device, kind, 1000);
        let base = m.as_ptr() as usize;
        for offset in [0usize, 1, 63, 64, 999] {
            let p = (base + offset) as *const c_void;
            let info = context
                .classify(p)
                .unwrap_or_else(|e| panic!("{kind}+{offset}: {e}"));
            assert_eq!(info.kind, kind);
            assert_eq!(info.base, base, "{kind}+{offset}");
            assert_eq!(info.base_ptr() as usize, base);
            assert_eq!(info.offset, offset);
            assert!(info.size >= 1000, "{kind}: size {}", info.size);
            assert_eq!(info.remaining(), info.size - offset);
            assert!(info.page_size > 0);
            match kind {
                UsmKind::Host => assert_eq!(info.device, None),
                _ => assert_eq!(info.device.as_ref(), Some(&device)),
            }
        }
    }
}

#[test]
fn allocations_have_distinct_ids() {
    let (context, device) = kit::context();
    let a = UsmShared::new(&context, &device, 16).unwrap();
    let b = UsmShared::new(&context, &device, 16).unwrap();
    let (ia, ib) = (
        context.classify(a.as_ptr()).unwrap(),
        context.classify(b.as_ptr()).unwrap(),
    );
    assert_ne!(ia.id, ib.id);
    assert_ne!(ia.base, ib.base);
}

#[test]
fn memory_bound_to_the_second_device_names_it() {
    let driver = kit::driver();
    let devices = driver.devices().unwrap();
    if devices.len() < 2 {
        assert!(
            !kit::on_soft_driver(),
            "the tests configure two soft devices"
        );
        return;
    }
    let context = Context::new(&driver, &[]).unwrap();
    assert_eq!(context.devices(), &devices[..]);
    let m = UsmDevice::new(&context, &devices[1], 128).unwrap();
    let info = context.classify(m.as_ptr()).unwrap();
    assert_eq!(info.device.as_ref(), Some(&devices[1]));
}

#[test]
fn host_stack_and_heap_pointers_are_not_usm() {
    let (context, _) = kit::context();
    let on_stack = [0u8; 16];
    let on_heap = vec![0u8; 4096];
    for p in [on_stack.as_ptr(), on_heap.as_ptr(), on_heap[100..].as_ptr()] {
        match context.classify(p.cast()) {
            Err(Error::NotUsm { addr }) => assert_eq!(addr, p as usize),
            other => panic!("{p:p}: expected NotUsm, got {other:?}"),
        }
    }
}

#[test]
fn null_is_not_usm() {
    let (context, _) = kit::context();
    assert!(matches!(
        context.classify(std::ptr::null()),
        Err(Error::NotUsm { addr: 0 })
    ));
}

#[test]
fn one_past_the_end_is_not_part_of_the_allocation() {
    let (context, device) = kit::context();
    let m = UsmDevice::with_options(
        &context,
        &device,
        4096,
        &AllocOptions::new().alignment(4096),
    )
    .unwrap();
    let past = m.as_ptr().cast::<u8>().wrapping_add(4096).cast::<c_void>();
    match context.classify(past) {
        Ok(info) => assert_ne!(info.base, m.as_ptr() as usize, "one past the end: {info:?}"),
        Err(Error::NotUsm { addr }) => assert_eq!(addr, past as usize),
        Err(other) => panic!("unexpected {other:?}"),
    }
}

#[test]
fn memory_of_another_context_is_foreign() {
    let (mine, _) = kit::context();
    let (theirs, device) = kit::context();
    for kind in [UsmKind::Device, UsmKind::Shared, UsmKind::Host] {
        let m = owned(&theirs, &device, kind, 256);
        for p in [m.as_ptr(), m.as_ptr().cast::<u8>().wrapping_add(17).cast()] {
            match mine.classify(p) {
                Err(Error::ForeignContext { addr, this, other }) => {
                    assert_eq!(addr, p as usize);
                    assert_eq!(this, mine.raw() as usize);
                    assert_eq!(other, theirs.raw() as usize);
                }
                other => panic!("{kind}: expected ForeignContext, got {other:?}"),
            }
            // SAFETY: nothing is viewed; the call must fail.
            let viewed = unsafe { as_usm_memory(&mine, p, None) };
            assert!(
                matches!(viewed, Err(Error::ForeignContext { .. })),
                "{viewed:?}"
            );
        }
        assert_eq!(theirs.classify(m.as_ptr()).unwrap().kind, kind);
    }
}

#[test]
fn as_usm_memory_views_an_interior_pointer_with_the_owned_read_api() {
    let (context, device) = kit::context();
    let mut m = UsmShared::new(&context, &device, 64).unwrap();
    for (i, b) in m.as_mut_slice().iter_mut().enumerate() {
        *b = i as u8 * 2;
    }
    let interior = m.as_slice()[16..].as_ptr().cast::<c_void>();
    // SAFETY: `m` outlives the view and is not written while the view lives.
    let view = unsafe { as_usm_memory(&context, interior, Some(8)) }.unwrap();
    assert_eq!(
        (view.kind(), view.offset(), view.len()),
        (UsmKind::Shared, 16, 8)
    );
    assert_eq!(view.base(), m.as_ptr());
    assert_eq!(view.allocation_len(), 64);
    assert_eq!(view.context(), &context);
    assert_eq!(view.device(), Some(&device));
    assert_eq!(view.as_slice().unwrap(), &[32, 34, 36, 38, 40, 42, 44, 46]);
    assert_eq!(
        view.as_slice_of::<u16>().unwrap()[0],
        u16::from_ne_bytes([32, 34])
    );
    assert_eq!(view.alignment(), 16);
    // SAFETY: as above.
    let rest = unsafe { as_usm_memory(&context, interior, None) }.unwrap();
    assert_eq!(rest.len(), 48);
    let through_trait: &dyn UsmMemory = &rest;
    assert_eq!(through_trait.as_ptr().cast_const(), interior);
}

#[test]
fn as_usm_memory_of_device_memory_has_no_host_slice() {
    let (context, device) = kit::context();
    let m = UsmDevice::new(&context, &device, 64).unwrap();
    // SAFETY: `m` outlives the view.
    let view = unsafe { as_usm_memory(&context, m.as_ptr(), None) }.unwrap();
    assert_eq!((view.kind(), view.len()), (UsmKind::Device, 64));
    assert!(matches!(
        view.as_slice(),
        Err(Error::NotHostAccessible {
            kind: UsmKind::Device
        })
    ));
}

#[test]
fn as_usm_memory_refuses_a_length_past_the_allocation() {
    let (context, _) = kit::context();
    let m = UsmHost::new(&context, 64).unwrap();
    let p = m.as_slice()[60..].as_ptr().cast();
    // SAFETY: nothing is viewed; the call must fail.
    match unsafe { as_usm_memory(&context, p, Some(5)) } {
        Err(Error::OutOfBounds { offset, len, size }) => {
            assert_eq!((offset, len, size), (60, 5, 64))
        }
        other => panic!("expected OutOfBounds, got {other:?}"),
    }
}

#[test]
fn as_usm_memory_refuses_plain_host_memory() {
    let (context, _) = kit::context();
    let heap = Box::new([1u8; 64]);
    // SAFETY: nothing is viewed; the call must fail.
    let viewed = unsafe { as_usm_memory(&context, heap.as_ptr().cast(), None) };
    assert!(matches!(viewed, Err(Error::NotUsm { .. })), "{viewed:?}");
}

#[test]
fn freed_memory_is_no_longer_classified() {
    let (context, _) = kit::context();
    let m = UsmHost::new(&context, 64).unwrap();
    let p = m.as_ptr();
    drop(m);
    assert!(matches!(context.classify(p), Err(Error::NotUsm { .. })));
}
