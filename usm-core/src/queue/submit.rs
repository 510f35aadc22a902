//! The one asynchronous submission routine, shared by owned work ([`Pending`](super::Pending))
//! and scoped work ([`scope`](crate::scope())), and the one dependency type, [`EventRef`].
//!
//! A submission takes an event from the queue's pool, appends the command to signal it
//! after the events it depends on, and hands back the event and those dependencies. The
//! caller records them before anything can unwind (owned work in its handle, scoped work in
//! its scope), and keeps them until the work is done: an event is reset for reuse only when
//! the last [`EventRef`] to it is gone, so no work ever waits on an event that was reused.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use level_zero_sys::ze_event_handle_t;

use super::{start_clock, Command, Queue, QueueInner};
use crate::error::{Result, TransferError};
use crate::result;

/// An event taken from a queue's pool; given back (reset) when the last reference drops,
/// which happens only once its work and all work waiting on it are done.
struct PooledEvent {
    raw: ze_event_handle_t,
    queue: Arc<QueueInner>,
}

// SAFETY: the handle is only waited on, queried and finally reset, all free-threaded
// calls; the queue is Send + Sync.
unsafe impl Send for PooledEvent {}
// SAFETY: as for Send; `&PooledEvent` only waits and queries.
unsafe impl Sync for PooledEvent {}

impl Drop for PooledEvent {
    fn drop(&mut self) {
        self.queue.lock_events().release(self.raw);
    }
}

/// The completion of submitted asynchronous work, owned or scoped: what other work waits
/// for. Owned work gives one out through [`Pending::event`](super::Pending::event), scoped
/// work through its [`Event`](crate::Event) (which derefs to one).
///
/// Work that waits for an event keeps a clone of it until it is done itself, so an
/// `EventRef` may be dropped at any time.
#[derive(Clone)]
pub struct EventRef(Arc<PooledEvent>);

impl EventRef {
    /// Whether the work is done, without waiting.
    ///
    /// # Errors
    ///
    /// The code of `zeEventQueryStatus`.
    pub fn is_complete(&self) -> Result<bool> {
        // SAFETY: the event lives as long as this reference (its pool's queue is kept).
        unsafe { result::event::query_status(self.0.queue.context.api(), self.0.raw) }
    }

    /// Waits until the work is done.
    ///
    /// # Errors
    ///
    /// The code of `zeEventHostSynchronize` (the work failed, or the device was lost).
    pub fn wait(&self) -> Result<()> {
        // SAFETY: as in `is_complete`.
        unsafe { result::event::host_synchronize(self.0.queue.context.api(), self.0.raw) }
    }

    /// The raw handle, for calls usm-core does not wrap; valid while this reference lives.
    pub fn raw(&self) -> ze_event_handle_t {
        self.0.raw
    }

    /// The raw handle of the event's context, as an address.
    pub(crate) fn context_addr(&self) -> usize {
        self.0.queue.context_addr()
    }
}

impl fmt::Debug for EventRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventRef({:p})", self.0.raw)
    }
}

/// With debug tracing on: an operation's span, its submission time and bytes.
pub(crate) type Trace = Option<(tracing::Span, Instant, usize)>;

/// What a submission hands its owner, to keep until the work is done.
pub(crate) struct Submission {
    /// The work's completion.
    pub(crate) event: EventRef,
    /// The events it waits for.
    pub(crate) after: Vec<EventRef>,
    /// Its trace, to report the rate when it is found done.
    pub(crate) trace: Trace,
}

impl Queue {
    /// Appends `command`, which moves `bytes` bytes (a barrier instead when 0: the driver
    /// may refuse a copy or fill of 0 bytes, say at the end of an allocation), to signal a
    /// pooled event after every event of `after`.
    ///
    /// Everything that may call the user's code (a tracing subscriber, which may panic)
    /// happens before the append; after it, nothing can unwind before the caller has the
    /// [`Submission`].
    ///
    /// # Errors
    ///
    /// [`TransferError::ForeignEvent`] for an event of another context; the driver's code.
    ///
    /// # Safety
    ///
    /// The memory `command` reaches must stay valid for its accesses, and untouched by
    /// others, until the event signals; the caller records the returned submission at once
    /// (before anything that may unwind) and keeps it until the work is done.
    pub(crate) unsafe fn submit(
        &self,
        command: &Command<'_>,
        after: &[&EventRef],
        bytes: usize,
    ) -> Result<Submission> {
        let queue_context = self.inner.context_addr();
        if let Some(e) = after.iter().find(|e| e.context_addr() != queue_context) {
            return Err(TransferError::ForeignEvent {
                event_context: e.context_addr(),
                queue_context,
            }
            .into());
        }
        let waits: Vec<ze_event_handle_t> = after.iter().map(|e| e.0.raw).collect();
        let trace = start_clock()
            .filter(|_| bytes > 0)
            .map(|t| (tracing::Span::current(), t, bytes));
        let after: Vec<EventRef> = after.iter().map(|e| (*e).clone()).collect();
        let raw = self.inner.lock_events().acquire()?;
        let event = EventRef(Arc::new(PooledEvent {
            raw,
            queue: Arc::clone(&self.inner),
        }));
        let command = if bytes == 0 {
            &Command::Barrier
        } else {
            command
        };
        // SAFETY: forwarded from the caller; the events are of the queue's context
        // (checked above) and kept alive by `after`, which the caller keeps until the work
        // is done. If the append fails, dropping `event` gives the unsubmitted event back.
        unsafe { self.inner.append(command, raw, &waits) }?;
        Ok(Submission {
            event,
            after,
            trace,
        })
    }
}
