//! Recorded commands and how a worker (or a synchronous caller) runs them.
//!
//! Every append becomes one [`Step`]: wait for the wait-list events, run the operation,
//! stamp and signal the signal event. A step whose wait-list event failed does not run
//! and passes the failure on, like work behind a faulted command on a GPU.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use level_zero_sys::{ze_kernel_timestamp_result_t, ze_result_t};

use crate::access::MemRef;
use crate::copy::{copy_bytes, copy_host_bytes, copy_region, fill_bytes, Region};
use crate::event::Event;
use crate::ffi::ZeResult;

/// What a step does once its wait list is satisfied.
pub(crate) enum Op {
    /// `zeCommandListAppendMemoryCopy` / `...CopyFromContext`.
    Copy {
        dst: MemRef,
        src: MemRef,
        len: usize,
    },
    /// `zeCommandListAppendMemoryFill`.
    Fill {
        dst: MemRef,
        pattern: Box<[u8]>,
        len: usize,
    },
    /// `zeCommandListAppendMemoryCopyRegion`.
    CopyRegion {
        dst: MemRef,
        dst_region: Region,
        src: MemRef,
        src_region: Region,
    },
    /// Barriers, event signals and waits: nothing beyond the wait list and the signal.
    Nothing,
    /// `zeCommandListAppendEventReset`.
    ResetEvent(Arc<Event>),
    /// `zeCommandListAppendWriteGlobalTimestamp`.
    WriteTimestamp { dst: MemRef },
    /// `zeCommandListAppendQueryKernelTimestamps`: one result per event, at `offsets`.
    QueryKernelTimestamps {
        events: Vec<Arc<Event>>,
        dst: MemRef,
        offsets: Vec<usize>,
    },
}

/// One recorded command.
pub(crate) struct Step {
    /// Events that must be signaled before the operation starts.
    pub wait: Vec<Arc<Event>>,
    /// The operation.
    pub op: Op,
    /// Event signaled (and stamped) when the operation ends.
    pub signal: Option<Arc<Event>>,
}

/// Runs one step up to, not including, its signal: waits for the wait list, then runs
/// the operation (unless a waited event failed, whose error it passes on). Returns the
/// result and the device-clock start and end of the operation.
pub(crate) fn execute(step: &Step) -> (ze_result_t, u64, u64) {
    let mut result = ze_result_t::ZE_RESULT_SUCCESS;
    for e in &step.wait {
        let r = e.wait(u64::MAX);
        if r != ze_result_t::ZE_RESULT_SUCCESS && result == ze_result_t::ZE_RESULT_SUCCESS {
            result = r;
        }
    }
    let start = crate::device::timestamp_ns();
    if result == ze_result_t::ZE_RESULT_SUCCESS {
        result = catch_unwind(AssertUnwindSafe(|| run_op(&step.op)))
            .unwrap_or(ze_result_t::ZE_RESULT_ERROR_UNKNOWN);
    }
    (result, start, crate::device::timestamp_ns())
}

const LOST: ze_result_t = ze_result_t::ZE_RESULT_ERROR_DEVICE_LOST;

fn run_op(op: &Op) -> ze_result_t {
    match op {
        Op::Copy { dst, src, len } => {
            if crate::fault::completion_fails() {
                return LOST;
            }
            let (d, s) = (dst.driver_ptr(), src.driver_ptr());
            if dst.is_usm() && src.is_usm() {
                // SAFETY: both ranges were checked at append time to lie inside their
                // allocations, which the command keeps mapped; data races with the host
                // are the application's, as on a device.
                unsafe { copy_bytes(d, s, *len) };
            } else if let Err(code) = {
                // SAFETY: USM sides as above; the application's host memory was checked
                // at append time and is accessed without faulting if it changed since.
                unsafe { copy_host_bytes(d, s, *len) }
            } {
                return code;
            }
        }
        Op::Fill { dst, pattern, len } => {
            if crate::fault::completion_fails() {
                return LOST;
            }
            // SAFETY: `len` bytes of USM checked at append time and kept mapped; the
            // pattern is the driver's own copy.
            unsafe { fill_bytes(dst.driver_ptr(), pattern, *len) };
        }
        Op::CopyRegion {
            dst,
            dst_region,
            src,
            src_region,
        } => {
            if crate::fault::completion_fails() {
                return LOST;
            }
            let host = !(dst.is_usm() && src.is_usm());
            let row = |d: *mut u8, s: *const u8, n: usize| -> ZeResult {
                if host {
                    // SAFETY: a row of the regions checked at append time; host memory is
                    // accessed without faulting.
                    unsafe { crate::host_memory::copy(d, s, n) }
                } else {
                    // SAFETY: a row inside USM checked at append time and kept mapped.
                    unsafe { std::ptr::copy_nonoverlapping(s, d, n) };
                    Ok(())
                }
            };
            // SAFETY: each side was checked at append time for the whole span of its
            // region's rows, and the regions not to overlap.
            let r = unsafe {
                copy_region(
                    dst.driver_ptr(),
                    dst_region,
                    src.driver_ptr(),
                    src_region,
                    row,
                )
            };
            if let Err(code) = r {
                return code;
            }
        }
        Op::Nothing => {}
        Op::ResetEvent(e) => e.reset(),
        Op::WriteTimestamp { dst } => {
            let now = crate::device::timestamp_ns();
            if let Err(code) = write_result(dst, 0, &now) {
                return code;
            }
        }
        Op::QueryKernelTimestamps {
            events,
            dst,
            offsets,
        } => {
            for (e, &off) in events.iter().zip(offsets) {
                let result: ze_kernel_timestamp_result_t = crate::event::timestamp_result(e);
                if let Err(code) = write_result(dst, off, &result) {
                    return code;
                }
            }
        }
    }
    ze_result_t::ZE_RESULT_SUCCESS
}

/// Writes `value` `offset` bytes into `dst` (no alignment needed), without faulting when
/// `dst` is the application's host memory.
fn write_result<T: Copy>(dst: &MemRef, offset: usize, value: &T) -> ZeResult {
    let src = (value as *const T).cast::<u8>();
    let size = std::mem::size_of::<T>();
    // SAFETY: the range up to `offset + size` was checked at append time (USM: inside its
    // allocation, kept mapped); `value` is a live local of `size` bytes.
    unsafe {
        let at = dst.driver_ptr().add(offset);
        if dst.is_usm() {
            std::ptr::copy_nonoverlapping(src, at, size);
            Ok(())
        } else {
            crate::host_memory::copy(at, src, size)
        }
    }
}
