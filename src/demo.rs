//! `usm demo`: the three USM kinds on the default device, written, copied, filled, read
//! back and verified; a pointer classified; the array interface dict of an allocation; and
//! the allocation diagnostics.

use std::io::Write;

use usm_core::{
    scope, Context, Queue, QueueOptions, SuaiDict, UsmDevice, UsmHost, UsmKind, UsmMemory,
    UsmShared,
};

use crate::driver_choice::Selected;
use crate::error::CliError;
use crate::info::format_bytes;

/// Bytes per allocation in the demo.
const SIZE: usize = 1 << 20;

fn expect(ok: bool, what: impl FnOnce() -> String) -> Result<(), CliError> {
    if ok {
        Ok(())
    } else {
        Err(CliError::Verification(what()))
    }
}

/// The byte the demo writes at `i`.
fn pattern(i: usize) -> u8 {
    (i % 251) as u8
}

/// Writes the demo's pattern, shifted by `shift` bytes, over `bytes`.
fn write_pattern(bytes: &mut [u8], shift: usize) {
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = pattern(i + shift);
    }
}

/// The first index where `bytes` differs from the pattern shifted by `shift`.
fn first_mismatch(bytes: &[u8], shift: usize) -> Option<usize> {
    bytes
        .iter()
        .enumerate()
        .position(|(i, &b)| b != pattern(i + shift))
}

/// Runs the demo, writing its report to `out`.
pub fn run(selected: &Selected, out: &mut impl Write) -> Result<(), CliError> {
    let (context, device) = Context::default_gpu()?;
    let props = device.properties()?;
    writeln!(out, "usm demo on {} ({})", props.name, selected.describe())?;

    // 1. Allocate.
    let mut host = UsmHost::new(&context, SIZE)?;
    let mut on_device = UsmDevice::new(&context, &device, SIZE)?;
    let mut shared = UsmShared::new(&context, &device, SIZE)?;
    writeln!(
        out,
        "\n1. Allocated {} of each USM kind:",
        format_bytes(SIZE as u64)
    )?;
    for (name, ptr, note) in [
        ("device", on_device.as_ptr(), "the host cannot touch it"),
        ("shared", shared.as_ptr(), "host and device"),
        ("host", host.as_ptr(), "host memory the device reads"),
    ] {
        writeln!(out, "   {name:<7}{ptr:p}  ({note})")?;
    }

    // 2. Write on the host, copy host -> device -> shared, verify on the host.
    let queue = Queue::new(&context, &device)?;
    write_pattern(host.as_mut_slice(), 0);
    queue.copy_all(&mut on_device, &host)?;
    queue.copy_all(&mut shared, &on_device)?;
    let bad = first_mismatch(shared.as_slice(), 0);
    expect(bad.is_none(), || {
        format!("shared byte {bad:?} differs after host->device->shared")
    })?;
    writeln!(
        out,
        "\n2. Wrote a pattern into host memory, copied host -> device -> shared on the {} engine: \
         all {SIZE} bytes verified.",
        queue.engine()
    )?;

    // 3. Fill part of device memory with a 4-byte pattern, read the whole of it back.
    let fill_queue = Queue::with_options(&context, &device, QueueOptions::new())?;
    let word = [0xde, 0xad, 0xbe, 0xef];
    let (start, len) = (SIZE / 4, SIZE / 4);
    let fill_pattern: &[u8] = if fill_queue.max_fill_pattern_size() >= word.len() {
        &word
    } else {
        &word[..1]
    };
    fill_queue.fill(&mut on_device, start, len, fill_pattern)?;
    let back = fill_queue.to_vec(&on_device)?;
    let fill_ok = back.iter().enumerate().all(|(i, &b)| {
        if (start..start + len).contains(&i) {
            b == fill_pattern[(i - start) % fill_pattern.len()]
        } else {
            b == pattern(i)
        }
    });
    expect(fill_ok, || "device memory after the fill".to_string())?;
    writeln!(
        out,
        "\n3. Filled device bytes {start}..{} with the pattern {:02x?}, read all {SIZE} bytes \
         back (tobytes): the fill and the untouched bytes verified.",
        start + len,
        fill_pattern
    )?;

    // 4. Asynchronous chain: host -> device, then device -> shared, ordered by the scope.
    write_pattern(host.as_mut_slice(), 7);
    scope(|s| {
        let d = s.hold_mut(&mut on_device);
        let first = s.copy(&queue, d, s.hold(&host), &[])?;
        let second = s.copy(&queue, s.hold_mut(&mut shared), d.as_source(), &[first])?;
        second.wait()
    })?;
    let chain_ok = first_mismatch(shared.as_slice(), 7).is_none();
    expect(chain_ok, || {
        "shared memory after the asynchronous chain".to_string()
    })?;
    writeln!(
        out,
        "\n4. Asynchronous chain host -> device -> shared (the second copy waits on the \
         first's event): verified."
    )?;

    // 5. Classify an interior pointer of device memory.
    let interior = on_device.as_ptr().cast::<u8>().wrapping_add(4096).cast();
    let info = context.classify(interior)?;
    expect(
        info.kind == UsmKind::Device && info.offset == 4096 && info.size >= SIZE,
        || format!("classification of base+4096: {info:?}"),
    )?;
    writeln!(
        out,
        "\n5. Classified device base + 4096: {} memory of {}, allocation {:#x} of {} bytes, \
         offset {}.",
        info.kind.as_str(),
        info.device
            .map(|d| d.properties().map(|p| p.name).unwrap_or_default())
            .unwrap_or_else(|| "no device".into()),
        info.base,
        info.size,
        info.offset
    )?;

    // 6. The SYCL USM array interface dict of the shared allocation, and back.
    let dict = SuaiDict::of_memory(&shared)?;
    writeln!(
        out,
        "\n6. __sycl_usm_array_interface__ of the shared allocation:"
    )?;
    writeln!(out, "   {}", dict.to_json())?;
    let parsed = SuaiDict::from_json(&dict.to_json())?;
    // SAFETY: `shared` outlives `view` (both end with this function) and nothing writes
    // to it while the view is read.
    let view = unsafe { parsed.consume(Some(UsmKind::Shared)) }?;
    expect(view.as_view().len() == SIZE && !view.read_only(), || {
        "the consumed dict's view".to_string()
    })?;
    writeln!(
        out,
        "   consumed back: a {} view of {} bytes at {:p}.",
        if view.read_only() {
            "read-only"
        } else {
            "writable"
        },
        view.as_view().len(),
        view.as_view().as_ptr()
    )?;

    // 7. Allocation diagnostics.
    let stats = context.stats();
    writeln!(
        out,
        "\n7. Allocation diagnostics: {} live allocations, {} ({} device, {} shared, {} host); \
         run with RUST_LOG=usm_core=debug to see every allocation, free and copy.",
        stats.live_count(),
        format_bytes(stats.live_bytes()),
        stats.device.live_count,
        stats.shared.live_count,
        stats.host.live_count
    )?;
    drop(view);
    drop((host, on_device, shared));
    let after = context.stats();
    expect(after.live_count() == 0, || {
        format!("{} allocations still live after drop", after.live_count())
    })?;
    writeln!(out, "   after drop: 0 live allocations, no leaks.")?;
    writeln!(out, "\nDemo passed.")?;
    Ok(())
}
