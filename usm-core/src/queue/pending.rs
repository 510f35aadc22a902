//! Asynchronous work that owns the memory it reads and writes until it is done: the
//! `'static` counterpart of [`scope()`](crate::scope()), for work that must outlive the
//! function that submits it.
//!
//! Owned and scoped work depend on each other through the one dependency type,
//! [`EventRef`]: pass [`Pending::event`] to a scope with
//! [`Scope::adopt`](crate::Scope::adopt), and a scope's [`Event`](crate::Event) to owned
//! work with [`Event::as_event_ref`](crate::Event::as_event_ref).
//!
//! ```no_run
//! use std::sync::Arc;
//! use usm_core::{Context, Queue, UsmDevice};
//! let (context, device) = Context::default_gpu()?;
//! let queue = Queue::new(&context, &device)?;
//! let on_device = UsmDevice::new(&context, &device, 4)?;
//! let written = queue.write_async(on_device, vec![1, 2, 3, 4], &[])?;
//! let read = queue.read_async(Arc::new(UsmDevice::new(&context, &device, 4)?), &[])?;
//! let (on_device, _data) = written.wait()?;
//! let (_, bytes) = read.wait()?;
//! assert_eq!(bytes.len(), 4);
//! # drop(on_device);
//! # Ok::<(), usm_core::Error>(())
//! ```
//!
//! # Why safe code cannot free or touch memory in flight
//!
//! * The memory is moved into the [`Pending`] handle (sources may be shared as `Arc`s,
//!   which give no writer a way in), and must be `'static`: no borrow it holds can end
//!   while the work runs, even if the handle is leaked.
//!   A borrowed view is refused at compile time:
//!
//! ```compile_fail,E0521
//! use usm_core::UsmMemory;
//! fn f(queue: &usm_core::Queue, memory: &usm_core::UsmDevice) {
//!     let pending = queue.read_async(memory.view(0, 4).unwrap(), &[]);
//! }
//! ```
//!
//!   Typed views are refused the same way (below); owned work on part of an allocation
//!   owns it through a
//!   [`UsmRange`](crate::UsmRange) (`memory.into_range(2..6)?`), which
//!   [`UsmRange::into_inner`](crate::UsmRange::into_inner) gives back.
//!
//! ```compile_fail,E0521
//! fn f(queue: &usm_core::Queue, memory: &mut usm_core::UsmDevice<u32>) {
//!     let pending = queue.fill_async(memory.slice_mut(0..4).unwrap(), &[0], &[]);
//! }
//! ```
//! * The handle gives the memory back only from [`Pending::wait`], after the work is done;
//!   dropping the handle waits first, then frees. The handle exists before the work is
//!   submitted, so a panic during submission (a tracing subscriber is the user's code)
//!   also waits before anything is freed. Leaking it (`mem::forget`) leaks the
//!   memory and the event: nothing is freed, so nothing is freed early.
//! * An event is reset for reuse only when nothing refers to it: its own handle and every
//!   [`EventRef`] (each piece of work that waits on it keeps one until it is done itself,
//!   owned or scoped: both go through the queue's one submission routine).
//! * Destinations are moved in, so two pieces of pending work never write the same memory,
//!   and nothing reads memory another piece writes.

use std::ffi::c_void;
use std::fmt;

use super::submit::{EventRef, Submission, Trace};
use super::{copy_async_span, fill_async_span, report, Command, Queue};
pub use crate::error::Failed;
#[cfg(doc)]
use crate::error::TransferError;
use crate::error::{Error, Result};
use crate::transfer::{check_copy, check_fill, direction, Side, UsmDestination, UsmSource};

/// The outcome of submitting owned work: its handle, or why it was refused with the values
/// given back.
pub type PendingResult<T> = std::result::Result<Pending<T>, Box<Failed<T>>>;

/// Asynchronous work that owns `T` (its memory) until it is done.
#[must_use = "dropping a Pending waits for its work"]
pub struct Pending<T> {
    value: Option<T>,
    event: Option<EventRef>,
    /// The events this work waits for, kept until it is done.
    after: Vec<EventRef>,
    trace: Trace,
}

impl<T> fmt::Debug for Pending<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pending")
            .field("event", &self.event)
            .field("after", &self.after.len())
            .finish()
    }
}

impl<T> Pending<T> {
    /// A handle owning `value`, before its work is submitted (dropping it waits for
    /// nothing).
    pub(super) fn unsubmitted(value: T) -> Pending<T> {
        Pending {
            value: Some(value),
            event: None,
            after: Vec::new(),
            trace: None,
        }
    }

    /// Takes the event of the work just submitted (and what it waits for): from now on,
    /// dropping the handle waits for the work.
    pub(super) fn submitted(&mut self, submission: Submission) {
        self.event = Some(submission.event);
        self.after = submission.after;
        self.trace = submission.trace;
    }

    /// A reference to this work's completion, to make other work wait for it.
    pub fn event(&self) -> EventRef {
        self.event
            .clone()
            .expect("an event until the work is waited for")
    }

    /// Whether the work is done, without waiting.
    ///
    /// # Errors
    ///
    /// The code of `zeEventQueryStatus`.
    pub fn is_complete(&self) -> Result<bool> {
        self.event().is_complete()
    }

    /// Waits until the work is done and gives back what it owned.
    ///
    /// # Errors
    ///
    /// The code of `zeEventHostSynchronize`, with the values: the work ended (failed, or
    /// the device was lost) and no longer uses them.
    pub fn wait(mut self) -> std::result::Result<T, Box<Failed<T>>> {
        let outcome = self.finish();
        let value = self
            .value
            .take()
            .expect("the value until the work is waited for");
        match outcome {
            Ok(()) => Ok(value),
            Err(error) => Err(Box::new(Failed { error, value })),
        }
    }

    /// Waits for the event, reports the rate, and lets the events go.
    fn finish(&mut self) -> Result<()> {
        let Some(event) = self.event.take() else {
            return Ok(());
        };
        let outcome = event.wait();
        if let (Ok(()), Some((span, start, bytes))) = (&outcome, &self.trace) {
            span.in_scope(|| report(Some(*start), *bytes));
        }
        // Done (or ended with an error): the events may be reused once nothing else
        // refers to them.
        self.after.clear();
        drop(event);
        outcome
    }
}

impl<T> Drop for Pending<T> {
    fn drop(&mut self) {
        if let Err(e) = self.finish() {
            tracing::error!(error = %e, "asynchronous work failed (found when its handle dropped)");
        }
    }
}

impl Queue {
    /// Copies all of `src` to all of `dst` (equal sizes) after `after`; both are owned by
    /// the returned handle until the copy is done.
    ///
    /// # Errors
    ///
    /// As [`Queue::copy_all`], and [`TransferError::ForeignEvent`]; the values come back
    /// in the error.
    pub fn copy_async<D, S>(&self, dst: D, src: S, after: &[&EventRef]) -> PendingResult<(D, S)>
    where
        D: UsmDestination + 'static,
        S: UsmSource + 'static,
    {
        let (d, s) = (Side::usm(&dst), Side::usm(&src));
        // SAFETY: both ranges are the whole of memory moved into the handle, which owns it
        // until the copy is done ('static, so no borrow inside it can end earlier).
        unsafe { self.copy_owned(d, d.ptr(), s, (dst, src), after) }
    }

    /// Writes `data` over all of `dst` (equal sizes) after `after`; both are owned by the
    /// returned handle until the copy is done.
    ///
    /// # Errors
    ///
    /// As [`Queue::write_from_slice`], and [`TransferError::ForeignEvent`]; the values come
    /// back in the error.
    pub fn write_async<D>(
        &self,
        dst: D,
        data: Vec<u8>,
        after: &[&EventRef],
    ) -> PendingResult<(D, Vec<u8>)>
    where
        D: UsmDestination + 'static,
    {
        let (d, s) = (Side::usm(&dst), Side::host(&data));
        // SAFETY: as in `copy_async`; the vector's heap bytes do not move when the vector
        // moves into the handle.
        unsafe { self.copy_owned(d, d.ptr(), s, (dst, data), after) }
    }

    /// Reads all of `src` into a new vector after `after` (an asynchronous `tobytes`); `src`
    /// and the vector are owned by the returned handle until the copy is done.
    ///
    /// # Errors
    ///
    /// As [`Queue::to_vec`], and [`TransferError::ForeignEvent`]; the values come back in
    /// the error.
    pub fn read_async<S>(&self, src: S, after: &[&EventRef]) -> PendingResult<(S, Vec<u8>)>
    where
        S: UsmSource + 'static,
    {
        let mut out = vec![0u8; src.len()];
        let (d, s) = (Side::host(&out), Side::usm(&src));
        let dst_ptr = out.as_mut_ptr().cast();
        // SAFETY: as in `write_async`; nothing reads or writes the vector until the handle
        // gives it back after the copy.
        unsafe { self.copy_owned(d, dst_ptr, s, (src, out), after) }
    }

    /// Fills all of `dst` with copies of `pattern` (rules as [`Queue::fill`]) after
    /// `after`; `dst` and a copy of the pattern are owned by the returned handle until the
    /// fill is done.
    ///
    /// # Errors
    ///
    /// As [`Queue::fill`], and [`TransferError::ForeignEvent`]; `dst` comes back in the
    /// error.
    pub fn fill_async<D>(
        &self,
        dst: D,
        pattern: &[u8],
        after: &[&EventRef],
    ) -> PendingResult<(D, Box<[u8]>)>
    where
        D: UsmDestination + 'static,
    {
        let whole = Side::usm(&dst);
        let mut handle = Pending::unsubmitted((dst, Box::<[u8]>::from(pattern)));
        let queue_context = self.context().raw() as usize;
        let submitted = check_fill(
            queue_context,
            self.max_fill_pattern_size(),
            whole,
            0,
            whole.len,
            pattern,
        )
        .map_err(Error::from)
        .and_then(|d| {
            let _span = fill_async_span(&d, pattern.len(), self.engine());
            let kept = match &handle.value {
                Some((_, kept)) => &kept[..],
                None => unreachable!("the handle owns its value until it is waited for"),
            };
            let command = Command::Fill {
                dst: d.ptr(),
                pattern: kept,
                len: d.len,
            };
            // SAFETY: as in `copy_async`; the pattern's bytes are owned by the handle
            // too.
            let submission = unsafe { self.submit(&command, after, d.len) }?;
            // Nothing between the append and here can unwind; from here on, whatever
            // unwinds drops the handle, which waits for the work first.
            handle.submitted(submission);
            Ok(())
        });
        finish_submission(submitted, handle)
    }

    /// The owned copy behind [`copy_async`](Self::copy_async),
    /// [`write_async`](Self::write_async) and [`read_async`](Self::read_async): checks `d`
    /// and `s`, then copies `s` to `d` (written through `dst_ptr`) with a handle owning
    /// `value`.
    ///
    /// # Safety
    ///
    /// `d` and `s` describe memory that `value` owns (bytes that do not move when `value`
    /// moves) or that lives longer, untouched by others until the copy is done; `dst_ptr`
    /// is `d`'s address, writable.
    unsafe fn copy_owned<T>(
        &self,
        d: Side,
        dst_ptr: *mut c_void,
        s: Side,
        value: T,
        after: &[&EventRef],
    ) -> PendingResult<T> {
        let mut handle = Pending::unsubmitted(value);
        let submitted = check_copy(self.context().raw() as usize, &d, &s)
            .map_err(Error::from)
            .and_then(|()| {
                let _span = copy_async_span(d.len, direction(s.kind, d.kind), self.engine());
                let command = Command::Copy {
                    dst: dst_ptr,
                    src: s.ptr(),
                    len: d.len,
                };
                // SAFETY: the caller guarantees the ranges stay owned and untouched until
                // the copy is done, which the handle waits for.
                let submission = unsafe { self.submit(&command, after, d.len) }?;
                // Nothing between the append and here can unwind; from here on, whatever
                // unwinds drops the handle, which waits for the work first.
                handle.submitted(submission);
                Ok(())
            });
        finish_submission(submitted, handle)
    }
}

/// The handle of submitted work, or the error with the values given back.
pub(super) fn finish_submission<T>(
    submitted: Result<()>,
    mut handle: Pending<T>,
) -> PendingResult<T> {
    match submitted {
        Ok(()) => Ok(handle),
        // Refused or not appended: nothing of the handle's is in use.
        Err(error) => match handle.value.take() {
            Some(value) => Err(Box::new(Failed { error, value })),
            None => unreachable!("the handle owns its value until it is waited for"),
        },
    }
}
