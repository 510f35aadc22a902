//! Views: sub-ranges of typed memory as copy sources and destinations, non-overlapping
//! mutable views in flight together in a scope, and owned ranges for pending work.
//!
//! Run with `cargo run -p usm-core --example views`.

#[path = "support/mod.rs"]
mod support;

use usm_core::{scope, UsmDevice, UsmShared};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // SAFETY: first thing in `main`: no other thread exists, Level Zero is not open.
    let (context, device, queue) = unsafe { support::setup() }?;

    // Copy three elements of one buffer into the middle of another.
    let src = UsmDevice::from_slice(&queue, &[10u32, 11, 12, 13, 14])?;
    let mut dst = UsmDevice::<u32>::alloc_zeroed(&queue, 8)?;
    queue.copy_all(&mut dst.slice_mut(2..5)?, &src.slice(1..4)?)?;
    queue.fill_with(&mut dst.slice_mut(6..)?, 0, 8, 9u32)?;
    assert_eq!(dst.download(&queue)?, [0, 0, 11, 12, 13, 0, 9, 9]);

    // Bounds are checked once, when the view is made.
    let refused = dst.slice(6..9).unwrap_err();
    println!("refused: {refused}");

    // Two halves of one allocation, written at the same time in one scope.
    let mut halves = UsmShared::<u8>::alloc_zeroed(&context, &device, 1 << 20)?;
    scope(|s| {
        let (low, high) = halves.split_at_mut(1 << 19)?;
        s.memset(&queue, s.hold_view_mut(low), 1, &[])?;
        s.memset(&queue, s.hold_view_mut(high), 2, &[])?;
        Ok(())
    })?;
    assert!(halves[..1 << 19].iter().all(|&b| b == 1));
    assert!(halves[1 << 19..].iter().all(|&b| b == 2));

    // Owned asynchronous work on part of an allocation: an owned range.
    let tail = dst.into_range(4..)?;
    let pending = queue.fill_async(tail, &[0xff], &[])?;
    let (tail, _pattern) = pending.wait()?;
    let dst = tail.into_inner();
    assert_eq!(
        dst.download(&queue)?[3..],
        [12, u32::MAX, u32::MAX, u32::MAX, u32::MAX]
    );
    println!("views: all checks passed");
    Ok(())
}
