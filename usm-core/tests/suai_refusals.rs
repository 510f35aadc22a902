//! The SYCL USM array interface through the real loader: every rule that refuses a dict
//! when it is described or consumed, and a property test that consumed views never leave
//! their allocation.

use usm_test_kit::usm as kit;

use proptest::prelude::*;
use usm_core::suai::{context_id, Access, ArrayLayout, SuaiDict, SuaiError, SyclObj};
use usm_core::{Context, Device, Error, UsmDevice, UsmHost, UsmKind, UsmMemory, UsmShared};
use usm_test_kit::usm::{alloc, take, through_json, KINDS};

#[test]
fn read_only_data_is_refused_for_writing() {
    let (context, device) = kit::context();
    let memory = UsmShared::new(&context, &device, 16).unwrap();
    let dict = SuaiDict::describe(&memory, ArrayLayout::bytes(16), Access::ReadOnly).unwrap();
    // SAFETY: refused before any view is made.
    let err = unsafe { dict.consume_mut_in(&context, None) }.unwrap_err();
    assert!(
        matches!(err, SuaiError::ReadOnly { addr } if addr == memory.as_ptr() as usize),
        "{err:?}"
    );
    // SAFETY: as above.
    let err = unsafe { dict.consume_mut(None) }.unwrap_err();
    assert!(matches!(err, SuaiError::ReadOnly { .. }), "{err:?}");
}

#[test]
fn writable_device_arrays_are_not_host_writable() {
    let (context, device) = kit::context();
    let memory = UsmDevice::new(&context, &device, 16).unwrap();
    let dict = SuaiDict::of_memory(&memory).unwrap();
    // SAFETY: `memory` outlives the view and nothing else touches it meanwhile.
    let mut array = unsafe { dict.consume_mut_in(&context, Some(UsmKind::Device)) }.unwrap();
    assert!(matches!(
        array.as_mut_slice(),
        Err(Error::NotHostAccessible {
            kind: UsmKind::Device
        })
    ));
}

#[test]
fn a_device_view_of_shared_memory_is_refused() {
    let (context, device) = kit::context();
    for (kind, wanted) in [
        (UsmKind::Shared, UsmKind::Device),
        (UsmKind::Device, UsmKind::Host),
        (UsmKind::Host, UsmKind::Shared),
    ] {
        let memory = alloc(&context, &device, kind, 32);
        let dict = SuaiDict::of_memory(memory.as_ref()).unwrap();
        let err = take(&dict, &context, Some(wanted)).unwrap_err();
        assert!(
            matches!(err, SuaiError::KindMismatch { expected, found } if expected == wanted && found == kind),
            "{err:?}"
        );
    }
}

#[test]
fn a_span_past_the_end_of_the_allocation_is_refused() {
    let (context, device) = kit::context();
    for kind in KINDS {
        let memory = alloc(&context, &device, kind, 64);
        let size = context.classify(memory.as_ptr()).unwrap().size;
        let name = SyclObj::new(&context, memory.device());
        let dict = SuaiDict::new(
            memory.as_ptr() as usize,
            false,
            ArrayLayout::bytes(size + 1),
            name,
        )
        .unwrap();
        let err = take(&dict, &context, None).unwrap_err();
        assert!(
            matches!(err, SuaiError::OutOfBounds { first: 0, last, size: s } if last == size as i128 && s == size),
            "{kind}: {err:?}"
        );
    }
}

#[test]
fn a_span_before_the_allocation_is_refused() {
    let (context, _device) = kit::context();
    let memory = UsmHost::new(&context, 64).unwrap();
    let name = SyclObj::new(&context, None);
    // Backwards over 4 elements from byte 2: bytes -1..=2.
    let layout = ArrayLayout::bytes(4).with_strides(vec![-1]).with_offset(2);
    let dict = SuaiDict::new(memory.as_ptr() as usize, false, layout, name.clone()).unwrap();
    let err = take(&dict, &context, None).unwrap_err();
    assert!(
        matches!(
            err,
            SuaiError::OutOfBounds {
                first: -1,
                last: 2,
                size: 64
            }
        ),
        "{err:?}"
    );
    let layout = ArrayLayout::bytes(4).with_offset(-1);
    let dict = SuaiDict::new(memory.as_ptr() as usize, false, layout, name).unwrap();
    assert!(matches!(
        take(&dict, &context, None),
        Err(SuaiError::OutOfBounds { first: -1, .. })
    ));
}

#[test]
fn a_span_reaching_into_a_neighbouring_allocation_is_refused() {
    let (context, device) = kit::context();
    let a = UsmShared::new(&context, &device, 64).unwrap();
    let b = UsmShared::new(&context, &device, 64).unwrap();
    let (low, high) = if (a.as_ptr() as usize) < (b.as_ptr() as usize) {
        (&a, &b)
    } else {
        (&b, &a)
    };
    let size = context.classify(low.as_ptr()).unwrap().size;
    // From the last byte of `low` to the first byte of `high`.
    let gap = high.as_ptr() as usize - low.as_ptr() as usize;
    let layout = ArrayLayout::bytes(2)
        .with_strides(vec![(gap - size + 1) as isize])
        .with_offset(size as isize - 1);
    let dict = SuaiDict::new(
        low.as_ptr() as usize,
        false,
        layout,
        SyclObj::new(&context, Some(&device)),
    )
    .unwrap();
    assert!(matches!(
        take(&dict, &context, None),
        Err(SuaiError::OutOfBounds { .. })
    ));
}

#[test]
fn a_pointer_that_is_not_usm_is_refused() {
    let (context, _device) = kit::context();
    let on_stack = [0u8; 16];
    for pointer in [on_stack.as_ptr() as usize, 0] {
        let dict = SuaiDict::new(
            pointer,
            false,
            ArrayLayout::bytes(16),
            SyclObj::new(&context, None),
        )
        .unwrap();
        let err = take(&dict, &context, None).unwrap_err();
        assert!(
            matches!(err, SuaiError::NotUsm { addr, context: c } if addr == pointer && c == context.raw() as usize),
            "{err:?}"
        );
    }
}

#[test]
fn memory_of_another_context_is_refused() {
    let (context, device) = kit::context();
    let (other, _) = kit::context();
    let memory = UsmShared::new(&other, &device, 32).unwrap();
    // The dict names `context`, but the pointer is `other`'s.
    let dict = SuaiDict::new(
        memory.as_ptr() as usize,
        false,
        ArrayLayout::bytes(32),
        SyclObj::new(&context, Some(&device)),
    )
    .unwrap();
    let err = take(&dict, &context, None).unwrap_err();
    assert!(
        matches!(err, SuaiError::ForeignContext { addr, context: c, other: o }
            if addr == memory.as_ptr() as usize && c == context.raw() as usize && o == other.raw() as usize),
        "{err:?}"
    );
}

#[test]
fn a_dict_naming_another_context_than_the_consumers_is_refused() {
    let (context, device) = kit::context();
    let (other, _) = kit::context();
    let memory = UsmShared::new(&context, &device, 32).unwrap();
    let dict = SuaiDict::of_memory(&memory).unwrap();
    let err = take(&dict, &other, None).unwrap_err();
    assert!(
        matches!(err, SuaiError::ContextMismatch { named, given }
            if named == context.raw() as usize && given == other.raw() as usize),
        "{err:?}"
    );
    // The right handle with another context's id is refused too.
    let mut name = dict.syclobj().clone();
    name.context_id = Some(context_id(&other));
    let forged = SuaiDict::new(dict.pointer(), false, dict.layout().clone(), name).unwrap();
    assert!(matches!(
        take(&forged, &context, None),
        Err(SuaiError::ContextMismatch { .. })
    ));
}

#[test]
fn a_dict_naming_a_device_outside_the_context_is_refused() {
    let (context, device) = kit::context();
    let memory = UsmShared::new(&context, &device, 32).unwrap();
    let mut name = SyclObj::new(&context, Some(&device));
    name.device_handle = Some(0x10);
    let dict = SuaiDict::new(
        memory.as_ptr() as usize,
        false,
        ArrayLayout::bytes(32),
        name,
    )
    .unwrap();
    let err = take(&dict, &context, None).unwrap_err();
    assert!(
        matches!(&err, SuaiError::Usm(e) if matches!(**e,
            usm_core::Error::DeviceNotInContext { device: 0x10, context: c } if c == context.raw() as usize)),
        "{err:?}"
    );
}

#[test]
fn syclobj_resolves_to_the_live_context_by_id_or_handle() {
    let (context, device) = kit::context();
    let name = SyclObj::new(&context, Some(&device));
    assert_eq!(name.context_id, Some(context_id(&context)));
    assert_eq!(name.resolve().unwrap(), context);
    let by_handle = SyclObj {
        context_id: None,
        ..name.clone()
    };
    assert_eq!(by_handle.resolve().unwrap(), context);
    let wrong_id = SyclObj {
        context_id: Some(name.context_id.unwrap() + 1_000_000),
        ..name
    };
    assert!(matches!(
        wrong_id.resolve(),
        Err(SuaiError::UnknownContext { .. })
    ));
}

#[test]
fn a_dict_naming_a_destroyed_context_does_not_resolve() {
    let (context, device) = kit::context();
    let dict = {
        let memory = UsmShared::new(&context, &device, 16).unwrap();
        SuaiDict::of_memory(&memory).unwrap()
    };
    drop(context);
    // SAFETY: refused before any view is made.
    let err = unsafe { dict.consume(None) }.unwrap_err();
    assert!(
        matches!(err, SuaiError::UnknownContext { id, .. } if id == dict.syclobj().context_id),
        "{err:?}"
    );
}

#[test]
fn describing_an_array_larger_than_the_memory_is_refused() {
    let (context, device) = kit::context();
    let memory = UsmShared::new(&context, &device, 16).unwrap();
    let err = SuaiDict::describe(&memory, ArrayLayout::of::<u32>(vec![5]), Access::ReadWrite)
        .unwrap_err();
    assert!(
        matches!(
            err,
            SuaiError::OutOfBounds {
                first: 0,
                last: 19,
                size: 16
            }
        ),
        "{err:?}"
    );
    let err = SuaiDict::describe(
        &memory,
        ArrayLayout::of::<u32>(vec![2]).with_offset(-1),
        Access::ReadWrite,
    )
    .unwrap_err();
    assert!(matches!(err, SuaiError::OutOfBounds { first: -4, .. }));
    let err = SuaiDict::describe(
        &memory,
        ArrayLayout::of::<u32>(vec![2]).with_strides(vec![1, 1]),
        Access::ReadWrite,
    )
    .unwrap_err();
    assert!(matches!(
        err,
        SuaiError::StridesLength {
            shape: 1,
            strides: 2
        }
    ));
}

#[test]
fn usm_errors_stay_typed_through_the_interface() {
    let err: SuaiError = Error::NoDevice { what: "GPU device" }.into();
    assert!(matches!(err, SuaiError::Usm(e) if matches!(*e, Error::NoDevice { .. })));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Whatever layout a dict gives, a consumed view never leaves the allocation, and
    /// every layout whose span is inside it is accepted with exactly that span.
    #[test]
    fn consumed_views_never_leave_the_allocation(
        start in 0usize..80,
        typestr in prop::sample::select(vec!["|u1", "<i2", "<f4", "<c16"]),
        shape in prop::collection::vec(0usize..5, 0..3),
        strides in prop::option::of(prop::collection::vec(-9isize..9, 2)),
        offset in -20isize..20,
    ) {
        let (context, device) = shared_fixture();
        let memory = UsmShared::new(&context, &device, 64).unwrap();
        let base = memory.as_ptr() as usize;
        let size = context.classify(memory.as_ptr()).unwrap().size;
        let layout = ArrayLayout {
            typestr: typestr.parse().unwrap(),
            strides: strides.map(|s| s[..shape.len()].to_vec()),
            shape,
            offset,
        };
        let span = layout.span().unwrap();
        let dict = SuaiDict::new(base + start, false, layout, SyclObj::new(&context, Some(&device))).unwrap();
        let first = start as i128 + span.start as i128;
        let inside = first >= 0 && first + span.len as i128 <= size as i128;
        match take(&through_json(&dict), &context, None) {
            Ok(array) => {
                prop_assert!(inside);
                prop_assert_eq!(array.as_ptr() as i128, base as i128 + first);
                prop_assert_eq!(array.len(), span.len);
                prop_assert!(array.as_ptr() as usize + array.len() <= base + size);
            }
            Err(SuaiError::OutOfBounds { .. }) => prop_assert!(!inside),
            // Past the allocation the pointer may hit nothing, or another test's memory.
            Err(SuaiError::NotUsm { .. } | SuaiError::ForeignContext { .. }) => {
                prop_assert!(start >= size)
            }
            Err(other) => prop_assert!(false, "unexpected {other:?}"),
        }
    }
}

static FIXTURE: std::sync::OnceLock<(Context, Device)> = std::sync::OnceLock::new();

/// One context for every property case (making one per case would be slow).
fn shared_fixture() -> (Context, Device) {
    FIXTURE.get_or_init(kit::context).clone()
}
