//! The commands a queue appends, and the one place that appends them (through the result
//! layer's command-list family).

use std::ffi::c_void;
use std::time::Instant;

use level_zero_sys::{
    ze_command_list_handle_t, ze_device_handle_t, ze_event_handle_t, ze_memory_advice_t,
};
use tracing::span::EnteredSpan;

use super::{Engine, Queue, QueueInner};
use crate::error::Result;
use crate::result::command_list::{self, RegionSide};
use crate::transfer::{CheckedRegionCopy, Side};

/// One command, with raw addresses that the caller has checked.
pub(crate) enum Command<'a> {
    /// `zeCommandListAppendMemoryCopy`.
    Copy {
        dst: *mut c_void,
        src: *const c_void,
        len: usize,
    },
    /// `zeCommandListAppendMemoryFill`.
    Fill {
        dst: *mut c_void,
        pattern: &'a [u8],
        len: usize,
    },
    /// `zeCommandListAppendMemoryCopyRegion`.
    Region {
        dst: RegionSide<*mut c_void>,
        src: RegionSide<*const c_void>,
    },
    /// `zeCommandListAppendBarrier`: nothing but waits and a signal.
    Barrier,
    /// `zeCommandListAppendMemoryPrefetch` (takes no events: see `append_hint`).
    Prefetch { ptr: *const c_void, len: usize },
    /// `zeCommandListAppendMemAdvise` (takes no events: see `append_hint`).
    Advise {
        device: ze_device_handle_t,
        ptr: *const c_void,
        len: usize,
        advice: ze_memory_advice_t,
    },
}

impl Command<'static> {
    /// The command of a checked region copy.
    pub(crate) fn region(checked: &CheckedRegionCopy) -> Command<'static> {
        let (dst, d) = &checked.dst;
        let (src, s) = &checked.src;
        Command::Region {
            dst: RegionSide {
                ptr: dst.ptr(),
                region: d.raw,
                pitch: d.pitches.0,
                slice_pitch: d.pitches.1,
            },
            src: RegionSide {
                ptr: src.ptr().cast_const(),
                region: s.raw,
                pitch: s.pitches.0,
                slice_pitch: s.pitches.1,
            },
        }
    }
}

impl Queue {
    /// Runs `command` and returns when it is done.
    ///
    /// # Safety
    ///
    /// The addresses in `command` must be valid for the accesses it makes until it
    /// returns, and no other code may access the destination meanwhile.
    #[inline(always)]
    pub(crate) unsafe fn run(&self, command: &Command<'_>) -> Result<()> {
        self.inner.order_after_raw_work()?;
        self.with_sync_list(|list| {
            // SAFETY: forwarded from the caller; the list is synchronous, so the work is
            // done when the append returns; no other thread appends to it meanwhile.
            unsafe {
                self.inner
                    .append_to(list, command, std::ptr::null_mut(), &[])
            }
        })
    }
}

impl QueueInner {
    /// Appends `command` to the list of the queue's mode, signalling `signal` (may be
    /// null) after waiting for `waits`.
    ///
    /// # Safety
    ///
    /// As [`Queue::run`], until `signal` is signalled; `signal` and `waits` are events of
    /// the queue's context.
    pub(super) unsafe fn append(
        &self,
        command: &Command<'_>,
        signal: ze_event_handle_t,
        waits: &[ze_event_handle_t],
    ) -> Result<()> {
        let list = self.lock_list();
        // SAFETY: forwarded from the caller; the guard keeps other threads off the list.
        unsafe { self.append_to(*list, command, signal, waits) }
    }

    /// Appends `command` to `list`.
    ///
    /// # Safety
    ///
    /// As [`QueueInner::append`]; `list` is one of this queue's lists, which the caller
    /// keeps other threads off.
    #[inline(always)]
    unsafe fn append_to(
        &self,
        list: ze_command_list_handle_t,
        command: &Command<'_>,
        signal: ze_event_handle_t,
        waits: &[ze_event_handle_t],
    ) -> Result<()> {
        let api = self.context.api();
        match *command {
            // SAFETY: (here and in every arm) the list is valid and used by this thread
            // only; the addresses are valid and the events of this context, per the caller.
            Command::Copy { dst, src, len } => unsafe {
                command_list::append_memory_copy(api, list, dst, src, len, signal, waits)
            },
            // SAFETY: as for the first arm.
            Command::Fill { dst, pattern, len } if len % pattern.len().max(1) == 0 => unsafe {
                command_list::append_memory_fill(api, list, dst, pattern, len, signal, waits)
            },
            // SAFETY: as for the first arm.
            Command::Fill { dst, pattern, len } => unsafe {
                self.append_partial_fill(list, dst, pattern, len, signal, waits)
            },
            // SAFETY: as for the first arm.
            Command::Region { ref dst, ref src } => unsafe {
                command_list::append_memory_copy_region(api, list, dst, src, signal, waits)
            },
            // SAFETY: as for the first arm.
            Command::Barrier => unsafe { command_list::append_barrier(api, list, signal, waits) },
            // SAFETY: as for the first arm.
            Command::Prefetch { ptr, len } => unsafe {
                self.append_hint(list, signal, waits, || {
                    command_list::append_memory_prefetch(api, list, ptr, len)
                })
            },
            Command::Advise {
                device,
                ptr,
                len,
                advice,
            } => {
                // SAFETY: as for the first arm; the device is the queue's.
                unsafe {
                    self.append_hint(list, signal, waits, || {
                        command_list::append_mem_advise(api, list, device, ptr, len, advice)
                    })
                }
            }
        }
    }

    /// A hint (prefetch or advice, which take no events) after `waits` and before
    /// `signal`: a barrier that waits for `waits` when there are any, the hint, and a
    /// barrier that signals `signal` when it is not null (a barrier without a wait list
    /// waits for every command before it).
    ///
    /// # Safety
    ///
    /// As [`QueueInner::append_to`]; `hint` appends one command to `list`, whose safety
    /// conditions the caller upholds.
    unsafe fn append_hint(
        &self,
        list: ze_command_list_handle_t,
        signal: ze_event_handle_t,
        waits: &[ze_event_handle_t],
        hint: impl FnOnce() -> Result<()>,
    ) -> Result<()> {
        let api = self.context.api();
        if !waits.is_empty() {
            // SAFETY: forwarded from the caller.
            unsafe { command_list::append_barrier(api, list, std::ptr::null_mut(), waits) }?;
        }
        hint()?;
        if signal.is_null() {
            return Ok(());
        }
        // SAFETY: forwarded from the caller.
        unsafe { command_list::append_barrier(api, list, signal, &[]) }
    }
}

impl QueueInner {
    /// A fill whose size is not a multiple of its pattern (the last repetition cut short),
    /// in the commands current specifications allow (API 1.17 requires the size of one
    /// fill to be a multiple of its pattern size): the whole repetitions, then the tail as
    /// fills with the power-of-two leading parts of the pattern (at most 7 for a 128-byte
    /// pattern), each after `waits`, and a barrier that signals `signal` once all of them
    /// are done.
    ///
    /// # Safety
    ///
    /// As [`QueueInner::append_to`].
    unsafe fn append_partial_fill(
        &self,
        list: ze_command_list_handle_t,
        dst: *mut c_void,
        pattern: &[u8],
        len: usize,
        signal: ze_event_handle_t,
        waits: &[ze_event_handle_t],
    ) -> Result<()> {
        let api = self.context.api();
        let whole = len - len % pattern.len();
        let mut pieces = Vec::with_capacity(8);
        if whole > 0 {
            pieces.push((0, pattern, whole));
        }
        // The tail starts a new repetition: it is the pattern's first `len - whole` bytes,
        // split into pieces whose sizes are powers of two (each its own pattern).
        let mut offset = whole;
        while offset < len {
            let piece = 1usize << (len - offset).ilog2();
            let start = offset - whole;
            pieces.push((offset, &pattern[start..start + piece], piece));
            offset += piece;
        }
        for (offset, pattern, size) in pieces {
            // SAFETY: `offset + size <= len`: inside the caller's destination; the rest is
            // forwarded from the caller.
            unsafe {
                command_list::append_memory_fill(
                    api,
                    list,
                    dst.cast::<u8>().add(offset).cast(),
                    pattern,
                    size,
                    std::ptr::null_mut(),
                    waits,
                )
            }?;
        }
        if signal.is_null() {
            return Ok(());
        }
        // SAFETY: as above; a barrier without a wait list waits for every command before it
        // on the list.
        unsafe { command_list::append_barrier(api, list, signal, &[]) }
    }
}

/// The span of an asynchronous copy (owned or scoped), entered.
pub(crate) fn copy_async_span(bytes: usize, direction: &str, engine: Engine) -> EnteredSpan {
    tracing::debug_span!(
        target: "usm_core::copy",
        "usm copy async",
        bytes,
        direction,
        engine = %engine
    )
    .entered()
}

/// The span of an asynchronous fill (owned or scoped), entered.
pub(crate) fn fill_async_span(dst: &Side, pattern: usize, engine: Engine) -> EnteredSpan {
    tracing::debug_span!(
        target: "usm_core::copy",
        "usm fill async",
        bytes = dst.len,
        pattern,
        kind = ?dst.kind,
        engine = %engine
    )
    .entered()
}

/// The start of a timed operation: `Some` only when debug tracing of copies is on.
#[inline]
pub(crate) fn start_clock() -> Option<Instant> {
    debug_enabled!("usm_core::copy").then(Instant::now)
}

/// Reports the achieved rate of a finished transfer (debug level, in its span).
#[inline]
pub(crate) fn report(start: Option<Instant>, bytes: usize) {
    if let Some(start) = start {
        report_rate(start, bytes);
    }
}

#[cold]
#[inline(never)]
fn report_rate(start: Instant, bytes: usize) {
    let ns = start.elapsed().as_nanos().max(1) as f64;
    tracing::debug!(
        target: "usm_core::copy",
        bytes,
        elapsed_ns = ns as u64,
        gb_per_s = bytes as f64 / ns,
        "done"
    );
}
