//! Allocation diagnostics: the events of every allocation, free and failure, and the leak
//! reports, captured with a test subscriber.

use usm_test_kit::usm as kit;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::Level;
use tracing_subscriber::layer::{Context as LayerContext, SubscriberExt};
use tracing_subscriber::Layer;
use usm_core::{AllocOptions, UsmDevice, UsmHost, UsmMemory, UsmShared};

/// One captured event: level, target and every field as text (`message` included).
#[derive(Debug, Clone)]
struct Captured {
    level: Level,
    target: String,
    fields: BTreeMap<String, String>,
}

impl Captured {
    fn field(&self, name: &str) -> &str {
        self.fields
            .get(name)
            .unwrap_or_else(|| panic!("event without `{name}`: {self:?}"))
    }
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Captured>>>);

impl Capture {
    fn events(&self) -> Vec<Captured> {
        self.0.lock().unwrap().clone()
    }

    fn with_message(&self, message: &str) -> Vec<Captured> {
        self.events()
            .into_iter()
            .filter(|e| {
                e.fields
                    .get("message")
                    .is_some_and(|m| m.starts_with(message))
            })
            .collect()
    }

    /// Runs `f` with this capture as the thread's subscriber.
    fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        let subscriber = tracing_subscriber::registry().with(self.clone());
        tracing::subscriber::with_default(subscriber, f)
    }
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().to_string(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
}

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: LayerContext<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.0.lock().unwrap().push(Captured {
            level: *event.metadata().level(),
            target: event.metadata().target().to_string(),
            fields,
        });
    }
}

#[test]
fn every_allocation_and_free_emits_a_debug_event_with_its_facts() {
    let (context, device) = kit::context();
    let capture = Capture::default();
    let (addr, line) = capture.run(|| {
        let options = AllocOptions::new().alignment(256);
        let line = line!() + 1;
        let m = UsmShared::with_options(&context, &device, 4096, &options).unwrap();
        let addr = m.as_ptr() as usize;
        drop(m);
        (addr, line)
    });
    let allocs = capture.with_message("usm alloc");
    let allocs: Vec<_> = allocs
        .iter()
        .filter(|e| !e.fields["message"].contains("failed"))
        .collect();
    assert_eq!(allocs.len(), 1, "{allocs:?}");
    let a = allocs[0];
    assert_eq!(a.level, Level::DEBUG);
    assert_eq!(a.target, "usm_core::alloc");
    assert_eq!(a.field("kind"), "shared");
    assert_eq!(a.field("bytes"), "4096");
    assert_eq!(a.field("alignment"), "256");
    assert_eq!(a.field("ptr"), format!("{addr:#x}"));
    assert_eq!(a.field("device"), format!("Some({device:?})"));
    assert!(a.field("elapsed_ns").parse::<u64>().is_ok());
    assert!(
        a.field("at").contains(&format!("tests/tracing.rs:{line}:")),
        "{}",
        a.field("at")
    );
    let frees = capture.with_message("usm free");
    assert_eq!(frees.len(), 1, "{frees:?}");
    let f = &frees[0];
    assert_eq!(f.level, Level::DEBUG);
    assert_eq!(f.target, "usm_core::alloc");
    assert_eq!(f.field("kind"), "shared");
    assert_eq!(f.field("bytes"), "4096");
    assert_eq!(f.field("alignment"), "256");
    assert_eq!(f.field("ptr"), format!("{addr:#x}"));
    assert!(f.field("elapsed_ns").parse::<u64>().is_ok());
    assert!(f
        .field("allocated_at")
        .contains(&format!("tracing.rs:{line}:")));
}

#[test]
fn host_allocation_events_name_no_device() {
    let (context, _) = kit::context();
    let capture = Capture::default();
    capture.run(|| drop(UsmHost::new(&context, 100).unwrap()));
    let allocs = capture.with_message("usm alloc");
    assert_eq!(allocs.len(), 1);
    assert_eq!(allocs[0].field("kind"), "host");
    assert_eq!(allocs[0].field("device"), "None");
}

#[test]
fn alloc_and_free_events_log_the_same_effective_alignment() {
    let (context, device) = kit::context();
    let capture = Capture::default();
    let mut reported = 0;
    // Alignment 0 (the driver's choice): both events name the alignment the memory has.
    capture.run(|| {
        let memory = UsmDevice::new(&context, &device, 100).unwrap();
        reported = memory.alignment();
        let live = context.live_allocations();
        assert_eq!(live[0].alignment, reported);
    });
    assert!(reported.is_power_of_two() && reported > 1, "{reported}");
    let allocs = capture.with_message("usm alloc");
    let frees = capture.with_message("usm free");
    assert_eq!((allocs.len(), frees.len()), (1, 1));
    assert_eq!(allocs[0].field("alignment"), reported.to_string());
    assert_eq!(frees[0].field("alignment"), reported.to_string());
}

#[test]
fn a_failed_allocation_emits_an_event_with_the_code() {
    let (context, device) = kit::context();
    let capture = Capture::default();
    capture.run(|| {
        assert!(UsmDevice::new(&context, &device, usize::MAX / 2).is_err());
        assert!(UsmDevice::new(&context, &device, 0).is_err());
    });
    let failed = capture.with_message("usm alloc failed");
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert_eq!(failed[0].level, Level::DEBUG);
    assert_eq!(failed[0].field("code"), "ZE_RESULT_ERROR_UNSUPPORTED_SIZE");
    assert_eq!(failed[0].field("bytes"), (usize::MAX / 2).to_string());
    assert_eq!(
        failed[1].fields.get("code"),
        None,
        "no driver code for size 0"
    );
    assert!(failed[1].field("error").contains("zero-sized"));
    assert!(capture.with_message("usm free").is_empty());
}

#[test]
fn dropping_the_last_context_handle_with_live_memory_reports_each_allocation() {
    let (context, device) = kit::context();
    let capture = Capture::default();
    let line = line!() + 1;
    let kept = UsmDevice::new(&context, &device, 1234).unwrap();
    let addr = kept.as_ptr() as usize;
    let copy = context.clone();
    capture.run(|| drop(copy));
    assert!(
        capture.events().iter().all(|e| e.level != Level::WARN),
        "a remaining user handle must not report: {:?}",
        capture.events()
    );
    capture.run(|| drop(context));
    let leaks: Vec<_> = capture
        .events()
        .into_iter()
        .filter(|e| e.level == Level::WARN)
        .collect();
    assert_eq!(leaks.len(), 2, "{leaks:?}");
    assert_eq!(leaks[0].target, "usm_core::leak");
    assert_eq!(leaks[0].field("live"), "1");
    let one = &leaks[1];
    assert_eq!(one.target, "usm_core::leak");
    assert_eq!(one.field("kind"), "device");
    assert_eq!(one.field("bytes"), "1234");
    assert_eq!(one.field("ptr"), format!("{addr:#x}"));
    assert!(
        one.field("allocated_at")
            .contains(&format!("tests/tracing.rs:{line}:")),
        "{one:?}"
    );
    assert!(
        one.field("message").contains("1234 bytes of device memory"),
        "{one:?}"
    );
    // The memory is still usable and freed normally afterwards, with no further report.
    let capture = Capture::default();
    capture.run(|| drop(kept));
    assert_eq!(capture.with_message("usm free").len(), 1);
    assert!(capture.events().iter().all(|e| e.level != Level::WARN));
}

#[test]
fn the_context_is_destroyed_only_after_its_last_memory_is_freed() {
    let (context, device) = kit::context();
    let capture = Capture::default();
    capture.run(|| {
        let m = UsmShared::new(&context, &device, 64).unwrap();
        drop(context);
        drop(m);
    });
    let order: Vec<String> = capture
        .events()
        .into_iter()
        .filter(|e| e.level == Level::DEBUG)
        .map(|e| e.fields["message"].clone())
        .collect();
    assert_eq!(
        order,
        ["usm alloc", "usm free", "context destroyed"],
        "{order:?}"
    );
}

#[test]
fn report_leaks_names_live_allocations_of_every_context() {
    let (context, _) = kit::context();
    let line = line!() + 1;
    let m = UsmHost::new(&context, 77).unwrap();
    let addr = m.as_ptr() as usize;
    let capture = Capture::default();
    let leaks = capture.run(usm_core::report_leaks);
    let mine: Vec<_> = leaks.iter().filter(|a| a.addr == addr).collect();
    assert_eq!(mine.len(), 1, "{leaks:?}");
    assert_eq!(mine[0].size, 77);
    assert_eq!(mine[0].context, context.raw() as usize);
    assert_eq!(mine[0].location.line(), line);
    assert!(mine[0].location.file().ends_with("tracing.rs"));
    let events: Vec<_> = capture
        .events()
        .into_iter()
        .filter(|e| e.fields.get("ptr") == Some(&format!("{addr:#x}")))
        .collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].level, Level::WARN);
}
