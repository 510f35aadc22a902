//! Copy throughput and latency of the software driver, through the real loader.
//!
//! * 64 MiB and 256 MiB copies host→device, device→host and device→device on a
//!   synchronous immediate list, against a host `memcpy` of the same size in the same run;
//! * the latency of a 4 KiB synchronous immediate copy host→device, and of an
//!   asynchronous one waited for through an event.
//!
//! After criterion's report, a summary prints each copy's time as a ratio of host
//! `memcpy` (target: at least 0.9×) and the 4 KiB latency.
//!
//! `cargo bench --bench driver_copy`

use std::ffi::c_void;
use std::hint::black_box;
use std::ptr::null_mut;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use level_zero_sys::*;

const MIB: usize = 1 << 20;
const SIZES: [usize; 2] = [64 * MIB, 256 * MIB];
const SMALL: usize = 4096;

struct Driver {
    l: &'static Loader,
    ctx: ze_context_handle_t,
    device: ze_device_handle_t,
    list: ze_command_list_handle_t,
}

fn check(rc: Result<ze_result_t, MissingFunction>, what: &str) {
    let rc = rc.unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(rc.is_success(), "{what}: {:?}", rc.name());
}

impl Driver {
    fn open() -> Driver {
        // SAFETY: called from the bench's `main` before it starts threads or the loader.
        unsafe { ze_soft::enable_for_process() }.expect("libze_soft.so is built");
        let l = Loader::global().expect("libze_loader.so.1 is installed");
        // SAFETY: the calls get valid out-pointers and descriptors.
        unsafe {
            check(l.zeInit(0), "zeInit");
            let (mut n, mut driver) = (1u32, null_mut());
            check(l.zeDriverGet(&mut n, &mut driver), "zeDriverGet");
            let (mut n, mut device) = (1u32, null_mut());
            check(l.zeDeviceGet(driver, &mut n, &mut device), "zeDeviceGet");
            let desc = ze_context_desc_t {
                stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_CONTEXT_DESC,
                ..Default::default()
            };
            let mut ctx = null_mut();
            check(
                l.zeContextCreate(driver, &desc, &mut ctx),
                "zeContextCreate",
            );
            let qd = ze_command_queue_desc_t {
                stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC,
                ordinal: 0,
                mode: ze_command_queue_mode_t::ZE_COMMAND_QUEUE_MODE_SYNCHRONOUS,
                ..Default::default()
            };
            let mut list = null_mut();
            check(
                l.zeCommandListCreateImmediate(ctx, device, &qd, &mut list),
                "zeCommandListCreateImmediate",
            );
            Driver {
                l,
                ctx,
                device,
                list,
            }
        }
    }

    fn device_memory(&self, size: usize) -> *mut c_void {
        let desc = ze_device_mem_alloc_desc_t {
            stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC,
            ..Default::default()
        };
        let mut p = null_mut();
        // SAFETY: valid descriptor and out-pointer.
        check(
            unsafe {
                self.l
                    .zeMemAllocDevice(self.ctx, &desc, size, 4096, self.device, &mut p)
            },
            "zeMemAllocDevice",
        );
        p
    }

    fn host_memory(&self, size: usize) -> *mut c_void {
        let desc = ze_host_mem_alloc_desc_t {
            stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC,
            ..Default::default()
        };
        let mut p = null_mut();
        // SAFETY: valid descriptor and out-pointer.
        check(
            unsafe { self.l.zeMemAllocHost(self.ctx, &desc, size, 4096, &mut p) },
            "zeMemAllocHost",
        );
        p
    }

    /// One synchronous copy through the loader.
    fn copy(&self, dst: *mut c_void, src: *const c_void, len: usize) {
        // SAFETY: both ranges are live allocations of at least `len` bytes.
        let rc = unsafe {
            self.l.zeCommandListAppendMemoryCopy(
                self.list,
                dst,
                src,
                len,
                null_mut(),
                0,
                null_mut(),
            )
        };
        check(rc, "zeCommandListAppendMemoryCopy");
    }

    /// Writes every byte once, so that no page is first touched while measuring.
    fn touch(&self, p: *mut c_void, len: usize) {
        let pattern = [0x5Au8];
        // SAFETY: `len` bytes of USM at `p`.
        let rc = unsafe {
            self.l.zeCommandListAppendMemoryFill(
                self.list,
                p,
                pattern.as_ptr().cast(),
                1,
                len,
                null_mut(),
                0,
                null_mut(),
            )
        };
        check(rc, "zeCommandListAppendMemoryFill");
    }
}

/// The buffers of one size.
struct Buffers {
    len: usize,
    host_a: Vec<u8>,
    host_b: Vec<u8>,
    usm_host: *mut c_void,
    dev_a: *mut c_void,
    dev_b: *mut c_void,
}

impl Buffers {
    fn new(d: &Driver, len: usize) -> Buffers {
        let b = Buffers {
            len,
            host_a: vec![1u8; len],
            host_b: vec![2u8; len],
            usm_host: d.host_memory(len),
            dev_a: d.device_memory(len),
            dev_b: d.device_memory(len),
        };
        for p in [b.usm_host, b.dev_a, b.dev_b] {
            d.touch(p, len);
        }
        b
    }

    fn run(&mut self, d: &Driver, what: &str) {
        let len = self.len;
        match what {
            "host_memcpy" => self.host_b.copy_from_slice(black_box(&self.host_a)),
            "host_to_device" => d.copy(self.dev_a, self.usm_host, len),
            "device_to_host" => d.copy(self.usm_host, self.dev_a, len),
            "device_to_device" => d.copy(self.dev_b, self.dev_a, len),
            _ => unreachable!("{what}"),
        }
    }
}

/// A copy on an asynchronous immediate list, waited for through an event.
struct AsyncCopy<'a> {
    d: &'a Driver,
    list: ze_command_list_handle_t,
    event: ze_event_handle_t,
}

impl<'a> AsyncCopy<'a> {
    fn new(d: &'a Driver) -> Self {
        let qd = ze_command_queue_desc_t {
            stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC,
            mode: ze_command_queue_mode_t::ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS,
            ..Default::default()
        };
        let pd = ze_event_pool_desc_t {
            stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_EVENT_POOL_DESC,
            flags: ze_event_pool_flag_t::ZE_EVENT_POOL_FLAG_HOST_VISIBLE.0,
            count: 1,
            ..Default::default()
        };
        let ed = ze_event_desc_t {
            stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_EVENT_DESC,
            ..Default::default()
        };
        let (mut list, mut pool, mut event) = (null_mut(), null_mut(), null_mut());
        // SAFETY: valid descriptors and out-pointers.
        unsafe {
            check(
                d.l.zeCommandListCreateImmediate(d.ctx, d.device, &qd, &mut list),
                "zeCommandListCreateImmediate",
            );
            check(
                d.l.zeEventPoolCreate(d.ctx, &pd, 0, null_mut(), &mut pool),
                "zeEventPoolCreate",
            );
            check(d.l.zeEventCreate(pool, &ed, &mut event), "zeEventCreate");
        }
        AsyncCopy { d, list, event }
    }

    fn run(&self, dst: *mut c_void, src: *const c_void, len: usize) {
        // SAFETY: live allocations of `len` bytes; the event and list are live.
        unsafe {
            check(
                self.d.l.zeCommandListAppendMemoryCopy(
                    self.list,
                    dst,
                    src,
                    len,
                    self.event,
                    0,
                    null_mut(),
                ),
                "zeCommandListAppendMemoryCopy",
            );
            check(
                self.d.l.zeEventHostSynchronize(self.event, u64::MAX),
                "zeEventHostSynchronize",
            );
            check(self.d.l.zeEventHostReset(self.event), "zeEventHostReset");
        }
    }
}

const KINDS: [&str; 4] = [
    "host_memcpy",
    "host_to_device",
    "device_to_host",
    "device_to_device",
];

fn time(f: &mut impl FnMut()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

/// The median of `n` timed runs of `f`.
fn median(n: usize, mut f: impl FnMut()) -> Duration {
    let mut t: Vec<Duration> = (0..n).map(|_| time(&mut f)).collect();
    t.sort();
    t[n / 2]
}

/// Medians of `n` runs of `a` and of `b`, interleaved so that both see the same
/// conditions (other load, memory frequency).
fn paired_medians(n: usize, mut a: impl FnMut(), mut b: impl FnMut()) -> (Duration, Duration) {
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for _ in 0..n {
        ta.push(time(&mut a));
        tb.push(time(&mut b));
    }
    ta.sort();
    tb.sort();
    (ta[n / 2], tb[n / 2])
}

fn main() {
    let d = Driver::open();
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut summary = Vec::new();
    for len in SIZES {
        let mut b = Buffers::new(&d, len);
        let mut group = c.benchmark_group(format!("copy_{}MiB", len / MIB));
        group.throughput(Throughput::Bytes(len as u64));
        for what in KINDS {
            group.bench_function(BenchmarkId::from_parameter(what), |bench| {
                bench.iter(|| b.run(&d, what))
            });
        }
        group.finish();
        // The ratios, measured here in the same run, alternating to share conditions.
        let mut base_all = Vec::new();
        for what in &KINDS[1..] {
            let b = std::cell::RefCell::new(&mut b);
            let (base, t) = paired_medians(
                9,
                || b.borrow_mut().run(&d, "host_memcpy"),
                || b.borrow_mut().run(&d, what),
            );
            base_all.push(base);
            summary.push(format!(
                "{:>4} MiB {:<17} {:>8.2} ms  {:>6.2} GB/s  {:.2}x host memcpy speed",
                len / MIB,
                what,
                t.as_secs_f64() * 1e3,
                len as f64 / t.as_secs_f64() / 1e9,
                base.as_secs_f64() / t.as_secs_f64()
            ));
        }
        base_all.sort();
        let base = base_all[base_all.len() / 2];
        summary.push(format!(
            "{:>4} MiB host memcpy        {:>8.2} ms  {:>6.2} GB/s",
            len / MIB,
            base.as_secs_f64() * 1e3,
            len as f64 / base.as_secs_f64() / 1e9
        ));
    }
    let small_src = d.host_memory(SMALL);
    let small_dst = d.device_memory(SMALL);
    d.touch(small_src, SMALL);
    d.touch(small_dst, SMALL);
    c.bench_function("latency/sync_immediate_copy_4KiB", |bench| {
        bench.iter(|| d.copy(small_dst, small_src, SMALL))
    });
    let t = median(10_001, || d.copy(small_dst, small_src, SMALL));
    summary.push(format!(
        "4 KiB synchronous immediate copy host->device: {:.2} us (median)",
        t.as_secs_f64() * 1e6
    ));
    let async_copy = AsyncCopy::new(&d);
    c.bench_function("latency/async_immediate_copy_4KiB_event_wait", |bench| {
        bench.iter(|| async_copy.run(small_dst, small_src, SMALL))
    });
    let t = median(2_001, || async_copy.run(small_dst, small_src, SMALL));
    summary.push(format!(
        "4 KiB asynchronous immediate copy host->device, then event host synchronize and reset: {:.2} us (median)",
        t.as_secs_f64() * 1e6
    ));
    c.final_summary();
    println!("\nsoftware driver vs host memcpy (same run):");
    for line in summary {
        println!("  {line}");
    }
}
