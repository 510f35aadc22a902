//! Typed memory of the three kinds: allocate, allocate zeroed, allocate and upload,
//! download, and host slices of the host-accessible kinds, with an element type derived
//! through usm-core's re-export of bytemuck.
//!
//! Run with `cargo run -p usm-core --example typed_memory`.

#[path = "support/mod.rs"]
mod support;

use usm_core::{UsmDevice, UsmHost, UsmMemory, UsmShared};

/// A user's element type: plain old data, derived without a dependency of one's own.
#[derive(Debug, Clone, Copy, PartialEq, usm_core::bytemuck::Pod, usm_core::bytemuck::Zeroable)]
#[bytemuck(crate = "usm_core::bytemuck")]
#[repr(C)]
struct Vertex {
    position: [f32; 3],
    colour: u32,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // SAFETY: first thing in `main`: no other thread exists, Level Zero is not open.
    let (context, device, queue) = unsafe { support::setup() }?;

    // Allocate and upload (cudarc's `memcpy_stod`), then download (`memcpy_dtov`).
    let vertices: Vec<Vertex> = (0..1000)
        .map(|i| Vertex {
            position: [i as f32, 0.0, 1.0],
            colour: 0xff00_0000 | i,
        })
        .collect();
    let on_device = UsmDevice::from_slice(&queue, &vertices)?;
    println!(
        "{} vertices on the device ({} bytes)",
        on_device.len(),
        UsmMemory::len(&on_device)
    );
    assert_eq!(on_device.download(&queue)?, vertices);

    // Zeroed memory (cudarc's `alloc_zeros`); device memory is zeroed by the queue.
    let zeros = UsmDevice::<f64>::alloc_zeroed(&queue, 256)?;
    assert!(zeros.download(&queue)?.iter().all(|&x| x == 0.0));

    // Host-accessible kinds deref to their elements.
    let mut shared = UsmShared::<u32>::alloc_zeroed(&context, &device, 8)?;
    shared[3] = 42;
    shared.iter_mut().skip(4).for_each(|x| *x = 7);
    assert_eq!(&shared[..], &[0, 0, 0, 42, 7, 7, 7, 7]);
    let host = UsmHost::from_slice(&context, &[1.5f32, 2.5])?;
    assert_eq!(host.iter().sum::<f32>(), 4.0);

    // Upload over existing memory, through the queue.
    let mut counters = UsmDevice::<u64>::alloc(&context, &device, 4)?;
    counters.upload(&queue, &[1, 2, 3, 4])?;
    assert_eq!(counters.download(&queue)?, [1, 2, 3, 4]);

    // The byte API is the u8 case.
    let bytes = UsmDevice::new(&context, &device, 64)?;
    assert_eq!(bytes.len(), 64);
    println!("typed memory: all checks passed");
    Ok(())
}
