//! The examples of the README ("Using usm-core", IPC), run on the software driver.

use usm_core::{Context, Queue, UsmDevice, UsmHost, UsmKind, UsmMemory};

#[test]
fn the_readme_example_runs() -> Result<(), usm_core::Error> {
    usm_test_kit::driver::require(usm_test_kit::driver::Config::Only(&[]));
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

/// The IPC example of the README, with both halves in this process (the driver opens a
/// handle of the exporting process to the allocation itself; `usm ipc-demo` and the IPC
/// tests run the halves in two processes).
#[test]
fn the_readme_ipc_example_runs() -> Result<(), usm_core::Error> {
    use usm_core::IpcHandle;
    usm_test_kit::driver::require(usm_test_kit::driver::Config::Only(&[]));
    let (context, device) = Context::default_gpu()?;
    let queue = Queue::new(&context, &device)?;
    let memory = UsmDevice::from_slice(&queue, &[1u8; 4096])?;
    let bytes = IpcHandle::export(&memory)?.to_bytes();
    let opened = IpcHandle::from_bytes(&bytes)?.open(&context, &device, 4096)?;
    let mut seen = vec![0u8; 4096];
    queue.copy_to_host(&mut seen, &opened, 0)?;
    assert_eq!(seen, vec![1u8; 4096]);
    opened.close()?;
    Ok(())
}
