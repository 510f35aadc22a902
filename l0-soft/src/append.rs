//! The `zeCommandListAppend*` entry points: each validates its arguments, turns them
//! into one [`Step`] and hands it to the list (recorded, or run at once on an immediate
//! list).
//!
//! Validation, beyond the specification's null and size checks:
//! * memory: a pointer into USM (of any context of the driver, as Intel's driver accepts)
//!   must keep the whole range inside its allocation (`ZE_RESULT_ERROR_INVALID_SIZE`);
//!   other host pointers are accepted for copies, copy regions and timestamps when their
//!   pages are mapped and, for sources, readable (else
//!   `ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY`, as when Intel's driver fails to pin them; see
//!   `host_memory`) but not as a fill destination, prefetch or advice range
//!   (`ZE_RESULT_ERROR_INVALID_ARGUMENT`);
//! * fill: the pattern size is a power of two no larger than the queue group's
//!   `maxMemoryFillPatternSize`, else `ZE_RESULT_ERROR_INVALID_SIZE`; the size need not be
//!   a multiple of it (the last repetition is cut short);
//! * copy region: equal width/height/depth on both sides (else
//!   `ZE_RESULT_ERROR_INVALID_ARGUMENT`), rows no wider than the pitch and slices no
//!   taller than the slice pitch (else `ZE_RESULT_ERROR_INVALID_SIZE`), no shared byte
//!   (`ZE_RESULT_ERROR_OVERLAPPING_REGIONS`); depth 0 is a 2-D copy;
//! * events: of the list's context, else `ZE_RESULT_ERROR_INVALID_SYNCHRONIZATION_OBJECT`;
//!   timestamp queries need events of a `KERNEL_TIMESTAMP` pool
//!   (`ZE_RESULT_ERROR_INVALID_ARGUMENT`);
//! * a global timestamp destination is 8-byte aligned (`ZE_RESULT_ERROR_INVALID_ARGUMENT`).

use std::ffi::c_void;
use std::sync::Arc;

use level_zero_sys::*;

use crate::access::{self, MemRef};
use crate::cmdlist::CommandList;
use crate::command::{Op, Step};
use crate::context::{self, Context};
use crate::copy::Region;
use crate::device;
use crate::event::Event;
use crate::ffi::{guard, ZeResult};

const NULL_POINTER: ze_result_t = ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER;
const INVALID_ARGUMENT: ze_result_t = ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT;
const INVALID_SIZE: ze_result_t = ze_result_t::ZE_RESULT_ERROR_INVALID_SIZE;

/// The signal event and wait list of an append.
struct SyncObjects {
    wait: Vec<Arc<Event>>,
    signal: Option<Arc<Event>>,
}

fn event_of(list: &CommandList, h: ze_event_handle_t) -> ZeResult<Arc<Event>> {
    let event = Event::get(h)?;
    if event.context().id() != list.context().id() {
        return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_SYNCHRONIZATION_OBJECT);
    }
    Ok(event)
}

fn events_of(
    list: &CommandList,
    count: u32,
    handles: *const ze_event_handle_t,
) -> ZeResult<Vec<Arc<Event>>> {
    (0..count as usize)
        .map(|i| {
            // SAFETY: the caller passes `count` handles (`handles` is non-null here).
            event_of(list, unsafe { *handles.add(i) })
        })
        .collect()
}

fn sync_objects(
    list: &CommandList,
    signal: ze_event_handle_t,
    num_wait: u32,
    wait: *const ze_event_handle_t,
) -> ZeResult<SyncObjects> {
    if wait.is_null() && num_wait > 0 {
        return Err(INVALID_SIZE);
    }
    let signal = if signal.is_null() {
        None
    } else {
        Some(event_of(list, signal)?)
    };
    Ok(SyncObjects {
        wait: events_of(list, num_wait, wait)?,
        signal,
    })
}

/// What an append with a signal event and a wait list has in common: look the list up,
/// check the required pointers (`missing_pointer`: one of them is null), the events and
/// that the list is open, then let `build` check the rest and make the operation, and
/// record it.
fn append(
    h: ze_command_list_handle_t,
    missing_pointer: bool,
    signal: ze_event_handle_t,
    num_wait: u32,
    wait: *const ze_event_handle_t,
    build: impl FnOnce(&CommandList) -> ZeResult<Op>,
) -> ze_result_t {
    guard(|| {
        let list = CommandList::get(h)?;
        if missing_pointer {
            return Err(NULL_POINTER);
        }
        let sync = sync_objects(&list, signal, num_wait, wait)?;
        list.ensure_open()?;
        let op = build(&list)?;
        list.record(Step {
            wait: sync.wait,
            op,
            signal: sync.signal,
        })
    })
}

/// Records a step with no signal event and no wait list (event signal, wait, reset).
fn append_plain(
    h: ze_command_list_handle_t,
    make: impl FnOnce(&CommandList) -> ZeResult<Step>,
) -> ze_result_t {
    guard(|| {
        let list = CommandList::get(h)?;
        let step = make(&list)?;
        list.ensure_open()?;
        list.record(step)
    })
}

/// `zeCommandListImmediateAppendCommandListsExp`: runs closed regular lists on an
/// immediate list, after its wait list and before its signal event.
#[cfg(ze_api = "1.9")]
unsafe extern "C" fn immediate_append_lists(
    h: ze_command_list_handle_t,
    num_lists: u32,
    ph_lists: *mut ze_command_list_handle_t,
    signal: ze_event_handle_t,
    num_wait: u32,
    wait: *mut ze_event_handle_t,
) -> ze_result_t {
    guard(|| {
        let list = CommandList::get(h)?;
        if ph_lists.is_null() {
            return Err(NULL_POINTER);
        }
        let sync = sync_objects(&list, signal, num_wait, wait)?;
        let lists = (0..num_lists as usize)
            .map(|i| {
                // SAFETY: the caller passes `num_lists` handles.
                CommandList::get(unsafe { *ph_lists.add(i) })
            })
            .collect::<ZeResult<Vec<_>>>()?;
        list.append_lists(sync.wait, &lists, sync.signal)
    })
}

/// Overrides the entries of the experimental command list table this driver implements.
#[cfg(ze_api = "1.9")]
pub(crate) fn fill_exp_table(t: &mut ze_command_list_exp_dditable_t) {
    t.pfnImmediateAppendCommandListsExp = Some(immediate_append_lists);
}

fn usm_only(m: MemRef) -> ZeResult<MemRef> {
    if m.is_usm() {
        Ok(m)
    } else {
        Err(INVALID_ARGUMENT)
    }
}

/// A copy of `size` bytes into the list's context from `src`, which is memory of
/// `src_context` (the list's own context for plain copies).
fn copy_op(
    list: &CommandList,
    src_context: &Context,
    dst: *mut c_void,
    src: *const c_void,
    size: usize,
) -> ZeResult<Op> {
    let dst = access::memory_of(list.context(), dst, size)?;
    let src = access::source_of(src_context, src, size)?;
    crate::fault::check_submission()?;
    Ok(Op::Copy {
        dst,
        src,
        len: size,
    })
}

unsafe extern "C" fn memory_copy(
    h: ze_command_list_handle_t,
    dst: *mut c_void,
    src: *const c_void,
    size: usize,
    signal: ze_event_handle_t,
    num_wait: u32,
    wait: *mut ze_event_handle_t,
) -> ze_result_t {
    let missing = dst.is_null() || src.is_null();
    append(h, missing, signal, num_wait, wait, |list| {
        copy_op(list, list.context(), dst, src, size)
    })
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn memory_copy_from_context(
    h: ze_command_list_handle_t,
    dst: *mut c_void,
    h_src_context: ze_context_handle_t,
    src: *const c_void,
    size: usize,
    signal: ze_event_handle_t,
    num_wait: u32,
    wait: *mut ze_event_handle_t,
) -> ze_result_t {
    let missing = dst.is_null() || src.is_null();
    append(h, missing, signal, num_wait, wait, |list| {
        // The source context must be a live context; as in Intel's driver, the memory of
        // every context of the driver can be copied from, so it decides nothing else
        // (unless contexts are checked strictly, see `access::memory_of`).
        let src_context = context::get(h_src_context)?;
        copy_op(list, &src_context, dst, src, size)
    })
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn memory_fill(
    h: ze_command_list_handle_t,
    ptr: *mut c_void,
    pattern: *const c_void,
    pattern_size: usize,
    size: usize,
    signal: ze_event_handle_t,
    num_wait: u32,
    wait: *mut ze_event_handle_t,
) -> ze_result_t {
    let missing = ptr.is_null() || pattern.is_null();
    append(h, missing, signal, num_wait, wait, |list| {
        if !pattern_size.is_power_of_two() || pattern_size > list.max_fill_pattern() {
            return Err(INVALID_SIZE);
        }
        let dst = usm_only(access::memory_of(list.context(), ptr, size)?)?;
        // SAFETY: the caller passes `pattern_size` readable bytes at `pattern`.
        let bytes = unsafe { std::slice::from_raw_parts(pattern as *const u8, pattern_size) };
        crate::fault::check_submission()?;
        Ok(Op::Fill {
            dst,
            pattern: bytes.into(),
            len: size,
        })
    })
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn memory_copy_region(
    h: ze_command_list_handle_t,
    dst: *mut c_void,
    dst_region: *const ze_copy_region_t,
    dst_pitch: u32,
    dst_slice_pitch: u32,
    src: *const c_void,
    src_region: *const ze_copy_region_t,
    src_pitch: u32,
    src_slice_pitch: u32,
    signal: ze_event_handle_t,
    num_wait: u32,
    wait: *mut ze_event_handle_t,
) -> ze_result_t {
    let missing = dst.is_null() || src.is_null() || dst_region.is_null() || src_region.is_null();
    append(h, missing, signal, num_wait, wait, |list| {
        // SAFETY: non-null (checked first) regions the caller passes valid.
        let (dr, sr) = unsafe { (&*dst_region, &*src_region) };
        if (dr.width, dr.height, dr.depth) != (sr.width, sr.height, sr.depth) {
            return Err(INVALID_ARGUMENT);
        }
        let d = Region::new(dr, dst_pitch, dst_slice_pitch).map_err(|_| INVALID_SIZE)?;
        let s = Region::new(sr, src_pitch, src_slice_pitch).map_err(|_| INVALID_SIZE)?;
        let delta = src as usize as i128 - dst as usize as i128;
        if d.overlaps(&s, delta) {
            return Err(ze_result_t::ZE_RESULT_ERROR_OVERLAPPING_REGIONS);
        }
        let dst = access::memory_of(list.context(), dst, d.span().1 as usize)?;
        let src = access::source_of(list.context(), src, s.span().1 as usize)?;
        crate::fault::check_submission()?;
        Ok(Op::CopyRegion {
            dst,
            dst_region: d,
            src,
            src_region: s,
        })
    })
}

unsafe extern "C" fn barrier(
    h: ze_command_list_handle_t,
    signal: ze_event_handle_t,
    num_wait: u32,
    wait: *mut ze_event_handle_t,
) -> ze_result_t {
    append(h, false, signal, num_wait, wait, |_| Ok(Op::Nothing))
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn memory_ranges_barrier(
    h: ze_command_list_handle_t,
    _num_ranges: u32,
    range_sizes: *const usize,
    ranges: *mut *const c_void,
    signal: ze_event_handle_t,
    num_wait: u32,
    wait: *mut ze_event_handle_t,
) -> ze_result_t {
    let missing = range_sizes.is_null() || ranges.is_null();
    append(h, missing, signal, num_wait, wait, |_| Ok(Op::Nothing))
}

unsafe extern "C" fn write_global_timestamp(
    h: ze_command_list_handle_t,
    dst: *mut u64,
    signal: ze_event_handle_t,
    num_wait: u32,
    wait: *mut ze_event_handle_t,
) -> ze_result_t {
    append(h, dst.is_null(), signal, num_wait, wait, |list| {
        if dst as usize % 8 != 0 {
            return Err(INVALID_ARGUMENT);
        }
        let dst = access::memory_of(list.context(), dst as *const c_void, 8)?;
        Ok(Op::WriteTimestamp { dst })
    })
}

unsafe extern "C" fn signal_event(
    h: ze_command_list_handle_t,
    event: ze_event_handle_t,
) -> ze_result_t {
    append_plain(h, |list| {
        Ok(Step {
            wait: Vec::new(),
            op: Op::Nothing,
            signal: Some(event_of(list, event)?),
        })
    })
}

unsafe extern "C" fn wait_on_events(
    h: ze_command_list_handle_t,
    num: u32,
    events: *mut ze_event_handle_t,
) -> ze_result_t {
    append_plain(h, |list| {
        if events.is_null() {
            return Err(NULL_POINTER);
        }
        Ok(Step {
            wait: events_of(list, num, events)?,
            op: Op::Nothing,
            signal: None,
        })
    })
}

unsafe extern "C" fn event_reset(
    h: ze_command_list_handle_t,
    event: ze_event_handle_t,
) -> ze_result_t {
    append_plain(h, |list| {
        Ok(Step {
            wait: Vec::new(),
            op: Op::ResetEvent(event_of(list, event)?),
            signal: None,
        })
    })
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn query_kernel_timestamps(
    h: ze_command_list_handle_t,
    num_events: u32,
    events: *mut ze_event_handle_t,
    dst: *mut c_void,
    offsets: *const usize,
    signal: ze_event_handle_t,
    num_wait: u32,
    wait: *mut ze_event_handle_t,
) -> ze_result_t {
    let missing = events.is_null() || dst.is_null();
    append(h, missing, signal, num_wait, wait, |list| {
        let queried = events_of(list, num_events, events)?;
        if queried.iter().any(|e| !e.has_timestamps()) {
            return Err(INVALID_ARGUMENT);
        }
        let size = std::mem::size_of::<ze_kernel_timestamp_result_t>();
        let offsets: Vec<usize> = if offsets.is_null() {
            (0..num_events as usize).map(|i| i * size).collect()
        } else {
            // SAFETY: the caller passes `num_events` offsets.
            unsafe { std::slice::from_raw_parts(offsets, num_events as usize) }.to_vec()
        };
        let end = offsets
            .iter()
            .map(|o| o.checked_add(size).ok_or(INVALID_SIZE))
            .try_fold(0, |m, e| e.map(|e| m.max(e)))?;
        let dst = access::memory_of(list.context(), dst, end)?;
        Ok(Op::QueryKernelTimestamps {
            events: queried,
            dst,
            offsets,
        })
    })
}

/// Checks a prefetch or advice range: USM of the list's context.
fn check_hint(
    h: ze_command_list_handle_t,
    ptr: *const c_void,
    size: usize,
    more: impl FnOnce(&CommandList) -> ZeResult,
) -> ze_result_t {
    guard(|| {
        let list = CommandList::get(h)?;
        more(&list)?;
        if ptr.is_null() {
            return Err(NULL_POINTER);
        }
        list.ensure_open()?;
        usm_only(access::memory_of(list.context(), ptr, size)?).map(drop)
    })
}

unsafe extern "C" fn memory_prefetch(
    h: ze_command_list_handle_t,
    ptr: *const c_void,
    size: usize,
) -> ze_result_t {
    check_hint(h, ptr, size, |_| Ok(()))
}

unsafe extern "C" fn mem_advise(
    h: ze_command_list_handle_t,
    h_device: ze_device_handle_t,
    ptr: *const c_void,
    size: usize,
    advice: ze_memory_advice_t,
) -> ze_result_t {
    check_hint(h, ptr, size, |list| {
        let device = device::get(h_device)?;
        if ptr.is_null() {
            return Err(NULL_POINTER);
        }
        // Every advice of the current specification (API 1.17), whatever the headers:
        // up to `ZE_MEMORY_ADVICE_CLEAR_SYSTEM_MEMORY_PREFERRED_LOCATION` (9).
        const LAST_ADVICE: u32 = 9;
        if advice.0 > LAST_ADVICE {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ENUMERATION);
        }
        if !list.context().has_device(&device) {
            return Err(INVALID_ARGUMENT);
        }
        Ok(())
    })
}

/// Points the append entries of the command list table at this module.
pub(crate) fn fill_table(t: &mut ze_command_list_dditable_t) {
    t.pfnAppendWriteGlobalTimestamp = Some(write_global_timestamp);
    t.pfnAppendBarrier = Some(barrier);
    t.pfnAppendMemoryRangesBarrier = Some(memory_ranges_barrier);
    t.pfnAppendMemoryCopy = Some(memory_copy);
    t.pfnAppendMemoryFill = Some(memory_fill);
    t.pfnAppendMemoryCopyRegion = Some(memory_copy_region);
    t.pfnAppendMemoryCopyFromContext = Some(memory_copy_from_context);
    t.pfnAppendMemoryPrefetch = Some(memory_prefetch);
    t.pfnAppendMemAdvise = Some(mem_advise);
    t.pfnAppendSignalEvent = Some(signal_event);
    t.pfnAppendWaitOnEvents = Some(wait_on_events);
    t.pfnAppendEventReset = Some(event_reset);
    t.pfnAppendQueryKernelTimestamps = Some(query_kernel_timestamps);
}
