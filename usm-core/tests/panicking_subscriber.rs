//! A tracing subscriber is the user's code and may panic: on the event that announces a
//! new allocation, context or queue, the value must already own what it announces, so
//! the unwinding frees or destroys it.

use usm_test_kit::usm as kit;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context as LayerContext, SubscriberExt};
use tracing_subscriber::Layer;
use usm_core::{Context, Queue, UsmDevice};

/// Panics on the event with message `panic_on`; records the message and the named field
/// of every other event.
#[derive(Clone)]
struct PanicOn {
    panic_on: &'static str,
    field: &'static str,
    seen: Arc<Mutex<Vec<(String, String)>>>,
}

struct Fields {
    wanted: &'static str,
    message: String,
    value: String,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message = text;
        } else if field.name() == self.wanted {
            self.value = text;
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for PanicOn {
    fn on_event(&self, event: &tracing::Event<'_>, _: LayerContext<'_, S>) {
        let mut f = Fields {
            wanted: self.field,
            message: String::new(),
            value: String::new(),
        };
        event.record(&mut f);
        self.seen
            .lock()
            .unwrap()
            .push((f.message.clone(), f.value.clone()));
        if f.message == self.panic_on {
            panic!("the subscriber panics on {:?}", self.panic_on);
        }
    }
}

/// Runs `f` under a subscriber that panics on `panic_on`; returns whether `f` unwound and
/// the events seen, as (message, value of `field`).
fn under_panicking_subscriber(
    panic_on: &'static str,
    field: &'static str,
    f: impl FnOnce(),
) -> (bool, Vec<(String, String)>) {
    let layer = PanicOn {
        panic_on,
        field,
        seen: Arc::default(),
    };
    let seen = Arc::clone(&layer.seen);
    let subscriber = tracing_subscriber::registry().with(layer);
    // One scoped subscriber at a time in this binary: tracing caches each callsite's
    // interest process-wide, and a cache rebuilt by another test thread while its own
    // subscriber comes or goes can leave a callsite disabled for this one (seen once under
    // load: the "context created" event never reached the subscriber).
    static SERIAL: Mutex<()> = Mutex::new(());
    let _one_at_a_time = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let unwound = tracing::subscriber::with_default(subscriber, || {
        tracing::callsite::rebuild_interest_cache();
        catch_unwind(AssertUnwindSafe(f)).is_err()
    });
    let seen = seen.lock().unwrap().clone();
    (unwound, seen)
}

/// Asserts that `seen` holds the event `released` for the value `created` announced.
fn assert_released(seen: &[(String, String)], created: &str, released: &str) {
    let value = seen
        .iter()
        .find(|(m, _)| m == created)
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no {created:?} event: {seen:?}"));
    assert!(
        seen.iter().any(|(m, v)| m == released && *v == value),
        "{value} was not released ({released:?}): {seen:?}"
    );
}

#[test]
fn a_panic_on_the_alloc_event_frees_the_allocation() {
    let (context, device) = kit::context();
    let (unwound, _) = under_panicking_subscriber("usm alloc", "ptr", || {
        let _ = UsmDevice::new(&context, &device, 4096);
    });
    assert!(unwound);
    let stats = context.stats();
    assert_eq!(stats.device.total_allocations, 1);
    assert_eq!(
        (stats.device.live_count, stats.device.total_frees),
        (0, 1),
        "the allocation was freed while unwinding"
    );
    assert!(context.live_allocations().is_empty());
}

#[test]
fn a_panic_on_the_context_created_event_destroys_the_context() {
    let device = kit::device();
    let (unwound, seen) = under_panicking_subscriber("context created", "context", || {
        let _ = Context::new(device.driver(), std::slice::from_ref(&device));
    });
    assert!(unwound);
    assert_released(&seen, "context created", "context destroyed");
}

#[test]
fn a_panic_on_the_queue_created_event_destroys_its_list() {
    let (context, device) = kit::context();
    let (unwound, seen) = under_panicking_subscriber("queue created", "list", || {
        let _ = Queue::new(&context, &device);
    });
    assert!(unwound);
    assert_released(&seen, "queue created", "command list destroyed");
}

#[test]
fn a_panic_on_the_queue_adopted_event_leaves_the_list_with_the_caller() {
    use usm_core::sys::{ze_command_queue_desc_t, ze_result_t, ze_structure_type_t};
    use usm_core::{Engine, QueueOptions};
    let (context, device) = kit::context();
    let api = usm_core::api().unwrap();
    let compute = device
        .queue_groups()
        .unwrap()
        .into_iter()
        .find(|g| g.is_compute())
        .unwrap();
    let desc = ze_command_queue_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC,
        ordinal: compute.ordinal,
        ..Default::default()
    };
    let mut list = std::ptr::null_mut();
    // SAFETY: live context and device of it, typed descriptor, out-parameter.
    let outcome =
        unsafe { api.zeCommandListCreateImmediate(context.raw(), device.raw(), &desc, &mut list) };
    assert_eq!(outcome, Ok(ze_result_t::ZE_RESULT_SUCCESS));
    let options = QueueOptions::new().engine(Engine::Compute);
    let (unwound, seen) = under_panicking_subscriber("queue adopted", "list", || {
        // SAFETY: a live asynchronous list on the compute group of `device`; the queue would
        // own it, but the panic comes before it does.
        let _ = unsafe { Queue::from_raw_owned(&context, &device, list, options) };
    });
    assert!(unwound);
    assert!(
        !seen.iter().any(|(m, _)| m == "command list destroyed"),
        "{seen:?}"
    );
    // Still the caller's: destroying it succeeds (once).
    // SAFETY: the live list, with no work in flight.
    let outcome = unsafe { api.zeCommandListDestroy(list) };
    assert_eq!(outcome, Ok(ze_result_t::ZE_RESULT_SUCCESS));
}
