//! The synchronous lists of a queue: one per thread that makes synchronous calls, so that
//! a synchronous call takes no lock.
//!
//! Level Zero forbids appending to one command list from two threads at once. A queue is
//! shared between threads, so its synchronous calls ([`Queue::copy`] and friends) each
//! need a list that no other thread is appending to. Instead of one list behind a mutex
//! (two atomic read-modify-writes per call even when no other thread is there), each
//! thread *holds* a synchronous list of the queue: its first synchronous call takes an idle
//! list of the queue's (or makes one), and later calls find it in a small per-thread
//! table without any atomic operation. A thread gives its lists back when it exits, or
//! when it uses more queues than its table holds; a queue destroys every list it made when
//! it is dropped. So a queue makes at most as many synchronous lists as threads ever used
//! it at the same time.
//!
//! Synchronous lists never carry work past the call that appended it (each append returns
//! when its work is done), so a list can pass from one thread to another between calls.

use std::cell::{Cell, RefCell};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use level_zero_sys::ze_command_list_handle_t;

use super::{create_list, Mode, Queue, QueueInner};
use crate::error::Result;

/// How many queues' lists one thread holds at once.
const HELD_PER_THREAD: usize = 4;

/// The synchronous lists a queue made.
#[derive(Default)]
pub(super) struct SyncLists {
    state: Mutex<Lists>,
}

#[derive(Default)]
struct Lists {
    /// Every list made, for `Drop`.
    made: Vec<ze_command_list_handle_t>,
    /// The lists no thread holds.
    idle: Vec<ze_command_list_handle_t>,
}

impl SyncLists {
    fn lock(&self) -> std::sync::MutexGuard<'_, Lists> {
        // Two vectors of handles: consistent even if a holder panicked.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Number of synchronous lists made so far.
    pub(super) fn made(&self) -> usize {
        self.lock().made.len()
    }

    /// Every list made, for the queue's `Drop` (no thread can use them any more).
    pub(super) fn take_all(&mut self) -> Vec<ze_command_list_handle_t> {
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        state.idle.clear();
        std::mem::take(&mut state.made)
    }

    fn give_back(&self, list: ze_command_list_handle_t) {
        self.lock().idle.push(list);
    }
}

/// One queue's synchronous list, held by the current thread.
struct Held {
    /// The queue; weak, so that a thread's table never keeps a queue alive. While it
    /// exists, no other queue can have the same address, so comparing addresses is exact.
    queue: Weak<QueueInner>,
    list: ze_command_list_handle_t,
}

impl Drop for Held {
    fn drop(&mut self) {
        // The last-used entry must never outlive the table's entry: once the weak handle
        // is gone, another queue may be made at the same address.
        let _ = LAST.try_with(|last| {
            if last.get().0 == self.queue.as_ptr() {
                last.set((std::ptr::null(), std::ptr::null_mut()));
            }
        });
        // A queue that is gone destroyed the list itself.
        if let Some(queue) = self.queue.upgrade() {
            queue.sync_lists.give_back(self.list);
        }
    }
}

thread_local! {
    /// The synchronous lists the current thread holds, most recently taken first.
    static HELD: RefCell<[Option<Held>; HELD_PER_THREAD]> =
        const { RefCell::new([None, None, None, None]) };

    /// The queue (by address) and list of the thread's last synchronous call: a copy of an
    /// entry of [`HELD`], which keeps that queue's address from being reused (an entry
    /// clears this when it goes), so a match is exact. Plain data without a destructor:
    /// reading it is a load.
    static LAST: Cell<(*const QueueInner, ze_command_list_handle_t)> =
        const { Cell::new((std::ptr::null(), std::ptr::null_mut())) };
}

impl Queue {
    /// Calls `f` with a synchronous list of this queue that no other thread appends to
    /// until `f` returns.
    #[inline(always)]
    pub(super) fn with_sync_list<R>(
        &self,
        f: impl FnOnce(ze_command_list_handle_t) -> Result<R>,
    ) -> Result<R> {
        let me = Arc::as_ptr(&self.inner);
        match LAST.try_with(Cell::get) {
            Ok((queue, list)) if queue == me => f(list),
            _ => self.with_held_sync_list(f),
        }
    }

    /// The synchronous list of the thread's last synchronous call, if it was on this queue
    /// (the common case of [`Queue::with_sync_list`], for paths that take it inline).
    #[inline(always)]
    pub(super) fn last_sync_list(&self) -> Option<ze_command_list_handle_t> {
        match LAST.try_with(Cell::get) {
            Ok((queue, list)) if queue == Arc::as_ptr(&self.inner) => Some(list),
            _ => None,
        }
    }

    /// [`Queue::with_sync_list`] when the thread's last synchronous call was on another
    /// queue: the list from the thread's table, or a new one.
    #[cold]
    #[inline(never)]
    fn with_held_sync_list<R>(
        &self,
        f: impl FnOnce(ze_command_list_handle_t) -> Result<R>,
    ) -> Result<R> {
        let me = Arc::as_ptr(&self.inner);
        let held = HELD.try_with(|held| {
            let held = held.try_borrow().ok()?;
            held.iter()
                .flatten()
                .find(|h| h.queue.as_ptr() == me)
                .map(|h| h.list)
        });
        match held {
            Ok(Some(list)) => {
                let _ = LAST.try_with(|last| last.set((me, list)));
                f(list)
            }
            _ => self.with_new_sync_list(f),
        }
    }

    /// [`Queue::with_sync_list`] when this thread holds no list of this queue: takes an
    /// idle one (or makes one) and keeps it in the thread's table, or, when the table
    /// cannot be used (the thread is exiting), gives it back after `f`.
    #[cold]
    #[inline(never)]
    fn with_new_sync_list<R>(
        &self,
        f: impl FnOnce(ze_command_list_handle_t) -> Result<R>,
    ) -> Result<R> {
        let inner = &*self.inner;
        let idle = inner.sync_lists.lock().idle.pop();
        let list = match idle {
            Some(list) => list,
            None => {
                // Made outside the lock: creating a list may take long on a real device.
                let list = create_list(
                    &inner.context,
                    &inner.device,
                    &inner.chosen,
                    Mode::Synchronous,
                )?;
                inner.sync_lists.lock().made.push(list);
                // At trace level: it happens inside the first call's span, whose debug
                // events are the call's own.
                tracing::trace!(
                    target: "usm_core::queue",
                    list = ?list,
                    "synchronous command list created"
                );
                list
            }
        };
        let mut held = Some(Held {
            queue: Arc::downgrade(&self.inner),
            list,
        });
        // The evicted entry is dropped after the table's borrow ends: giving a list back
        // may drop the last handle of its queue, which may run a subscriber's code.
        let kept = HELD.try_with(|table| {
            let mut table = table.try_borrow_mut().ok()?;
            let evicted = table[HELD_PER_THREAD - 1].take();
            table.rotate_right(1);
            table[0] = held.take();
            Some(evicted)
        });
        match kept {
            Ok(Some(evicted)) => {
                drop(evicted);
                let _ = LAST.try_with(|last| last.set((Arc::as_ptr(&self.inner), list)));
                f(list)
            }
            // The thread's table is gone (thread exit) or in use further up this thread's
            // stack: use the list for this call only.
            _ => {
                if let Some(mut unkept) = held.take() {
                    // Dropped without giving the list back: it is given back below.
                    unkept.queue = Weak::new();
                }
                let outcome = f(list);
                inner.sync_lists.give_back(list);
                outcome
            }
        }
    }

    /// Number of synchronous command lists the queue has made so far: at most the number
    /// of threads that made synchronous calls on it at the same time (threads give their
    /// list back when they exit).
    pub fn sync_lists_created(&self) -> usize {
        self.inner.sync_lists.made()
    }
}
