//! The SYCL USM array interface through the real loader: produce a dict for each USM kind,
//! hand it over as JSON, consume it into a view of exactly the touched bytes, and every
//! rule that refuses a dict at consumption.

mod support;

use proptest::prelude::*;
use usm_core::suai::{
    context_id, Access, ArrayLayout, SuaiDict, SuaiError, SuaiView, SyclObj, TypeStr,
};
use usm_core::{
    Context, Device, Error, Queue, UsmDestination, UsmDevice, UsmHost, UsmKind, UsmMemory,
    UsmShared,
};

const KINDS: [UsmKind; 3] = [UsmKind::Device, UsmKind::Shared, UsmKind::Host];

fn alloc(context: &Context, device: &Device, kind: UsmKind, n: usize) -> Box<dyn UsmMemory> {
    match kind {
        UsmKind::Device => Box::new(UsmDevice::new(context, device, n).unwrap()),
        UsmKind::Shared => Box::new(UsmShared::new(context, device, n).unwrap()),
        UsmKind::Host => Box::new(UsmHost::new(context, n).unwrap()),
    }
}

/// Shared memory holding the bytes 0, 1, 2, ...
fn counting(context: &Context, device: &Device, n: usize) -> UsmShared {
    let mut memory = UsmShared::new(context, device, n).unwrap();
    for (i, b) in memory.as_mut_slice().iter_mut().enumerate() {
        *b = i as u8;
    }
    memory
}

/// Takes the dict through its JSON text, as another library would receive it.
fn through_json(dict: &SuaiDict) -> SuaiDict {
    SuaiDict::from_json(&dict.to_json()).unwrap()
}

/// Consumes `dict` in `context` (the memory outlives every view in these tests).
fn take<'a>(
    dict: &SuaiDict,
    context: &Context,
    kind: Option<UsmKind>,
) -> Result<SuaiView<'a>, SuaiError> {
    // SAFETY: each test keeps the memory alive and unwritten while it uses the view.
    unsafe { dict.consume_in(context, kind) }
}

#[test]
fn bytes_of_every_kind_round_trip_through_json() {
    let (context, device) = support::context();
    for kind in KINDS {
        let memory = alloc(&context, &device, kind, 100);
        let dict = SuaiDict::of_memory(memory.as_ref()).unwrap();
        assert_eq!(dict.pointer(), memory.as_ptr() as usize);
        assert!(!dict.read_only());
        assert_eq!(dict.layout(), &ArrayLayout::bytes(100));
        let json = dict.to_json();
        assert!(json.starts_with(&format!("{{\"data\":[{},false],\"shape\":[100],\"strides\":null,\"typestr\":\"|u1\",\"version\":1,\"offset\":0,", memory.as_ptr() as usize)), "{json}");
        // SAFETY: `memory` outlives the view and is not written meanwhile.
        let array = unsafe { through_json(&dict).consume(Some(kind)) }.unwrap();
        assert_eq!(array.as_ptr(), memory.as_ptr(), "{kind}");
        assert_eq!(array.len(), 100);
        assert_eq!(array.kind(), kind);
        assert_eq!(array.context(), &context);
        assert_eq!(array.as_view().offset(), 0);
        assert!(!array.read_only());
        let named = array.named_device().map(Device::raw);
        match kind {
            UsmKind::Host => assert_eq!(named, None),
            _ => assert_eq!(named, Some(device.raw())),
        }
        assert_eq!(array.to_dict().unwrap(), dict);
    }
}

#[test]
fn the_documented_example_works() {
    let (context, device) = support::context();
    let mut memory = UsmShared::new(&context, &device, 24).unwrap();
    memory
        .as_mut_slice_of::<f32>()
        .unwrap()
        .copy_from_slice(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    let bytes = SuaiDict::of_memory(&memory).unwrap();
    assert_eq!(bytes.layout().shape, [24]);
    let layout = ArrayLayout::of::<f32>(vec![2, 3])
        .with_strides(vec![-3, 1])
        .with_offset(3);
    let dict = SuaiDict::describe(&memory, layout, Access::ReadOnly).unwrap();
    let json = dict.to_json();
    assert_eq!(
        json,
        format!(
            "{{\"data\":[{},true],\"shape\":[2,3],\"strides\":[-3,1],\"typestr\":\"{}\",\
             \"version\":1,\"offset\":3,\"syclobj\":{{\"context_id\":{},\"context_handle\":{},\
             \"device_handle\":{}}}}}",
            memory.as_ptr() as usize,
            TypeStr::of::<f32>(),
            context_id(&context),
            context.raw() as usize,
            device.raw() as usize
        )
    );
    let received = SuaiDict::from_json(&json).unwrap();
    // SAFETY: `memory` outlives the view and is not written while the view is used.
    let array = unsafe { received.consume(Some(UsmKind::Shared)) }.unwrap();
    assert_eq!((array.as_view().offset(), array.len()), (0, 24));
    let at = array.byte_offset(&[0, 2]).unwrap();
    assert_eq!(
        &array.as_view().as_slice().unwrap()[at..at + 4],
        &5.0f32.to_ne_bytes()
    );
}

#[test]
fn consumed_bytes_are_the_producers_bytes() {
    let (context, device) = support::context();
    let memory = counting(&context, &device, 64);
    let dict = through_json(&SuaiDict::of_memory(&memory).unwrap());
    let array = take(&dict, &context, Some(UsmKind::Shared)).unwrap();
    assert_eq!(array.as_view().as_slice().unwrap(), memory.as_slice());
}

#[test]
fn negative_strides_view_exactly_the_touched_bytes() {
    let (context, device) = support::context();
    for kind in KINDS {
        let memory = alloc(&context, &device, kind, 20);
        let layout = ArrayLayout::new(TypeStr::BYTES, vec![2, 2])
            .with_strides(vec![10, -2])
            .with_offset(9);
        let dict = SuaiDict::describe(memory.as_ref(), layout, Access::ReadWrite).unwrap();
        let array = take(&through_json(&dict), &context, Some(kind)).unwrap();
        // Bytes 7..=19 of the 20.
        assert_eq!(array.as_view().offset(), 7, "{kind}");
        assert_eq!(array.len(), 13);
        assert_eq!(array.as_ptr() as usize, memory.as_ptr() as usize + 7);
        assert_eq!(array.layout().strides.as_deref(), Some(&[10, -2][..]));
        assert_eq!(array.layout().offset, 2);
        // Elements [0][0], [0][1], [1][0], [1][1] sit at bytes 9, 7, 19, 17 of the memory.
        let at = |i: &[usize]| array.byte_offset(i).unwrap() + 7;
        assert_eq!(
            [at(&[0, 0]), at(&[0, 1]), at(&[1, 0]), at(&[1, 1])],
            [9, 7, 19, 17]
        );
        assert_eq!(array.byte_offset(&[2, 0]), None);
    }
}

/// `n` bytes of `kind` holding 0, 1, 2, ..., written by a copy.
fn counting_of_kind(
    queue: &Queue,
    context: &Context,
    device: &Device,
    kind: UsmKind,
    n: usize,
) -> Box<dyn UsmDestination> {
    let mut memory: Box<dyn UsmDestination> = match kind {
        UsmKind::Device => Box::new(UsmDevice::new(context, device, n).unwrap()),
        UsmKind::Shared => Box::new(UsmShared::new(context, device, n).unwrap()),
        UsmKind::Host => Box::new(UsmHost::new(context, n).unwrap()),
    };
    let bytes: Vec<u8> = (0..n as u8).collect();
    queue.write_from_slice(memory.as_mut(), &bytes).unwrap();
    memory
}

#[test]
fn consumed_arrays_of_every_kind_copy_exactly_their_bytes() {
    let (context, device) = support::context();
    let queue = Queue::new(&context, &device).unwrap();
    for kind in KINDS {
        let memory = counting_of_kind(&queue, &context, &device, kind, 20);
        let layout = ArrayLayout::new(TypeStr::BYTES, vec![2, 2])
            .with_strides(vec![10, -2])
            .with_offset(9);
        let dict = SuaiDict::describe(memory.as_ref(), layout, Access::ReadOnly).unwrap();
        let array = take(&through_json(&dict), &context, Some(kind)).unwrap();
        let copied = queue.to_vec(&array).unwrap();
        assert_eq!(copied, (7..20).collect::<Vec<u8>>(), "{kind}");
        let element = |i: &[usize]| copied[array.byte_offset(i).unwrap()];
        assert_eq!(
            [
                element(&[0, 0]),
                element(&[0, 1]),
                element(&[1, 0]),
                element(&[1, 1])
            ],
            [9, 7, 19, 17]
        );
        // The view serves as the source of a device copy, too.
        let mut target = UsmDevice::new(&context, &device, 13).unwrap();
        queue.copy_all(&mut target, &array).unwrap();
        assert_eq!(queue.to_vec(&target).unwrap(), copied);
    }
}

#[test]
fn a_dict_naming_a_queue_gives_a_queue_on_its_device() {
    let (context, device) = support::context();
    let queue = Queue::new(&context, &device).unwrap();
    let host = counting_of_kind(&queue, &context, &device, UsmKind::Host, 8);
    // Host memory is bound to no device; naming the queue names one.
    let plain = SuaiDict::of_memory(host.as_ref()).unwrap();
    assert_eq!(plain.syclobj().device_handle, None);
    let dict = plain.with_syclobj(SyclObj::of_queue(&queue));
    assert_eq!(dict.syclobj().device_handle, Some(device.raw() as usize));
    let array = take(&through_json(&dict), &context, Some(UsmKind::Host)).unwrap();
    assert_eq!(array.named_device(), Some(&device));
    let on = array.queue().unwrap();
    assert_eq!(on.device(), &device);
    assert_eq!(on.context(), &context);
    assert_eq!(on.to_vec(&array).unwrap(), (0..8).collect::<Vec<u8>>());
}

#[test]
fn negative_strides_read_the_right_host_elements() {
    let (context, device) = support::context();
    let memory = counting(&context, &device, 20);
    let layout = ArrayLayout::new(TypeStr::BYTES, vec![2, 2])
        .with_strides(vec![10, -2])
        .with_offset(9);
    let dict = SuaiDict::describe(&memory, layout, Access::ReadOnly).unwrap();
    let array = take(&through_json(&dict), &context, None).unwrap();
    let bytes = array.as_view().as_slice().unwrap();
    assert_eq!(bytes, &memory.as_slice()[7..20]);
    let element = |i: &[usize]| bytes[array.byte_offset(i).unwrap()];
    assert_eq!(
        [
            element(&[0, 0]),
            element(&[0, 1]),
            element(&[1, 0]),
            element(&[1, 1])
        ],
        [9, 7, 19, 17]
    );
    assert!(array.read_only());
}

#[test]
fn typed_n_d_arrays_of_every_kind_round_trip() {
    let (context, device) = support::context();
    for kind in KINDS {
        let memory = alloc(&context, &device, kind, 4 * 24);
        // 2x3x2 f32 with an offset of 6 elements: elements 6..18.
        let layout = ArrayLayout::of::<f32>(vec![2, 3, 2]).with_offset(6);
        let dict = SuaiDict::describe(memory.as_ref(), layout.clone(), Access::ReadWrite).unwrap();
        assert_eq!(dict.layout(), &layout);
        let array = take(&through_json(&dict), &context, Some(kind)).unwrap();
        assert_eq!(array.as_view().offset(), 24, "{kind}");
        assert_eq!(array.len(), 48);
        assert_eq!(array.layout().strides, None);
        assert_eq!(array.layout().strides_or_contiguous().unwrap(), [6, 2, 1]);
        assert_eq!(array.layout().offset, 0);
        assert_eq!(array.layout().typestr, TypeStr::of::<f32>());
        assert_eq!(array.byte_offset(&[1, 2, 1]), Some(44));
    }
}

#[test]
fn typed_host_elements_read_back_in_order() {
    let (context, device) = support::context();
    let mut memory = UsmShared::new(&context, &device, 8 * 6).unwrap();
    memory
        .as_mut_slice_of::<f64>()
        .unwrap()
        .copy_from_slice(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    // Column-major 2x3 view, its columns reversed.
    let layout = ArrayLayout::of::<f64>(vec![2, 3])
        .with_strides(vec![1, -2])
        .with_offset(4);
    let dict = SuaiDict::describe(&memory, layout, Access::ReadOnly).unwrap();
    let array = take(&through_json(&dict), &context, Some(UsmKind::Shared)).unwrap();
    let values = array.as_view().as_slice_of::<f64>().unwrap();
    let at = |i: &[usize]| values[array.byte_offset(i).unwrap() / 8];
    assert_eq!(
        [
            at(&[0, 0]),
            at(&[1, 0]),
            at(&[0, 1]),
            at(&[1, 1]),
            at(&[0, 2]),
            at(&[1, 2])
        ],
        [4.0, 5.0, 2.0, 3.0, 0.0, 1.0]
    );
}

#[test]
fn views_are_described_read_only_at_their_offset() {
    let (context, device) = support::context();
    for kind in KINDS {
        let memory = alloc(&context, &device, kind, 64);
        let part = memory.view(16, 32).unwrap();
        let dict = SuaiDict::of_view(&part).unwrap();
        assert!(dict.read_only());
        assert_eq!(dict.pointer(), memory.as_ptr() as usize + 16);
        let array = take(&through_json(&dict), &context, Some(kind)).unwrap();
        assert!(array.read_only());
        assert_eq!((array.as_view().offset(), array.len()), (16, 32), "{kind}");
        // The consumed array is memory like any other: it can be viewed again.
        let inner = array.view(8, 8).unwrap();
        assert_eq!(inner.as_ptr() as usize, memory.as_ptr() as usize + 24);
    }
}

#[test]
fn a_positive_offset_from_an_interior_pointer_is_counted_from_the_pointer() {
    let (context, device) = support::context();
    let memory = counting(&context, &device, 64);
    let name = SyclObj::new(&context, Some(&device));
    let layout = ArrayLayout::of::<u16>(vec![4]).with_offset(3);
    let dict = SuaiDict::new(memory.as_ptr() as usize + 10, false, layout, name).unwrap();
    let array = take(&through_json(&dict), &context, None).unwrap();
    assert_eq!((array.as_view().offset(), array.len()), (16, 8));
    assert_eq!(
        array.as_view().as_slice().unwrap(),
        &memory.as_slice()[16..24]
    );
}

#[test]
fn a_negative_offset_inside_the_allocation_is_accepted() {
    let (context, device) = support::context();
    let memory = counting(&context, &device, 64);
    let name = SyclObj::new(&context, Some(&device));
    let layout = ArrayLayout::of::<u32>(vec![2]).with_offset(-2);
    let dict = SuaiDict::new(memory.as_ptr() as usize + 32, false, layout, name).unwrap();
    let array = take(&through_json(&dict), &context, None).unwrap();
    assert_eq!((array.as_view().offset(), array.len()), (24, 8));
}

#[test]
fn a_device_view_of_shared_memory_is_refused() {
    let (context, device) = support::context();
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
    let (context, device) = support::context();
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
    let (context, _device) = support::context();
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
    let (context, device) = support::context();
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
    let (context, _device) = support::context();
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
    let (context, device) = support::context();
    let (other, _) = support::context();
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
    let (context, device) = support::context();
    let (other, _) = support::context();
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
    let (context, device) = support::context();
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
        matches!(err, SuaiError::DeviceNotInContext { handle: 0x10, context: c } if c == context.raw() as usize),
        "{err:?}"
    );
}

#[test]
fn syclobj_resolves_to_the_live_context_by_id_or_handle() {
    let (context, device) = support::context();
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
    let (context, device) = support::context();
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
    let (context, device) = support::context();
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
    FIXTURE.get_or_init(support::context).clone()
}
