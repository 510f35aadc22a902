//! Typed memory of the three kinds: element counts, alignment, zeroed and uploaded
//! allocation, download and upload, host slices of host-accessible kinds, derived element
//! types through the re-exported bytemuck, and the refusals of bad sizes.

use usm_test_kit::usm as kit;

use usm_core::suai::SuaiDict;
use usm_core::{
    AllocOptions, AllocationFailure, ElementType, Error, Queue, TransferError, UsmDevice, UsmHost,
    UsmKind, UsmMemory, UsmShared,
};

/// A user's element type, derived through the re-export only.
#[derive(Debug, Clone, Copy, PartialEq, usm_core::bytemuck::Pod, usm_core::bytemuck::Zeroable)]
#[bytemuck(crate = "usm_core::bytemuck")]
#[repr(C)]
struct Particle {
    position: [f32; 3],
    id: u32,
}

fn particles(n: u32) -> Vec<Particle> {
    (0..n)
        .map(|i| Particle {
            position: [i as f32, -(i as f32), 0.5],
            id: i * 7 + 1,
        })
        .collect()
}

#[test]
fn device_memory_of_a_derived_type_uploads_and_downloads() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let data = particles(100);
    let memory = UsmDevice::from_slice(&queue, &data).unwrap();
    assert_eq!(memory.len(), 100);
    assert_eq!(UsmMemory::len(&memory), 100 * 16);
    assert_eq!(memory.elements(), 100);
    assert_eq!(
        memory.as_ptr() as usize % std::mem::align_of::<Particle>(),
        0
    );
    assert_eq!(memory.download(&queue).unwrap(), data);
    assert_eq!(
        context.classify(memory.as_ptr()).unwrap().kind,
        UsmKind::Device
    );
}

#[test]
fn alloc_zeroed_is_zero_on_every_kind() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    // Dirty memory freed first, so that fresh zeroed pages are not what is checked by
    // luck (a driver may hand the same addresses out again).
    for _ in 0..4 {
        let mut dirty = UsmDevice::<u64>::alloc(&context, &device, 64).unwrap();
        queue
            .fill_with(&mut dirty, 0, 512, 0xdead_beef_u32)
            .unwrap();
        let mut dirty_host = UsmHost::<u64>::alloc(&context, 64).unwrap();
        dirty_host.fill(u64::MAX);
    }
    let d = UsmDevice::<u64>::alloc_zeroed(&queue, 64).unwrap();
    let s = UsmShared::<u64>::alloc_zeroed(&context, &device, 64).unwrap();
    let h = UsmHost::<u64>::alloc_zeroed(&context, 64).unwrap();
    assert_eq!(d.download(&queue).unwrap(), vec![0u64; 64]);
    assert_eq!(&s[..], &[0u64; 64][..]);
    assert_eq!(h.iter().copied().max(), Some(0));
    assert_eq!(h.download(&queue).unwrap(), vec![0u64; 64]);
}

#[test]
fn host_accessible_kinds_deref_to_their_elements() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let mut shared = UsmShared::from_slice(&context, &device, &[1.5f32, 2.5, 3.5]).unwrap();
    shared[1] *= 2.0;
    assert_eq!(&shared[..], &[1.5, 5.0, 3.5]);
    assert_eq!(shared.download(&queue).unwrap(), [1.5, 5.0, 3.5]);
    let mut host = UsmHost::<i16>::alloc(&context, 4).unwrap();
    host.copy_from_slice(&[-1, 2, -3, 4]);
    assert_eq!(host.iter().map(|&x| x as i32).sum::<i32>(), 2);
    // Uploaded through the queue, read on the host.
    host.upload(&queue, &[9, 8, 7, 6]).unwrap();
    assert_eq!(&host[..], &[9, 8, 7, 6]);
    // Reinterpreted as bytes.
    assert_eq!(host.as_slice_of::<u8>().unwrap().len(), 8);
}

#[test]
fn the_byte_api_is_the_u8_case() {
    let (context, device) = kit::context();
    let mut shared = UsmShared::new(&context, &device, 16).unwrap();
    let bytes: &mut [u8] = shared.as_mut_slice();
    bytes.fill(3);
    assert_eq!((shared.len(), UsmMemory::len(&shared)), (16, 16));
    let device_bytes: UsmDevice = UsmDevice::new(&context, &device, 16).unwrap();
    assert_eq!(device_bytes.len(), 16);
    assert_eq!(shared.as_slice_of::<u32>().unwrap(), &[0x0303_0303; 4]);
}

#[test]
fn typed_alignment_is_at_least_the_types() {
    #[derive(Clone, Copy, usm_core::bytemuck::Pod, usm_core::bytemuck::Zeroable)]
    #[bytemuck(crate = "usm_core::bytemuck")]
    #[repr(C, align(256))]
    struct Wide([u8; 256]);
    let (context, device) = kit::context();
    let options = AllocOptions::new().alignment(8);
    let d = UsmDevice::<Wide>::alloc_with_options(&context, &device, 3, &options).unwrap();
    let h = UsmHost::<Wide>::alloc_with_options(&context, 3, &options).unwrap();
    for (ptr, alignment) in [(d.as_ptr(), d.alignment()), (h.as_ptr(), h.alignment())] {
        assert_eq!(ptr as usize % 256, 0);
        assert_eq!(alignment, 256);
    }
    let records = context.live_allocations();
    assert_eq!(records.len(), 2);
    assert!(
        records.iter().all(|r| r.alignment == 256 && r.size == 768),
        "{records:?}"
    );
}

fn allocation_reason(e: Error) -> (AllocationFailure, usize) {
    match e {
        Error::Allocation(a) => (a.reason, a.size),
        other => panic!("not an allocation error: {other:?}"),
    }
}

#[test]
fn bad_element_counts_are_refused_before_the_driver() {
    let (context, device) = kit::context();
    let zero = UsmDevice::<u32>::alloc(&context, &device, 0).unwrap_err();
    assert_eq!(allocation_reason(zero), (AllocationFailure::ZeroSize, 0));
    let unit = UsmHost::<()>::alloc(&context, 1000).unwrap_err();
    assert_eq!(allocation_reason(unit), (AllocationFailure::ZeroSize, 0));
    let overflow = UsmShared::<u64>::alloc(&context, &device, usize::MAX / 4).unwrap_err();
    assert_eq!(
        allocation_reason(overflow),
        (AllocationFailure::LargerThanAddressSpace, usize::MAX)
    );
    let huge = UsmHost::<u64>::alloc(&context, usize::MAX / 8).unwrap_err();
    assert_eq!(
        allocation_reason(huge),
        (
            AllocationFailure::LargerThanAddressSpace,
            usize::MAX / 8 * 8
        )
    );
    let empty: &[f64] = &[];
    let queue = Queue::new(&context, &device).unwrap();
    let from_empty = UsmDevice::from_slice(&queue, empty).unwrap_err();
    assert_eq!(allocation_reason(from_empty).0, AllocationFailure::ZeroSize);
    assert_eq!(context.stats().live_count(), 0);
}

#[test]
fn uploads_of_another_length_are_refused_and_change_nothing() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let mut memory = UsmDevice::from_slice(&queue, &[1u32, 2, 3]).unwrap();
    let e = memory.upload(&queue, &[1, 2]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Transfer(TransferError::SizeMismatch {
                dst_len: 12,
                src_len: 8
            })
        ),
        "{e:?}"
    );
    assert_eq!(memory.download(&queue).unwrap(), [1, 2, 3]);
}

#[test]
fn typed_allocations_are_counted_and_recorded() {
    let (context, device) = kit::context();
    let a = UsmDevice::<f64>::alloc(&context, &device, 10).unwrap();
    let b = UsmShared::<u16>::alloc(&context, &device, 3).unwrap();
    let stats = context.stats();
    assert_eq!(stats.kind(UsmKind::Device).live_bytes, 80);
    assert_eq!(stats.kind(UsmKind::Shared).live_bytes, 6);
    drop((a, b));
    assert_eq!(context.stats().live_count(), 0);
}

#[test]
fn typed_memory_describes_itself_with_its_typestr() {
    let (context, device) = kit::context();
    let memory = UsmShared::<i32>::alloc_zeroed(&context, &device, 6).unwrap();
    let dict = SuaiDict::of_elements(&memory).unwrap();
    assert_eq!(dict.layout().shape, [6]);
    let typestr = dict.layout().typestr.to_string();
    assert!(typestr == "<i4" || typestr == ">i4", "{typestr}");
    let bytes = SuaiDict::of_memory(&memory).unwrap();
    assert_eq!(bytes.layout().shape, [24]);
    let tail = memory.slice(2..).unwrap();
    let view_dict = SuaiDict::of_elements(&tail).unwrap();
    assert_eq!(view_dict.layout().shape, [4]);
    assert_eq!(view_dict.pointer(), memory.as_ptr() as usize + 8);
}

#[test]
fn bytes_that_are_not_whole_elements_are_refused_as_typed_views() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let bytes = UsmShared::from_slice(&context, &device, &[1u8, 2, 3, 4, 5, 6, 7]).unwrap();
    let e = queue.to_vec_of::<u32, _>(&bytes).unwrap_err();
    assert!(
        matches!(
            e,
            Error::TypedView {
                type_name: "u32",
                len: 7,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(matches!(
        bytes.as_slice_of::<u16>(),
        Err(Error::TypedView { len: 7, .. })
    ));
    // A misaligned sub-range of the bytes, reinterpreted: refused, not read.
    let odd = bytes.slice(1..5).unwrap();
    assert!(matches!(
        odd.as_slice_of::<u32>(),
        Err(Error::TypedView { len: 4, .. })
    ));
    assert_eq!(odd.as_slice().unwrap(), &[2, 3, 4, 5]);
}
