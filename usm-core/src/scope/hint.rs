//! Prefetch and advice in a scope: hints on held memory, ordered after earlier writes to
//! it like reads (they change where memory lives, never its contents).

use super::{queue_context, Access, Event, HeldRef, Scope};
use crate::error::{Error, Result};
use crate::queue::{Command, MemAdvice, Queue};
use crate::transfer::{Operand, Side};

/// The side of held memory to hint: USM of the queue's context (plain host memory held
/// with `hold_host` is not USM, and Level Zero refuses hints on it).
fn hinted(queue: &Queue, held: &HeldRef<'_>) -> Result<Side> {
    if held.side.kind.is_none() {
        return Err(Error::NotUsm {
            addr: held.side.addr,
        });
    }
    held.side
        .check_context(queue_context(queue), Operand::Destination)?;
    Ok(held.side)
}

impl<'scope, 'env> Scope<'scope, 'env> {
    /// Prefetches held memory to `queue`'s device after `after` and after earlier writes to
    /// it (SYCL's `handler.prefetch`). Empty memory moves nothing: the event then signals
    /// once that earlier work is done.
    ///
    /// # Errors
    ///
    /// [`Error::NotUsm`] for plain host memory ([`Scope::hold_host`]),
    /// [`TransferError::ForeignContext`](crate::TransferError::ForeignContext),
    /// [`TransferError::ForeignEvent`](crate::TransferError::ForeignEvent); the code of
    /// `zeCommandListAppendMemoryPrefetch`.
    pub fn prefetch(
        &'scope self,
        queue: &Queue,
        memory: HeldRef<'scope>,
        after: &[Event<'scope>],
    ) -> Result<Event<'scope>> {
        let side = hinted(queue, &memory)?;
        self.submit_hint(queue, &Command::prefetch(&side), memory, after, side.len)
    }

    /// Advises the driver how `queue`'s device will use held memory, after `after` and
    /// after earlier writes to it (SYCL's `handler.mem_advise`).
    ///
    /// # Errors
    ///
    /// As [`Scope::prefetch`]; the code of `zeCommandListAppendMemAdvise`.
    pub fn mem_advise(
        &'scope self,
        queue: &Queue,
        memory: HeldRef<'scope>,
        advice: MemAdvice,
        after: &[Event<'scope>],
    ) -> Result<Event<'scope>> {
        let side = hinted(queue, &memory)?;
        let command = queue.advise_command(&side, advice);
        self.submit_hint(queue, &command, memory, after, side.len)
    }

    fn submit_hint(
        &'scope self,
        queue: &Queue,
        command: &Command<'_>,
        memory: HeldRef<'scope>,
        after: &[Event<'scope>],
        len: usize,
    ) -> Result<Event<'scope>> {
        let access = Access {
            writes: None,
            reads: Some(memory.hold),
        };
        self.submit(queue, command, access, after, len)
    }
}
