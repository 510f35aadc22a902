//! Collections in USM: `allocator_api2`'s `Vec` in shared and host memory, through
//! [`UsmAllocator`](usm_core::UsmAllocator), and used as a copy operand.
//!
//! Run with `cargo run -p usm-core --example usm_allocator`.

#[path = "support/mod.rs"]
mod support;

use usm_core::allocator_api2::vec::Vec;
use usm_core::{UsmAllocator, UsmDevice, UsmKind};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // SAFETY: first thing in `main`: no other thread exists, Level Zero is not open.
    let (context, device, queue) = unsafe { support::setup() }?;

    let shared = UsmAllocator::shared(&context, &device)?;
    let mut squares: Vec<u64, _> = Vec::new_in(shared.clone());
    squares.extend((0..10_000u64).map(|i| i * i));
    let info = context.classify(squares.as_ptr().cast())?;
    assert_eq!(info.kind, UsmKind::Shared);
    println!(
        "{} squares in shared USM at {:#x} ({} live allocation(s) in the context)",
        squares.len(),
        info.base,
        context.stats().live_count()
    );

    // A host vector as the destination of a device download.
    let on_device = UsmDevice::from_slice(&queue, &squares)?;
    let mut back: Vec<u64, _> = Vec::with_capacity_in(squares.len(), UsmAllocator::host(&context));
    back.resize(squares.len(), 0);
    queue.copy_to_host_of(&mut back, &on_device, 0)?;
    assert_eq!(&back[..], &squares[..]);

    drop((squares, back));
    assert_eq!(shared.live_blocks(), 0);
    assert_eq!(context.stats().kind(UsmKind::Host).live_count, 0);
    println!("usm allocator: all checks passed");
    Ok(())
}
