//! Allocation diagnostics: live counters per context and kind, the registry of live
//! allocations with the place each was made, and leak reports.
//!
//! Every allocation and free emits a `debug` event (target `usm_core::alloc`) with the kind,
//! bytes, alignment, pointer, device and elapsed time. A context whose last user handle is
//! dropped while memory made from it lives, and [`report_leaks`], emit one `warn` event
//! (target `usm_core::leak`) per live allocation, naming where it was allocated.
//!
//! When the process exits (returns from `main` or calls `std::process::exit`) with
//! allocations of usm-core still alive, the same report is made from an `atexit` handler
//! registered by the first [`Context`](crate::Context); if no `tracing` subscriber listens
//! to `warn` events of `usm_core::leak` then, the report goes to standard error instead.
//! Set `USM_LEAK_REPORT=0` to silence the report at exit.

use std::collections::BTreeMap;
use std::panic::Location;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use crate::context::ContextInner;
use crate::memory::UsmKind;

/// Counters of one USM kind in one context.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KindStats {
    /// Allocations alive now.
    pub live_count: u64,
    /// Bytes alive now.
    pub live_bytes: u64,
    /// Highest `live_count` seen.
    pub peak_count: u64,
    /// Highest `live_bytes` seen.
    pub peak_bytes: u64,
    /// Allocations made since the context was created.
    pub total_allocations: u64,
    /// Allocations freed since the context was created.
    pub total_frees: u64,
}

/// Counters of one context, per USM kind (see [`Context::stats`](crate::Context::stats)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContextStats {
    /// Device memory.
    pub device: KindStats,
    /// Shared memory.
    pub shared: KindStats,
    /// Host memory.
    pub host: KindStats,
}

impl ContextStats {
    /// The counters of `kind`.
    pub fn kind(&self, kind: UsmKind) -> &KindStats {
        match kind {
            UsmKind::Device => &self.device,
            UsmKind::Shared => &self.shared,
            UsmKind::Host => &self.host,
        }
    }

    /// Allocations alive now, over all kinds.
    pub fn live_count(&self) -> u64 {
        self.device.live_count + self.shared.live_count + self.host.live_count
    }

    /// Bytes alive now, over all kinds.
    pub fn live_bytes(&self) -> u64 {
        self.device.live_bytes + self.shared.live_bytes + self.host.live_bytes
    }
}

/// One live allocation, as named by a leak report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveAllocation {
    /// Raw handle of the context it was made in, as an address.
    pub context: usize,
    /// Its start address.
    pub addr: usize,
    /// Its kind.
    pub kind: UsmKind,
    /// Its size in bytes.
    pub size: usize,
    /// The alignment requested.
    pub alignment: usize,
    /// Where in the source it was allocated.
    pub location: &'static Location<'static>,
}

#[derive(Default)]
struct KindCounters {
    live_count: AtomicU64,
    live_bytes: AtomicU64,
    peak_count: AtomicU64,
    peak_bytes: AtomicU64,
    total_allocations: AtomicU64,
    total_frees: AtomicU64,
}

impl KindCounters {
    fn snapshot(&self) -> KindStats {
        KindStats {
            live_count: self.live_count.load(Ordering::Relaxed),
            live_bytes: self.live_bytes.load(Ordering::Relaxed),
            peak_count: self.peak_count.load(Ordering::Relaxed),
            peak_bytes: self.peak_bytes.load(Ordering::Relaxed),
            total_allocations: self.total_allocations.load(Ordering::Relaxed),
            total_frees: self.total_frees.load(Ordering::Relaxed),
        }
    }
}

/// The per-context bookkeeping.
#[derive(Default)]
pub(crate) struct Tracker {
    counters: [KindCounters; 3],
    live: Mutex<BTreeMap<usize, LiveAllocation>>,
}

fn index(kind: UsmKind) -> usize {
    match kind {
        UsmKind::Device => 0,
        UsmKind::Shared => 1,
        UsmKind::Host => 2,
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The maps hold plain data that stays consistent even if a holder panicked.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Tracker {
    pub(crate) fn on_alloc(&self, record: LiveAllocation) {
        let c = &self.counters[index(record.kind)];
        let bytes = record.size as u64;
        let count = c.live_count.fetch_add(1, Ordering::Relaxed) + 1;
        let live = c.live_bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        c.peak_count.fetch_max(count, Ordering::Relaxed);
        c.peak_bytes.fetch_max(live, Ordering::Relaxed);
        c.total_allocations.fetch_add(1, Ordering::Relaxed);
        lock(&self.live).insert(record.addr, record);
    }

    pub(crate) fn on_free(&self, addr: usize, kind: UsmKind, size: usize) {
        let c = &self.counters[index(kind)];
        c.live_count.fetch_sub(1, Ordering::Relaxed);
        c.live_bytes.fetch_sub(size as u64, Ordering::Relaxed);
        c.total_frees.fetch_add(1, Ordering::Relaxed);
        lock(&self.live).remove(&addr);
    }

    pub(crate) fn stats(&self) -> ContextStats {
        ContextStats {
            device: self.counters[0].snapshot(),
            shared: self.counters[1].snapshot(),
            host: self.counters[2].snapshot(),
        }
    }

    pub(crate) fn live(&self) -> Vec<LiveAllocation> {
        lock(&self.live).values().cloned().collect()
    }

    /// The live allocation containing `addr`, if usm-core made it.
    pub(crate) fn find(&self, addr: usize) -> Option<LiveAllocation> {
        let live = lock(&self.live);
        let (_, a) = live.range(..=addr).next_back()?;
        (addr < a.addr + a.size.max(1)).then(|| a.clone())
    }
}

/// Every context made by usm-core that may still be alive, for process-wide reports.
static CONTEXTS: Mutex<Vec<Weak<ContextInner>>> = Mutex::new(Vec::new());

pub(crate) fn register_context(inner: &Arc<ContextInner>) {
    let mut all = lock(&CONTEXTS);
    all.retain(|w| w.strong_count() > 0);
    all.push(Arc::downgrade(inner));
    drop(all);
    AT_EXIT.call_once(|| {
        // SAFETY: `report_at_exit` is an `extern "C" fn()` that catches every panic, and
        // it only reads usm-core's own bookkeeping (no driver call), which stays valid
        // until the process is gone.
        let rc = unsafe { libc::atexit(report_at_exit) };
        if rc != 0 {
            tracing::debug!(rc, "cannot register the leak report at exit");
        }
    });
}

static AT_EXIT: std::sync::Once = std::sync::Once::new();

/// The environment variable that, set to `0`, silences the leak report at process exit.
pub const LEAK_REPORT_ENV: &str = "USM_LEAK_REPORT";

extern "C" fn report_at_exit() {
    // No panic may unwind into the C library's exit path.
    let _ = std::panic::catch_unwind(|| {
        if std::env::var_os(LEAK_REPORT_ENV).is_some_and(|v| v == "0") {
            return;
        }
        let listened = tracing::enabled!(target: "usm_core::leak", tracing::Level::WARN);
        let leaks = report_leaks();
        if !listened && !leaks.is_empty() {
            use std::io::Write;
            let mut err = std::io::stderr().lock();
            let _ = writeln!(
                err,
                "usm-core: {} USM allocation(s) still alive at process exit:",
                leaks.len()
            );
            for a in &leaks {
                let _ = writeln!(err, "  {}", describe(a));
            }
        }
    });
}

/// One line naming a live allocation and where it was made.
fn describe(a: &LiveAllocation) -> String {
    format!(
        "{} bytes of {} memory at {:#x} (context {:#x}), allocated at {}",
        a.size, a.kind, a.addr, a.context, a.location
    )
}

fn live_contexts() -> Vec<Arc<ContextInner>> {
    lock(&CONTEXTS).iter().filter_map(Weak::upgrade).collect()
}

/// The raw handle (as an address) of the usm-core context with a live allocation that
/// contains `addr`.
pub(crate) fn owner_context(addr: usize) -> Option<usize> {
    live_contexts()
        .iter()
        .find_map(|c| c.tracker.find(addr))
        .map(|a| a.context)
}

pub(crate) fn warn_leak(a: &LiveAllocation, why: &str) {
    tracing::warn!(
        target: "usm_core::leak",
        kind = %a.kind,
        bytes = a.size,
        alignment = a.alignment,
        ptr = format_args!("{:#x}", a.addr),
        context = format_args!("{:#x}", a.context),
        allocated_at = %a.location,
        "{why}: {}",
        describe(a)
    );
}

/// Every USM allocation made through usm-core that is still alive, in every context, each
/// reported as a `warn` event (target `usm_core::leak`) naming where it was allocated.
///
/// Call it at the end of `main` (or of a test) to find memory that was never freed.
pub fn report_leaks() -> Vec<LiveAllocation> {
    let mut out = Vec::new();
    for context in live_contexts() {
        for a in context.tracker.live() {
            warn_leak(&a, "USM allocation still alive");
            out.push(a);
        }
    }
    out
}
