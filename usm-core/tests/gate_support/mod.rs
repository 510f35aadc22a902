//! A gate in front of a queue's asynchronous list: an event the host signals, so work
//! submitted behind it cannot run until the test opens it.
#![allow(dead_code)]

use usm_core::sys::{
    ze_event_desc_t, ze_event_handle_t, ze_event_pool_desc_t, ze_event_pool_flag_t,
    ze_event_pool_handle_t, ze_event_scope_flag_t, ze_structure_type_t,
};
use usm_core::{api, check, Context, Queue, UsmHost};

/// A host-signalled event in front of a queue's asynchronous list.
pub struct Gate {
    pool: ze_event_pool_handle_t,
    event: ze_event_handle_t,
}

impl Gate {
    /// Closes a gate in front of the work submitted to `queue` from now on.
    pub fn close(context: &Context, queue: &Queue) -> Gate {
        let gate = Gate::detached(context);
        let api = api().unwrap();
        let mut waits = [gate.event];
        // SAFETY: no other thread uses the queue; the event lives until `Drop`, after the
        // test drained the queue.
        let outcome =
            unsafe { api.zeCommandListAppendWaitOnEvents(queue.raw_list(), 1, waits.as_mut_ptr()) };
        check("zeCommandListAppendWaitOnEvents", outcome, String::new).unwrap();
        gate
    }

    /// A closed gate in front of nothing yet: its event ([`Gate::raw`]) is for work to
    /// wait on.
    pub fn detached(context: &Context) -> Gate {
        let api = api().unwrap();
        let desc = ze_event_pool_desc_t {
            stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_EVENT_POOL_DESC,
            pNext: std::ptr::null(),
            flags: ze_event_pool_flag_t::ZE_EVENT_POOL_FLAG_HOST_VISIBLE.0,
            count: 1,
        };
        let mut pool = std::ptr::null_mut();
        // SAFETY: live context, typed descriptor, out-parameter.
        let outcome = unsafe {
            api.zeEventPoolCreate(context.raw(), &desc, 0, std::ptr::null_mut(), &mut pool)
        };
        check("zeEventPoolCreate", outcome, String::new).unwrap();
        let desc = ze_event_desc_t {
            stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_EVENT_DESC,
            pNext: std::ptr::null(),
            index: 0,
            signal: ze_event_scope_flag_t::ZE_EVENT_SCOPE_FLAG_HOST.0,
            wait: ze_event_scope_flag_t::ZE_EVENT_SCOPE_FLAG_HOST.0,
        };
        let mut event = std::ptr::null_mut();
        // SAFETY: the pool just made, index in range, out-parameter.
        let outcome = unsafe { api.zeEventCreate(pool, &desc, &mut event) };
        check("zeEventCreate", outcome, String::new).unwrap();
        Gate { pool, event }
    }

    /// The gate's event.
    pub fn raw(&self) -> ze_event_handle_t {
        self.event
    }

    /// Lets the work behind the gate run.
    pub fn open(&self) {
        open_gate(self.event as usize);
    }

    /// What opens the gate, from any thread.
    pub fn opener(&self) -> impl Fn() + Clone + Send + Sync + 'static {
        let event = self.event as usize;
        move || open_gate(event)
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        let api = api().unwrap();
        // SAFETY: the queue was drained, so nothing waits on the event any more.
        unsafe {
            let _ = api.zeEventDestroy(self.event);
            let _ = api.zeEventPoolDestroy(self.pool);
        }
    }
}

/// Signals the gate's event (its address).
pub fn open_gate(event: usize) {
    // SAFETY: a live event of a gate (the gate outlives every opener the test uses).
    let outcome = unsafe { api().unwrap().zeEventHostSignal(event as ze_event_handle_t) };
    check("zeEventHostSignal", outcome, String::new).unwrap();
}

/// Waits until everything submitted to `queue`'s asynchronous list so far has run.
pub fn drain(context: &Context, queue: &Queue) {
    let memory = UsmHost::new(context, 1).unwrap();
    queue.fill_async(memory, &[0], &[]).unwrap().wait().unwrap();
}
