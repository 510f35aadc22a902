//! `zeCommandList*`: immediate command lists and the commands appended to them.
//!
//! Every append takes the event to signal (may be null) and the events to wait for.

use std::ffi::c_void;

use level_zero_sys::{
    ze_command_list_handle_t, ze_command_queue_desc_t, ze_context_handle_t, ze_copy_region_t,
    ze_device_handle_t, ze_event_handle_t, ze_memory_advice_t, Api,
};

use crate::error::{check, Result};

/// `zeCommandListCreateImmediate`.
///
/// # Safety
///
/// `context` and `device` are live handles of one driver, the device one of the context's;
/// `desc` names an existing queue group and index of the device.
pub(crate) unsafe fn create_immediate(
    api: &Api,
    context: ze_context_handle_t,
    device: ze_device_handle_t,
    desc: &ze_command_queue_desc_t,
) -> Result<ze_command_list_handle_t> {
    let mut list: ze_command_list_handle_t = std::ptr::null_mut();
    // SAFETY: forwarded from the caller; typed descriptor, live out-parameter.
    let outcome = unsafe { api.zeCommandListCreateImmediate(context, device, desc, &mut list) };
    check("zeCommandListCreateImmediate", outcome, move || {
        format!(
            "hContext={context:p}, hDevice={device:p}, altdesc.ordinal={}, altdesc.index={}, \
             altdesc.flags={:#x}, altdesc.mode={}",
            desc.ordinal, desc.index, desc.flags, desc.mode.0
        )
    })?;
    Ok(list)
}

/// `zeCommandListDestroy`.
///
/// # Safety
///
/// `list` came from [`create_immediate`], no work appended to it is in flight, and it is
/// destroyed once.
pub(crate) unsafe fn destroy(api: &Api, list: ze_command_list_handle_t) -> Result<()> {
    // SAFETY: forwarded from the caller.
    let outcome = unsafe { api.zeCommandListDestroy(list) };
    check("zeCommandListDestroy", outcome, move || {
        format!("hCommandList={list:p}")
    })
}

/// The wait list as Level Zero takes it (a mutable pointer it only reads; null when empty).
fn wait_list(waits: &[ze_event_handle_t]) -> (u32, *mut ze_event_handle_t) {
    if waits.is_empty() {
        (0, std::ptr::null_mut())
    } else {
        (waits.len() as u32, waits.as_ptr().cast_mut())
    }
}

/// `zeCommandListAppendMemoryCopy`.
///
/// # Safety
///
/// `list` is live and no other thread appends to it during the call; `dst` and `src` are
/// valid for `size` bytes of writes and reads until `signal` signals (or, on a synchronous
/// list, until the call returns), and nothing else touches `dst` meanwhile; `signal` and
/// `waits` are live events of the list's context.
#[inline]
pub(crate) unsafe fn append_memory_copy(
    api: &Api,
    list: ze_command_list_handle_t,
    dst: *mut c_void,
    src: *const c_void,
    size: usize,
    signal: ze_event_handle_t,
    waits: &[ze_event_handle_t],
) -> Result<()> {
    let (n, w) = wait_list(waits);
    // SAFETY: forwarded from the caller; `w` points at `n` handles living across the call.
    let outcome = unsafe { api.zeCommandListAppendMemoryCopy(list, dst, src, size, signal, n, w) };
    check("zeCommandListAppendMemoryCopy", outcome, move || {
        format!(
            "hCommandList={list:p}, dstptr={dst:p}, srcptr={src:p}, size={size}, \
             hSignalEvent={signal:p}, numWaitEvents={n}"
        )
    })
}

/// `zeCommandListAppendMemoryFill`.
///
/// # Safety
///
/// As [`append_memory_copy`], for `size` bytes at `ptr`; `pattern` stays alive and
/// unchanged until the fill is done.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn append_memory_fill(
    api: &Api,
    list: ze_command_list_handle_t,
    ptr: *mut c_void,
    pattern: &[u8],
    size: usize,
    signal: ze_event_handle_t,
    waits: &[ze_event_handle_t],
) -> Result<()> {
    let (n, w) = wait_list(waits);
    let pattern_size = pattern.len();
    // SAFETY: forwarded from the caller; `w` points at `n` handles living across the call.
    let outcome = unsafe {
        api.zeCommandListAppendMemoryFill(
            list,
            ptr,
            pattern.as_ptr().cast(),
            pattern_size,
            size,
            signal,
            n,
            w,
        )
    };
    check("zeCommandListAppendMemoryFill", outcome, move || {
        format!(
            "hCommandList={list:p}, ptr={ptr:p}, pattern_size={pattern_size}, size={size}, \
             hSignalEvent={signal:p}, numWaitEvents={n}"
        )
    })
}

/// One side of a region copy: the base pointer, the region and the two pitches.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RegionSide<P> {
    pub(crate) ptr: P,
    pub(crate) region: ze_copy_region_t,
    pub(crate) pitch: u32,
    pub(crate) slice_pitch: u32,
}

/// `zeCommandListAppendMemoryCopyRegion`.
///
/// # Safety
///
/// As [`append_memory_copy`], for the bytes the two regions cover.
pub(crate) unsafe fn append_memory_copy_region(
    api: &Api,
    list: ze_command_list_handle_t,
    dst: &RegionSide<*mut c_void>,
    src: &RegionSide<*const c_void>,
    signal: ze_event_handle_t,
    waits: &[ze_event_handle_t],
) -> Result<()> {
    let (n, w) = wait_list(waits);
    // SAFETY: forwarded from the caller; the regions live across the call; `w` points at
    // `n` handles living across the call.
    let outcome = unsafe {
        api.zeCommandListAppendMemoryCopyRegion(
            list,
            dst.ptr,
            &dst.region,
            dst.pitch,
            dst.slice_pitch,
            src.ptr,
            &src.region,
            src.pitch,
            src.slice_pitch,
            signal,
            n,
            w,
        )
    };
    check("zeCommandListAppendMemoryCopyRegion", outcome, move || {
        let (d, s) = (&dst.region, &src.region);
        format!(
            "hCommandList={list:p}, dstptr={:p}, dstRegion=({},{},{}), dstPitch={}, \
             dstSlicePitch={}, srcptr={:p}, srcRegion=({},{},{}), srcPitch={}, \
             srcSlicePitch={}, extent=({},{},{}), hSignalEvent={signal:p}, numWaitEvents={n}",
            dst.ptr,
            d.originX,
            d.originY,
            d.originZ,
            dst.pitch,
            dst.slice_pitch,
            src.ptr,
            s.originX,
            s.originY,
            s.originZ,
            src.pitch,
            src.slice_pitch,
            d.width,
            d.height,
            d.depth
        )
    })
}

/// `zeCommandListAppendBarrier`: nothing but waits and a signal.
///
/// # Safety
///
/// `list` is live and no other thread appends to it during the call; `signal` and `waits`
/// are live events of the list's context.
pub(crate) unsafe fn append_barrier(
    api: &Api,
    list: ze_command_list_handle_t,
    signal: ze_event_handle_t,
    waits: &[ze_event_handle_t],
) -> Result<()> {
    let (n, w) = wait_list(waits);
    // SAFETY: forwarded from the caller; `w` points at `n` handles living across the call.
    let outcome = unsafe { api.zeCommandListAppendBarrier(list, signal, n, w) };
    check("zeCommandListAppendBarrier", outcome, move || {
        format!("hCommandList={list:p}, hSignalEvent={signal:p}, numWaitEvents={n}")
    })
}

/// `zeCommandListAppendMemoryPrefetch`.
///
/// # Safety
///
/// `list` is live and no other thread appends to it during the call; `ptr` is USM of the
/// list's context valid for `size` bytes until the prefetch is done.
pub(crate) unsafe fn append_memory_prefetch(
    api: &Api,
    list: ze_command_list_handle_t,
    ptr: *const c_void,
    size: usize,
) -> Result<()> {
    // SAFETY: forwarded from the caller.
    let outcome = unsafe { api.zeCommandListAppendMemoryPrefetch(list, ptr, size) };
    check("zeCommandListAppendMemoryPrefetch", outcome, move || {
        format!("hCommandList={list:p}, ptr={ptr:p}, size={size}")
    })
}

/// `zeCommandListAppendMemAdvise`.
///
/// # Safety
///
/// As [`append_memory_prefetch`]; `device` is a live device handle of the list's driver.
pub(crate) unsafe fn append_mem_advise(
    api: &Api,
    list: ze_command_list_handle_t,
    device: ze_device_handle_t,
    ptr: *const c_void,
    size: usize,
    advice: ze_memory_advice_t,
) -> Result<()> {
    // SAFETY: forwarded from the caller.
    let outcome = unsafe { api.zeCommandListAppendMemAdvise(list, device, ptr, size, advice) };
    check("zeCommandListAppendMemAdvise", outcome, move || {
        format!(
            "hCommandList={list:p}, hDevice={device:p}, ptr={ptr:p}, size={size}, advice={}",
            advice.0
        )
    })
}
