//! Memory hints: prefetch and advice (SYCL's `prefetch` and `mem_advise`;
//! `zeCommandListAppendMemoryPrefetch`, `zeCommandListAppendMemAdvise`).
//!
//! Hints change where memory lives or how it is cached, never its contents. Level Zero
//! defines them for shared memory, where they matter; Intel's driver accepts any USM
//! allocation of the driver (a no-op for device and host memory) and refuses other host
//! pointers (`ZE_RESULT_ERROR_INVALID_ARGUMENT`), so usm-core takes any [`UsmMemory`] of
//! the queue's context. The hint commands take no events; asynchronous hints
//! ([`Scope::prefetch`](crate::Scope::prefetch), [`Queue::prefetch_async`]) are appended
//! between a barrier that waits for their dependencies and one that signals their event.

use level_zero_sys::ze_memory_advice_t;

use super::pending::finish_submission;
use super::{Command, Pending, PendingResult, Queue};
use crate::error::Result;
use crate::memory::UsmMemory;
use crate::transfer::{Operand, Side};

/// How memory will be used, for [`Queue::mem_advise`] (`ze_memory_advice_t`).
///
/// The first eight are those of every Level Zero version; the two system-memory ones came
/// with API 1.7. They exist whatever the headers usm-core is built on (the value is a plain
/// number); a driver of an older API refuses them with
/// `ZE_RESULT_ERROR_INVALID_ENUMERATION` (as the loader's validation layer does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MemAdvice {
    /// Read often, written rarely (`ZE_MEMORY_ADVICE_SET_READ_MOSTLY`).
    SetReadMostly,
    /// Undoes [`MemAdvice::SetReadMostly`].
    ClearReadMostly,
    /// Best placed on the given device (`ZE_MEMORY_ADVICE_SET_PREFERRED_LOCATION`).
    SetPreferredLocation,
    /// Undoes [`MemAdvice::SetPreferredLocation`].
    ClearPreferredLocation,
    /// Mostly accessed non-atomically (`ZE_MEMORY_ADVICE_SET_NON_ATOMIC_MOSTLY`).
    SetNonAtomicMostly,
    /// Undoes [`MemAdvice::SetNonAtomicMostly`].
    ClearNonAtomicMostly,
    /// Should be cached (`ZE_MEMORY_ADVICE_BIAS_CACHED`).
    BiasCached,
    /// Should not be cached (`ZE_MEMORY_ADVICE_BIAS_UNCACHED`).
    BiasUncached,
    /// Best placed in host memory (`ZE_MEMORY_ADVICE_SET_SYSTEM_MEMORY_PREFERRED_LOCATION`,
    /// API 1.7).
    SetSystemMemoryPreferredLocation,
    /// Undoes [`MemAdvice::SetSystemMemoryPreferredLocation`] (API 1.7).
    ClearSystemMemoryPreferredLocation,
}

impl MemAdvice {
    /// Every advice, in the order of their Level Zero values.
    pub const ALL: [MemAdvice; 10] = [
        MemAdvice::SetReadMostly,
        MemAdvice::ClearReadMostly,
        MemAdvice::SetPreferredLocation,
        MemAdvice::ClearPreferredLocation,
        MemAdvice::SetNonAtomicMostly,
        MemAdvice::ClearNonAtomicMostly,
        MemAdvice::BiasCached,
        MemAdvice::BiasUncached,
        MemAdvice::SetSystemMemoryPreferredLocation,
        MemAdvice::ClearSystemMemoryPreferredLocation,
    ];

    /// The Level Zero value.
    ///
    /// ```
    /// use usm_core::MemAdvice;
    /// assert_eq!(MemAdvice::BiasUncached.raw().0, 7);
    /// ```
    pub fn raw(self) -> ze_memory_advice_t {
        let index = MemAdvice::ALL
            .iter()
            .position(|&a| a == self)
            .expect("every advice is in ALL");
        ze_memory_advice_t(index as u32)
    }

    /// The advice of a Level Zero value, `None` for a value no specification defines.
    pub fn from_raw(raw: ze_memory_advice_t) -> Option<MemAdvice> {
        MemAdvice::ALL.get(raw.0 as usize).copied()
    }
}

/// The side of hinted memory, checked against the queue's context.
fn hinted<M: UsmMemory + ?Sized>(queue: &Queue, memory: &M) -> Result<Side> {
    let side = Side::usm(memory);
    side.check_context(queue.context_addr(), Operand::Destination)?;
    Ok(side)
}

impl Queue {
    /// Prefetches `memory` to the queue's device and returns when the prefetch is done
    /// (SYCL's `queue.prefetch`). Use a view ([`UsmMemory::view`]) for part of an
    /// allocation; empty memory submits nothing.
    ///
    /// # Errors
    ///
    /// [`TransferError::ForeignContext`](crate::TransferError::ForeignContext) for memory
    /// of another context; the code of `zeCommandListAppendMemoryPrefetch`.
    pub fn prefetch<M: UsmMemory + ?Sized>(&self, memory: &M) -> Result<()> {
        let side = hinted(self, memory)?;
        if side.len == 0 {
            return Ok(());
        }
        // SAFETY: live USM of the queue's context for `len` bytes (borrowed for the call,
        // which returns when the prefetch is done); a prefetch neither reads nor writes it.
        unsafe { self.run(&Command::prefetch(&side)) }
    }

    /// Advises the driver how the queue's device will use `memory` and returns when the
    /// advice is applied (SYCL's `queue.mem_advise`). Empty memory submits nothing.
    ///
    /// ```no_run
    /// use usm_core::{Context, MemAdvice, Queue, UsmShared};
    /// let (context, device) = Context::default_gpu()?;
    /// let queue = Queue::new(&context, &device)?;
    /// let shared = UsmShared::new(&context, &device, 1 << 20)?;
    /// queue.mem_advise(&shared, MemAdvice::SetReadMostly)?;
    /// queue.prefetch(&shared)?;
    /// # Ok::<(), usm_core::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Queue::prefetch`]; the code of `zeCommandListAppendMemAdvise`.
    pub fn mem_advise<M: UsmMemory + ?Sized>(&self, memory: &M, advice: MemAdvice) -> Result<()> {
        let side = hinted(self, memory)?;
        if side.len == 0 {
            return Ok(());
        }
        // SAFETY: as in `prefetch`; advice changes no contents.
        unsafe { self.run(&self.advise_command(&side, advice)) }
    }

    /// Prefetches `memory` to the queue's device after `after`, asynchronously; the handle
    /// owns the memory until the prefetch is done.
    ///
    /// # Errors
    ///
    /// As [`Queue::prefetch`], and
    /// [`TransferError::ForeignEvent`](crate::TransferError::ForeignEvent); the memory comes
    /// back in the error.
    pub fn prefetch_async<M>(&self, memory: M, after: &[&super::EventRef]) -> PendingResult<M>
    where
        M: UsmMemory + 'static,
    {
        let side = hinted(self, &memory);
        let mut handle = Pending::unsubmitted(memory);
        let submitted = side.and_then(|side| {
            // SAFETY: the memory (whose bytes do not move with the value) is owned by the
            // handle, which records the submission at once and keeps the memory until the
            // event signals; a prefetch neither reads nor writes it.
            let submission = unsafe { self.submit(&Command::prefetch(&side), after, side.len) }?;
            handle.submitted(submission);
            Ok(())
        });
        finish_submission(submitted, handle)
    }

    /// The advice command for `side`, for the queue's device.
    pub(crate) fn advise_command(&self, side: &Side, advice: MemAdvice) -> Command<'static> {
        Command::Advise {
            device: self.device().raw(),
            ptr: side.ptr().cast_const(),
            len: side.len,
            advice: advice.raw(),
        }
    }
}

impl Command<'static> {
    /// The prefetch command for `side`.
    pub(crate) fn prefetch(side: &Side) -> Command<'static> {
        Command::Prefetch {
            ptr: side.ptr().cast_const(),
            len: side.len,
        }
    }
}
