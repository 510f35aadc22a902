//! Waiting for a queue, and raw work ordered before later synchronous calls.
//!
//! Run: `cargo run -p usm-core --example synchronize` (on the software driver built with
//! the workspace, or an installed one: see the README).

use usm_core::{scope, Context, Queue, UsmDevice, UsmHost, UsmMemory};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // SAFETY: first thing in `main`: no other thread exists, the loader is not open.
    let driver = unsafe { ze_soft::enable_for_process() }?;
    println!("driver: {}", driver.display());
    let (context, device) = Context::default_gpu()?;
    let queue = Queue::new(&context, &device)?;

    // Owned and scoped work, then one wait for all of it (SYCL's `queue.wait()`).
    let pending = queue.fill_async(UsmHost::new(&context, 1 << 20)?, &[1], &[])?;
    let mut staged = UsmHost::new(&context, 4096)?;
    scope(|s| {
        s.memset(&queue, s.hold_mut(&mut staged), 2, &[])?;
        queue.synchronize()?;
        Ok(())
    })?;
    assert!(pending.is_complete()?);
    println!("synchronize: owned and scoped work done");

    // Work appended to the raw list by hand is ordered before later synchronous calls.
    let on_device = UsmDevice::new(&context, &device, 4096)?;
    let pattern = [7u8];
    // SAFETY: this thread alone uses the queue; the memory and the pattern outlive the
    // fill (the read below waits for it; the driver copies the pattern when appending).
    let outcome = unsafe {
        usm_core::api()?.zeCommandListAppendMemoryFill(
            queue.raw_list(),
            on_device.as_ptr(),
            pattern.as_ptr().cast(),
            1,
            on_device.len(),
            std::ptr::null_mut(),
            0,
            std::ptr::null_mut(),
        )
    };
    usm_core::check("zeCommandListAppendMemoryFill", outcome, String::new)?;
    let read = queue.to_vec(&on_device)?;
    assert!(read.iter().all(|&b| b == 7));
    println!("raw fill, then a synchronous read: it sees the fill");
    Ok(())
}
