//! Asynchronous copies and fills in scopes: [`scope()`], [`Scope`], [`Event`] and the
//! tokens of held memory.

mod held;
mod hint;

use std::marker::PhantomData;
use std::ops::Deref;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{Mutex, MutexGuard, PoisonError};

use level_zero_sys::ze_event_handle_t;

pub use held::{HeldMut, HeldRef};

#[cfg(doc)]
use crate::error::TransferError;
use crate::error::{Error, Result};
use crate::memory::{UsmView, UsmViewMut};
use crate::queue::{
    copy_async_span, fill_async_span, report, Command, EventRef, Queue, Submission,
};
use crate::transfer::{
    check_copy, check_fill, check_region_copy, direction, Extent, Region, Side, UsmDestination,
    UsmSource,
};

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
/// Views follow the same rules. Memory cannot be freed, nor read by the host, while a
/// view of it is held:
///
/// ```compile_fail,E0505
/// # fn f(queue: &usm_core::Queue, context: &usm_core::Context) -> usm_core::Result<()> {
/// let mut h = usm_core::UsmHost::<u32>::alloc(context, 8)?;
/// usm_core::scope(|s| {
///     s.memset(queue, s.hold_view_mut(h.slice_mut(0..4)?), 1, &[])?;
///     drop(h);
///     Ok(())
/// })
/// # }
/// ```
///
/// ```compile_fail,E0502
/// # fn f(queue: &usm_core::Queue, context: &usm_core::Context) -> usm_core::Result<()> {
/// let mut h = usm_core::UsmHost::<u32>::alloc(context, 8)?;
/// usm_core::scope(|s| {
///     s.memset(queue, s.hold_view_mut(h.slice_mut(0..4)?), 1, &[])?;
///     assert_eq!(h[6], 0);
///     Ok(())
/// })
/// # }
/// ```
///
/// and two overlapping mutable views cannot be held at once:
///
/// ```compile_fail,E0499
/// # fn f(queue: &usm_core::Queue, context: &usm_core::Context) -> usm_core::Result<()> {
/// let mut h = usm_core::UsmHost::<u32>::alloc(context, 8)?;
/// usm_core::scope(|s| {
///     let a = s.hold_view_mut(h.slice_mut(0..4)?);
///     let b = s.hold_view_mut(h.slice_mut(2..6)?);
///     s.memset(queue, a, 1, &[])?;
///     s.memset(queue, b, 2, &[])?;
///     Ok(())
/// })
/// # }
/// ```
///
/// Non-overlapping ones can, and their work is in flight at the same time (each held view
/// is ordered on its own):
///
/// ```no_run
/// # fn f(queue: &usm_core::Queue, context: &usm_core::Context) -> usm_core::Result<()> {
/// let mut h = usm_core::UsmHost::<u32>::alloc(context, 8)?;
/// usm_core::scope(|s| {
///     let (low, high) = h.split_at_mut(4)?;
///     s.memset(queue, s.hold_view_mut(low), 1, &[])?;
///     s.memset(queue, s.hold_view_mut(high), 2, &[])?;
///     Ok(())
/// })?;
/// assert_eq!(h[..], [0x0101_0101, 0x0101_0101, 0x0101_0101, 0x0101_0101,
///                    0x0202_0202, 0x0202_0202, 0x0202_0202, 0x0202_0202]);
/// # Ok(())
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
/// Events go back to their queue's pool (reset, for reuse) when the scope ends, or later
/// when owned work that waits for one still holds it (see [`Event::as_event_ref`]): a
/// scope holds one event per submission until it ends, so very long-running work is
/// better split into several scopes.
///
/// Scoped and owned work wait on each other through the one dependency type,
/// [`EventRef`]: [`Scope::adopt`] turns the event of owned work
/// ([`Pending::event`](crate::Pending::event)) into a dependency in the scope, and
/// [`Event::as_event_ref`] gives owned work ([`Queue::copy_async`] and friends) the event
/// of scoped work.
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
/// the same scope: a `Copy` borrow of the work's [`EventRef`], which the scope keeps until
/// it ends.
///
/// It derefs to the [`EventRef`], so owned work ([`Queue::copy_async`] and friends) can wait
/// for scoped work: `queue.copy_async(dst, src, &[event.as_event_ref()])` (the owned work
/// keeps its own reference to the event).
#[derive(Debug, Clone, Copy)]
pub struct Event<'scope> {
    event: &'scope EventRef,
    _scope: PhantomData<&'scope mut &'scope ()>,
}

impl<'scope> Event<'scope> {
    /// Waits until the work is done.
    ///
    /// # Errors
    ///
    /// The code of `zeEventHostSynchronize` (the work failed, or the device was lost).
    pub fn wait(&self) -> Result<()> {
        self.event.wait()
    }

    /// Whether the work is done, without waiting.
    ///
    /// # Errors
    ///
    /// The code of `zeEventQueryStatus`.
    pub fn is_complete(&self) -> Result<bool> {
        self.event.is_complete()
    }

    /// The raw handle, for calls usm-core does not wrap. Valid until the scope ends.
    pub fn raw(&self) -> ze_event_handle_t {
        self.event.raw()
    }

    /// The event as the one dependency type of asynchronous work, for owned work that
    /// must wait for this scoped work.
    pub fn as_event_ref(&self) -> &'scope EventRef {
        self.event
    }
}

impl Deref for Event<'_> {
    type Target = EventRef;
    fn deref(&self) -> &EventRef {
        self.event
    }
}

#[derive(Default)]
struct State {
    /// The work submitted in the scope, in order.
    submitted: Vec<Submitted>,
    /// Events of work outside the scope that work in it waits for ([`Scope::adopt`]);
    /// boxed, as in [`Submitted`], so that a growing vector never moves what events borrow.
    #[allow(clippy::vec_box)]
    adopted: Vec<Box<EventRef>>,
    holds: Vec<HoldState>,
    patterns: Vec<Box<[u8]>>,
}

/// One piece of submitted work: its event (boxed: [`Event`]s borrow it where it lies until
/// the scope ends) and what the submission handed back.
struct Submitted {
    event: Box<EventRef>,
    submission: Submission,
}

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

    /// Holds a shared view for reading by the device until the scope ends. The view is
    /// taken by value: its borrow of the memory lasts the whole scope, so the view may be
    /// made inside the scope's closure (`s.hold_view(memory.slice(0..4)?)`).
    pub fn hold_view<T>(&'scope self, view: UsmView<'scope, T>) -> HeldRef<'scope> {
        HeldRef {
            hold: self.new_hold(),
            side: Side::usm(&view),
            _scope: PhantomData,
        }
    }

    /// Holds a mutable view for reading and writing by the device until the scope ends,
    /// taken by value as in [`hold_view`](Self::hold_view). Each hold is ordered on its
    /// own: work on non-overlapping views of one allocation (from `split_at_mut`) may be in
    /// flight at the same time, while work on one view is ordered as on any held memory.
    pub fn hold_view_mut<T>(&'scope self, view: UsmViewMut<'scope, T>) -> HeldMut<'scope> {
        HeldMut {
            hold: self.new_hold(),
            side: Side::usm(&view),
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
        check_copy(queue_context(queue), &dst.side, &src.side)?;
        let command = Command::Copy {
            dst: dst.side.ptr(),
            src: src.side.ptr(),
            len: dst.side.len,
        };
        let access = Access {
            writes: Some(dst.hold),
            reads: Some(src.hold),
        };
        let _span = copy_async_span(
            dst.side.len,
            direction(src.side.kind, dst.side.kind),
            queue.engine(),
        );
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
        let d = check_fill(
            queue_context(queue),
            queue.max_fill_pattern_size(),
            dst.side,
            0,
            dst.side.len,
            pattern,
        )?;
        let kept: Box<[u8]> = pattern.into();
        let command = Command::Fill {
            dst: d.ptr(),
            pattern: &kept,
            len: d.len,
        };
        let _span = fill_async_span(&d, pattern.len(), queue.engine());
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
        let checked = check_region_copy(
            queue_context(queue),
            dst.0.side,
            &dst.1,
            src.0.side,
            &src.1,
            extent,
        )?;
        let command = Command::region(&checked);
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
        check_copy(queue_context(queue), &dst, &src.side)?;
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
        let _span = copy_async_span(out.len(), direction(src.side.kind, None), queue.engine());
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

    /// An event of work outside the scope (owned work's [`Pending::event`](crate::Pending::event),
    /// or any other [`EventRef`]) as a dependency for work in the scope. The scope keeps a
    /// reference to it until it ends.
    pub fn adopt(&'scope self, event: &EventRef) -> Event<'scope> {
        let boxed = Box::new(event.clone());
        let ptr: *const EventRef = &*boxed;
        self.lock().adopted.push(boxed);
        Event {
            // SAFETY: the box is kept in the scope's state, unmoved on the heap, until the
            // scope ends ('scope), and never mutated meanwhile.
            event: unsafe { &*ptr },
            _scope: PhantomData,
        }
    }

    /// Appends `command`, which moves `bytes` bytes, to `queue` after `after` and the
    /// earlier work on the memory it touches, through the queue's one submission routine,
    /// and records it.
    fn submit(
        &'scope self,
        queue: &Queue,
        command: &Command<'_>,
        access: Access,
        after: &[Event<'scope>],
        bytes: usize,
    ) -> Result<Event<'scope>> {
        let context = queue_context(queue);
        let mut state = self.lock();
        let mut earlier: Vec<usize> = Vec::new();
        if let Some(h) = access.writes {
            let hold = &state.holds[h];
            earlier.extend(hold.last_write.iter().chain(&hold.reads));
        }
        if let Some(h) = access.reads {
            earlier.extend(state.holds[h].last_write);
        }
        let mut same_context: Vec<EventRef> = Vec::new();
        for &i in &earlier {
            let e: &EventRef = &state.submitted[i].event;
            if e.context_addr() != context {
                // Plain host memory used by queues of two contexts: an event of one
                // context cannot be waited on in the other, so the host waits for it.
                // A failed wait means the work ended (with an error): the order holds.
                let _ = e.wait();
            } else {
                same_context.push(e.clone());
            }
        }
        let mut waits: Vec<&EventRef> = after.iter().map(|e| e.event).collect();
        for e in &same_context {
            if !waits.iter().any(|w| w.raw() == e.raw()) {
                waits.push(e);
            }
        }
        state.submitted.reserve(1);
        // SAFETY: the addresses in `command` lie in memory held by this scope (checked by
        // the callers): borrowed for 'scope, so alive, and untouched by the host for writes,
        // until `scope` has waited for the event, which is recorded below before anything
        // can unwind. Held memory used by other device work is ordered by `waits` (or
        // finished, for other contexts).
        let submission = unsafe { queue.submit(command, &waits, bytes) }?;
        let event = Box::new(submission.event.clone());
        let ptr: *const EventRef = &*event;
        let index = state.submitted.len();
        state.submitted.push(Submitted { event, submission });
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
            // SAFETY: the box is kept in `submitted`, unmoved on the heap, until the scope
            // ends ('scope), and never mutated meanwhile.
            event: unsafe { &*ptr },
            _scope: PhantomData,
        })
    }

    /// Waits for every submitted event, then lets the events go back to their queues, then
    /// reports.
    ///
    /// Nothing that may call the user's code (tracing, which may panic) runs before every
    /// event has been waited for: a panic must not end the scope while work is in flight.
    fn finish(&self) -> Result<()> {
        let (submitted, adopted) = {
            let mut state = self.lock();
            (
                std::mem::take(&mut state.submitted),
                std::mem::take(&mut state.adopted),
            )
        };
        let outcomes: Vec<Result<()>> = submitted.iter().map(|s| s.event.wait()).collect();
        let traces: Vec<_> = submitted.into_iter().map(|s| s.submission.trace).collect();
        drop(adopted);
        let mut first_error: Option<Error> = None;
        for (outcome, trace) in outcomes.into_iter().zip(traces) {
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

/// The raw handle of the queue's context, as an address.
fn queue_context(queue: &Queue) -> usize {
    queue.context().raw() as usize
}
