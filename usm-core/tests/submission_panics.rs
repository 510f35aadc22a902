//! A panic in code usm-core calls while it submits asynchronous work (here: a tracing
//! subscriber, which is the user's code) must not let memory the device will still use go
//! back to the user or be freed.
//!
//! Each test closes a gate (an event the host signals) in front of the queue's
//! asynchronous list, so work submitted behind it cannot run until the test opens it: any
//! change to the memory after the panic came back is then device work that outlived the
//! memory's borrow or owner.

use usm_test_kit::usm as kit;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};
use usm_core::{scope, Context, Queue, UsmDestination, UsmHost, UsmKind, UsmMemory, UsmSource};
use usm_test_kit::gate::{drain, Gate};

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

// SAFETY: every method forwards to the owned `UsmHost` inside, which lives until `Kept` drops.
unsafe impl UsmMemory for Kept {
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
    let (context, device) = kit::context();
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
    let (context, device) = kit::context();
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
    let (context, device) = kit::context();
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
