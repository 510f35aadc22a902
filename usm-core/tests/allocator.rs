//! The USM allocator: `allocator_api2` collections in host and shared USM, freed through
//! the allocator, counted and recorded by the context, zero-sized requests and alignments.

use usm_test_kit::usm as kit;

use usm_core::allocator_api2::alloc::{Allocator, Layout};
use usm_core::allocator_api2::boxed::Box as UsmBox;
use usm_core::allocator_api2::vec::Vec as UsmVec;
use usm_core::{Error, Queue, UsmAllocator, UsmDevice, UsmKind};

#[test]
fn a_vector_lives_in_shared_memory_and_is_freed_through_the_allocator() {
    let (context, device) = kit::context();
    let shared = UsmAllocator::shared(&context, &device).unwrap();
    assert_eq!(shared.kind(), UsmKind::Shared);
    let mut v: UsmVec<u64, _> = UsmVec::new_in(shared.clone());
    assert_eq!(
        context.stats().live_count(),
        0,
        "an empty vector allocates nothing"
    );
    for i in 0..1000 {
        v.push(i * 3);
    }
    let info = context.classify(v.as_ptr().cast()).unwrap();
    assert_eq!(info.kind, UsmKind::Shared);
    assert_eq!(info.offset, 0);
    // Growth freed the smaller blocks: one block remains, the vector's.
    assert_eq!(shared.live_blocks(), 1);
    assert_eq!(context.stats().live_count(), 1);
    let record = &context.live_allocations()[0];
    assert_eq!(record.addr, v.as_ptr() as usize);
    assert!(record.size >= 8000, "{record:?}");
    assert_eq!(v.iter().sum::<u64>(), 3 * 999 * 1000 / 2);
    drop(v);
    assert_eq!(shared.live_blocks(), 0);
    let stats = context.stats();
    assert_eq!(stats.live_count(), 0);
    assert!(stats.kind(UsmKind::Shared).total_frees >= 2, "{stats:?}");
}

#[test]
fn host_memory_from_the_allocator_is_a_copy_source_and_destination() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let host = UsmAllocator::host(&context);
    let mut v: UsmVec<u32, _> = UsmVec::with_capacity_in(256, host.clone());
    v.extend(0..256u32);
    assert_eq!(
        context.classify(v.as_ptr().cast()).unwrap().kind,
        UsmKind::Host
    );
    let mut on_device = UsmDevice::<u32>::alloc(&context, &device, 256).unwrap();
    queue.write_from_slice_of(&mut on_device, &v).unwrap();
    v.iter_mut().for_each(|x| *x = 0);
    queue.copy_to_host_of(&mut v, &on_device, 0).unwrap();
    assert!(v.iter().enumerate().all(|(i, &x)| x == i as u32));
    // Boxes too.
    let boxed = UsmBox::new_in([7u8; 100], host.clone());
    assert_eq!(
        context.classify(boxed.as_ptr().cast()).unwrap().kind,
        UsmKind::Host
    );
    assert_eq!(host.live_blocks(), 2);
    drop((v, boxed));
    assert_eq!(host.live_blocks(), 0);
    assert_eq!(context.stats().kind(UsmKind::Host).live_count, 0);
}

#[test]
fn zero_sized_requests_allocate_nothing_and_alignments_are_honoured() {
    let (context, device) = kit::context();
    let allocator = UsmAllocator::shared(&context, &device).unwrap();
    for align in [1, 8, 64, 4096, 1 << 16] {
        let empty = Layout::from_size_align(0, align).unwrap();
        let block = allocator.allocate(empty).unwrap();
        assert_eq!(block.len(), 0);
        assert_eq!(block.cast::<u8>().as_ptr() as usize % align, 0);
        // SAFETY: the block was just allocated with this layout.
        unsafe { allocator.deallocate(block.cast(), empty) };
        let layout = Layout::from_size_align(24, align).unwrap();
        let block = allocator.allocate(layout).unwrap();
        assert_eq!(block.len(), 24);
        let addr = block.cast::<u8>().as_ptr() as usize;
        assert_eq!(addr % align, 0, "alignment {align}");
        let record = context.live_allocations();
        assert_eq!(record.len(), 1);
        assert!(record[0].alignment >= align);
        // SAFETY: as above.
        unsafe { allocator.deallocate(block.cast(), layout) };
        assert_eq!(context.stats().live_count(), 0);
    }
    assert_eq!(allocator.live_blocks(), 0);
    let zeroed = allocator
        .allocate_zeroed(Layout::from_size_align(4096, 8).unwrap())
        .unwrap();
    // SAFETY: 4096 bytes just allocated, zeroed, host-accessible.
    let bytes = unsafe { zeroed.as_ref() };
    assert!(bytes.iter().all(|&b| b == 0));
    // SAFETY: allocated above with this layout.
    unsafe { allocator.deallocate(zeroed.cast(), Layout::from_size_align(4096, 8).unwrap()) };
}

#[test]
fn refusals_are_errors_not_aborts() {
    let (context, device) = kit::context();
    let allocator = UsmAllocator::host(&context);
    // More than the device can give: the allocator reports an error, the vector's
    // fallible reservation returns it.
    let mut v: UsmVec<u8, _> = UsmVec::new_in(allocator.clone());
    assert!(v.try_reserve(1 << 50).is_err());
    assert_eq!(context.stats().live_count(), 0);
    assert_eq!(allocator.live_blocks(), 0);
    // A block it does not own is not freed (and nothing crashes).
    let layout = Layout::from_size_align(16, 8).unwrap();
    let other = UsmAllocator::host(&context);
    let block = other.allocate(layout).unwrap();
    // SAFETY: deliberately the wrong allocator: it must refuse to free the block.
    unsafe { allocator.deallocate(block.cast(), layout) };
    assert_eq!(other.live_blocks(), 1);
    assert_eq!(context.stats().live_count(), 1);
    // SAFETY: the right allocator, the block's layout.
    unsafe { other.deallocate(block.cast(), layout) };
    assert_eq!(context.stats().live_count(), 0);
    // A device of another context.
    let (_other_context, other_device) = kit::context();
    let e = UsmAllocator::shared(&context, &other_device);
    if other_device.raw() != device.raw() {
        assert!(matches!(e, Err(Error::DeviceNotInContext { .. })), "{e:?}");
    } else {
        // Both contexts span the same device: it is in this context too.
        assert!(e.is_ok());
    }
}

#[test]
fn clones_share_their_blocks_and_the_last_one_frees_what_is_left() {
    let (context, device) = kit::context();
    let allocator = UsmAllocator::shared(&context, &device).unwrap();
    let layout = Layout::from_size_align(64, 64).unwrap();
    let block = allocator.allocate(layout).unwrap();
    let clone = allocator.clone();
    // SAFETY: allocated by a clone, freed by another: they share the record.
    unsafe { clone.deallocate(block.cast(), layout) };
    assert_eq!(allocator.live_blocks(), 0);
    let _kept = allocator.allocate(layout).unwrap();
    assert_eq!(context.stats().live_count(), 1);
    drop(allocator);
    assert_eq!(context.stats().live_count(), 1, "a clone is still alive");
    drop(clone);
    assert_eq!(context.stats().live_count(), 0);
}

#[test]
fn clones_allocate_and_free_from_many_threads() {
    let (context, device) = kit::context();
    let allocator = UsmAllocator::shared(&context, &device).unwrap();
    std::thread::scope(|t| {
        for seed in 0..4u32 {
            let allocator = allocator.clone();
            t.spawn(move || {
                for round in 0..50u32 {
                    let mut v: UsmVec<u32, _> = UsmVec::new_in(allocator.clone());
                    v.extend((0..(round * 7 + 1)).map(|i| i ^ seed));
                    assert!(v.iter().enumerate().all(|(i, &x)| x == i as u32 ^ seed));
                }
            });
        }
    });
    assert_eq!(allocator.live_blocks(), 0);
    assert_eq!(context.stats().live_count(), 0);
}
