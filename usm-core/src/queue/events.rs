//! The events a queue signals: made in pools of the queue's context, handed out, reset and
//! reused, destroyed with the queue.

use level_zero_sys::{ze_context_handle_t, ze_event_handle_t, ze_event_pool_handle_t, Api};

use crate::error::Result;
use crate::result;

/// Events per Level Zero event pool.
const EVENTS_PER_POOL: u32 = 32;

/// Host-visible events of one context, reused across submissions.
///
/// Not thread-safe by itself; the queue keeps it behind a mutex.
pub(crate) struct EventPool {
    context: ze_context_handle_t,
    api: &'static Api,
    pools: Vec<ze_event_pool_handle_t>,
    all: Vec<ze_event_handle_t>,
    free: Vec<ze_event_handle_t>,
    next_index: u32,
}

impl EventPool {
    /// An empty pool for `context`, which must outlive it.
    pub(crate) fn new(context: ze_context_handle_t, api: &'static Api) -> Self {
        EventPool {
            context,
            api,
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
        if self.next_index == EVENTS_PER_POOL {
            // SAFETY: valid context handle (kept alive by the queue that owns this pool).
            let pool =
                unsafe { result::event::pool_create(self.api, self.context, EVENTS_PER_POOL) }?;
            self.pools.push(pool);
            self.next_index = 0;
        }
        let pool = *self.pools.last().expect("a pool was just made");
        // SAFETY: a live pool made above, and an index below its count not used before.
        let event = unsafe { result::event::create(self.api, pool, self.next_index) }?;
        self.next_index += 1;
        self.all.push(event);
        Ok(event)
    }

    /// Gives back an event whose work has completed (or that was never submitted): it is
    /// reset and reused. An event that cannot be reset is not reused.
    pub(crate) fn release(&mut self, event: ze_event_handle_t) {
        // SAFETY: the event came from `acquire`, and no submitted work refers to it any
        // more (the caller waited for it or never submitted it).
        let outcome = unsafe { result::event::host_reset(self.api, event) };
        match outcome {
            Ok(()) => self.free.push(event),
            Err(e) => tracing::error!(error = %e, "an event cannot be reset; it is not reused"),
        }
    }
}

impl Drop for EventPool {
    fn drop(&mut self) {
        for &e in &self.all {
            // SAFETY: every event was made by `acquire`, is destroyed once, and no work
            // refers to it: the queue is dropped only after everything it ran completed.
            if let Err(err) = unsafe { result::event::destroy(self.api, e) } {
                tracing::error!(error = %err, "cannot destroy an event");
            }
        }
        for &p in &self.pools {
            // SAFETY: as above, for the pools; their events are destroyed.
            if let Err(err) = unsafe { result::event::pool_destroy(self.api, p) } {
                tracing::error!(error = %err, "cannot destroy an event pool");
            }
        }
    }
}
