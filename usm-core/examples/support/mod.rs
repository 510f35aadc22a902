//! What every example shares: Level Zero on the software driver of this workspace (or on
//! the machine's drivers with `USM_EXAMPLE_DRIVER=system`), a context, a device, a queue.

use usm_core::{Context, Device, Queue};

/// Points the loader at the driver to use, then opens a context and a queue on its first
/// GPU.
///
/// # Safety
///
/// As [`ze_soft::enable_for_process`], which it calls: before any other thread exists
/// (it may set an environment variable) and before Level Zero is initialised.
pub unsafe fn setup() -> Result<(Context, Device, Queue), Box<dyn std::error::Error>> {
    if std::env::var("USM_EXAMPLE_DRIVER").map_or(true, |v| v != "system") {
        // SAFETY: the caller's guarantee, passed on.
        let driver = unsafe { ze_soft::enable_for_process() }?;
        println!("software driver: {}", driver.display());
    }
    let (context, device) = Context::default_gpu()?;
    let queue = Queue::new(&context, &device)?;
    Ok((context, device, queue))
}
