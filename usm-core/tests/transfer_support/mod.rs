//! Helpers of the copy, fill and scope tests: memory of any kind, known bytes, queues.
#![allow(dead_code)]

use usm_core::{
    Context, Device, Engine, Mode, Queue, QueueOptions, UsmDestination, UsmDevice, UsmHost,
    UsmKind, UsmShared,
};

/// The three USM kinds.
pub const KINDS: [UsmKind; 3] = [UsmKind::Device, UsmKind::Shared, UsmKind::Host];

/// `nbytes` of `kind` memory, as a trait object that can be read and written.
pub fn alloc(
    context: &Context,
    device: &Device,
    kind: UsmKind,
    nbytes: usize,
) -> Box<dyn UsmDestination> {
    match kind {
        UsmKind::Device => Box::new(UsmDevice::new(context, device, nbytes).expect("device")),
        UsmKind::Shared => Box::new(UsmShared::new(context, device, nbytes).expect("shared")),
        UsmKind::Host => Box::new(UsmHost::new(context, nbytes).expect("host")),
    }
}

/// `len` bytes that differ from their neighbours and from those of other seeds.
pub fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| {
            (i as u8)
                .wrapping_mul(31)
                .wrapping_add(seed)
                .wrapping_add((i >> 8) as u8)
        })
        .collect()
}

/// A queue on `engine` in `mode`. The software device has every engine; on an installed
/// device without that engine, the queue is on the compute engine instead.
pub fn queue(context: &Context, device: &Device, engine: Engine, mode: Mode) -> Queue {
    let on = |engine| {
        Queue::with_options(
            context,
            device,
            QueueOptions::new().engine(engine).mode(mode),
        )
    };
    match on(engine) {
        Ok(q) => q,
        Err(e) if !crate::support::on_soft_driver() => {
            eprintln!("no {engine} engine ({e}); using the compute engine");
            on(Engine::Compute).expect("a compute queue")
        }
        Err(e) => panic!("the software device has a {engine} engine: {e}"),
    }
}

/// One queue of each engine and mode the device has.
pub fn all_queues(context: &Context, device: &Device) -> Vec<Queue> {
    let mut out = Vec::new();
    for engine in [Engine::Compute, Engine::MainCopy, Engine::LinkCopy] {
        for mode in [Mode::Synchronous, Mode::Asynchronous] {
            if let Ok(q) = Queue::with_options(
                context,
                device,
                QueueOptions::new().engine(engine).mode(mode),
            ) {
                out.push(q);
            }
        }
    }
    assert!(!out.is_empty());
    out
}
