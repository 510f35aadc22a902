//! Queues over immediate command lists made elsewhere (a SYCL runtime, another library):
//! borrowed (left alive on drop) or owned (destroyed on drop).

use level_zero_sys::ze_command_list_handle_t;

use super::{engine, Queue, QueueOptions};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::names::Device;

impl Queue {
    /// A queue over an immediate command list made elsewhere, which stays alive when the
    /// queue's last clone drops (its owner destroys it).
    ///
    /// `options` describe how the list was made: its engine (the queue group usm-core
    /// names [`Engine::Compute`](super::Engine::Compute), `MainCopy` or `LinkCopy`, see
    /// [`engine`]) and index, and its mode (`ZE_COMMAND_QUEUE_MODE_SYNCHRONOUS` is
    /// [`Mode::Synchronous`](super::Mode::Synchronous), anything else asynchronous).
    /// Synchronous calls in asynchronous mode use a synchronous list usm-core makes on the
    /// same engine, as for any queue. usm-core checks what it can without the list: the
    /// device is one of the context's, the engine and index exist, the handle is not null.
    ///
    /// # Safety
    ///
    /// * `list` is a live immediate command list made with `zeCommandListCreateImmediate`
    ///   in `context` (the same Level Zero context, adopted with
    ///   [`Context::from_raw_borrowed`] when made elsewhere) on `device`, with the engine,
    ///   index and mode `options` name.
    /// * It stays alive, open and unreset until the queue's last clone (and every scope,
    ///   [`Pending`](super::Pending) and event of its work) is gone.
    /// * Nothing else appends to it while the queue (or a clone) may append: Level Zero
    ///   forbids appends from simultaneous threads. Work its owner appended before must
    ///   leave it usable.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a null handle; [`Error::DeviceNotInContext`];
    /// [`TransferError::NoSuchEngine`](crate::TransferError::NoSuchEngine); the code of the
    /// queue-group query.
    pub unsafe fn from_raw_borrowed(
        context: &Context,
        device: &Device,
        list: ze_command_list_handle_t,
        options: QueueOptions,
    ) -> Result<Queue> {
        Self::adopt(context, device, list, options, false)
    }

    /// As [`Queue::from_raw_borrowed`], but the queue owns the list: the last clone's drop
    /// destroys it (`zeCommandListDestroy`).
    ///
    /// # Safety
    ///
    /// As [`Queue::from_raw_borrowed`]; in addition nothing else destroys the list, nor
    /// uses it once it is adopted. On an error (or a panic of a tracing subscriber) the
    /// list is not adopted: the caller keeps it.
    ///
    /// # Errors
    ///
    /// As [`Queue::from_raw_borrowed`].
    pub unsafe fn from_raw_owned(
        context: &Context,
        device: &Device,
        list: ze_command_list_handle_t,
        options: QueueOptions,
    ) -> Result<Queue> {
        Self::adopt(context, device, list, options, true)
    }

    fn adopt(
        context: &Context,
        device: &Device,
        list: ze_command_list_handle_t,
        options: QueueOptions,
        owns_list: bool,
    ) -> Result<Queue> {
        if list.is_null() {
            return Err(Error::InvalidArgument {
                name: "list",
                reason: "a null command list handle".into(),
            });
        }
        if !context.contains_device(device) {
            return Err(Error::DeviceNotInContext {
                device: device.addr(),
                context: context.raw() as usize,
            });
        }
        let groups = device.queue_groups()?;
        let chosen = engine::choose(&groups, options.get_engine(), options.get_index())?;
        // Told before the queue takes the list: a subscriber (the user's code) that panics
        // leaves the list with the caller, as an error does.
        tracing::debug!(
            target: "usm_core::queue",
            ?device,
            list = ?list,
            engine = %chosen.engine,
            owned = owns_list,
            "queue adopted"
        );
        let queue = Queue::over(context, device, list, chosen, options.get_mode(), owns_list);
        // Work its owner appended, or appends later, is raw work: synchronous calls are
        // ordered after it (see `Queue::raw_list`).
        queue.inner.raw.mark_taken(queue.inner.mode);
        Ok(queue)
    }
}
