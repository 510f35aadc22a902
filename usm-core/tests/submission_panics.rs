//! A panic in code usm-core calls while it submits asynchronous work (here: a tracing
//! subscriber, which is the user's code) must not let memory the device will still use go
//! back to the user or be freed.
//!
//! Each test closes a gate (an event the host signals) in front of the queue's
//! asynchronous list, so work submitted behind it cannot run until the test opens it: any
//! change to the memory after the panic came back is then device work that outlived the
//! memory's borrow or owner.

mod support;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};
use usm_core::sys::{
    ze_event_desc_t, ze_event_handle_t, ze_event_pool_desc_t, ze_event_pool_flag_t,
    ze_event_pool_handle_t, ze_event_scope_flag_t, ze_structure_type_t,
};
use usm_core::{
    api, check, scope, Context, Queue, UsmDestination, UsmHost, UsmKind, UsmMemory, UsmSource,
};

/// When the subscriber panics.
#[derive(Clone, Copy, PartialEq)]
enum Moment {
    /// When usm-core asks (`tracing::enabled!`) whether copies are traced at debug level.
    Asked,
    /// When a span is left.
    LeavingSpan,
}

/// Turns everything on, and panics once at `moment` after being armed, having first run
/// `before`.
struct PanicsAt {
    moment: Moment,
    armed: Arc<AtomicBool>,
    before: Box<dyn Fn() + Send + Sync>,
}

impl PanicsAt {
    fn fire(&self, moment: Moment) {
        if moment == self.moment && self.armed.swap(false, Ordering::SeqCst) {
            (self.before)();
            // Unwinds without the panic hook: quick, and quiet.
            std::panic::resume_unwind(Box::new("the subscriber fails"));
        }
    }
}

impl Subscriber for PanicsAt {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        // A question (`enabled!`) is neither a span nor an event.
        if !metadata.is_span() && !metadata.is_event() && metadata.target() == "usm_core::copy" {
            self.fire(Moment::Asked);
        }
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {
        self.fire(Moment::LeavingSpan);
    }
}

/// Runs `f` under a subscriber that panics once at `moment` (after running `before`),
/// and returns whether `f` panicked.
fn with_panicking_subscriber(
    moment: Moment,
    before: impl Fn() + Send + Sync + 'static,
    f: impl FnOnce(),
) -> bool {
    let armed = Arc::new(AtomicBool::new(true));
    let subscriber = PanicsAt {
        moment,
        armed: Arc::clone(&armed),
        before: Box::new(before),
    };
    let outcome =
        tracing::subscriber::with_default(subscriber, || catch_unwind(AssertUnwindSafe(f)));
    assert!(
        !armed.load(Ordering::SeqCst),
        "the subscriber never panicked"
    );
    outcome.is_err()
}

/// A host-signalled event in front of a queue's asynchronous list.
struct Gate {
    pool: ze_event_pool_handle_t,
    event: ze_event_handle_t,
}

impl Gate {
    /// Closes a gate in front of the work submitted to `queue` from now on.
    fn close(context: &Context, queue: &Queue) -> Gate {
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
        let mut waits = [event];
        // SAFETY: no other thread uses the queue; the event lives until `Drop`, after the
        // test drained the queue.
        let outcome =
            unsafe { api.zeCommandListAppendWaitOnEvents(queue.raw_list(), 1, waits.as_mut_ptr()) };
        check("zeCommandListAppendWaitOnEvents", outcome, String::new).unwrap();
        Gate { pool, event }
    }

    /// Lets the work behind the gate run.
    fn open(&self) {
        open_gate(self.event as usize);
    }

    /// What opens the gate, from any thread.
    fn opener(&self) -> impl Fn() + Clone + Send + Sync + 'static {
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
fn open_gate(event: usize) {
    // SAFETY: a live event of a gate (the gate outlives every opener the test uses).
    let outcome = unsafe { api().unwrap().zeEventHostSignal(event as ze_event_handle_t) };
    check("zeEventHostSignal", outcome, String::new).unwrap();
}

/// Waits until everything submitted to `queue`'s asynchronous list so far has run.
fn drain(context: &Context, queue: &Queue) {
    let memory = UsmHost::new(context, 1).unwrap();
    queue.fill_async(memory, &[0], &[]).unwrap().wait().unwrap();
}

/// Where a [`Kept`] leaves its bytes at drop time and its allocation.
type AtDrop = Arc<Mutex<Option<(Vec<u8>, UsmHost)>>>;

/// Host memory that, when dropped, notes its bytes and keeps the allocation alive (so the
/// test can look at it afterwards).
struct Kept {
    memory: Option<UsmHost>,
    at_drop: AtDrop,
}

impl Kept {
    fn memory(&self) -> &UsmHost {
        self.memory.as_ref().expect("until dropped")
    }
}

impl Drop for Kept {
    fn drop(&mut self) {
        if let Some(memory) = self.memory.take() {
            let bytes = memory.as_slice().to_vec();
            *self.at_drop.lock().unwrap() = Some((bytes, memory));
        }
    }
}

impl UsmMemory for Kept {
    fn as_ptr(&self) -> *mut std::ffi::c_void {
        self.memory().as_ptr()
    }
    fn len(&self) -> usize {
        self.memory().len()
    }
    fn kind(&self) -> UsmKind {
        self.memory().kind()
    }
    fn alignment(&self) -> usize {
        self.memory().alignment()
    }
    fn context(&self) -> &Context {
        self.memory().context()
    }
    fn device(&self) -> Option<&usm_core::Device> {
        self.memory().device()
    }
}

// SAFETY: the allocation outlives the value (it is kept after the drop), and its bytes are
// reached only through the value while it lives.
unsafe impl UsmSource for Kept {}
// SAFETY: as above.
unsafe impl UsmDestination for Kept {}

#[test]
fn a_panic_while_submitting_owned_work_leaves_no_work_on_the_memory_it_gives_up() {
    let (context, device) = support::context();
    let queue = Queue::new(&context, &device).unwrap();
    let mut memory = UsmHost::new(&context, 64).unwrap();
    memory.as_mut_slice().fill(0);
    let at_drop = Arc::new(Mutex::new(None));
    let kept = Kept {
        memory: Some(memory),
        at_drop: Arc::clone(&at_drop),
    };
    let gate = Gate::close(&context, &queue);
    let panicked = with_panicking_subscriber(
        Moment::Asked,
        || (),
        || {
            let pending = queue.write_async(kept, vec![7; 64], &[]);
            drop(pending);
        },
    );
    assert!(panicked);
    gate.open();
    drain(&context, &queue);
    let (bytes_at_drop, memory) = at_drop.lock().unwrap().take().expect("dropped");
    assert_eq!(
        memory.as_slice(),
        &bytes_at_drop[..],
        "the device wrote the memory after its owner was dropped"
    );
}

#[test]
fn a_panic_while_submitting_in_a_scope_leaves_no_work_on_held_memory() {
    let (context, device) = support::context();
    let queue = Queue::new(&context, &device).unwrap();
    let mut memory = UsmHost::new(&context, 64).unwrap();
    memory.as_mut_slice().fill(0);
    let gate = Gate::close(&context, &queue);
    let panicked = with_panicking_subscriber(
        Moment::Asked,
        || (),
        || {
            let _ = scope(|s| {
                s.memset(&queue, s.hold_mut(&mut memory), 7, &[])?;
                Ok(())
            });
        },
    );
    assert!(panicked);
    // The scope has ended: the host may read and write the memory again.
    let after_scope = memory.as_slice().to_vec();
    gate.open();
    drain(&context, &queue);
    assert_eq!(
        memory.as_slice(),
        &after_scope[..],
        "the device wrote held memory after its scope ended"
    );
}

#[test]
fn a_panic_right_after_submitting_owned_work_waits_for_it_before_dropping_its_memory() {
    let (context, device) = support::context();
    let queue = Queue::new(&context, &device).unwrap();
    let n = 64;
    let mut memory = UsmHost::new(&context, n).unwrap();
    memory.as_mut_slice().fill(0);
    let at_drop = Arc::new(Mutex::new(None));
    let kept = Kept {
        memory: Some(memory),
        at_drop: Arc::clone(&at_drop),
    };
    let gate = Gate::close(&context, &queue);
    // The copy is submitted; leaving its span panics, and has the gate opened a little
    // later: the memory must not be dropped before then.
    let open = gate.opener();
    let open_soon = move || {
        let open = open.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            open();
        });
    };
    let panicked = with_panicking_subscriber(Moment::LeavingSpan, open_soon, || {
        let pending = queue.write_async(kept, vec![7; n], &[]);
        drop(pending);
    });
    assert!(panicked);
    drain(&context, &queue);
    let (bytes_at_drop, memory) = at_drop.lock().unwrap().take().expect("dropped");
    assert!(
        bytes_at_drop.iter().all(|&b| b == 7),
        "the memory was dropped before the copy was done"
    );
    assert!(memory.as_slice().iter().all(|&b| b == 7));
}
