//! Memory hints: advice and prefetch on shared memory, synchronous, scoped and owned.
//!
//! Run: `cargo run -p usm-core --example prefetch_advise`.

use usm_core::{scope, Context, MemAdvice, Queue, UsmShared};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // SAFETY: first thing in `main`: no other thread exists, the loader is not open.
    unsafe { ze_soft::enable_for_process() }?;
    let (context, device) = Context::default_gpu()?;
    let queue = Queue::new(&context, &device)?;
    let mut shared = UsmShared::new(&context, &device, 1 << 20)?;
    shared.as_mut_slice().fill(3);

    // Synchronous: return once applied.
    queue.mem_advise(&shared, MemAdvice::SetReadMostly)?;
    queue.prefetch(&shared)?;
    println!("advised read-mostly and prefetched 1 MiB");

    // In a scope: ordered after earlier writes to the same memory.
    let input = vec![5u8; 1 << 20];
    scope(|s| {
        let held = s.hold_mut(&mut shared);
        let written = s.copy(&queue, held, s.hold_host(&input), &[])?;
        let advised = s.mem_advise(
            &queue,
            held.as_source(),
            MemAdvice::SetPreferredLocation,
            &[written],
        )?;
        s.prefetch(&queue, held.as_source(), &[advised])?;
        Ok(())
    })?;
    assert_eq!(shared.as_slice(), &input[..]);
    println!("scoped copy, advice and prefetch done; contents kept");

    // Owned: the handle holds the memory until the prefetch is done.
    let shared = queue.prefetch_async(shared, &[])?.wait()?;
    queue.mem_advise(&shared, MemAdvice::ClearReadMostly)?;
    println!(
        "owned prefetch done; {} bytes back",
        shared.as_slice().len()
    );
    Ok(())
}
