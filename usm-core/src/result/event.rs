//! `zeEventPool*` and `zeEvent*`: host-visible events.

use level_zero_sys::{
    ze_context_handle_t, ze_event_desc_t, ze_event_handle_t, ze_event_pool_desc_t,
    ze_event_pool_flag_t, ze_event_pool_handle_t, ze_event_scope_flag_t, ze_result_t,
    ze_structure_type_t, Api,
};

use crate::error::{check, Result};

/// `zeEventPoolCreate`: a pool of `count` host-visible events over every device of the
/// context.
///
/// # Safety
///
/// `context` is a live handle.
pub(crate) unsafe fn pool_create(
    api: &Api,
    context: ze_context_handle_t,
    count: u32,
) -> Result<ze_event_pool_handle_t> {
    let flags = ze_event_pool_flag_t::ZE_EVENT_POOL_FLAG_HOST_VISIBLE.0;
    // SAFETY: forwarded from the caller.
    unsafe { pool_create_with(api, context, count, (flags, "HOST_VISIBLE")) }
}

/// `zeEventPoolCreate` with `flags` (their value and their names, for the error): a pool
/// of `count` events over every device of the context.
///
/// # Safety
///
/// `context` is a live handle.
pub(crate) unsafe fn pool_create_with(
    api: &Api,
    context: ze_context_handle_t,
    count: u32,
    (flags, names): (u32, &'static str),
) -> Result<ze_event_pool_handle_t> {
    let desc = ze_event_pool_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_EVENT_POOL_DESC,
        pNext: std::ptr::null(),
        flags,
        count,
    };
    let mut pool: ze_event_pool_handle_t = std::ptr::null_mut();
    // SAFETY: valid context per the caller, typed descriptor, no device list (all devices
    // of the context), live out-parameter.
    let outcome =
        unsafe { api.zeEventPoolCreate(context, &desc, 0, std::ptr::null_mut(), &mut pool) };
    check("zeEventPoolCreate", outcome, move || {
        format!("hContext={context:p}, desc.count={count}, desc.flags={names}")
    })?;
    Ok(pool)
}

/// `zeEventPoolDestroy`.
///
/// # Safety
///
/// `pool` came from [`pool_create`], its events are destroyed, and it is destroyed once.
pub(crate) unsafe fn pool_destroy(api: &Api, pool: ze_event_pool_handle_t) -> Result<()> {
    // SAFETY: forwarded from the caller.
    let outcome = unsafe { api.zeEventPoolDestroy(pool) };
    check("zeEventPoolDestroy", outcome, move || {
        format!("hEventPool={pool:p}")
    })
}

/// `zeEventCreate`: event `index` of `pool`, signalled and waited for with host scope.
///
/// # Safety
///
/// `pool` is a live pool and `index` is below its count and not in use.
pub(crate) unsafe fn create(
    api: &Api,
    pool: ze_event_pool_handle_t,
    index: u32,
) -> Result<ze_event_handle_t> {
    let desc = ze_event_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_EVENT_DESC,
        pNext: std::ptr::null(),
        index,
        signal: ze_event_scope_flag_t::ZE_EVENT_SCOPE_FLAG_HOST.0,
        wait: ze_event_scope_flag_t::ZE_EVENT_SCOPE_FLAG_HOST.0,
    };
    let mut event: ze_event_handle_t = std::ptr::null_mut();
    // SAFETY: forwarded from the caller; typed descriptor, live out-parameter.
    let outcome = unsafe { api.zeEventCreate(pool, &desc, &mut event) };
    check("zeEventCreate", outcome, move || {
        format!("hEventPool={pool:p}, desc.index={index}")
    })?;
    Ok(event)
}

/// `zeEventDestroy`.
///
/// # Safety
///
/// `event` came from [`create`], no work refers to it, and it is destroyed once.
pub(crate) unsafe fn destroy(api: &Api, event: ze_event_handle_t) -> Result<()> {
    // SAFETY: forwarded from the caller.
    let outcome = unsafe { api.zeEventDestroy(event) };
    check("zeEventDestroy", outcome, move || {
        format!("hEvent={event:p}")
    })
}

/// `zeEventHostSynchronize` without a time limit (repeated while the driver answers
/// `ZE_RESULT_NOT_READY`).
///
/// # Safety
///
/// `event` is a live event (of a live pool).
pub(crate) unsafe fn host_synchronize(api: &Api, event: ze_event_handle_t) -> Result<()> {
    loop {
        // SAFETY: forwarded from the caller; waiting is free-threaded.
        let outcome = unsafe { api.zeEventHostSynchronize(event, u64::MAX) };
        if outcome == Ok(ze_result_t::ZE_RESULT_NOT_READY) {
            continue;
        }
        return check("zeEventHostSynchronize", outcome, move || {
            format!("hEvent={event:p}, timeout=UINT64_MAX")
        });
    }
}

/// `zeEventQueryStatus`: whether `event` is signalled.
///
/// # Safety
///
/// As [`host_synchronize`].
pub(crate) unsafe fn query_status(api: &Api, event: ze_event_handle_t) -> Result<bool> {
    // SAFETY: forwarded from the caller; queries are free-threaded.
    let outcome = unsafe { api.zeEventQueryStatus(event) };
    if outcome == Ok(ze_result_t::ZE_RESULT_NOT_READY) {
        return Ok(false);
    }
    check("zeEventQueryStatus", outcome, move || {
        format!("hEvent={event:p}")
    })
    .map(|()| true)
}

/// `zeEventHostReset`.
///
/// # Safety
///
/// `event` is a live event that no submitted work refers to any more.
pub(crate) unsafe fn host_reset(api: &Api, event: ze_event_handle_t) -> Result<()> {
    // SAFETY: forwarded from the caller.
    let outcome = unsafe { api.zeEventHostReset(event) };
    check("zeEventHostReset", outcome, move || {
        format!("hEvent={event:p}")
    })
}
