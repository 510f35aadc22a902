//! Diagnostics of copies and fills: a `debug` span per operation with bytes, direction and
//! engine, and the achieved rate when a synchronous call is done.

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing_subscriber::layer::{Context as LayerContext, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;
use usm_core::{scope, Queue, UsmDevice, UsmHost};

type Fields = BTreeMap<String, String>;

/// A finished operation: its span's name and fields, and the fields of its events.
#[derive(Debug, Clone)]
struct Operation {
    name: String,
    fields: Fields,
    events: Vec<Fields>,
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Operation>>>);

struct Visitor<'a>(&'a mut Fields);

impl Visit for Visitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().to_string(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
}

impl<S> Layer<S> for Capture
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: LayerContext<'_, S>) {
        let mut fields = Fields::new();
        attrs.record(&mut Visitor(&mut fields));
        let mut ops = self.0.lock().unwrap();
        ops.push(Operation {
            name: attrs.metadata().name().to_string(),
            fields,
            events: Vec::new(),
        });
        let index = ops.len() - 1;
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(index);
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: LayerContext<'_, S>) {
        let Some(span) = ctx.event_span(event) else {
            return;
        };
        let Some(&index) = span.extensions().get::<usize>() else {
            return;
        };
        let mut fields = Fields::new();
        event.record(&mut Visitor(&mut fields));
        self.0.lock().unwrap()[index].events.push(fields);
    }
}

impl Capture {
    fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        let subscriber = tracing_subscriber::registry().with(self.clone());
        tracing::subscriber::with_default(subscriber, f)
    }

    fn operations(&self) -> Vec<Operation> {
        self.0.lock().unwrap().clone()
    }
}

#[test]
fn a_synchronous_copy_reports_bytes_direction_engine_and_rate() {
    let (context, device) = support::context();
    let queue = Queue::new(&context, &device).unwrap();
    let mut d = UsmDevice::new(&context, &device, 4096).unwrap();
    let h = UsmHost::new(&context, 4096).unwrap();
    // The thread's first synchronous call also makes its list (a trace event in the call's
    // span); this test is about the call's own events.
    queue.copy_all(&mut d, &h).unwrap();
    let capture = Capture::default();
    capture.run(|| queue.copy_all(&mut d, &h).unwrap());
    let ops: Vec<_> = capture
        .operations()
        .into_iter()
        .filter(|o| o.name == "usm copy")
        .collect();
    assert_eq!(ops.len(), 1, "{ops:?}");
    let op = &ops[0];
    assert_eq!(op.fields["bytes"], "4096");
    assert_eq!(op.fields["direction"], "host->device");
    assert_eq!(op.fields["engine"], queue.engine().to_string());
    if support::on_soft_driver() {
        assert_eq!(op.fields["engine"], "main copy");
    }
    assert_eq!(op.events.len(), 1, "{op:?}");
    let done = &op.events[0];
    assert_eq!(done["message"], "done");
    assert_eq!(done["bytes"], "4096");
    assert!(done["gb_per_s"].parse::<f64>().unwrap() > 0.0, "{done:?}");
    assert!(done["elapsed_ns"].parse::<u64>().unwrap() > 0, "{done:?}");
}

#[test]
fn fills_and_host_reads_have_spans_of_their_own() {
    let (context, device) = support::context();
    let queue = Queue::new(&context, &device).unwrap();
    let mut d = UsmDevice::new(&context, &device, 64).unwrap();
    let capture = Capture::default();
    capture.run(|| {
        queue.fill(&mut d, 0, 64, &[1, 2]).unwrap();
        queue.to_vec(&d).unwrap();
    });
    let ops = capture.operations();
    let fill = ops
        .iter()
        .find(|o| o.name == "usm fill")
        .expect("fill span");
    assert_eq!(fill.fields["bytes"], "64");
    assert_eq!(fill.fields["pattern"], "2");
    assert_eq!(fill.fields["kind"], "Some(Device)");
    let read = ops
        .iter()
        .find(|o| o.name == "usm copy")
        .expect("copy span");
    assert_eq!(read.fields["direction"], "device->system");
}

#[test]
fn asynchronous_work_has_a_span_per_submission() {
    let (context, device) = support::context();
    let queue = Queue::new(&context, &device).unwrap();
    let mut d = UsmDevice::new(&context, &device, 100).unwrap();
    let data = vec![5u8; 100];
    let capture = Capture::default();
    capture.run(|| {
        scope(|s| {
            let h = s.hold_mut(&mut d);
            s.copy(&queue, h, s.hold_host(&data), &[])?;
            s.memset(&queue, h, 0, &[])?;
            Ok(())
        })
        .unwrap()
    });
    let ops = capture.operations();
    let names: Vec<_> = ops.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["usm copy async", "usm fill async"]);
    assert_eq!(ops[0].fields["direction"], "system->device");
    // Each reports its rate once the scope has seen it complete.
    for op in &ops {
        assert_eq!(op.events.len(), 1, "{op:?}");
        assert_eq!(op.events[0]["message"], "done");
        assert_eq!(op.events[0]["bytes"], "100");
        assert!(op.events[0]["gb_per_s"].parse::<f64>().unwrap() > 0.0);
    }
}
