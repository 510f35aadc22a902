//! Allocation + free latency of each USM kind through usm-core, against the same two calls
//! made raw through level-zero-sys in the same run, and their ratio.
//!
//! Runs on the software driver of this workspace (through the real loader), or on the
//! machine's drivers with `USM_TEST_DRIVER=system`. The target: usm-core within 3% of raw
//! for 4 KiB of each kind.

mod support;

use std::ffi::c_void;
use std::hint::black_box;
use std::time::{Duration, Instant};

use support::{setup, Setup};

use criterion::{criterion_group, Criterion};
use level_zero_sys::{ze_device_mem_alloc_desc_t, ze_host_mem_alloc_desc_t, ze_structure_type_t};
use usm_core::{UsmDevice, UsmHost, UsmKind, UsmShared};

const SIZE: usize = 4096;
const KINDS: [UsmKind; 3] = [UsmKind::Device, UsmKind::Shared, UsmKind::Host];

/// One allocation and free through usm-core.
fn through_usm_core(s: &Setup, kind: UsmKind) {
    match kind {
        UsmKind::Device => drop(black_box(
            UsmDevice::new(&s.context, &s.device, SIZE).unwrap(),
        )),
        UsmKind::Shared => drop(black_box(
            UsmShared::new(&s.context, &s.device, SIZE).unwrap(),
        )),
        UsmKind::Host => drop(black_box(UsmHost::new(&s.context, SIZE).unwrap())),
    }
}

/// The same allocation and free, raw.
fn raw(s: &Setup, kind: UsmKind) {
    let device_desc = ze_device_mem_alloc_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC,
        ..Default::default()
    };
    let host_desc = ze_host_mem_alloc_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC,
        ..Default::default()
    };
    let mut ptr: *mut c_void = std::ptr::null_mut();
    let (context, device) = (s.context.raw(), s.device.raw());
    // SAFETY: live context and device handles, typed descriptors and a live out-pointer;
    // the memory is freed right after, once, in the same context.
    let rc = unsafe {
        match kind {
            UsmKind::Device => {
                s.api
                    .zeMemAllocDevice(context, &device_desc, SIZE, 0, device, &mut ptr)
            }
            UsmKind::Shared => {
                s.api
                    .zeMemAllocShared(context, &device_desc, &host_desc, SIZE, 0, device, &mut ptr)
            }
            UsmKind::Host => s.api.zeMemAllocHost(context, &host_desc, SIZE, 0, &mut ptr),
        }
    };
    assert!(rc.unwrap().is_success());
    // SAFETY: `ptr` was just allocated in `context` and is freed once.
    let rc = unsafe { s.api.zeMemFree(context, black_box(ptr)) };
    assert!(rc.unwrap().is_success());
}

fn alloc_free(c: &mut Criterion) {
    let s = setup();
    for kind in KINDS {
        let mut group = c.benchmark_group(format!("alloc_free_4KiB/{kind}"));
        group.bench_function("raw", |b| b.iter(|| raw(&s, kind)));
        group.bench_function("usm_core", |b| b.iter(|| through_usm_core(&s, kind)));
        group.finish();
    }
}

/// Interleaves blocks of raw and usm-core calls in the order raw, usm-core, usm-core, raw
/// (so that neither side always runs first) and returns the medians of the per-block time
/// ratios (usm-core / raw; drift of the machine hits both sides alike) and of the raw and
/// usm-core times per alloc+free.
fn paired_ratio(
    s: &Setup,
    kind: UsmKind,
    blocks: usize,
    per_block: usize,
) -> (f64, Duration, Duration) {
    let time = |f: &dyn Fn()| {
        let start = Instant::now();
        for _ in 0..per_block {
            f();
        }
        start.elapsed().max(Duration::from_nanos(1))
    };
    let mut ratios = Vec::with_capacity(blocks);
    let mut raws = Vec::with_capacity(blocks);
    let mut usms = Vec::with_capacity(blocks);
    for _ in 0..blocks {
        let r1 = time(&|| raw(s, kind));
        let u1 = time(&|| through_usm_core(s, kind));
        let u2 = time(&|| through_usm_core(s, kind));
        let r2 = time(&|| raw(s, kind));
        ratios.push((u1 + u2).as_secs_f64() / (r1 + r2).as_secs_f64());
        raws.push((r1 + r2) / (2 * per_block as u32));
        usms.push((u1 + u2) / (2 * per_block as u32));
    }
    ratios.sort_by(f64::total_cmp);
    raws.sort();
    usms.sort();
    let mid = blocks / 2;
    (ratios[mid], raws[mid], usms[mid])
}

/// The criterion group (its generated function stays private to this bench).
mod group {
    use super::*;
    criterion_group!(benches, alloc_free);
}

fn main() {
    group::benches();
    Criterion::default().configure_from_args().final_summary();
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    // `cargo bench -- --test` only checks that everything runs.
    let quick = std::env::args().any(|a| a == "--test");
    let s = setup();
    let (blocks, per_block) = if quick { (3, 10) } else { (41, 1000) };
    println!("\nalloc+free of {SIZE} bytes, usm-core / raw level-zero-sys (median of {blocks} paired blocks):");
    for kind in KINDS {
        let (ratio, raw_time, usm_time) = paired_ratio(&s, kind, blocks, per_block);
        let verdict = if ratio <= 1.03 {
            "within the 3% target"
        } else {
            "above the 3% target"
        };
        println!("  {kind:>6}: {ratio:.3} ({verdict}; raw {raw_time:?}, usm-core {usm_time:?})");
    }
}
