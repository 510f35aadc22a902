//! Copies through usm-core: synchronous 4 KiB latency against the same copy made raw through
//! level-zero-sys, and 64/256 MiB host->device, device->host and device->device bandwidth
//! against host `memcpy` of the same size, measured in the same run, with their ratios.
//!
//! Runs on the software driver of this workspace (through the real loader), or on the
//! machine's drivers with `USM_TEST_DRIVER=system`. The targets: bandwidth at least 0.9x
//! memcpy on the software driver; a synchronous 4 KiB copy within 3% of raw calls, a
//! one-copy scope within 5%.

mod support;

use std::ffi::c_void;
use std::hint::black_box;
use std::time::{Duration, Instant};

use support::{setup, Setup};

use criterion::{criterion_group, Criterion, Throughput};
use level_zero_sys::{
    ze_command_list_handle_t, ze_command_queue_desc_t, ze_command_queue_mode_t, ze_event_desc_t,
    ze_event_handle_t, ze_event_pool_desc_t, ze_event_pool_flag_t, ze_event_pool_handle_t,
    ze_event_scope_flag_t, ze_structure_type_t, Api,
};
use usm_core::{scope, Mode, Queue, QueueOptions, UsmDevice, UsmHost, UsmMemory};

const SMALL: usize = 4096;
const LARGE: [usize; 2] = [64 << 20, 256 << 20];

/// An immediate list and one event made raw, on the same engine as `queue`.
struct RawList {
    api: &'static Api,
    list: ze_command_list_handle_t,
    pool: ze_event_pool_handle_t,
    event: ze_event_handle_t,
    synchronous: bool,
}

impl RawList {
    fn new(s: &Setup, queue: &Queue, mode: Mode) -> RawList {
        let desc = ze_command_queue_desc_t {
            stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC,
            ordinal: queue.queue_group().ordinal,
            mode: match mode {
                Mode::Synchronous => ze_command_queue_mode_t::ZE_COMMAND_QUEUE_MODE_SYNCHRONOUS,
                Mode::Asynchronous => ze_command_queue_mode_t::ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS,
            },
            ..Default::default()
        };
        let mut list = std::ptr::null_mut();
        // SAFETY: live context and device handles, typed descriptor, live out-parameter.
        let rc = unsafe {
            s.api
                .zeCommandListCreateImmediate(s.context.raw(), s.device.raw(), &desc, &mut list)
        };
        assert!(rc.unwrap().is_success());
        let pool_desc = ze_event_pool_desc_t {
            stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_EVENT_POOL_DESC,
            flags: ze_event_pool_flag_t::ZE_EVENT_POOL_FLAG_HOST_VISIBLE.0,
            count: 1,
            ..Default::default()
        };
        let mut pool = std::ptr::null_mut();
        // SAFETY: live context, typed descriptor, no device list, live out-parameter.
        let rc = unsafe {
            s.api.zeEventPoolCreate(
                s.context.raw(),
                &pool_desc,
                0,
                std::ptr::null_mut(),
                &mut pool,
            )
        };
        assert!(rc.unwrap().is_success());
        let event_desc = ze_event_desc_t {
            stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_EVENT_DESC,
            index: 0,
            signal: ze_event_scope_flag_t::ZE_EVENT_SCOPE_FLAG_HOST.0,
            wait: ze_event_scope_flag_t::ZE_EVENT_SCOPE_FLAG_HOST.0,
            ..Default::default()
        };
        let mut event = std::ptr::null_mut();
        // SAFETY: live pool, index 0 of 1, live out-parameter.
        let rc = unsafe { s.api.zeEventCreate(pool, &event_desc, &mut event) };
        assert!(rc.unwrap().is_success());
        RawList {
            api: s.api,
            list,
            pool,
            event,
            synchronous: mode == Mode::Synchronous,
        }
    }

    /// One copy, waited for the way usm-core waits in the list's mode.
    fn copy(&self, dst: *mut c_void, src: *const c_void, len: usize) {
        let api = self.api;
        let signal = if self.synchronous {
            std::ptr::null_mut()
        } else {
            self.event
        };
        // SAFETY: both ranges are live USM memory of `len` bytes, not overlapping; the list
        // is used by this thread only.
        let rc = unsafe {
            api.zeCommandListAppendMemoryCopy(
                self.list,
                dst,
                src,
                len,
                signal,
                0,
                std::ptr::null_mut(),
            )
        };
        assert!(rc.unwrap().is_success());
        if !self.synchronous {
            // SAFETY: a live event, signalled by the copy above.
            let rc = unsafe { api.zeEventHostSynchronize(self.event, u64::MAX) };
            assert!(rc.unwrap().is_success());
            // SAFETY: the event's work is done.
            let rc = unsafe { api.zeEventHostReset(self.event) };
            assert!(rc.unwrap().is_success());
        }
    }
}

impl Drop for RawList {
    fn drop(&mut self) {
        // SAFETY: no work is in flight (every copy waited); each handle is destroyed once,
        // the event before its pool.
        unsafe {
            let _ = self.api.zeCommandListDestroy(self.list);
            let _ = self.api.zeEventDestroy(self.event);
            let _ = self.api.zeEventPoolDestroy(self.pool);
        }
    }
}

fn queue(s: &Setup, mode: Mode) -> Queue {
    Queue::with_options(&s.context, &s.device, QueueOptions::new().mode(mode)).expect("queue")
}

fn latency_4k(c: &mut Criterion) {
    let s = setup();
    let host = UsmHost::new(&s.context, SMALL).unwrap();
    let mut dev = UsmDevice::new(&s.context, &s.device, SMALL).unwrap();
    let q = queue(&s, Mode::Asynchronous);
    let raw_sync = RawList::new(&s, &q, Mode::Synchronous);
    let raw_async = RawList::new(&s, &q, Mode::Asynchronous);
    let mut group = c.benchmark_group("copy_4KiB_h2d");
    group.throughput(Throughput::Bytes(SMALL as u64));
    group.bench_function("raw_sync_list", |b| {
        b.iter(|| raw_sync.copy(dev.as_ptr(), host.as_ptr(), SMALL))
    });
    group.bench_function("usm_core", |b| {
        b.iter(|| q.copy_all(black_box(&mut dev), black_box(&host)).unwrap())
    });
    group.bench_function("raw_async_list_event", |b| {
        b.iter(|| raw_async.copy(dev.as_ptr(), host.as_ptr(), SMALL))
    });
    group.bench_function("usm_core_scope", |b| {
        b.iter(|| scoped_copy(&q, &mut dev, &host))
    });
    group.finish();
}

/// One asynchronous copy in a scope of its own (submitted, then awaited at its end).
fn scoped_copy(q: &Queue, dev: &mut UsmDevice, host: &UsmHost) {
    scope(|s| s.copy(q, s.hold_mut(dev), s.hold(host), &[]).map(|_| ())).unwrap()
}

fn bandwidth(c: &mut Criterion) {
    let s = setup();
    let q = queue(&s, Mode::Asynchronous);
    for size in LARGE {
        let mut host = UsmHost::new(&s.context, size).unwrap();
        host.as_mut_slice().fill(1);
        let mut dev_a = UsmDevice::new(&s.context, &s.device, size).unwrap();
        let mut dev_b = UsmDevice::new(&s.context, &s.device, size).unwrap();
        q.copy_all(&mut dev_a, &host).unwrap();
        let src = vec![1u8; size];
        let mut dst = vec![0u8; size];
        let mut group = c.benchmark_group(format!("copy_{}MiB", size >> 20));
        group.throughput(Throughput::Bytes(size as u64));
        group.sample_size(10);
        group.measurement_time(Duration::from_secs(3));
        group.bench_function("memcpy", |b| {
            b.iter(|| black_box(&mut dst[..]).copy_from_slice(black_box(&src)))
        });
        group.bench_function("h2d", |b| b.iter(|| q.copy_all(&mut dev_a, &host).unwrap()));
        group.bench_function("d2h", |b| b.iter(|| q.copy_all(&mut host, &dev_a).unwrap()));
        group.bench_function("d2d", |b| {
            b.iter(|| q.copy_all(&mut dev_b, &dev_a).unwrap())
        });
        group.finish();
    }
}

/// Median of `blocks` paired ratios (time of `a` / time of `b`, `per_block` runs each),
/// interleaved so that drift of the machine hits both sides alike.
fn paired_ratio(blocks: usize, per_block: usize, a: &mut dyn FnMut(), b: &mut dyn FnMut()) -> f64 {
    let time = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        for _ in 0..per_block {
            f();
        }
        start.elapsed().max(Duration::from_nanos(1)).as_secs_f64()
    };
    let mut ratios: Vec<f64> = (0..blocks).map(|_| time(a) / time(b)).collect();
    ratios.sort_by(f64::total_cmp);
    ratios[ratios.len() / 2]
}

fn report(quick: bool) {
    let s = setup();
    let host = UsmHost::new(&s.context, SMALL).unwrap();
    let mut dev = UsmDevice::new(&s.context, &s.device, SMALL).unwrap();
    let (blocks, per_block) = if quick { (3, 10) } else { (41, 2000) };
    println!("\ncopy of {SMALL} bytes host->device, usm-core / raw level-zero-sys (median of {blocks} paired blocks):");
    let q = queue(&s, Mode::Asynchronous);
    let raw_sync = RawList::new(&s, &q, Mode::Synchronous);
    let raw_async = RawList::new(&s, &q, Mode::Asynchronous);
    let (d, h) = (dev.as_ptr(), host.as_ptr());
    let sync = paired_ratio(
        blocks,
        per_block,
        &mut || q.copy_all(&mut dev, &host).unwrap(),
        &mut || raw_sync.copy(d, h, SMALL),
    );
    let scoped = paired_ratio(
        blocks,
        per_block,
        &mut || scoped_copy(&q, &mut dev, &host),
        &mut || raw_async.copy(d, h, SMALL),
    );
    // The synchronous call's target is 3%; the scope's, which adds a scope and its
    // event bookkeeping to one copy, 5%.
    let verdict = |r: f64, target: f64| {
        if r <= target {
            "within its target"
        } else {
            "above its target"
        }
    };
    println!(
        "  synchronous call vs synchronous list: {sync:.3} ({}, 1.03)",
        verdict(sync, 1.03)
    );
    println!(
        "  one-copy scope vs asynchronous list + event: {scoped:.3} ({}, 1.05)",
        verdict(scoped, 1.05)
    );
    let q = queue(&s, Mode::Asynchronous);
    let (blocks, per_block) = if quick { (1, 1) } else { (7, 3) };
    println!("\nbandwidth / host memcpy of the same size (median of {blocks} paired blocks; target >= 0.9):");
    for size in LARGE {
        let mut host = UsmHost::new(&s.context, size).unwrap();
        let mut dev_a = UsmDevice::new(&s.context, &s.device, size).unwrap();
        let mut dev_b = UsmDevice::new(&s.context, &s.device, size).unwrap();
        q.copy_all(&mut dev_a, &host).unwrap();
        q.copy_all(&mut dev_b, &host).unwrap();
        let src = vec![1u8; size];
        let mut dst = vec![0u8; size];
        let mut memcpy = || black_box(&mut dst[..]).copy_from_slice(black_box(&src));
        // Ratio of rates = memcpy time / copy time.
        let h2d = paired_ratio(blocks, per_block, &mut memcpy, &mut || {
            q.copy_all(&mut dev_a, &host).unwrap()
        });
        let d2h = paired_ratio(blocks, per_block, &mut memcpy, &mut || {
            q.copy_all(&mut host, &dev_a).unwrap()
        });
        let d2d = paired_ratio(blocks, per_block, &mut memcpy, &mut || {
            q.copy_all(&mut dev_b, &dev_a).unwrap()
        });
        println!(
            "  {:>3} MiB: host->device {h2d:.2}x, device->host {d2h:.2}x, device->device {d2d:.2}x",
            size >> 20
        );
    }
}

/// The criterion group (its generated function stays private to this bench).
mod group {
    use super::*;
    criterion_group!(benches, latency_4k, bandwidth);
}

fn main() {
    group::benches();
    Criterion::default().configure_from_args().final_summary();
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    report(std::env::args().any(|a| a == "--test"));
}
