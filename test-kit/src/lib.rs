//! What the workspace's tests and benchmarks share (dev-only, never published).
//!
//! - [`driver`]: which driver the tests run on (`USM_TEST_DRIVER`) and enabling the
//!   software driver with an explicit configuration policy, once per process, through
//!   what `ze_soft` exposes (nothing here finds the library itself).
//! - [`raw`]: raw loader calls for the driver's own tests: the [`ze!`] macro,
//!   [`raw::assert_rc`] / [`raw::ok`], result code constants, and two helper sets,
//!   [`raw::probe`] (calls that return their codes) and [`raw::work`] (objects of one
//!   shared context that assert success).
//! - [`usm`]: usm-core tests' set-up, the USM kinds, allocation and byte patterns.
//! - [`gate`]: host-signalled events that hold back a queue's work.
//! - [`child`]: runs an ignored test of the same binary in a child process.
//! - [`graph`]: a crate's module graph from its sources, and its import cycles.

pub mod child;
pub mod driver;
pub mod gate;
pub mod graph;
pub mod raw;
pub mod usm;

/// Reports a skipped test or check: `skipped: <why>` on standard error, written past the
/// harness's output capture so that it shows in every run.
pub fn report_skip(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped: {why}");
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
