//! Allocation diagnostics: live counters per context and kind, the record of each live
//! allocation with the place it was made, and leak reports.
//!
//! Every allocation and free emits a `debug` event (target `usm_core::alloc`) with the kind,
//! bytes, alignment (the effective one, the same in both events), pointer, device and
//! elapsed time. A context whose last user handle is dropped while memory made from it
//! lives, and [`report_leaks`], emit one `warn` event (target `usm_core::leak`) per live
//! allocation, naming where it was allocated.
//!
//! When the process exits (returns from `main` or calls `std::process::exit`) with
//! allocations of usm-core still alive, the same report is made from an `atexit` handler
//! registered by the first allocation. The exiting thread's thread-locals are already gone
//! then (and subscribers such as `tracing_subscriber::fmt` use them), so the report is made
//! from a thread of its own (waited for at most two seconds: it may block on a lock the
//! exiting thread holds); if no `tracing` subscriber listens to `warn` events of
//! `usm_core::leak`, or the report through it fails or does not finish in time, it goes
//! to standard error instead.
//! Set `USM_LEAK_REPORT=0` to silence the report at exit.
//!
//! This module reports; the registry of live contexts it walks is
//! the context module's (one registry, apart from these reports).

mod leaks;

pub use crate::context::tracker::{ContextStats, KindStats, LiveAllocation};
pub(crate) use leaks::report_at_exit_once;
pub use leaks::{report_leaks, LEAK_REPORT_ENV};
