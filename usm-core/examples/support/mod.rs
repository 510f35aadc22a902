//! What every example shares: Level Zero on the software driver of this workspace (or on
//! the machine's drivers with `USM_EXAMPLE_DRIVER=system`), a context, a device, a queue.

use usm_core::{Context, Device, Queue};

/// Points the loader at the driver to use, then opens a context and a queue on its first
/// GPU. Call it first in `main`, before any thread starts (it may set an environment
/// variable).
pub fn setup() -> Result<(Context, Device, Queue), Box<dyn std::error::Error>> {
    if std::env::var("USM_EXAMPLE_DRIVER").map_or(true, |v| v != "system") {
        let driver = ze_soft::enable_for_process()?;
        println!("software driver: {}", driver.display());
    }
    let (context, device) = Context::default_gpu()?;
    let queue = Queue::new(&context, &device)?;
    Ok((context, device, queue))
}
