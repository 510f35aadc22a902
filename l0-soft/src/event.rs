//! Event pools and events: creation, signaling from the host and from commands, host
//! synchronization with timeouts, reset, and kernel timestamps.
//!
//! * Pool flags `HOST_VISIBLE`, `IPC`, `KERNEL_TIMESTAMP` and `KERNEL_MAPPED_TIMESTAMP`
//!   are accepted. A pool without `IPC` keeps its events' state in this process (a mutex
//!   and condition variable per index); a pool with `IPC` keeps it in memory other
//!   processes can map ([`shared`]), and its IPC handles are in [`ipc`].
//! * An event's index must be below the pool's count, else
//!   `ZE_RESULT_ERROR_INVALID_ARGUMENT`. As in Intel's driver, where an event is a slot of
//!   the pool's memory, several live events may be created at one index: they share the
//!   slot's state (signaling one signals all of them).
//! * Destroying a pool with live events answers `ZE_RESULT_ERROR_HANDLE_OBJECT_IN_USE`;
//!   an event that submitted work still uses may be destroyed, as in Intel's driver (the
//!   work keeps it until it ends).
//! * An event signaled by a command carries the device-clock start and end of that
//!   command (`zeEventQueryKernelTimestamp`); a host signal stamps both with the time of
//!   the signal. Querying the timestamp of an event from a pool without
//!   `KERNEL_TIMESTAMP` answers `ZE_RESULT_ERROR_INVALID_ARGUMENT`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

use level_zero_sys::*;

use crate::context::{self, Context};
use crate::device;
use crate::ffi::{check_flags, check_stype, guard, input, write, ZeResult};
use crate::handle::{Kind, Registry};
use crate::sync::{lock, status, Completion};

mod ipc;
mod shared;

pub(super) static POOLS: Registry<EventPool> = Registry::new(Kind::EventPool);
static EVENTS: Registry<Event> = Registry::new(Kind::Event);

const HOST_VISIBLE: u32 = ze_event_pool_flag_t::ZE_EVENT_POOL_FLAG_HOST_VISIBLE.0;
const IPC: u32 = ze_event_pool_flag_t::ZE_EVENT_POOL_FLAG_IPC.0;
const KERNEL_TIMESTAMP: u32 = ze_event_pool_flag_t::ZE_EVENT_POOL_FLAG_KERNEL_TIMESTAMP.0;
/// `ZE_EVENT_POOL_FLAG_KERNEL_MAPPED_TIMESTAMP` (API 1.6, bit 3): kernel timestamps that
/// can also be read on the host's time domain. The device clock here already is that
/// domain (nanoseconds of the host's clock), so the mapped values are the same.
const KERNEL_MAPPED_TIMESTAMP: u32 = 1 << 3;
const SCOPES: u32 = ze_event_scope_flag_t::ZE_EVENT_SCOPE_FLAG_SUBDEVICE.0
    | ze_event_scope_flag_t::ZE_EVENT_SCOPE_FLAG_DEVICE.0
    | ze_event_scope_flag_t::ZE_EVENT_SCOPE_FLAG_HOST.0;

/// A pool of events of one context.
pub(crate) struct EventPool {
    context: Arc<Context>,
    flags: u32,
    /// The state of each index, while a live event uses it.
    slots: Mutex<Vec<Weak<Slot>>>,
    live: AtomicUsize,
    /// The shared memory of an IPC pool (made here or opened from a handle).
    share: Option<ipc::Share>,
}

impl EventPool {
    fn new(context: Arc<Context>, flags: u32, count: u32, share: Option<ipc::Share>) -> Self {
        EventPool {
            context,
            flags,
            slots: Mutex::new((0..count).map(|_| Weak::new()).collect()),
            live: AtomicUsize::new(0),
            share,
        }
    }
}

/// The state behind one index of a pool, shared by the live events created at it.
enum Slot {
    /// Of a pool without `IPC`: in this process.
    Local {
        completion: Completion,
        /// Device-clock start and end of the command that signaled it.
        times: Mutex<Option<(u64, u64)>>,
    },
    /// Of an IPC pool: in the shared memory.
    Shared(shared::SharedSlot),
}

/// An event.
pub(crate) struct Event {
    pool: Arc<EventPool>,
    slot: Arc<Slot>,
}

impl Event {
    /// The event a handle names.
    pub(crate) fn get(h: ze_event_handle_t) -> ZeResult<Arc<Event>> {
        EVENTS.get(h)
    }

    /// The context of the event's pool.
    pub(crate) fn context(&self) -> &Arc<Context> {
        &self.pool.context
    }

    /// Whether the pool records kernel timestamps.
    pub(crate) fn has_timestamps(&self) -> bool {
        self.pool.flags & (KERNEL_TIMESTAMP | KERNEL_MAPPED_TIMESTAMP) != 0
    }

    /// Waits under the Level Zero timeout rule: `SUCCESS`, the command's error, or
    /// `NOT_READY`.
    pub(crate) fn wait(&self, timeout: u64) -> ze_result_t {
        match &*self.slot {
            Slot::Local { completion, .. } => completion.wait(timeout),
            Slot::Shared(s) => s.wait(timeout),
        }
    }

    /// `SUCCESS`, the error it was signaled with, or `NOT_READY`.
    fn status(&self) -> ze_result_t {
        match &*self.slot {
            Slot::Local { completion, .. } => completion.status(),
            Slot::Shared(s) => s.status(),
        }
    }

    /// Signals the event for a command that ran from `start` to `end` (device ticks).
    pub(crate) fn signal_from_device(&self, start: u64, end: u64, result: ze_result_t) {
        match &*self.slot {
            Slot::Local { completion, times } => {
                *lock(times) = Some((start, end));
                completion.signal(result);
            }
            Slot::Shared(s) => s.signal(start, end, result),
        }
    }

    /// Back to not signaled, without timestamps.
    pub(crate) fn reset(&self) {
        match &*self.slot {
            Slot::Local { completion, times } => {
                *lock(times) = None;
                completion.reset();
            }
            Slot::Shared(s) => s.reset(),
        }
    }

    /// The start and end of the command that signaled it (all 64 bits are valid:
    /// `kernelTimestampValidBits` is 64).
    pub(crate) fn times(&self) -> Option<(u64, u64)> {
        match &*self.slot {
            Slot::Local { times, .. } => *lock(times),
            Slot::Shared(s) => s.times(),
        }
    }
}

fn ts(times: (u64, u64)) -> ze_kernel_timestamp_result_t {
    let data = ze_kernel_timestamp_data_t {
        kernelStart: times.0,
        kernelEnd: times.1,
    };
    ze_kernel_timestamp_result_t {
        global: data,
        context: data,
    }
}

/// The `ze_kernel_timestamp_result_t` of an event (both clocks are the same here).
pub(crate) fn timestamp_result(e: &Event) -> ze_kernel_timestamp_result_t {
    ts(e.times().unwrap_or((0, 0)))
}

unsafe extern "C" fn pool_create(
    h_context: ze_context_handle_t,
    desc: *const ze_event_pool_desc_t,
    num_devices: u32,
    ph_devices: *mut ze_device_handle_t,
    ph_pool: *mut ze_event_pool_handle_t,
) -> ze_result_t {
    guard(|| {
        let context = context::get(h_context)?;
        // SAFETY: the caller passes a valid descriptor or null.
        let desc = unsafe { input(desc) }?;
        if ph_pool.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        check_flags(
            desc.flags,
            HOST_VISIBLE | IPC | KERNEL_TIMESTAMP | KERNEL_MAPPED_TIMESTAMP,
        )?;
        if desc.count == 0 || (ph_devices.is_null() && num_devices > 0) {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_SIZE);
        }
        check_stype(
            desc.stype,
            ze_structure_type_t::ZE_STRUCTURE_TYPE_EVENT_POOL_DESC,
        )?;
        for i in 0..num_devices as usize {
            // SAFETY: the caller passes `num_devices` handles.
            let h = unsafe { *ph_devices.add(i) };
            let device = device::get(h)?;
            if !context.has_device(&device) {
                return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
            }
        }
        let share = if desc.flags & IPC != 0 {
            // The shared memory is an allocation (for `ZE_SOFT_FAIL_ALLOC`).
            let config =
                crate::config::get().map_err(|_| ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED)?;
            if crate::fault::allocation_fails(config) {
                return Err(ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY);
            }
            Some(ipc::create(desc.count, desc.flags)?)
        } else {
            None
        };
        let pool = EventPool::new(context, desc.flags, desc.count, share);
        // SAFETY: checked non-null; the caller passes room for one handle.
        unsafe { write(ph_pool, POOLS.insert(Arc::new(pool))) }
    })
}

/// `zeEventPoolDestroy` (and `zeEventPoolCloseIpcHandle`).
unsafe extern "C" fn pool_destroy(h: ze_event_pool_handle_t) -> ze_result_t {
    guard(|| {
        let pool = POOLS.get(h)?;
        if pool.live.load(Ordering::Acquire) != 0 {
            return Err(ze_result_t::ZE_RESULT_ERROR_HANDLE_OBJECT_IN_USE);
        }
        POOLS.remove(h).map(drop)
    })
}

unsafe extern "C" fn event_create(
    h_pool: ze_event_pool_handle_t,
    desc: *const ze_event_desc_t,
    ph_event: *mut ze_event_handle_t,
) -> ze_result_t {
    guard(|| {
        let pool = POOLS.get(h_pool)?;
        // SAFETY: the caller passes a valid descriptor or null.
        let desc = unsafe { input(desc) }?;
        if ph_event.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        check_flags(desc.signal, SCOPES)?;
        check_flags(desc.wait, SCOPES)?;
        check_stype(
            desc.stype,
            ze_structure_type_t::ZE_STRUCTURE_TYPE_EVENT_DESC,
        )?;
        let slot = {
            let mut slots = lock(&pool.slots);
            let entry = slots
                .get_mut(desc.index as usize)
                .ok_or(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)?;
            match entry.upgrade() {
                Some(shared) => shared,
                None => {
                    let slot = Arc::new(match &pool.share {
                        None => Slot::Local {
                            completion: Completion::new(false),
                            times: Mutex::new(None),
                        },
                        Some(share) => {
                            let s = shared::SharedSlot::new(Arc::clone(&share.region), desc.index);
                            // As in Intel's driver: the exporter's new event starts not
                            // signaled; an importer's keeps the state it may already have.
                            if !share.is_imported() {
                                s.reset();
                            }
                            Slot::Shared(s)
                        }
                    });
                    *entry = Arc::downgrade(&slot);
                    slot
                }
            }
        };
        pool.live.fetch_add(1, Ordering::AcqRel);
        let event = Event { pool, slot };
        // SAFETY: checked non-null; room for one handle.
        unsafe { write(ph_event, EVENTS.insert(Arc::new(event))) }
    })
}

/// `zeEventDestroy`. As in Intel's driver, an event that submitted work still waits on,
/// signals or resets may be destroyed: the work keeps it (and its pool) until it ends.
unsafe extern "C" fn event_destroy(h: ze_event_handle_t) -> ze_result_t {
    guard(|| {
        let event = EVENTS.remove(h)?;
        event.pool.live.fetch_sub(1, Ordering::AcqRel);
        Ok(())
    })
}

unsafe extern "C" fn host_signal(h: ze_event_handle_t) -> ze_result_t {
    guard(|| {
        let event = EVENTS.get(h)?;
        let now = crate::device::timestamp_ns();
        event.signal_from_device(now, now, ze_result_t::ZE_RESULT_SUCCESS);
        Ok(())
    })
}

unsafe extern "C" fn host_synchronize(h: ze_event_handle_t, timeout: u64) -> ze_result_t {
    guard(|| status(EVENTS.get(h)?.wait(timeout)))
}

unsafe extern "C" fn query_status(h: ze_event_handle_t) -> ze_result_t {
    guard(|| status(EVENTS.get(h)?.status()))
}

unsafe extern "C" fn host_reset(h: ze_event_handle_t) -> ze_result_t {
    guard(|| {
        EVENTS.get(h)?.reset();
        Ok(())
    })
}

unsafe extern "C" fn query_kernel_timestamp(
    h: ze_event_handle_t,
    dst: *mut ze_kernel_timestamp_result_t,
) -> ze_result_t {
    guard(|| {
        let event = EVENTS.get(h)?;
        if dst.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        if !event.has_timestamps() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
        }
        let code = event.status();
        if code == ze_result_t::ZE_RESULT_NOT_READY {
            return Err(code);
        }
        // SAFETY: non-null; the caller passes room for one result.
        unsafe { write(dst, timestamp_result(&event)) }?;
        status(code)
    })
}

/// The timestamp packets of an event: one, since one command signals it.
const PACKETS: u32 = 1;

/// The count-then-fill part shared by the two timestamp queries: checks the handles and
/// `count`; `Ok(None)` when only the count was asked for (or `*count` is off, which
/// Intel's driver answers the same way), else `Ok(Some(event))`.
///
/// # Safety
///
/// `count` is null or valid for reads and writes.
unsafe fn timestamp_packets(
    h: ze_event_handle_t,
    device: ze_device_handle_t,
    count: *mut u32,
) -> ZeResult<Option<Arc<Event>>> {
    let event = EVENTS.get(h)?;
    device::get(device)?;
    // SAFETY: the caller's guarantee.
    let count = unsafe { crate::ffi::output(count) }?;
    if *count == 0 || *count > PACKETS {
        *count = PACKETS;
        return Ok(None);
    }
    Ok(Some(event))
}

/// `zeEventQueryTimestampsExp`: the event's one timestamp packet (zeros before a command
/// signaled it, as Intel's driver answers too).
unsafe extern "C" fn query_timestamps_exp(
    h: ze_event_handle_t,
    device: ze_device_handle_t,
    count: *mut u32,
    timestamps: *mut ze_kernel_timestamp_result_t,
) -> ze_result_t {
    guard(|| {
        // SAFETY: the caller passes a valid count or null.
        let Some(event) = unsafe { timestamp_packets(h, device, count) }? else {
            return Ok(());
        };
        // SAFETY: the caller passes room for `*count` (here 1) results, or null.
        unsafe { write(timestamps, timestamp_result(&event)) }
    })
}

/// `zeEventQueryKernelTimestampsExt`: as `zeEventQueryTimestampsExp`, into the results
/// structure's kernel timestamp buffer; `ZE_RESULT_NOT_READY` until the event is signaled.
/// For a pool with `ZE_EVENT_POOL_FLAG_KERNEL_MAPPED_TIMESTAMP`, the synchronized buffer
/// (when given) receives the same times, which already are on the host's time domain.
#[cfg(ze_api = "1.6")]
unsafe extern "C" fn query_kernel_timestamps_ext(
    h: ze_event_handle_t,
    device: ze_device_handle_t,
    count: *mut u32,
    results: *mut ze_event_query_kernel_timestamps_results_ext_properties_t,
) -> ze_result_t {
    guard(|| {
        // SAFETY: the caller passes a valid count or null.
        let Some(event) = unsafe { timestamp_packets(h, device, count) }? else {
            return Ok(());
        };
        // SAFETY: the caller passes a valid results structure or null.
        let results = unsafe { input(results.cast_const()) }?;
        status(event.status())?;
        let kernel = timestamp_result(&event);
        // SAFETY: the caller passes room for `*count` (here 1) results, or null.
        unsafe { write(results.pKernelTimestampsBuffer, kernel) }?;
        let synchronized = results.pSynchronizedTimestampsBuffer;
        if event.pool.flags & KERNEL_MAPPED_TIMESTAMP != 0 && !synchronized.is_null() {
            let host = |d: ze_kernel_timestamp_data_t| ze_synchronized_timestamp_data_ext_t {
                kernelStart: d.kernelStart,
                kernelEnd: d.kernelEnd,
            };
            let mapped = ze_synchronized_timestamp_result_ext_t {
                global: host(kernel.global),
                context: host(kernel.context),
            };
            // SAFETY: non-null; the caller passes room for `*count` (here 1) results.
            unsafe { write(synchronized, mapped) }?;
        }
        Ok(())
    })
}

/// Overrides the entries of the event table this module implements (called after every
/// entry was set to "unsupported feature").
pub(crate) fn fill_table(t: &mut ze_event_dditable_t) {
    t.pfnCreate = Some(event_create);
    t.pfnDestroy = Some(event_destroy);
    t.pfnHostSignal = Some(host_signal);
    t.pfnHostSynchronize = Some(host_synchronize);
    t.pfnQueryStatus = Some(query_status);
    t.pfnHostReset = Some(host_reset);
    t.pfnQueryKernelTimestamp = Some(query_kernel_timestamp);
    #[cfg(ze_api = "1.6")]
    {
        t.pfnQueryKernelTimestampsExt = Some(query_kernel_timestamps_ext);
    }
}

/// Overrides the entries of the event pool table this module implements.
pub(crate) fn fill_pool_table(t: &mut ze_event_pool_dditable_t) {
    t.pfnCreate = Some(pool_create);
    t.pfnDestroy = Some(pool_destroy);
    ipc::fill_pool_table(t);
}

/// Overrides the entries of the experimental event table this module implements.
pub(crate) fn fill_exp_table(t: &mut ze_event_exp_dditable_t) {
    t.pfnQueryTimestampsExp = Some(query_timestamps_exp);
}
