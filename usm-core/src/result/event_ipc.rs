//! `zeEventPool*IpcHandle`, IPC event pools and the event calls only shared events make.

use level_zero_sys::{
    ze_context_handle_t, ze_event_handle_t, ze_event_pool_flag_t, ze_event_pool_handle_t,
    ze_ipc_event_pool_handle_t, ze_result_t, Api,
};

use crate::error::{check, Result};

/// `zeEventPoolCreate` with `ZE_EVENT_POOL_FLAG_IPC | ZE_EVENT_POOL_FLAG_HOST_VISIBLE`:
/// `count` events over every device of the context, shareable with other processes.
///
/// # Safety
///
/// `context` is a live handle.
pub(crate) unsafe fn pool_create(
    api: &Api,
    context: ze_context_handle_t,
    count: u32,
) -> Result<ze_event_pool_handle_t> {
    let flags = ze_event_pool_flag_t::ZE_EVENT_POOL_FLAG_HOST_VISIBLE.0
        | ze_event_pool_flag_t::ZE_EVENT_POOL_FLAG_IPC.0;
    // SAFETY: forwarded from the caller.
    unsafe { super::event::pool_create_with(api, context, count, (flags, "HOST_VISIBLE|IPC")) }
}

/// `zeEventPoolGetIpcHandle`.
///
/// # Safety
///
/// `pool` is a live pool.
pub(crate) unsafe fn get_ipc_handle(
    api: &Api,
    pool: ze_event_pool_handle_t,
) -> Result<ze_ipc_event_pool_handle_t> {
    let mut handle = ze_ipc_event_pool_handle_t::default();
    // SAFETY: forwarded from the caller; live out-parameter.
    let outcome = unsafe { api.zeEventPoolGetIpcHandle(pool, &mut handle) };
    check("zeEventPoolGetIpcHandle", outcome, move || {
        format!("hEventPool={pool:p}")
    })?;
    Ok(handle)
}

/// `zeEventPoolOpenIpcHandle`: the pool `handle` names, opened in `context`.
///
/// # Safety
///
/// `context` is a live handle.
pub(crate) unsafe fn open_ipc_handle(
    api: &Api,
    context: ze_context_handle_t,
    handle: ze_ipc_event_pool_handle_t,
) -> Result<ze_event_pool_handle_t> {
    let mut pool: ze_event_pool_handle_t = std::ptr::null_mut();
    // SAFETY: forwarded from the caller; the handle is plain bytes the driver checks; live
    // out-parameter.
    let outcome = unsafe { api.zeEventPoolOpenIpcHandle(context, handle, &mut pool) };
    check("zeEventPoolOpenIpcHandle", outcome, move || {
        format!("hContext={context:p}")
    })?;
    Ok(pool)
}

/// `zeEventPoolCloseIpcHandle`.
///
/// # Safety
///
/// `pool` came from [`open_ipc_handle`], its events are destroyed, and it is closed once.
pub(crate) unsafe fn close_ipc_handle(api: &Api, pool: ze_event_pool_handle_t) -> Result<()> {
    // SAFETY: forwarded from the caller.
    let outcome = unsafe { api.zeEventPoolCloseIpcHandle(pool) };
    check("zeEventPoolCloseIpcHandle", outcome, move || {
        format!("hEventPool={pool:p}")
    })
}

/// `zeEventHostSignal`.
///
/// # Safety
///
/// `event` is a live event.
pub(crate) unsafe fn host_signal(api: &Api, event: ze_event_handle_t) -> Result<()> {
    // SAFETY: forwarded from the caller; signalling is free-threaded.
    let outcome = unsafe { api.zeEventHostSignal(event) };
    check("zeEventHostSignal", outcome, move || {
        format!("hEvent={event:p}")
    })
}

/// `zeEventHostSynchronize` for at most `timeout_ns` nanoseconds: whether the event was
/// signalled in time.
///
/// # Safety
///
/// `event` is a live event.
pub(crate) unsafe fn host_synchronize_for(
    api: &Api,
    event: ze_event_handle_t,
    timeout_ns: u64,
) -> Result<bool> {
    // SAFETY: forwarded from the caller; waiting is free-threaded.
    let outcome = unsafe { api.zeEventHostSynchronize(event, timeout_ns) };
    if outcome == Ok(ze_result_t::ZE_RESULT_NOT_READY) {
        return Ok(false);
    }
    check("zeEventHostSynchronize", outcome, move || {
        format!("hEvent={event:p}, timeout={timeout_ns}")
    })
    .map(|()| true)
}
