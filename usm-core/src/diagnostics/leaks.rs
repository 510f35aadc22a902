//! Leak reports: on demand ([`report_leaks`]) and when the process exits.

use std::io::Write;
use std::sync::{mpsc, Once};
use std::time::Duration;

use crate::context::live_contexts;
use crate::context::tracker::{describe, warn_leak, LiveAllocation};

/// The environment variable that, set to `0`, silences the leak report at process exit.
pub const LEAK_REPORT_ENV: &str = "USM_LEAK_REPORT";

/// Every USM allocation made through usm-core that is still alive, in every context, each
/// reported as a `warn` event (target `usm_core::leak`) naming where it was allocated.
///
/// Call it at the end of `main` (or of a test) to find memory that was never freed.
pub fn report_leaks() -> Vec<LiveAllocation> {
    let mut leaks = Vec::new();
    for context in live_contexts() {
        leaks.extend(context.tracker.live());
    }
    for a in &leaks {
        warn_leak(a, "USM allocation still alive");
    }
    leaks
}

static AT_EXIT: Once = Once::new();

/// Registers the report at process exit, once per process (the first allocation does).
#[inline]
pub(crate) fn report_at_exit_once() {
    AT_EXIT.call_once(|| {
        // SAFETY: `report_at_exit` is an `extern "C" fn()` that catches every panic, and it
        // only reads usm-core's own bookkeeping (no driver call), which stays valid until
        // the process is gone.
        let rc = unsafe { libc::atexit(report_at_exit) };
        if rc != 0 {
            tracing::debug!(rc, "cannot register the leak report at exit");
        }
    });
}

extern "C" fn report_at_exit() {
    // No panic may unwind into the C library's exit path.
    let _ = std::panic::catch_unwind(|| {
        if std::env::var_os(LEAK_REPORT_ENV).is_some_and(|v| v == "0") {
            return;
        }
        let leaks = live_without_waiting();
        if leaks.is_empty() {
            return;
        }
        if !report_from_a_fresh_thread(&leaks) {
            write_to_stderr(&leaks);
        }
    });
}

/// The live allocations of every context, skipping what another thread holds locked
/// (other threads may still run during exit: never wait for a lock here).
fn live_without_waiting() -> Vec<LiveAllocation> {
    let mut leaks = Vec::new();
    crate::context::visit_live_contexts_without_waiting(|tracker| {
        leaks.extend(tracker.try_live().unwrap_or_default());
    });
    leaks
}

/// How long the report at exit waits for the thread that reports through `tracing`.
const REPORT_THREAD_TIMEOUT: Duration = Duration::from_secs(2);

/// Reports `leaks` through `tracing`, from a new thread: the exiting thread's
/// thread-locals are destroyed before `atexit` handlers run, and subscribers use them
/// (`tracing_subscriber::fmt` panics). Whether a subscriber listened and took every event
/// in time: the thread is waited for at most [`REPORT_THREAD_TIMEOUT`], since it may
/// block on a lock the exiting thread holds (standard error's, say).
fn report_from_a_fresh_thread(leaks: &[LiveAllocation]) -> bool {
    let owned = leaks.to_vec();
    let (done, outcome) = mpsc::channel();
    let spawned = std::panic::catch_unwind(move || {
        std::thread::Builder::new()
            .name("usm-core leak report".into())
            .spawn(move || {
                let listened = tracing::enabled!(target: "usm_core::leak", tracing::Level::WARN);
                if listened {
                    for a in &owned {
                        warn_leak(a, "USM allocation still alive at process exit");
                    }
                }
                let _ = done.send(listened);
            })
    });
    match spawned {
        // A panic in the subscriber drops the sender without a message.
        Ok(Ok(_)) => outcome.recv_timeout(REPORT_THREAD_TIMEOUT).unwrap_or(false),
        // No thread (or no way to make one at exit): standard error.
        _ => false,
    }
}

fn write_to_stderr(leaks: &[LiveAllocation]) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "usm-core: {} USM allocation(s) still alive at process exit:",
        leaks.len()
    );
    for a in leaks {
        let _ = writeln!(err, "  {}", describe(a));
    }
}
