//! Helpers of the array-interface tests: memory of any kind with known bytes, and taking a
//! dict through JSON into a view.
#![allow(dead_code)]

use usm_core::suai::{SuaiDict, SuaiError, SuaiView};
use usm_core::{Context, Device, Queue, UsmDestination, UsmDevice, UsmHost, UsmKind, UsmShared};

/// The three USM kinds.
pub const KINDS: [UsmKind; 3] = [UsmKind::Device, UsmKind::Shared, UsmKind::Host];

/// `n` bytes of `kind` memory.
pub fn alloc(
    context: &Context,
    device: &Device,
    kind: UsmKind,
    n: usize,
) -> Box<dyn UsmDestination> {
    match kind {
        UsmKind::Device => Box::new(UsmDevice::new(context, device, n).unwrap()),
        UsmKind::Shared => Box::new(UsmShared::new(context, device, n).unwrap()),
        UsmKind::Host => Box::new(UsmHost::new(context, n).unwrap()),
    }
}

/// Shared memory holding the bytes 0, 1, 2, ...
pub fn counting(context: &Context, device: &Device, n: usize) -> UsmShared {
    let mut memory = UsmShared::new(context, device, n).unwrap();
    for (i, b) in memory.as_mut_slice().iter_mut().enumerate() {
        *b = i as u8;
    }
    memory
}

/// Takes the dict through its JSON text, as another library would receive it.
pub fn through_json(dict: &SuaiDict) -> SuaiDict {
    SuaiDict::from_json(&dict.to_json()).unwrap()
}

/// Consumes `dict` in `context` (the memory outlives every view in these tests).
pub fn take<'a>(
    dict: &SuaiDict,
    context: &Context,
    kind: Option<UsmKind>,
) -> Result<SuaiView<'a>, SuaiError> {
    // SAFETY: each test keeps the memory alive and unwritten while it uses the view.
    unsafe { dict.consume_in(context, kind) }
}

/// `n` bytes of `kind` holding 0, 1, 2, ..., written by a copy.
pub fn counting_of_kind(
    queue: &Queue,
    context: &Context,
    device: &Device,
    kind: UsmKind,
    n: usize,
) -> Box<dyn UsmDestination> {
    let mut memory = alloc(context, device, kind, n);
    let bytes: Vec<u8> = (0..n as u8).collect();
    queue.write_from_slice(memory.as_mut(), &bytes).unwrap();
    memory
}
