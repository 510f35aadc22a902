//! The "Using usm-core" example of the README, run on the software driver.

use usm_core::{Context, Queue, UsmDevice, UsmHost, UsmKind, UsmMemory};

#[test]
fn the_readme_example_runs() -> Result<(), usm_core::Error> {
    // SAFETY: the only test of this binary: no other thread reads the environment, and
    // the loader is not open yet.
    unsafe { ze_soft::enable_for_process() }.expect("the software driver is built");
    let (context, device) = Context::default_gpu()?;
    let queue = Queue::new(&context, &device)?;
    let mut on_device = UsmDevice::new(&context, &device, 1 << 20)?;
    let mut staging = UsmHost::new(&context, 1 << 20)?;
    staging.as_mut_slice().fill(7);
    queue.copy_all(&mut on_device, &staging)?;
    assert_eq!(queue.to_vec(&on_device)?, vec![7u8; 1 << 20]);
    assert_eq!(context.classify(on_device.as_ptr())?.kind, UsmKind::Device);
    Ok(())
}
