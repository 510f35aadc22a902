//! The events a queue signals: made in pools of the queue's context, handed out, reset and
//! reused, destroyed with the queue.

use level_zero_sys::{
    ze_context_handle_t, ze_event_desc_t, ze_event_handle_t, ze_event_pool_desc_t,
    ze_event_pool_flag_t, ze_event_pool_handle_t, ze_event_scope_flag_t, ze_structure_type_t,
};

use crate::error::{check, Result};
use crate::init::api;

/// Events per Level Zero event pool.
const EVENTS_PER_POOL: u32 = 32;

/// Host-visible events of one context, reused across submissions.
///
/// Not thread-safe by itself; the queue keeps it behind a mutex.
pub(crate) struct EventPool {
    context: ze_context_handle_t,
    pools: Vec<ze_event_pool_handle_t>,
    all: Vec<ze_event_handle_t>,
    free: Vec<ze_event_handle_t>,
    next_index: u32,
}

impl EventPool {
    /// An empty pool for `context`, which must outlive it.
    pub(crate) fn new(context: ze_context_handle_t) -> Self {
        EventPool {
            context,
            pools: Vec::new(),
            all: Vec::new(),
            free: Vec::new(),
            next_index: EVENTS_PER_POOL,
        }
    }

    /// Number of events made so far (in use or free).
    pub(crate) fn created(&self) -> usize {
        self.all.len()
    }

    /// An unsignalled event, reused when one is free, else made.
    pub(crate) fn acquire(&mut self) -> Result<ze_event_handle_t> {
        if let Some(e) = self.free.pop() {
            return Ok(e);
        }
        let api = api()?;
        if self.next_index == EVENTS_PER_POOL {
            let desc = ze_event_pool_desc_t {
                stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_EVENT_POOL_DESC,
                pNext: std::ptr::null(),
                flags: ze_event_pool_flag_t::ZE_EVENT_POOL_FLAG_HOST_VISIBLE.0,
                count: EVENTS_PER_POOL,
            };
            let mut pool: ze_event_pool_handle_t = std::ptr::null_mut();
            // SAFETY: valid context handle (kept alive by the queue), typed descriptor, no
            // device list (all devices of the context), live out-parameter.
            let outcome = unsafe {
                api.zeEventPoolCreate(self.context, &desc, 0, std::ptr::null_mut(), &mut pool)
            };
            check("zeEventPoolCreate", outcome, || {
                format!(
                    "context={:p}, count={EVENTS_PER_POOL}, host visible",
                    self.context
                )
            })?;
            self.pools.push(pool);
            self.next_index = 0;
        }
        let pool = *self.pools.last().expect("a pool was just made");
        let desc = ze_event_desc_t {
            stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_EVENT_DESC,
            pNext: std::ptr::null(),
            index: self.next_index,
            signal: ze_event_scope_flag_t::ZE_EVENT_SCOPE_FLAG_HOST.0,
            wait: ze_event_scope_flag_t::ZE_EVENT_SCOPE_FLAG_HOST.0,
        };
        let mut event: ze_event_handle_t = std::ptr::null_mut();
        // SAFETY: valid pool handle made above, index below the pool's count, typed
        // descriptor, live out-parameter.
        let outcome = unsafe { api.zeEventCreate(pool, &desc, &mut event) };
        check("zeEventCreate", outcome, || {
            format!("pool={pool:p}, index={}", self.next_index)
        })?;
        self.next_index += 1;
        self.all.push(event);
        Ok(event)
    }

    /// Gives back an event whose work has completed (or that was never submitted): it is
    /// reset and reused. An event that cannot be reset is not reused.
    pub(crate) fn release(&mut self, event: ze_event_handle_t) {
        let outcome = api().and_then(|api| {
            // SAFETY: the event came from `acquire`, and no submitted work refers to it any
            // more (the caller waited for it or never submitted it).
            check(
                "zeEventHostReset",
                unsafe { api.zeEventHostReset(event) },
                || format!("{event:p}"),
            )
        });
        match outcome {
            Ok(()) => self.free.push(event),
            Err(e) => tracing::error!(error = %e, "an event cannot be reset; it is not reused"),
        }
    }
}

impl Drop for EventPool {
    fn drop(&mut self) {
        let Ok(api) = api() else { return };
        for &e in &self.all {
            // SAFETY: every event was made by `acquire`, is destroyed once, and no work
            // refers to it: the queue is dropped only after everything it ran completed.
            let outcome = unsafe { api.zeEventDestroy(e) };
            if let Err(err) = check("zeEventDestroy", outcome, || format!("{e:p}")) {
                tracing::error!(error = %err, "cannot destroy an event");
            }
        }
        for &p in &self.pools {
            // SAFETY: as above, for the pools; their events are destroyed.
            let outcome = unsafe { api.zeEventPoolDestroy(p) };
            if let Err(err) = check("zeEventPoolDestroy", outcome, || format!("{p:p}")) {
                tracing::error!(error = %err, "cannot destroy an event pool");
            }
        }
    }
}
