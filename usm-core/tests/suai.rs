//! The SYCL USM array interface through the real loader: produce a dict for each USM kind,
//! hand it over as JSON, and consume it into a view of exactly the touched bytes.

use usm_test_kit::usm as kit;

use usm_core::suai::{context_id, Access, ArrayLayout, SuaiDict, SyclObj, TypeStr};
use usm_core::{Device, Queue, UsmDevice, UsmKind, UsmMemory, UsmShared};
use usm_test_kit::usm::{alloc, counting, counting_of_kind, take, through_json, KINDS};

#[test]
fn bytes_of_every_kind_round_trip_through_json() {
    let (context, device) = kit::context();
    for kind in KINDS {
        let memory = alloc(&context, &device, kind, 100);
        let dict = SuaiDict::of_memory(memory.as_ref()).unwrap();
        assert_eq!(dict.pointer(), memory.as_ptr() as usize);
        assert!(!dict.read_only());
        assert_eq!(dict.layout(), &ArrayLayout::bytes(100));
        let json = dict.to_json();
        let head = format!(
            r#"{{"data":[{},false],"shape":[100],"strides":null,"typestr":"|u1","version":1,"#,
            memory.as_ptr() as usize
        );
        assert!(
            json.starts_with(&(head + r#""offset":0,"syclobj":{"#)),
            "{json}"
        );
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
    let (context, device) = kit::context();
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
    let (context, device) = kit::context();
    let memory = counting(&context, &device, 64);
    let dict = through_json(&SuaiDict::of_memory(&memory).unwrap());
    let array = take(&dict, &context, Some(UsmKind::Shared)).unwrap();
    assert_eq!(array.as_view().as_slice().unwrap(), memory.as_slice());
}

#[test]
fn negative_strides_view_exactly_the_touched_bytes() {
    let (context, device) = kit::context();
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

#[test]
fn consumed_arrays_of_every_kind_copy_exactly_their_bytes() {
    let (context, device) = kit::context();
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
    let (context, device) = kit::context();
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
    let (context, device) = kit::context();
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
    let (context, device) = kit::context();
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
    let (context, device) = kit::context();
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
    let (context, device) = kit::context();
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
    let (context, device) = kit::context();
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
    let (context, device) = kit::context();
    let memory = counting(&context, &device, 64);
    let name = SyclObj::new(&context, Some(&device));
    let layout = ArrayLayout::of::<u32>(vec![2]).with_offset(-2);
    let dict = SuaiDict::new(memory.as_ptr() as usize + 32, false, layout, name).unwrap();
    let array = take(&through_json(&dict), &context, None).unwrap();
    assert_eq!((array.as_view().offset(), array.len()), (24, 8));
}

#[test]
fn writable_arrays_of_every_kind_take_copies_into_exactly_their_bytes() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    for kind in KINDS {
        let memory = counting_of_kind(&queue, &context, &device, kind, 20);
        let layout = ArrayLayout::new(TypeStr::BYTES, vec![2, 2])
            .with_strides(vec![10, -2])
            .with_offset(9);
        let dict = SuaiDict::describe(memory.as_ref(), layout, Access::ReadWrite).unwrap();
        // SAFETY: `memory` outlives the view and nothing else touches it meanwhile.
        let mut array = unsafe { through_json(&dict).consume_mut(Some(kind)) }.unwrap();
        assert_eq!((array.as_view().offset(), array.len()), (7, 13), "{kind}");
        queue.write_from_slice(&mut array, &[0xEE; 13]).unwrap();
        queue.fill(&mut array, 0, 2, &[0xAB]).unwrap();
        drop(array);
        let mut expected: Vec<u8> = (0..20).collect();
        expected[7..20].fill(0xEE);
        expected[7..9].fill(0xAB);
        assert_eq!(queue.to_vec(memory.as_ref()).unwrap(), expected, "{kind}");
    }
}

#[test]
fn writable_host_arrays_are_written_through_their_elements() {
    let (context, device) = kit::context();
    let mut memory = UsmShared::new(&context, &device, 4 * 6).unwrap();
    let layout = ArrayLayout::of::<u32>(vec![3, 2])
        .with_strides(vec![-2, 1])
        .with_offset(4);
    let dict = SuaiDict::describe(&memory, layout, Access::ReadWrite).unwrap();
    // SAFETY: `memory` outlives the view and nothing else touches it meanwhile.
    let mut array = unsafe { through_json(&dict).consume_mut_in(&context, None) }.unwrap();
    for i in 0..3 {
        for j in 0..2 {
            let at = array.byte_offset(&[i, j]).unwrap() / 4;
            array.as_mut_slice_of::<u32>().unwrap()[at] = (10 * i + j) as u32;
        }
    }
    drop(array);
    // Row 0 is the last pair in memory, row 2 the first.
    assert_eq!(
        memory.as_mut_slice_of::<u32>().unwrap(),
        &[20, 21, 10, 11, 0, 1]
    );
}
