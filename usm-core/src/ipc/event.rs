//! Events shared between processes: [`SharedEventPool`] (a Level Zero event pool made with
//! `ZE_EVENT_POOL_FLAG_IPC`, or opened in another process from its
//! [`EventPoolIpcHandle`]), and its [`SharedEvent`]s, which either process signals, resets
//! and waits for, from the host or from a queue, and which are dependencies of owned and
//! scoped work through [`SharedEvent::event_ref`].
//!
//! The handle is plain bytes (`serde`, [`EventPoolIpcHandle::to_bytes`] /
//! [`EventPoolIpcHandle::from_bytes`]): pass it to the other process in any way (a pipe, a
//! file, MPI). Opening it needs nothing else from the exporter, which must still be
//! running and still have the pool (a driver shares it as long as the exporting pool
//! lives; dropping the pool retires its handles).

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use level_zero_sys::{
    ze_event_handle_t, ze_event_pool_handle_t, ze_ipc_event_pool_handle_t, ze_result_t,
    ZE_MAX_IPC_HANDLE_SIZE,
};

use crate::context::Context;
use crate::error::{Error, EventIpcError, Result};
use crate::queue::{EventRef, Queue};
use crate::result;

/// The length of every event pool IPC handle.
const HANDLE_LEN: usize = ZE_MAX_IPC_HANDLE_SIZE as usize;

/// The IPC handle of a [`SharedEventPool`]: plain bytes that open the pool in another
/// process ([`SharedEventPool::open`]).
///
/// Serialises (`serde`) as its bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "Vec<u8>", into = "Vec<u8>")]
pub struct EventPoolIpcHandle {
    bytes: [u8; HANDLE_LEN],
}

impl EventPoolIpcHandle {
    /// The handle's bytes, to send to another process.
    pub fn to_bytes(&self) -> [u8; HANDLE_LEN] {
        self.bytes
    }

    /// The handle of `bytes` (as [`EventPoolIpcHandle::to_bytes`] gave them). Any bytes of
    /// the right length make a handle; the driver refuses to open forged ones.
    ///
    /// # Errors
    ///
    /// [`EventIpcError::HandleLength`] unless `bytes` is exactly one handle long.
    pub fn from_bytes(bytes: &[u8]) -> Result<EventPoolIpcHandle> {
        let bytes = bytes.try_into().map_err(|_| EventIpcError::HandleLength {
            expected: HANDLE_LEN,
            actual: bytes.len(),
        })?;
        Ok(EventPoolIpcHandle { bytes })
    }

    fn from_raw(raw: &ze_ipc_event_pool_handle_t) -> Self {
        let mut bytes = [0u8; HANDLE_LEN];
        for (b, &c) in bytes.iter_mut().zip(raw.data.iter()) {
            *b = c as u8;
        }
        EventPoolIpcHandle { bytes }
    }

    /// The Level Zero handle, for calls usm-core does not wrap.
    pub fn raw(&self) -> ze_ipc_event_pool_handle_t {
        let mut raw = ze_ipc_event_pool_handle_t::default();
        for (c, &b) in raw.data.iter_mut().zip(self.bytes.iter()) {
            *c = b as std::ffi::c_char;
        }
        raw
    }
}

impl TryFrom<Vec<u8>> for EventPoolIpcHandle {
    type Error = EventIpcError;

    fn try_from(bytes: Vec<u8>) -> std::result::Result<Self, EventIpcError> {
        let actual = bytes.len();
        let bytes = bytes.try_into().map_err(|_| EventIpcError::HandleLength {
            expected: HANDLE_LEN,
            actual,
        })?;
        Ok(EventPoolIpcHandle { bytes })
    }
}

impl From<EventPoolIpcHandle> for Vec<u8> {
    fn from(h: EventPoolIpcHandle) -> Vec<u8> {
        h.bytes.to_vec()
    }
}

impl fmt::Debug for EventPoolIpcHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EventPoolIpcHandle(")?;
        for b in &self.bytes {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

/// The driver's refusals of a sharing step, typed.
fn typed(e: Error) -> Error {
    match e {
        Error::Ze(source) if source.code == ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT => {
            EventIpcError::Refused { source }.into()
        }
        Error::Ze(source) if source.code == ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_FEATURE => {
            EventIpcError::Unsupported { source }.into()
        }
        other => other,
    }
}

/// The pool's handle; destroyed (or, when opened, closed) once its events are gone.
struct PoolInner {
    context: Context,
    raw: ze_event_pool_handle_t,
    opened: bool,
}

// SAFETY: the handle is used by free-threaded calls only (creating events of it, getting
// its IPC handle), and destroyed once, by the last owner.
unsafe impl Send for PoolInner {}
// SAFETY: as for Send.
unsafe impl Sync for PoolInner {}

impl Drop for PoolInner {
    fn drop(&mut self) {
        let api = self.context.api();
        // SAFETY: the pool is destroyed (or closed) once; its events are gone (each holds
        // this value).
        let outcome = unsafe {
            if self.opened {
                result::event_ipc::close_ipc_handle(api, self.raw)
            } else {
                result::event::pool_destroy(api, self.raw)
            }
        };
        if let Err(e) = outcome {
            self.context.record_drop_error(e);
        }
    }
}

/// An event pool shared between processes: made here ([`SharedEventPool::new`]) and
/// exported ([`SharedEventPool::ipc_handle`]), or opened from another process's handle
/// ([`SharedEventPool::open`]). Both sides make events at the same indices
/// ([`SharedEventPool::event`]) to name the same events.
///
/// ```no_run
/// # fn f(context: &usm_core::Context) -> usm_core::Result<()> {
/// use usm_core::ipc::{EventPoolIpcHandle, SharedEventPool};
/// // The exporter:
/// let pool = SharedEventPool::new(context, 4)?;
/// let ready = pool.event(0)?;
/// let bytes = pool.ipc_handle()?.to_bytes(); // send these to the other process
/// // The importer, in its own context:
/// let theirs = SharedEventPool::open(context, &EventPoolIpcHandle::from_bytes(&bytes)?)?;
/// theirs.event(0)?.signal()?;
/// // The exporter:
/// ready.wait()?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct SharedEventPool {
    inner: Arc<PoolInner>,
}

impl SharedEventPool {
    /// A pool of `count` host-visible events of `context` that other processes can open.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a `count` of 0; [`EventIpcError::Unsupported`] when
    /// the driver shares no event pools; the driver's code otherwise.
    pub fn new(context: &Context, count: u32) -> Result<SharedEventPool> {
        if count == 0 {
            return Err(Error::InvalidArgument {
                name: "count",
                reason: "a pool holds at least one event".into(),
            });
        }
        // SAFETY: the context is live (borrowed).
        let raw = unsafe { result::event_ipc::pool_create(context.api(), context.raw(), count) }
            .map_err(typed)?;
        Ok(SharedEventPool {
            inner: Arc::new(PoolInner {
                context: context.dependent(),
                raw,
                opened: false,
            }),
        })
    }

    /// Opens, in `context`, the pool that `handle` (from another process, or this one)
    /// names.
    ///
    /// # Errors
    ///
    /// [`EventIpcError::Refused`] for forged bytes, or when the exporting process has
    /// exited or no longer has the pool; [`EventIpcError::Unsupported`] when the driver
    /// shares no event pools; the driver's code otherwise.
    pub fn open(context: &Context, handle: &EventPoolIpcHandle) -> Result<SharedEventPool> {
        // SAFETY: the context is live (borrowed); the handle is bytes the driver checks.
        let raw = unsafe {
            result::event_ipc::open_ipc_handle(context.api(), context.raw(), handle.raw())
        }
        .map_err(typed)?;
        Ok(SharedEventPool {
            inner: Arc::new(PoolInner {
                context: context.dependent(),
                raw,
                opened: true,
            }),
        })
    }

    /// The handle that opens this pool in another process. Valid while this pool (any
    /// clone of it, or any of its events) lives.
    ///
    /// # Errors
    ///
    /// [`EventIpcError::OpenedPool`] for a pool opened from a handle;
    /// [`EventIpcError::Unsupported`] when the driver cannot export it; the driver's code
    /// otherwise.
    pub fn ipc_handle(&self) -> Result<EventPoolIpcHandle> {
        if self.inner.opened {
            return Err(EventIpcError::OpenedPool.into());
        }
        // SAFETY: the pool is live (this value holds it).
        let raw =
            unsafe { result::event_ipc::get_ipc_handle(self.inner.context.api(), self.inner.raw) }
                .map_err(typed)?;
        Ok(EventPoolIpcHandle::from_raw(&raw))
    }

    /// Whether this pool was opened from a handle (rather than made here).
    pub fn is_opened(&self) -> bool {
        self.inner.opened
    }

    /// The context the pool belongs to (in this process).
    pub fn context(&self) -> &Context {
        &self.inner.context
    }

    /// The raw pool handle, for calls usm-core does not wrap; valid while this pool lives.
    pub fn raw(&self) -> ze_event_pool_handle_t {
        self.inner.raw
    }

    /// The event at `index` (below the pool's count), signalled and waited for with host
    /// scope. As in Intel's driver, an event made by the exporting process starts not
    /// signalled, while one made by an importer keeps the state the index has (the other
    /// process may have signalled it already).
    ///
    /// # Errors
    ///
    /// The driver's code (`ZE_RESULT_ERROR_INVALID_ARGUMENT` for an index past the count).
    pub fn event(&self, index: u32) -> Result<SharedEvent> {
        // SAFETY: the pool is live; several events at one index share its state.
        let raw =
            unsafe { result::event::create(self.inner.context.api(), self.inner.raw, index) }?;
        Ok(SharedEvent {
            inner: Arc::new(EventInner {
                pool: Arc::clone(&self.inner),
                raw,
                index,
                owed: Mutex::new(None),
            }),
        })
    }
}

impl fmt::Debug for SharedEventPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedEventPool")
            .field("raw", &self.inner.raw)
            .field("opened", &self.inner.opened)
            .finish()
    }
}

/// The event; destroyed when the last [`SharedEvent`] clone and [`EventRef`] to it are
/// gone, after any signal a queue still owes it.
struct EventInner {
    pool: Arc<PoolInner>,
    raw: ze_event_handle_t,
    index: u32,
    /// While a queue owes the event a signal not yet seen: the dependencies of the
    /// signalling barriers, kept alive until then.
    owed: Mutex<Option<Vec<EventRef>>>,
}

// SAFETY: the handle is used by free-threaded calls only (signal, reset, wait, query,
// appends that signal it), and destroyed once, by the last owner.
unsafe impl Send for EventInner {}
// SAFETY: as for Send.
unsafe impl Sync for EventInner {}

impl EventInner {
    fn owed(&self) -> std::sync::MutexGuard<'_, Option<Vec<EventRef>>> {
        self.owed.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for EventInner {
    fn drop(&mut self) {
        let api = self.pool.context.api();
        if self.owed().is_some() {
            // A queue still owes a signal: the barrier must not outlive the event.
            // SAFETY: the event is live until destroyed below.
            if let Err(e) = unsafe { result::event::host_synchronize(api, self.raw) } {
                self.pool.context.record_drop_error(e);
            }
        }
        // SAFETY: the event is destroyed once; no work refers to it any more (every queue
        // signal it was owed is done, and every `EventRef` to it, which work keeps until it
        // is done, is gone).
        if let Err(e) = unsafe { result::event::destroy(api, self.raw) } {
            self.pool.context.record_drop_error(e);
        }
    }
}

/// An event of a [`SharedEventPool`], which this process and others signal, reset and wait
/// for. Clones name the same event.
#[derive(Clone)]
pub struct SharedEvent {
    inner: Arc<EventInner>,
}

impl SharedEvent {
    /// Signals the event from the host.
    ///
    /// # Errors
    ///
    /// The code of `zeEventHostSignal`.
    pub fn signal(&self) -> Result<()> {
        // SAFETY: the event is live (this value holds it).
        unsafe { result::event_ipc::host_signal(self.api(), self.inner.raw) }
    }

    /// Back to not signalled (in every process that shares it). Work waiting for it then
    /// waits for the next signal.
    ///
    /// # Errors
    ///
    /// The code of `zeEventHostReset`.
    pub fn reset(&self) -> Result<()> {
        // SAFETY: the event is live; resetting only changes its state.
        unsafe { result::event::host_reset(self.api(), self.inner.raw) }
    }

    /// Waits until the event is signalled, by any process.
    ///
    /// # Errors
    ///
    /// The code of `zeEventHostSynchronize` (the signalling work failed, or the device was
    /// lost).
    pub fn wait(&self) -> Result<()> {
        // SAFETY: the event is live.
        unsafe { result::event::host_synchronize(self.api(), self.inner.raw) }?;
        *self.inner.owed() = None;
        Ok(())
    }

    /// Waits at most `timeout` for the signal: whether it came (useful when the other
    /// process may have died).
    ///
    /// # Errors
    ///
    /// As [`SharedEvent::wait`].
    pub fn wait_timeout(&self, timeout: Duration) -> Result<bool> {
        let ns = u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX);
        // SAFETY: the event is live.
        let done =
            unsafe { result::event_ipc::host_synchronize_for(self.api(), self.inner.raw, ns) }?;
        if done {
            *self.inner.owed() = None;
        }
        Ok(done)
    }

    /// Whether the event is signalled, without waiting.
    ///
    /// # Errors
    ///
    /// The code of `zeEventQueryStatus`.
    pub fn is_signalled(&self) -> Result<bool> {
        // SAFETY: the event is live.
        unsafe { result::event::query_status(self.api(), self.inner.raw) }
    }

    /// Has `queue` signal the event once the work submitted to it so far and every event of
    /// `after` are done (a barrier). The event keeps `after` alive until then; dropping
    /// the last clone of the event waits for that signal.
    ///
    /// # Errors
    ///
    /// [`Error::Transfer`] with `ForeignEvent` when the queue is of another context than
    /// the event or one of `after`; [`Error::InvalidArgument`] when `after` holds this
    /// event itself; the driver's code.
    pub fn signal_on(&self, queue: &Queue, after: &[&EventRef]) -> Result<()> {
        if after.iter().any(|e| e.raw() == self.inner.raw) {
            return Err(Error::InvalidArgument {
                name: "after",
                reason: "an event cannot wait for itself".into(),
            });
        }
        let signal = self.event_ref();
        let mut owed = self.inner.owed();
        // SAFETY: the event and `after` are kept alive in `owed` until the signal is seen
        // (or the event's drop waits for it).
        unsafe { queue.append_signal(&signal, after) }?;
        owed.get_or_insert_with(Vec::new)
            .extend(after.iter().map(|e| (*e).clone()));
        Ok(())
    }

    /// The event as a dependency of owned work ([`Queue::copy_async`] and friends) and
    /// scoped work ([`Scope::adopt`](crate::Scope::adopt)): the work waits for the signal
    /// on the device. The reference keeps the event alive; usm-core never resets it.
    pub fn event_ref(&self) -> EventRef {
        let keep: Arc<dyn Send + Sync> = Arc::clone(&self.inner) as Arc<dyn Send + Sync>;
        EventRef::kept(&self.inner.pool.context, self.inner.raw, keep)
    }

    /// The event's index in its pool.
    pub fn index(&self) -> u32 {
        self.inner.index
    }

    /// The raw event handle, for calls usm-core does not wrap; valid while this value
    /// lives.
    pub fn raw(&self) -> ze_event_handle_t {
        self.inner.raw
    }

    fn api(&self) -> &'static level_zero_sys::Api {
        self.inner.pool.context.api()
    }
}

impl fmt::Debug for SharedEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedEvent")
            .field("raw", &self.inner.raw)
            .field("index", &self.inner.index)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_round_trips_through_bytes_and_serde_and_refuses_other_lengths() {
        let mut bytes = [0u8; HANDLE_LEN];
        bytes[3] = 7;
        let h = EventPoolIpcHandle::from_bytes(&bytes).unwrap();
        assert_eq!(h.to_bytes(), bytes);
        assert_eq!(EventPoolIpcHandle::from_raw(&h.raw()), h);
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(
            serde_json::from_str::<EventPoolIpcHandle>(&json).unwrap(),
            h
        );
        assert!(matches!(
            EventPoolIpcHandle::from_bytes(&bytes[1..]),
            Err(Error::EventIpc(EventIpcError::HandleLength {
                expected: 64,
                actual: 63
            }))
        ));
        assert!(serde_json::from_str::<EventPoolIpcHandle>("[1,2,3]").is_err());
    }
}
