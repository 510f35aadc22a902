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
use crate::context::Context;
use crate::error::{Result, TransferError};
use crate::result;

/// The event behind an [`EventRef`]: one taken from a queue's pool, given back (reset)
/// when the last reference drops, which happens only once its work and all work waiting on
/// it are done; or one made elsewhere ([`EventRef::from_raw`]), left to its owner.
struct RefEvent {
    raw: ze_event_handle_t,
    origin: Origin,
}

enum Origin {
    /// From the pool of this queue.
    Pool(Arc<QueueInner>),
    /// Made elsewhere, in this context.
    Foreign(Context),
    /// A shared event ([`SharedEvent`](crate::ipc::SharedEvent)) of this context, kept alive
    /// by what this holds.
    Kept {
        context: Context,
        _keep: Arc<dyn Send + Sync>,
    },
}

impl RefEvent {
    fn context(&self) -> &Context {
        match &self.origin {
            Origin::Pool(queue) => &queue.context,
            Origin::Foreign(context) | Origin::Kept { context, .. } => context,
        }
    }
}

// SAFETY: the handle is only waited on, queried and finally reset, all free-threaded
// calls; the queue and the context are Send + Sync.
unsafe impl Send for RefEvent {}
// SAFETY: as for Send; `&RefEvent` only waits and queries.
unsafe impl Sync for RefEvent {}

impl Drop for RefEvent {
    fn drop(&mut self) {
        if let Origin::Pool(queue) = &self.origin {
            queue.lock_events().release(self.raw);
        }
    }
}

/// The completion of submitted asynchronous work, owned or scoped: what other work waits
/// for. Owned work gives one out through [`Pending::event`](super::Pending::event), scoped
/// work through its [`Event`](crate::Event) (which derefs to one).
///
/// Work that waits for an event keeps a clone of it until it is done itself, so an
/// `EventRef` may be dropped at any time.
#[derive(Clone)]
pub struct EventRef(Arc<RefEvent>);

impl EventRef {
    /// Whether the work is done, without waiting.
    ///
    /// # Errors
    ///
    /// The code of `zeEventQueryStatus`.
    pub fn is_complete(&self) -> Result<bool> {
        // SAFETY: the event lives as long as this reference (its pool's queue is kept, or
        // its owner keeps it alive, per `from_raw`'s contract).
        unsafe { result::event::query_status(self.0.context().api(), self.0.raw) }
    }

    /// Waits until the work is done.
    ///
    /// # Errors
    ///
    /// The code of `zeEventHostSynchronize` (the work failed, or the device was lost).
    pub fn wait(&self) -> Result<()> {
        // SAFETY: as in `is_complete`.
        unsafe { result::event::host_synchronize(self.0.context().api(), self.0.raw) }
    }

    /// The raw handle, for calls usm-core does not wrap; valid while this reference lives.
    pub fn raw(&self) -> ze_event_handle_t {
        self.0.raw
    }

    /// The raw handle of the event's context, as an address.
    pub(crate) fn context_addr(&self) -> usize {
        self.0.context().raw() as usize
    }

    /// An event made elsewhere (by raw Level Zero calls, a SYCL runtime, another library)
    /// as a dependency of scoped work ([`Scope::adopt`](crate::Scope::adopt)) and owned
    /// work ([`Queue::copy_async`] and friends): work waits for it on the device. usm-core
    /// never resets nor destroys it.
    ///
    /// ```no_run
    /// # fn f(queue: &usm_core::Queue, raw: usm_core::sys::ze_event_handle_t) -> usm_core::Result<()> {
    /// use usm_core::{EventRef, UsmHost};
    /// // SAFETY: `raw` is an event of the queue's context, signalled by work elsewhere and
    /// // kept alive until the fill below is done.
    /// let ready = unsafe { EventRef::from_raw(queue.context(), raw) }?;
    /// let memory = UsmHost::new(queue.context(), 64)?;
    /// let (memory, _) = queue.fill_async(memory, &[1], &[&ready])?.wait()?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Safety
    ///
    /// * `raw` is a live event made in an event pool of `context` (the same Level Zero
    ///   context).
    /// * It is neither destroyed nor reset until this `EventRef` and all its clones are
    ///   gone, and every piece of work given it as a dependency is done: every
    ///   [`Pending`](super::Pending) that waits for it was waited for or dropped, and every
    ///   [`scope`](crate::scope()) that adopted it has returned (each keeps a clone until
    ///   then).
    /// * Work waiting for an event that is never signalled never runs: the scope or handle
    ///   waiting for that work then waits forever. [`EventRef::wait`] and
    ///   [`EventRef::is_complete`] need an event of a host-visible pool (the driver
    ///   answers with an error code otherwise).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a null handle.
    pub unsafe fn from_raw(context: &Context, raw: ze_event_handle_t) -> Result<EventRef> {
        if raw.is_null() {
            return Err(crate::Error::InvalidArgument {
                name: "raw",
                reason: "a null event handle".into(),
            });
        }
        Ok(EventRef(Arc::new(RefEvent {
            raw,
            origin: Origin::Foreign(context.dependent()),
        })))
    }

    /// Whether the event is not one of a queue's own pool: made elsewhere
    /// ([`EventRef::from_raw`]) or a shared event
    /// ([`SharedEvent::event_ref`](crate::ipc::SharedEvent::event_ref)). usm-core never
    /// resets such an event.
    pub fn is_foreign(&self) -> bool {
        !matches!(self.0.origin, Origin::Pool(_))
    }

    /// An event of `context` that `keep` keeps alive (a shared event); usm-core never
    /// resets nor destroys it through this reference.
    pub(crate) fn kept(
        context: &Context,
        raw: ze_event_handle_t,
        keep: Arc<dyn Send + Sync>,
    ) -> Self {
        EventRef(Arc::new(RefEvent {
            raw,
            origin: Origin::Kept {
                context: context.dependent(),
                _keep: keep,
            },
        }))
    }
}

impl fmt::Debug for EventRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventRef({:p})", self.0.raw)
    }
}

impl Queue {
    /// Appends a barrier that signals `signal` once the work appended to this queue so far
    /// and every event of `after` are done.
    ///
    /// # Errors
    ///
    /// [`TransferError::ForeignEvent`] for an event of another context; the driver's code.
    ///
    /// # Safety
    ///
    /// The caller keeps `signal` and `after` alive (and does not reset `signal`) until
    /// `signal` is signalled.
    pub(crate) unsafe fn append_signal(
        &self,
        signal: &EventRef,
        after: &[&EventRef],
    ) -> Result<()> {
        let queue_context = self.inner.context_addr();
        if let Some(e) = std::iter::once(&signal)
            .chain(after)
            .find(|e| e.context_addr() != queue_context)
        {
            return Err(TransferError::ForeignEvent {
                event_context: e.context_addr(),
                queue_context,
            }
            .into());
        }
        let waits: Vec<ze_event_handle_t> = after.iter().map(|e| e.0.raw).collect();
        // SAFETY: a barrier touches no memory; the events are of the queue's context
        // (checked above) and kept alive by the caller until `signal` is signalled.
        unsafe { self.inner.append(&Command::Barrier, signal.0.raw, &waits) }
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
        let event = EventRef(Arc::new(RefEvent {
            raw,
            origin: Origin::Pool(Arc::clone(&self.inner)),
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
