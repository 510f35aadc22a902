//! `usm bench`: copy bandwidth and latency per direction, engine and mode, and allocation
//! latency per kind, each beside a baseline measured in the same run.
//!
//! * Copies (H2D: host USM → device, D2H: device → host USM, D2D: device → device) go
//!   through a usm-core [`Queue`]. Every row carries host `memcpy` of the same size as the
//!   bandwidth baseline (`vs memcpy` = our GB/s ÷ memcpy GB/s) and, in synchronous mode, the
//!   same copy through raw level-zero-sys calls on a synchronous immediate list as the
//!   latency baseline (`vs raw` = our time ÷ raw time; 1.00 means no overhead).
//! * Asynchronous rows submit a batch of copies in one [`usm_core::scope`] and report the
//!   time per copy.
//! * Allocation rows time allocate + free through usm-core against raw `zeMemAlloc*` +
//!   `zeMemFree`.
//!
//! A row's operation and its baselines are measured in alternation, one repetition of each
//! in turn, and each ratio is the median of the per-repetition ratios, so that load or
//! frequency changes during the run affect both sides alike.

mod raw;
mod report;
mod stats;

use std::ffi::c_void;
use std::time::Duration;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use usm_core::{
    scope, Context, Device, Engine, Mode, Queue, QueueOptions, UsmDevice, UsmHost, UsmKind,
    UsmMemory,
};

use crate::error::CliError;
pub use report::{Format, Report};
use stats::{measure_interleaved, median_ratio, summarize, Plan, Timing};

/// Copies submitted per repetition in asynchronous mode.
const ASYNC_BATCH: usize = 8;

/// A copy direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Host USM → device memory.
    H2d,
    /// Device memory → host USM.
    D2h,
    /// Device memory → device memory.
    D2d,
}

impl Direction {
    /// `h2d`, `d2h` or `d2d`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::H2d => "h2d",
            Direction::D2h => "d2h",
            Direction::D2d => "d2d",
        }
    }
}

/// An engine group to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineArg {
    /// The compute group.
    Compute,
    /// The main copy engine.
    MainCopy,
    /// The first link copy engine.
    LinkCopy,
}

impl From<EngineArg> for Engine {
    fn from(e: EngineArg) -> Engine {
        match e {
            EngineArg::Compute => Engine::Compute,
            EngineArg::MainCopy => Engine::MainCopy,
            EngineArg::LinkCopy => Engine::LinkCopy,
        }
    }
}

/// Synchronous or asynchronous submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// Each copy returns when done.
    Sync,
    /// Copies are batched in a scope.
    Async,
}

/// Options of `usm bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Copy sizes, comma-separated, with K/M/G suffixes (binary). Default: 4K to 256M in
    /// steps of 4x.
    #[arg(long, value_delimiter = ',', value_parser = parse_size)]
    sizes: Vec<usize>,
    /// Directions to measure (default: all).
    #[arg(long, value_delimiter = ',', value_enum)]
    directions: Vec<Direction>,
    /// Engine groups to measure (default: every group the device has).
    #[arg(long, value_delimiter = ',', value_enum)]
    engines: Vec<EngineArg>,
    /// Submission modes (default: both).
    #[arg(long, value_delimiter = ',', value_enum)]
    modes: Vec<ModeArg>,
    /// Allocation sizes for the allocate+free latency rows (default: 4K,1M,64M).
    #[arg(long, value_delimiter = ',', value_parser = parse_size)]
    alloc_sizes: Vec<usize>,
    /// Skip the copy rows.
    #[arg(long)]
    no_copy: bool,
    /// Skip the allocation rows.
    #[arg(long)]
    no_alloc: bool,
    /// Timed repetitions per row.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    reps: u32,
    /// Untimed warm-up runs per row.
    #[arg(long, default_value_t = 1)]
    warmup: u32,
    /// Each repetition repeats the operation for at least this many milliseconds.
    #[arg(long, default_value_t = 5)]
    min_rep_ms: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Shorthand for `--format json`.
    #[arg(long, conflicts_with_all = ["format", "csv"])]
    json: bool,
    /// Shorthand for `--format csv`.
    #[arg(long, conflicts_with_all = ["format", "json"])]
    csv: bool,
}

impl BenchArgs {
    /// The output format asked for.
    pub fn output_format(&self) -> Format {
        if self.json {
            Format::Json
        } else if self.csv {
            Format::Csv
        } else {
            self.format
        }
    }
}

/// Parses `4096`, `4K`, `64KiB`, `16M`, `1G` (binary multiples).
pub fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let n: usize = num
        .parse()
        .map_err(|_| format!("`{text}` is not a size (like 4096, 64K, 16M, 1G)"))?;
    let shift = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        _ => return Err(format!("`{text}` has an unknown unit (use K, M or G)")),
    };
    if n == 0 {
        return Err("sizes must be greater than zero".to_string());
    }
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// One measured copy configuration.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CopyRow {
    /// Direction.
    pub direction: Direction,
    /// Engine group name.
    pub engine: String,
    /// `sync` or `async`.
    pub mode: &'static str,
    /// Bytes per copy.
    pub bytes: usize,
    /// Time per copy through usm-core.
    pub timing: Timing,
    /// usm-core bandwidth, GB/s.
    pub gbps: f64,
    /// Host memcpy of the same size in the same run, GB/s.
    pub memcpy_gbps: f64,
    /// `gbps / memcpy_gbps`.
    pub vs_memcpy: f64,
    /// The same copy through raw calls (synchronous rows only), seconds.
    pub raw_median_s: Option<f64>,
    /// `timing.median_s / raw_median_s` (synchronous rows only).
    pub vs_raw: Option<f64>,
}

/// One measured allocation configuration.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AllocRow {
    /// `device`, `shared` or `host`.
    pub kind: &'static str,
    /// Bytes per allocation.
    pub bytes: usize,
    /// Allocate + free through usm-core.
    pub timing: Timing,
    /// Allocate + free through raw calls, seconds.
    pub raw_median_s: f64,
    /// `timing.median_s / raw_median_s`.
    pub vs_raw: f64,
}

/// Runs the benchmark on `device` and returns the report.
pub fn run(args: &BenchArgs, context: &Context, device: &Device) -> Result<Report, CliError> {
    let plan = Plan {
        warmup: args.warmup as usize,
        reps: args.reps as usize,
        min_rep_time: Duration::from_millis(args.min_rep_ms),
    };
    let sizes = if args.sizes.is_empty() {
        (0..9).map(|i| 4096usize << (2 * i)).collect()
    } else {
        args.sizes.clone()
    };
    let directions = or_all(
        &args.directions,
        &[Direction::H2d, Direction::D2h, Direction::D2d],
    );
    let modes = or_all(&args.modes, &[ModeArg::Sync, ModeArg::Async]);
    let engines = engines_to_measure(args, device)?;
    let alloc_sizes = if args.alloc_sizes.is_empty() {
        vec![4096, 1 << 20, 64 << 20]
    } else {
        args.alloc_sizes.clone()
    };

    let copy_count = if args.no_copy {
        0
    } else {
        sizes.len() * directions.len() * engines.len() * modes.len()
    };
    let alloc_count = if args.no_alloc {
        0
    } else {
        alloc_sizes.len() * 3
    };
    let progress = ProgressBar::new((copy_count + alloc_count) as u64);
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );

    let mut report = Report::new(device.properties()?.name);
    if !args.no_copy {
        for &size in &sizes {
            let mut buffers = CopyBuffers::new(context, device, size)?;
            for &engine in &engines {
                for &mode in &modes {
                    let queue = Queue::with_options(
                        context,
                        device,
                        QueueOptions::new().engine(engine).mode(match mode {
                            ModeArg::Sync => Mode::Synchronous,
                            ModeArg::Async => Mode::Asynchronous,
                        }),
                    )?;
                    for &direction in &directions {
                        progress.set_message(format!(
                            "{} {} {mode:?} {}",
                            direction.as_str(),
                            queue.engine(),
                            crate::info::format_bytes(size as u64)
                        ));
                        let row = buffers.measure(plan, &queue, mode, direction)?;
                        report.copies.push(row);
                        progress.inc(1);
                    }
                }
            }
        }
    }
    if !args.no_alloc {
        for &size in &alloc_sizes {
            for kind in [UsmKind::Device, UsmKind::Shared, UsmKind::Host] {
                progress.set_message(format!(
                    "alloc {} {}",
                    kind.as_str(),
                    crate::info::format_bytes(size as u64)
                ));
                let mut ours = || alloc_free(context, device, kind, size);
                let mut raw = || raw::alloc_free(context, device, kind, size);
                let samples = measure_interleaved(plan, &mut [&mut ours, &mut raw])?;
                report.allocations.push(AllocRow {
                    kind: kind.as_str(),
                    bytes: size,
                    timing: summarize(&mut samples[0].clone()),
                    raw_median_s: summarize(&mut samples[1].clone()).median_s,
                    vs_raw: median_ratio(&samples[0], &samples[1]),
                });
                progress.inc(1);
            }
        }
    }
    progress.finish_and_clear();
    Ok(report)
}

fn or_all<T: Copy>(chosen: &[T], all: &[T]) -> Vec<T> {
    if chosen.is_empty() {
        all.to_vec()
    } else {
        chosen.to_vec()
    }
}

/// The engine groups asked for, or every group the device has.
fn engines_to_measure(args: &BenchArgs, device: &Device) -> Result<Vec<Engine>, CliError> {
    if args.engines.is_empty() {
        Ok(Engine::available(&device.queue_groups()?))
    } else {
        Ok(args.engines.iter().map(|&e| Engine::from(e)).collect())
    }
}

fn alloc_free(
    context: &Context,
    device: &Device,
    kind: UsmKind,
    size: usize,
) -> Result<(), usm_core::Error> {
    match kind {
        UsmKind::Device => UsmDevice::new(context, device, size).map(drop),
        UsmKind::Shared => usm_core::UsmShared::new(context, device, size).map(drop),
        UsmKind::Host => UsmHost::new(context, size).map(drop),
    }
}

/// The memory of one size's copy rows: a host USM source, two device buffers, a host USM
/// sink, and two plain host vectors for the memcpy baseline.
struct CopyBuffers {
    usm: UsmBuffers,
    memcpy_src: Vec<u8>,
    memcpy_dst: Vec<u8>,
    size: usize,
}

/// The USM side of [`CopyBuffers`].
struct UsmBuffers {
    host_src: UsmHost,
    host_dst: UsmHost,
    dev_a: UsmDevice,
    dev_b: UsmDevice,
}

impl CopyBuffers {
    fn new(context: &Context, device: &Device, size: usize) -> Result<CopyBuffers, CliError> {
        let mut host_src = UsmHost::new(context, size)?;
        for (i, b) in host_src.as_mut_slice().iter_mut().enumerate() {
            *b = i as u8;
        }
        Ok(CopyBuffers {
            usm: UsmBuffers {
                host_src,
                host_dst: UsmHost::new(context, size)?,
                dev_a: UsmDevice::new(context, device, size)?,
                dev_b: UsmDevice::new(context, device, size)?,
            },
            memcpy_src: (0..size).map(|i| i as u8).collect(),
            memcpy_dst: vec![0u8; size],
            size,
        })
    }

    /// Measures one row: the copy through usm-core, host memcpy of the same size, and (in
    /// synchronous mode) the same copy through raw calls, in alternation.
    fn measure(
        &mut self,
        plan: Plan,
        queue: &Queue,
        mode: ModeArg,
        direction: Direction,
    ) -> Result<CopyRow, CliError> {
        let size = self.size;
        let (dst, src) = self.usm.raw_pointers(direction);
        let raw_list = match mode {
            ModeArg::Sync => Some(raw::RawList::new(
                queue.context(),
                queue.device(),
                queue.chosen_engine(),
            )?),
            ModeArg::Async => None,
        };
        let CopyBuffers {
            usm,
            memcpy_src,
            memcpy_dst,
            ..
        } = self;
        let mut ours = || match mode {
            ModeArg::Sync => usm.copy_sync(queue, direction),
            ModeArg::Async => usm.copy_async_batch(queue, direction),
        };
        let mut memcpy = || -> Result<(), usm_core::Error> {
            memcpy_dst.copy_from_slice(std::hint::black_box(memcpy_src.as_slice()));
            std::hint::black_box(memcpy_dst.as_mut_slice());
            Ok(())
        };
        let mut samples = match &raw_list {
            Some(list) => {
                // SAFETY: both pointers are `size`-byte USM allocations of the queue's
                // context owned by `usm`, distinct, and only used by one copy at a time:
                // the operations below run one after another on this thread, and the
                // synchronous copies have finished when they return.
                let mut raw_copy = || unsafe { list.copy(dst, src, size) };
                measure_interleaved(plan, &mut [&mut ours, &mut memcpy, &mut raw_copy])?
            }
            None => measure_interleaved(plan, &mut [&mut ours, &mut memcpy])?,
        };
        if mode == ModeArg::Async {
            for t in &mut samples[0] {
                *t /= ASYNC_BATCH as f64;
            }
        }
        let timing = summarize(&mut samples[0].clone());
        let memcpy_timing = summarize(&mut samples[1].clone());
        let (raw_median_s, vs_raw) = match samples.get(2) {
            Some(raw) => (
                Some(summarize(&mut raw.clone()).median_s),
                Some(median_ratio(&samples[0], raw)),
            ),
            None => (None, None),
        };
        Ok(CopyRow {
            direction,
            engine: queue.engine().to_string(),
            mode: match mode {
                ModeArg::Sync => "sync",
                ModeArg::Async => "async",
            },
            bytes: size,
            timing,
            gbps: timing.gbps(size),
            memcpy_gbps: memcpy_timing.gbps(size),
            vs_memcpy: median_ratio(&samples[1], &samples[0]),
            raw_median_s,
            vs_raw,
        })
    }
}

impl UsmBuffers {
    fn copy_sync(&mut self, queue: &Queue, direction: Direction) -> Result<(), usm_core::Error> {
        match direction {
            Direction::H2d => queue.copy_all(&mut self.dev_a, &self.host_src),
            Direction::D2h => queue.copy_all(&mut self.host_dst, &self.dev_a),
            Direction::D2d => queue.copy_all(&mut self.dev_b, &self.dev_a),
        }
    }

    fn copy_async_batch(
        &mut self,
        queue: &Queue,
        direction: Direction,
    ) -> Result<(), usm_core::Error> {
        let UsmBuffers {
            host_src,
            host_dst,
            dev_a,
            dev_b,
        } = self;
        scope(|s| {
            let (dst, src) = match direction {
                Direction::H2d => (s.hold_mut(dev_a), s.hold(&*host_src)),
                Direction::D2h => (s.hold_mut(host_dst), s.hold(&*dev_a)),
                Direction::D2d => (s.hold_mut(dev_b), s.hold(&*dev_a)),
            };
            for _ in 0..ASYNC_BATCH {
                s.copy(queue, dst, src, &[])?;
            }
            Ok(())
        })
    }

    fn raw_pointers(&self, direction: Direction) -> (*mut c_void, *const c_void) {
        match direction {
            Direction::H2d => (self.dev_a.as_ptr(), self.host_src.as_ptr().cast_const()),
            Direction::D2h => (self.host_dst.as_ptr(), self.dev_a.as_ptr().cast_const()),
            Direction::D2d => (self.dev_b.as_ptr(), self.dev_a.as_ptr().cast_const()),
        }
    }
}
