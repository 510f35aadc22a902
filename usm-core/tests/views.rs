//! Typed views: bounds checked once at creation, views as sources and destinations of
//! every copy, fill and region copy, in scopes (non-overlapping mutable views in flight
//! at the same time) and, as owned ranges, in pending work; refusals of bad ranges and of
//! views of other contexts.

use usm_test_kit::gate;
use usm_test_kit::usm as kit;

use std::time::{Duration, Instant};

use usm_core::{
    scope, Engine, Error, Extent, Mode, Queue, Region, TransferError, UsmDevice, UsmHost,
    UsmMemory, UsmShared, UsmView,
};
use usm_test_kit::usm::queue;

fn range_error(e: Error) -> (usize, usize, usize) {
    match e {
        Error::ElementRange {
            start,
            end,
            len,
            type_name,
        } => {
            assert_eq!(type_name, "u32");
            (start, end, len)
        }
        other => panic!("not a range error: {other:?}"),
    }
}

#[test]
fn ranges_are_checked_when_the_view_is_made() {
    let (context, device) = kit::context();
    let mut memory = UsmDevice::<u32>::alloc(&context, &device, 10).unwrap();
    let view = memory.slice(2..5).unwrap();
    assert_eq!(
        (view.len(), UsmMemory::len(&view), view.offset()),
        (3, 12, 8)
    );
    assert_eq!(view.base(), memory.as_ptr());
    assert_eq!(view.allocation_len(), 40);
    assert_eq!(memory.slice(..).unwrap().len(), 10);
    assert_eq!(memory.slice(..=9).unwrap().len(), 10);
    assert_eq!(memory.slice(10..).unwrap().len(), 0);
    assert_eq!(range_error(memory.slice(5..11).unwrap_err()), (5, 11, 10));
    let (start, end) = (6, 2);
    assert_eq!(
        range_error(memory.slice(start..end).unwrap_err()),
        (6, 2, 10)
    );
    assert_eq!(
        range_error(memory.slice(..=usize::MAX).unwrap_err()),
        (0, usize::MAX, 10)
    );
    assert_eq!(
        range_error(memory.slice(usize::MAX - 1..).unwrap_err()),
        (usize::MAX - 1, 10, 10)
    );
    assert_eq!(range_error(memory.split_at(11).unwrap_err()), (11, 11, 10));
    assert_eq!(
        range_error(memory.slice_mut(0..usize::MAX).unwrap_err()),
        (0, usize::MAX, 10)
    );
    // Views of views are checked against the view, not the allocation.
    let mut outer = memory.slice_mut(4..8).unwrap();
    assert_eq!(range_error(outer.slice_mut(0..5).unwrap_err()), (0, 5, 4));
    let inner = outer.slice(1..3).unwrap();
    assert_eq!((inner.offset(), inner.len()), (20, 2));
    let (a, b) = outer.split_at_mut(1).unwrap();
    assert_eq!((a.offset(), a.len(), b.offset(), b.len()), (16, 1, 20, 3));
}

#[test]
fn views_are_sources_and_destinations_of_copies_and_fills() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let src = UsmDevice::from_slice(&queue, &[10u32, 11, 12, 13, 14, 15]).unwrap();
    let mut dst = UsmDevice::<u32>::alloc_zeroed(&queue, 8).unwrap();
    queue
        .copy_all(&mut dst.slice_mut(2..5).unwrap(), &src.slice(3..).unwrap())
        .unwrap();
    assert_eq!(dst.download(&queue).unwrap(), [0, 0, 13, 14, 15, 0, 0, 0]);
    queue
        .fill_with(&mut dst.slice_mut(6..).unwrap(), 0, 8, 7u32)
        .unwrap();
    queue
        .copy_from_host_of(&mut dst.slice_mut(..2).unwrap(), 0, &[1u32, 2])
        .unwrap();
    assert_eq!(dst.download(&queue).unwrap(), [1, 2, 13, 14, 15, 0, 7, 7]);
    let part: Vec<u32> = queue.to_vec_of(&dst.slice(1..4).unwrap()).unwrap();
    assert_eq!(part, [2, 13, 14]);
    // Byte offsets inside a view count from the view.
    let mut out = [0u32; 2];
    queue
        .copy_to_host_of(&mut out, &dst.slice(4..).unwrap(), 8)
        .unwrap();
    assert_eq!(out, [7, 7]);
    // Out of the view's bounds, though inside the allocation: refused.
    let e = queue
        .copy_to_host_of(&mut out, &dst.slice(4..).unwrap(), 12)
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Transfer(TransferError::OutOfBounds {
                offset: 12,
                len: 8,
                size: 16,
                ..
            })
        ),
        "{e:?}"
    );
}

#[test]
fn a_copy_between_non_overlapping_views_of_one_allocation_works_and_overlap_is_refused() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let mut memory = UsmShared::from_slice(&context, &device, &[1u16, 2, 3, 4, 5, 6]).unwrap();
    let (mut low, high) = memory.split_at_mut(3).unwrap();
    queue.copy_all(&mut low, &high.as_view()).unwrap();
    assert_eq!(&memory[..], &[4, 5, 6, 4, 5, 6]);
    // Overlapping byte ranges of one allocation (a source adopted over a mutable view,
    // which safe code cannot make): refused as before, nothing copied.
    let mut view = memory.slice_mut(..).unwrap();
    let addr = view.as_ptr() as usize;
    // SAFETY: the memory outlives the view; the copy that uses it is refused before
    // anything runs, so nothing writes what the view reads.
    let overlapping: UsmView<'_, u16> =
        unsafe { UsmView::adopt(&context, addr as *const u16, 6) }.unwrap();
    let e = queue.copy(&mut view, 0, &overlapping, 2, 4).unwrap_err();
    assert!(
        matches!(e, Error::Transfer(TransferError::Overlap { len: 4, .. })),
        "{e:?}"
    );
    drop(view);
    assert_eq!(&memory[..], &[4, 5, 6, 4, 5, 6]);
}

#[test]
fn views_are_operands_of_region_copies() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    // A 4x4 matrix of bytes; copy its 2x2 centre into the first rows of a view.
    let matrix: Vec<u8> = (0..16).collect();
    let src = UsmDevice::from_slice(&queue, &matrix).unwrap();
    let mut dst = UsmDevice::<u8>::alloc_zeroed(&queue, 16).unwrap();
    let extent = Extent::new_2d(2, 2);
    queue
        .copy_region(
            &mut dst.slice_mut(8..).unwrap(),
            &Region::new_2d(0, 0, 2),
            &src.slice(4..).unwrap(),
            &Region::new_2d(1, 0, 4),
            &extent,
        )
        .unwrap();
    let got = dst.download(&queue).unwrap();
    assert_eq!(&got[8..12], &[5, 6, 9, 10]);
    assert!(
        got[..8].iter().chain(&got[12..]).all(|&b| b == 0),
        "{got:?}"
    );
}

#[test]
fn host_slices_of_views_follow_the_kind() {
    let (context, device) = kit::context();
    let mut shared = UsmShared::from_slice(&context, &device, &[1u64, 2, 3, 4]).unwrap();
    let device_memory = UsmDevice::<u64>::alloc(&context, &device, 4).unwrap();
    assert!(matches!(
        device_memory.slice(1..).unwrap().as_slice(),
        Err(Error::NotHostAccessible { .. })
    ));
    assert_eq!(shared.slice(1..3).unwrap().as_slice().unwrap(), &[2, 3]);
    shared.slice_mut(3..).unwrap().as_mut_slice().unwrap()[0] = 40;
    assert_eq!(&shared[..], &[1, 2, 3, 40]);
    assert_eq!(
        shared.slice(4..).unwrap().as_slice().unwrap(),
        &[] as &[u64]
    );
}

#[test]
fn empty_views_move_nothing() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let mut memory = UsmHost::from_slice(&context, &[5u32; 4]).unwrap();
    let src = UsmDevice::from_slice(&queue, &[9u32; 4]).unwrap();
    queue
        .copy_all(
            &mut memory.slice_mut(4..).unwrap(),
            &src.slice(0..0).unwrap(),
        )
        .unwrap();
    queue
        .memset(&mut memory.slice_mut(2..2).unwrap(), 0, 0, 1)
        .unwrap();
    scope(|s| {
        let dst = s.hold_view_mut(memory.slice_mut(1..1)?);
        s.copy(&queue, dst, s.hold_view(src.slice(..0)?), &[])?;
        Ok(())
    })
    .unwrap();
    assert_eq!(&memory[..], &[5; 4]);
}

#[test]
fn views_of_another_context_are_refused() {
    let (context, device) = kit::context();
    let (other, other_device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let mut foreign = UsmDevice::<u32>::alloc(&other, &other_device, 4).unwrap();
    let ours = UsmDevice::<u32>::alloc(&context, &device, 4).unwrap();
    let e = queue
        .copy_all(
            &mut foreign.slice_mut(..2).unwrap(),
            &ours.slice(..2).unwrap(),
        )
        .unwrap_err();
    assert!(
        matches!(e, Error::Transfer(TransferError::ForeignContext { .. })),
        "{e:?}"
    );
    let e = scope(|s| {
        s.memset(&queue, s.hold_view_mut(foreign.slice_mut(1..)?), 0, &[])?;
        Ok(())
    })
    .unwrap_err();
    assert!(
        matches!(e, Error::Transfer(TransferError::ForeignContext { .. })),
        "{e:?}"
    );
}

/// Opens the gate when dropped, so that a failing test cannot leave the scope waiting.
struct OpenOnDrop<'g>(&'g gate::Gate);

impl Drop for OpenOnDrop<'_> {
    fn drop(&mut self) {
        self.0.open();
    }
}

/// Waits up to ten seconds for `done`.
fn eventually(done: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    false
}

/// Two queues on two engines, 1024 zeroed `u32` of device memory, and a closed gate in
/// front of the first queue (its work cannot run before the gate opens).
fn gated_pair() -> (usm_core::Context, Queue, Queue, UsmDevice<u32>, gate::Gate) {
    let (context, device) = kit::context();
    let q1 = queue(&context, &device, Engine::MainCopy, Mode::Asynchronous);
    let q2 = queue(&context, &device, Engine::LinkCopy, Mode::Asynchronous);
    let memory = UsmDevice::<u32>::alloc_zeroed(&q1, 1024).unwrap();
    let gate = gate::Gate::close(&context, &q1);
    (context, q1, q2, memory, gate)
}

#[test]
fn non_overlapping_mutable_views_of_one_allocation_are_in_flight_together() {
    let (_context, q1, q2, mut memory, gate) = gated_pair();
    scope(|s| {
        let _open = OpenOnDrop(&gate);
        let (low, high) = memory.split_at_mut(512)?;
        let (low, high) = (s.hold_view_mut(low), s.hold_view_mut(high));
        let gated = s.memset(&q1, low, 1, &[])?;
        let free = s.memset(&q2, high, 2, &[])?;
        // The fill of the other half does not wait for the gated one.
        let finished = eventually(|| free.is_complete().unwrap());
        let gated_done = gated.is_complete()?;
        gate.open();
        assert!(
            finished,
            "the fill of the other half waited for the gated one"
        );
        assert!(!gated_done, "the gate did not hold the first fill back");
        Ok(())
    })
    .unwrap();
    let got = memory.download(&q1).unwrap();
    assert!(got[..512].iter().all(|&x| x == 0x0101_0101));
    assert!(got[512..].iter().all(|&x| x == 0x0202_0202));
}

#[test]
fn work_on_one_view_stays_ordered() {
    let (_context, q1, q2, mut memory, gate) = gated_pair();
    scope(|s| {
        let _open = OpenOnDrop(&gate);
        let (_, high) = memory.split_at_mut(512)?;
        let high = s.hold_view_mut(high);
        let first = s.memset(&q1, high, 1, &[])?;
        // Same view, other queue: ordered after the gated fill by the scope.
        let second = s.memset(&q2, high.range(0, 1024)?, 2, &[])?;
        std::thread::sleep(Duration::from_millis(100));
        let early = second.is_complete()?;
        gate.open();
        second.wait()?;
        assert!(first.is_complete()?);
        assert!(!early, "the second write to one view ran before the first");
        Ok(())
    })
    .unwrap();
    let got = memory.download(&q1).unwrap();
    assert!(got[..512].iter().all(|&x| x == 0));
    assert!(got[512..768].iter().all(|&x| x == 0x0202_0202));
    assert!(got[768..].iter().all(|&x| x == 0x0101_0101));
}

#[test]
fn owned_ranges_serve_pending_work_and_come_back() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let memory = UsmDevice::<u32>::alloc_zeroed(&queue, 8).unwrap();
    let tail = memory.into_range(4..).unwrap();
    assert_eq!((UsmMemory::len(&tail), tail.byte_offset()), (16, 16));
    let data: Vec<u8> = [1u32, 2, 3, 4]
        .iter()
        .flat_map(|x| x.to_ne_bytes())
        .collect();
    let (tail, _) = queue.write_async(tail, data, &[]).unwrap().wait().unwrap();
    let memory = tail.into_inner();
    assert_eq!(memory.download(&queue).unwrap(), [0, 0, 0, 0, 1, 2, 3, 4]);
    // A range that does not fit gives the memory back.
    let failed = memory.into_range(3..9).unwrap_err();
    assert!(matches!(
        failed.error,
        Error::ElementRange {
            start: 3,
            end: 9,
            len: 8,
            ..
        }
    ));
    let memory = failed.value;
    // Ranges of an `Arc` are sources; two of them may be in flight at once.
    let shared = std::sync::Arc::new(memory);
    let low = usm_core::UsmRange::new(shared.clone(), ..4).unwrap();
    let high = usm_core::UsmRange::new(shared.clone(), 4..).unwrap();
    let a = queue.read_async(low, &[]).unwrap();
    let b = queue.read_async(high, &[]).unwrap();
    let (_, high_bytes) = b.wait().unwrap();
    let (_, low_bytes) = a.wait().unwrap();
    assert_eq!(low_bytes, [0u8; 16]);
    assert_eq!(high_bytes, data_of(&[1, 2, 3, 4]));
}

fn data_of(values: &[u32]) -> Vec<u8> {
    values.iter().flat_map(|x| x.to_ne_bytes()).collect()
}

#[test]
fn split_views_are_written_from_two_threads_at_once() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let mut memory = UsmShared::<u64>::alloc_zeroed(&context, &device, 1 << 16).unwrap();
    let (mut low, mut high) = memory.split_at_mut(1 << 15).unwrap();
    std::thread::scope(|t| {
        t.spawn(|| low.as_mut_slice().unwrap().fill(1));
        t.spawn(|| {
            queue.fill_with(&mut high, 0, 1 << 18, 2u64).unwrap();
        });
    });
    assert!(memory[..1 << 15].iter().all(|&x| x == 1));
    assert!(memory[1 << 15..].iter().all(|&x| x == 2));
}
