//! Asynchronous copies and fills in scopes: [`scope()`], [`Scope`], [`Event`] and the
//! tokens of held memory.

mod held;

use std::marker::PhantomData;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use level_zero_sys::ze_event_handle_t;

pub use held::{HeldMut, HeldRef};

use crate::error::{Error, Result};
use crate::queue::{query_event, start_clock, wait_event, Command, Queue, QueueInner};
use crate::transfer::report;
use crate::transfer::{direction, Extent, Region, Side, TransferError, UsmDestination, UsmSource};

/// Runs `f` with a [`Scope`] for asynchronous copies and fills, and returns once all work
/// submitted in it has completed: work runs beside the host, returns [`Event`]s and depends
/// on earlier work.
///
/// ```no_run
/// use usm_core::{scope, Context, Queue, UsmDevice, UsmHost};
/// let (context, device) = Context::default_gpu()?;
/// let queue = Queue::new(&context, &device)?;
/// let mut a = UsmDevice::new(&context, &device, 1024)?;
/// let mut b = UsmHost::new(&context, 1024)?;
/// let input = vec![7u8; 1024];
/// scope(|s| {
///     let (a, b) = (s.hold_mut(&mut a), s.hold_mut(&mut b));
///     let written = s.copy(&queue, a, s.hold_host(&input), &[])?;
///     // Reads `a` after the write above: the scope orders it by itself.
///     let read = s.copy(&queue, b, a.as_source(), &[])?;
///     read.wait()?;
///     assert!(written.is_complete()?);
///     Ok(())
/// })?;
/// assert_eq!(b.as_slice(), &input[..]);
/// # Ok::<(), usm_core::Error>(())
/// ```
///
/// # Why safe code cannot free or touch memory in flight
///
/// * Memory enters a scope only by a borrow for the whole scope: [`Scope::hold`] takes
///   `&'scope M`, [`Scope::hold_mut`] takes `&'scope mut M`. `'scope` outlives the closure
///   given to [`scope()`], so memory made inside the closure cannot be held (it would not
///   live long enough), and held memory cannot be dropped, moved or (for `hold_mut`) read
///   or written by the host until [`scope()`] returns.
/// * [`scope()`] returns only after waiting for every event signalled by work submitted in
///   it, also when the closure fails or panics (the panic is caught, the work awaited, then
///   the panic resumed). Users never own the [`Scope`], so they cannot forget it; dropping
///   or forgetting an [`Event`] changes nothing, the scope has its own record.
/// * Only the two traits [`UsmSource`] and [`UsmDestination`] (unsafe to implement) let
///   memory be held: sources whose shared borrow excludes writers, destinations whose
///   exclusive borrow excludes everything else. A cloneable [`UsmView`](crate::UsmView) is
///   a source only.
/// * Tokens ([`HeldRef`], [`HeldMut`]) and events carry the invariant `'scope` of their
///   scope, so they cannot be used in another scope or after this one.
/// * Device work on one held memory is ordered by the scope: a write waits for the
///   previous write and every read since; a read waits for the previous write. So device
///   work never races on held memory either, whatever events the caller passes.
/// * Code of the user that usm-core calls (a tracing subscriber, which may panic) never
///   runs between submitting work and recording it, nor while recorded work is awaited:
///   a panic there cannot end the scope with work in flight.
/// * Fill patterns are copied into the scope and live until it ends.
/// * Plain host memory used by queues of two contexts (whose events cannot cross) is
///   ordered by the host: the later submission first waits for the earlier work.
/// * On a [`Mode::Synchronous`](crate::Mode) queue every submission completes before it
///   returns; the rules above hold all the same.
///
/// These do not compile: freeing held memory inside the scope,
///
/// ```compile_fail,E0505
/// # fn f(queue: &usm_core::Queue, context: &usm_core::Context) -> usm_core::Result<()> {
/// let mut h = usm_core::UsmHost::new(context, 8)?;
/// usm_core::scope(|s| {
///     s.memset(queue, s.hold_mut(&mut h), 1, &[])?;
///     drop(h);
///     Ok(())
/// })
/// # }
/// ```
///
/// reading on the host memory the device may be writing,
///
/// ```compile_fail,E0502
/// # fn f(queue: &usm_core::Queue, context: &usm_core::Context) -> usm_core::Result<()> {
/// let mut h = usm_core::UsmHost::new(context, 8)?;
/// usm_core::scope(|s| {
///     s.memset(queue, s.hold_mut(&mut h), 1, &[])?;
///     assert_eq!(h.as_slice()[0], 1);
///     Ok(())
/// })
/// # }
/// ```
///
/// and holding memory that would be freed before the scope ends:
///
/// ```compile_fail,E0597
/// # fn f(queue: &usm_core::Queue, context: &usm_core::Context) -> usm_core::Result<()> {
/// usm_core::scope(|s| {
///     let mut h = usm_core::UsmHost::new(context, 8)?;
///     s.memset(queue, s.hold_mut(&mut h), 1, &[])?;
///     Ok(())
/// })
/// # }
/// ```
///
/// Tokens and events cannot leave their scope, nor enter a scope nested in it (each
/// scope's holds and events are its own):
///
/// ```compile_fail
/// # fn f(queue: &usm_core::Queue, context: &usm_core::Context) -> usm_core::Result<()> {
/// let mut h = usm_core::UsmHost::new(context, 8)?;
/// let done = usm_core::scope(|s| s.memset(queue, s.hold_mut(&mut h), 1, &[]))?;
/// done.wait()
/// # }
/// ```
///
/// ```compile_fail,E0521
/// # fn f(queue: &usm_core::Queue, context: &usm_core::Context) -> usm_core::Result<()> {
/// let mut h = usm_core::UsmHost::new(context, 8)?;
/// usm_core::scope(|outer| {
///     let held = outer.hold_mut(&mut h);
///     usm_core::scope(|inner| {
///         inner.memset(queue, held, 1, &[])?;
///         Ok(())
///     })
/// })
/// # }
/// ```
///
/// The same code compiles once the memory outlives the scope and is read after it:
///
/// ```no_run
/// # fn f(queue: &usm_core::Queue, context: &usm_core::Context) -> usm_core::Result<()> {
/// let mut h = usm_core::UsmHost::new(context, 8)?;
/// usm_core::scope(|s| {
///     s.memset(queue, s.hold_mut(&mut h), 1, &[])?;
///     Ok(())
/// })?;
/// assert_eq!(h.as_slice()[0], 1);
/// # Ok(())
/// # }
/// ```
///
/// Events go back to their queue's pool (reset, for reuse) when the scope ends: a scope
/// holds one event per submission until then, so very long-running work is better split
/// into several scopes.
///
/// If waiting for an event fails (the driver reports the work failed or the device was
/// lost), the work is treated as finished: the error is returned after all other events
/// were awaited.
///
/// # Errors
///
/// The error `f` returned, else the first error met while waiting for the work.
///
/// # Panics
///
/// Resumes a panic of `f`, after waiting for the work submitted before it.
pub fn scope<'env, F, T>(f: F) -> Result<T>
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> Result<T>,
{
    let scope = Scope {
        state: Mutex::new(State::default()),
        _scope: PhantomData,
        _env: PhantomData,
    };
    let outcome = catch_unwind(AssertUnwindSafe(|| f(&scope)));
    let finished = scope.finish();
    match outcome {
        Err(panic) => resume_unwind(panic),
        Ok(Err(e)) => Err(e),
        Ok(Ok(value)) => finished.map(|()| value),
    }
}

/// A scope for asynchronous copies and fills; see [`scope()`] and the module docs.
///
/// Shareable between threads (`std::thread::scope` inside it works): submissions are
/// serialised inside.
pub struct Scope<'scope, 'env: 'scope> {
    state: Mutex<State>,
    _scope: PhantomData<&'scope mut &'scope ()>,
    _env: PhantomData<&'env mut &'env ()>,
}

/// The completion of one submitted piece of work, usable as a dependency of later work in
/// the same scope.
#[derive(Debug, Clone, Copy)]
pub struct Event<'scope> {
    raw: ze_event_handle_t,
    context: usize,
    _scope: PhantomData<&'scope mut &'scope ()>,
}

// SAFETY: the handle names an event that lives until its scope ends ('scope); waiting for
// and querying events are free-threaded Level Zero calls.
unsafe impl Send for Event<'_> {}
// SAFETY: as for Send: `&Event` only waits and queries.
unsafe impl Sync for Event<'_> {}

impl Event<'_> {
    /// Waits until the work is done.
    ///
    /// # Errors
    ///
    /// The code of `zeEventHostSynchronize` (the work failed, or the device was lost).
    pub fn wait(&self) -> Result<()> {
        wait_event(self.raw)
    }

    /// Whether the work is done, without waiting.
    ///
    /// # Errors
    ///
    /// The code of `zeEventQueryStatus`.
    pub fn is_complete(&self) -> Result<bool> {
        query_event(self.raw)
    }

    /// The raw handle, for calls usm-core does not wrap. Valid until the scope ends.
    pub fn raw(&self) -> ze_event_handle_t {
        self.raw
    }
}

#[derive(Default)]
struct State {
    submitted: Vec<Submitted>,
    holds: Vec<HoldState>,
    patterns: Vec<Box<[u8]>>,
}

struct Submitted {
    event: ze_event_handle_t,
    queue: Arc<QueueInner>,
    /// Raw handle of the queue's context.
    context: usize,
    /// With debug tracing on: the operation's span, its submission time and bytes.
    trace: Option<(tracing::Span, Instant, usize)>,
}

// SAFETY: the event handle is only waited on and reset, both free-threaded; the queue is
// Send + Sync.
unsafe impl Send for Submitted {}

/// The device work on one held memory so far (indices into `submitted`).
#[derive(Default)]
struct HoldState {
    last_write: Option<usize>,
    reads: Vec<usize>,
}

/// What a submission does to held memory.
struct Access {
    writes: Option<usize>,
    reads: Option<usize>,
}

impl<'scope, 'env> Scope<'scope, 'env> {
    /// Holds `memory` for reading by the device until the scope ends.
    pub fn hold<M: UsmSource + ?Sized>(&'scope self, memory: &'scope M) -> HeldRef<'scope> {
        HeldRef {
            hold: self.new_hold(),
            side: Side::usm(memory),
            _scope: PhantomData,
        }
    }

    /// Holds `memory` for reading and writing by the device until the scope ends; the host
    /// cannot touch it meanwhile.
    pub fn hold_mut<M: UsmDestination + ?Sized>(
        &'scope self,
        memory: &'scope mut M,
    ) -> HeldMut<'scope> {
        HeldMut {
            hold: self.new_hold(),
            side: Side::usm(&*memory),
            _scope: PhantomData,
        }
    }

    /// Holds plain host memory for reading by the device until the scope ends.
    pub fn hold_host(&'scope self, bytes: &'scope [u8]) -> HeldRef<'scope> {
        HeldRef {
            hold: self.new_hold(),
            side: Side::host(bytes),
            _scope: PhantomData,
        }
    }

    /// Holds plain host memory for writing by the device until the scope ends.
    pub fn hold_host_mut(&'scope self, bytes: &'scope mut [u8]) -> HeldMut<'scope> {
        HeldMut {
            hold: self.new_hold(),
            side: Side::host(bytes),
            _scope: PhantomData,
        }
    }

    /// Copies `src` to `dst` (equal lengths) after `after` and after earlier work on
    /// either. Empty ranges move nothing: the event then signals once that earlier work
    /// is done (the same holds for empty fills).
    ///
    /// # Errors
    ///
    /// [`TransferError::SizeMismatch`], [`TransferError::Overlap`],
    /// [`TransferError::ForeignContext`], [`TransferError::ForeignEvent`]; the driver's code.
    pub fn copy(
        &'scope self,
        queue: &Queue,
        dst: HeldMut<'scope>,
        src: HeldRef<'scope>,
        after: &[Event<'scope>],
    ) -> Result<Event<'scope>> {
        crate::transfer::check_copy(queue, &dst.side, &src.side)?;
        let command = Command::Copy {
            dst: dst.side.ptr(),
            src: src.side.ptr(),
            len: dst.side.len,
        };
        let access = Access {
            writes: Some(dst.hold),
            reads: Some(src.hold),
        };
        let _span = tracing::debug_span!(
            target: "usm_core::copy",
            "usm copy async",
            bytes = dst.side.len,
            direction = direction(src.side.kind, dst.side.kind),
            engine = %queue.engine()
        )
        .entered();
        self.submit(queue, &command, access, after, dst.side.len)
    }

    /// Fills `dst` with copies of `pattern` (rules as [`Queue::fill`]) after `after` and
    /// after earlier work on it.
    ///
    /// # Errors
    ///
    /// [`TransferError::BadPattern`], [`TransferError::ForeignContext`],
    /// [`TransferError::ForeignEvent`]; the driver's code.
    pub fn fill(
        &'scope self,
        queue: &Queue,
        dst: HeldMut<'scope>,
        pattern: &[u8],
        after: &[Event<'scope>],
    ) -> Result<Event<'scope>> {
        let d = queue.check_fill(dst.side, 0, dst.side.len, pattern)?;
        let kept: Box<[u8]> = pattern.into();
        let command = Command::Fill {
            dst: d.ptr(),
            pattern: &kept,
            len: d.len,
        };
        let _span = tracing::debug_span!(
            target: "usm_core::copy",
            "usm fill async",
            bytes = d.len,
            pattern = pattern.len(),
            kind = ?d.kind,
            engine = %queue.engine()
        )
        .entered();
        let access = Access {
            writes: Some(dst.hold),
            reads: None,
        };
        let event = self.submit(queue, &command, access, after, d.len)?;
        // The pattern's heap bytes do not move with the box; kept until the scope ends.
        self.lock().patterns.push(kept);
        Ok(event)
    }

    /// Sets every byte of `dst` to `value`; as [`Scope::fill`].
    ///
    /// # Errors
    ///
    /// As [`Scope::fill`].
    pub fn memset(
        &'scope self,
        queue: &Queue,
        dst: HeldMut<'scope>,
        value: u8,
        after: &[Event<'scope>],
    ) -> Result<Event<'scope>> {
        self.fill(queue, dst, &[value], after)
    }

    /// Copies a region of `extent` (rules as [`Queue::copy_region`]) after `after` and
    /// after earlier work on either side.
    ///
    /// # Errors
    ///
    /// As [`Queue::copy_region`], and [`TransferError::ForeignEvent`].
    pub fn copy_region(
        &'scope self,
        queue: &Queue,
        dst: (HeldMut<'scope>, Region),
        src: (HeldRef<'scope>, Region),
        extent: &Extent,
        after: &[Event<'scope>],
    ) -> Result<Event<'scope>> {
        let command = queue.check_region_copy(dst.0.side, &dst.1, src.0.side, &src.1, extent)?;
        let _span = tracing::debug_span!(
            target: "usm_core::copy",
            "usm copy region async",
            bytes = extent.bytes(),
            direction = direction(src.0.side.kind, dst.0.side.kind),
            engine = %queue.engine()
        )
        .entered();
        let access = Access {
            writes: Some(dst.0.hold),
            reads: Some(src.0.hold),
        };
        self.submit(queue, &command, access, after, extent.bytes() as usize)
    }

    /// An event that signals once all of `after` have (a barrier on `queue`).
    ///
    /// # Errors
    ///
    /// [`TransferError::ForeignEvent`]; the driver's code.
    pub fn join(&'scope self, queue: &Queue, after: &[Event<'scope>]) -> Result<Event<'scope>> {
        let access = Access {
            writes: None,
            reads: None,
        };
        self.submit(queue, &Command::Barrier, access, after, 0)
    }

    /// Reads `src` into a new vector, after `after` and earlier writes to it, and waits.
    ///
    /// # Errors
    ///
    /// [`TransferError::ForeignContext`], [`TransferError::ForeignEvent`]; the driver's
    /// code.
    pub fn to_vec(
        &'scope self,
        queue: &Queue,
        src: HeldRef<'scope>,
        after: &[Event<'scope>],
    ) -> Result<Vec<u8>> {
        let mut out = vec![0u8; src.side.len];
        let dst = Side::host(&out);
        crate::transfer::check_copy(queue, &dst, &src.side)?;
        if out.is_empty() {
            return Ok(out);
        }
        let command = Command::Copy {
            dst: out.as_mut_ptr().cast(),
            src: src.side.ptr(),
            len: out.len(),
        };
        let access = Access {
            writes: None,
            reads: Some(src.hold),
        };
        let _span = tracing::debug_span!(
            target: "usm_core::copy",
            "usm copy async",
            bytes = out.len(),
            direction = direction(src.side.kind, None),
            engine = %queue.engine()
        )
        .entered();
        let event = self.submit(queue, &command, access, after, out.len())?;
        // `out` must not be freed before the copy into it is done: wait here. A failed
        // wait means the work ended with an error, so `out` is no longer written.
        event.wait()?;
        Ok(out)
    }

    fn new_hold(&self) -> usize {
        let mut state = self.lock();
        state.holds.push(HoldState::default());
        state.holds.len() - 1
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends `command`, which moves `bytes` bytes (a barrier instead when 0), to `queue`
    /// after `after` and the earlier work on the memory it touches, and records it.
    fn submit(
        &'scope self,
        queue: &Queue,
        command: &Command<'_>,
        access: Access,
        after: &[Event<'scope>],
        bytes: usize,
    ) -> Result<Event<'scope>> {
        let context = queue.context().raw() as usize;
        if let Some(e) = after.iter().find(|e| e.context != context) {
            return Err(TransferError::ForeignEvent {
                event_context: e.context,
                queue_context: context,
            }
            .into());
        }
        let mut state = self.lock();
        let mut waits: Vec<ze_event_handle_t> = after.iter().map(|e| e.raw).collect();
        let mut earlier: Vec<usize> = Vec::new();
        if let Some(h) = access.writes {
            let hold = &state.holds[h];
            earlier.extend(hold.last_write.iter().chain(&hold.reads));
        }
        if let Some(h) = access.reads {
            earlier.extend(state.holds[h].last_write);
        }
        for i in earlier {
            let s = &state.submitted[i];
            if s.context != context {
                // Plain host memory used by queues of two contexts: an event of one
                // context cannot be waited on in the other, so the host waits for it.
                // A failed wait means the work ended (with an error): the order holds.
                let _ = wait_event(s.event);
            } else if !waits.contains(&s.event) {
                waits.push(s.event);
            }
        }
        // Everything that may call the user's code (a tracing subscriber, which may panic)
        // happens before the append: once appended, the work must be recorded before
        // anything can unwind, or the scope would end without waiting for it.
        let trace = start_clock()
            .filter(|_| bytes > 0)
            .map(|t| (tracing::Span::current(), t, bytes));
        let queue_inner = Arc::clone(&queue.inner);
        state.submitted.reserve(1);
        let event = queue.inner.lock_events().acquire()?;
        // Empty work moves no bytes: a barrier gives its event the same order (and the
        // driver may refuse a copy or fill of 0 bytes, say at the end of an allocation).
        let command = if bytes == 0 {
            &Command::Barrier
        } else {
            command
        };
        // SAFETY: the addresses in `command` lie in memory held by this scope (checked by
        // the callers): borrowed for 'scope, so alive, and untouched by the host for writes,
        // until `scope` has waited for `event`, which it records below. Held memory used
        // by other device work is ordered by `waits` (or finished, for other contexts).
        // The events are of the queue's context (checked above and in the loop).
        let appended = unsafe { queue.inner.append(command, event, &waits) };
        if let Err(e) = appended {
            queue.inner.lock_events().release(event);
            return Err(e);
        }
        let index = state.submitted.len();
        state.submitted.push(Submitted {
            event,
            queue: queue_inner,
            context,
            trace,
        });
        if let Some(h) = access.writes {
            let hold = &mut state.holds[h];
            hold.last_write = Some(index);
            hold.reads.clear();
        }
        if let Some(h) = access.reads {
            if access.writes != Some(h) {
                state.holds[h].reads.push(index);
            }
        }
        Ok(Event {
            raw: event,
            context,
            _scope: PhantomData,
        })
    }

    /// Waits for every submitted event, then gives the events back to their queues, then
    /// reports.
    ///
    /// Nothing that may call the user's code (tracing, which may panic) runs before every
    /// event has been waited for: a panic must not end the scope while work is in flight.
    fn finish(&self) -> Result<()> {
        let submitted = std::mem::take(&mut self.lock().submitted);
        let outcomes: Vec<Result<()>> = submitted.iter().map(|s| wait_event(s.event)).collect();
        let mut reports = Vec::new();
        for s in submitted {
            s.queue.lock_events().release(s.event);
            reports.push(s.trace);
        }
        let mut first_error: Option<Error> = None;
        for (outcome, trace) in outcomes.into_iter().zip(reports) {
            match outcome {
                Ok(()) => {
                    if let Some((span, start, bytes)) = trace {
                        span.in_scope(|| report(Some(start), bytes));
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "asynchronous work failed");
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}
