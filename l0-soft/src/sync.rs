//! The signal state shared by events and fences, the Level Zero timeout rule, and how a
//! status becomes an entry point's result.
//!
//! A [`Completion`] is "not signaled", "signaled" or "signaled with an error" (a command
//! that failed, see the fault injection in `fault`). Waiting follows the
//! specification's timeout argument: `0` only queries, `u64::MAX` waits forever, any
//! other value waits at most that many nanoseconds and then answers `NOT_READY`.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use level_zero_sys::ze_result_t;

use crate::ffi::ZeResult;

/// Locks a mutex, recovering the data when a panicking thread poisoned it (every state
/// guarded here stays consistent between statements, so the data is still valid).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Turns a status (`SUCCESS`, `NOT_READY` or an error) into the guard's form.
pub(crate) fn status(code: ze_result_t) -> ZeResult {
    if code == ze_result_t::ZE_RESULT_SUCCESS {
        Ok(())
    } else {
        Err(code)
    }
}

/// When a wait with a Level Zero `timeout` (nanoseconds) gives up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deadline {
    /// `timeout == 0`: answer at once.
    Now,
    /// A finite timeout.
    At(Instant),
    /// `timeout == u64::MAX` (or a deadline too far away to represent).
    Never,
}

impl Deadline {
    /// The deadline of a wait that starts now.
    pub(crate) fn after_nanos(timeout: u64) -> Deadline {
        match timeout {
            0 => Deadline::Now,
            u64::MAX => Deadline::Never,
            ns => Instant::now()
                .checked_add(Duration::from_nanos(ns))
                .map_or(Deadline::Never, Deadline::At),
        }
    }

    /// Waits on `cv` until `done(state)` holds or the deadline passes; returns the guard
    /// and whether `done` held.
    pub(crate) fn wait_until<'a, T>(
        self,
        cv: &Condvar,
        mut guard: MutexGuard<'a, T>,
        mut done: impl FnMut(&T) -> bool,
    ) -> (MutexGuard<'a, T>, bool) {
        loop {
            if done(&guard) {
                return (guard, true);
            }
            guard = match self {
                Deadline::Now => return (guard, false),
                Deadline::Never => cv.wait(guard).unwrap_or_else(|p| p.into_inner()),
                Deadline::At(at) => {
                    let now = Instant::now();
                    if now >= at {
                        return (guard, false);
                    }
                    cv.wait_timeout(guard, at - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Unsignaled,
    Signaled,
    Failed(ze_result_t),
}

/// A signal that host threads and workers can set, reset and wait for.
#[derive(Debug)]
pub(crate) struct Completion {
    state: Mutex<State>,
    changed: Condvar,
}

impl Completion {
    /// A completion, signaled or not.
    pub(crate) fn new(signaled: bool) -> Self {
        Completion {
            state: Mutex::new(if signaled {
                State::Signaled
            } else {
                State::Unsignaled
            }),
            changed: Condvar::new(),
        }
    }

    /// Signals, successfully when `result` is `SUCCESS`, else with that error.
    pub(crate) fn signal(&self, result: ze_result_t) {
        let mut s = lock(&self.state);
        *s = if result == ze_result_t::ZE_RESULT_SUCCESS {
            State::Signaled
        } else {
            State::Failed(result)
        };
        drop(s);
        self.changed.notify_all();
    }

    /// Back to not signaled.
    pub(crate) fn reset(&self) {
        *lock(&self.state) = State::Unsignaled;
    }

    /// `SUCCESS` when signaled, the error it was signaled with, else `NOT_READY`.
    pub(crate) fn status(&self) -> ze_result_t {
        Self::code(*lock(&self.state))
    }

    /// Waits for the signal under the Level Zero timeout rule; answers like
    /// [`Completion::status`].
    pub(crate) fn wait(&self, timeout: u64) -> ze_result_t {
        let guard = lock(&self.state);
        let (guard, _) = Deadline::after_nanos(timeout)
            .wait_until(&self.changed, guard, |s| *s != State::Unsignaled);
        Self::code(*guard)
    }

    fn code(s: State) -> ze_result_t {
        match s {
            State::Unsignaled => ze_result_t::ZE_RESULT_NOT_READY,
            State::Signaled => ze_result_t::ZE_RESULT_SUCCESS,
            State::Failed(e) => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn zero_timeout_only_queries() {
        let c = Completion::new(false);
        assert_eq!(c.wait(0), ze_result_t::ZE_RESULT_NOT_READY);
        c.signal(ze_result_t::ZE_RESULT_SUCCESS);
        assert_eq!(c.wait(0), ze_result_t::ZE_RESULT_SUCCESS);
    }

    #[test]
    fn finite_timeout_expires_with_not_ready() {
        let c = Completion::new(false);
        assert_eq!(c.wait(1_000_000), ze_result_t::ZE_RESULT_NOT_READY);
    }

    #[test]
    fn infinite_wait_returns_when_another_thread_signals() {
        let c = Arc::new(Completion::new(false));
        let c2 = Arc::clone(&c);
        let t = std::thread::spawn(move || c2.wait(u64::MAX));
        c.signal(ze_result_t::ZE_RESULT_ERROR_DEVICE_LOST);
        assert_eq!(t.join().unwrap(), ze_result_t::ZE_RESULT_ERROR_DEVICE_LOST);
        c.reset();
        assert_eq!(c.status(), ze_result_t::ZE_RESULT_NOT_READY);
    }

    #[test]
    fn a_huge_timeout_does_not_overflow() {
        assert_ne!(Deadline::after_nanos(u64::MAX - 1), Deadline::Now);
    }
}
