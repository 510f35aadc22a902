//! How a queue's synchronous calls are ordered with work appended to its raw list, and
//! waiting for everything submitted to a queue ([`Queue::synchronize`]).
//!
//! usm-core's own asynchronous work needs no order with synchronous calls: it holds its
//! memory borrowed or owned until done, so no synchronous call reaches the same memory.
//! Work appended through [`Queue::raw_list`] holds nothing, so in asynchronous mode the
//! first `raw_list` call marks the queue, and from then on every synchronous call first
//! waits for the asynchronous list to drain (a barrier that signals a pooled event,
//! awaited on the host). An unmarked queue pays one relaxed atomic load per call.

use std::sync::atomic::{AtomicBool, Ordering};

use super::{Mode, Queue, QueueInner};
use crate::error::Result;
use crate::result;

/// What a queue knows of the raw use of its list.
pub(crate) struct RawUse {
    /// Whether the queue made (and so destroys) its list; `false` for a borrowed list.
    pub(crate) owns_list: bool,
    /// Set by the first `raw_list` call in asynchronous mode, never cleared.
    taken: AtomicBool,
}

impl RawUse {
    pub(crate) fn new(owns_list: bool) -> RawUse {
        RawUse {
            owns_list,
            taken: AtomicBool::new(false),
        }
    }

    /// Records that the list was handed out (only asynchronous lists need it: work on a
    /// synchronous list is done when its append returns).
    pub(crate) fn mark_taken(&self, mode: Mode) {
        if mode == Mode::Asynchronous {
            self.taken.store(true, Ordering::SeqCst);
        }
    }

    /// Whether synchronous calls must first wait for the asynchronous list.
    #[inline]
    fn taken(&self) -> bool {
        self.taken.load(Ordering::Relaxed)
    }
}

impl QueueInner {
    /// Whether a synchronous call may skip [`QueueInner::order_after_raw_work`] (the raw
    /// list was never handed out).
    #[inline(always)]
    pub(super) fn no_raw_work(&self) -> bool {
        !self.raw.taken()
    }

    /// Called first by every synchronous call: in asynchronous mode, once the raw list was
    /// handed out, waits until everything appended to it so far is done.
    ///
    /// # Errors
    ///
    /// As [`Queue::synchronize`].
    #[inline]
    pub(super) fn order_after_raw_work(&self) -> Result<()> {
        if self.raw.taken() {
            self.wait_for_list()
        } else {
            Ok(())
        }
    }

    /// Appends a barrier signalling a pooled event to the queue's list (the asynchronous
    /// one in asynchronous mode) and waits for the event: every command appended before
    /// the barrier is then done.
    #[cold]
    fn wait_for_list(&self) -> Result<()> {
        let event = self.lock_events().acquire()?;
        let outcome = {
            let list = self.lock_list();
            // SAFETY: the list is live and the guard keeps other threads off it; the event
            // is of the queue's context, unsignalled, and waited for below before it goes
            // back to the pool.
            unsafe { result::command_list::append_barrier(self.context.api(), *list, event, &[]) }
        };
        let outcome = outcome.and_then(|()| {
            // SAFETY: the event is live (released below, after the wait).
            unsafe { result::event::host_synchronize(self.context.api(), event) }
        });
        // Waited for (or never appended, or the work ended with an error): nothing refers to
        // the event any more.
        self.lock_events().release(event);
        outcome
    }
}

impl Queue {
    /// Waits until all work submitted to the queue so far is done, as SYCL's
    /// `queue.wait()`: synchronous calls (done when they return), asynchronous work of
    /// [`scope`](crate::scope()) and [`Pending`](super::Pending) handles of this queue and
    /// its clones, and work appended to [`Queue::raw_list`].
    ///
    /// It appends a barrier that signals an event to the queue's list and waits for the
    /// event (portable to every Level Zero version; `zeCommandListHostSynchronize` exists
    /// only from API 1.6 on). Work submitted by other threads while it waits may or may
    /// not be included.
    ///
    /// Waiting does not end scopes nor give back owned memory: a [`Pending`](super::Pending)
    /// is then complete, and its `wait` returns at once.
    ///
    /// ```no_run
    /// use usm_core::{Context, Queue, UsmHost};
    /// let (context, device) = Context::default_gpu()?;
    /// let queue = Queue::new(&context, &device)?;
    /// let pending = queue.fill_async(UsmHost::new(&context, 64)?, &[1], &[])?;
    /// queue.synchronize()?;
    /// assert!(pending.is_complete()?);
    /// # Ok::<(), usm_core::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The code of `zeCommandListAppendBarrier` or `zeEventHostSynchronize` (work on the
    /// list failed, or the device was lost).
    pub fn synchronize(&self) -> Result<()> {
        self.inner.wait_for_list()
    }
}
