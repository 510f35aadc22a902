//! Event pools shared between processes: `zeEventPoolGetIpcHandle`,
//! `zeEventPoolOpenIpcHandle`, `zeEventPoolCloseIpcHandle` and (API 1.6)
//! `zeEventPoolPutIpcHandle`.
//!
//! A pool made with `ZE_EVENT_POOL_FLAG_IPC` keeps its events' state in a sealed memfd
//! ([`super::shared`]). Its IPC handle is plain bytes, as in Intel's driver with opaque
//! handles: the exporter's process id, the number of a descriptor of the memfd in the
//! exporter, and the pool's count, flags and token. The importer takes the descriptor
//! with `pidfd_open` + `pidfd_getfd` (which the kernel's ptrace access rules allow or
//! refuse; the exporter calls `prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY)` as Intel's
//! driver does, for kernels with Yama), checks that it is that pool's memfd, maps it and
//! closes the descriptor: an opened pool holds no descriptor. As with Intel's handles, a
//! tool may instead send the descriptor through a Unix socket and write the number it
//! received over the handle's first four bytes: the importer then maps a duplicate of
//! that descriptor of its own, after the same checks, and leaves the descriptor to the
//! tool.
//!
//! * Getting a handle of a pool without `IPC`, or of an opened pool, answers
//!   `ZE_RESULT_ERROR_UNSUPPORTED_FEATURE`, as Intel's. The first handle of a pool
//!   duplicates its memfd for export; every get counts one reference, every put of that
//!   handle in the exporting process gives one back, and the last closes the exported
//!   descriptor (so the handle opens no more); destroying the pool closes it too. A put of
//!   a handle this process did not export, or of a forged one, answers success, as Intel's.
//! * Opening a handle that is not one (bad magic, a count of 0), whose process is gone,
//!   whose descriptor the exporter closed or that is not the pool it names answers
//!   `ZE_RESULT_ERROR_INVALID_ARGUMENT`, as Intel's driver answers a failed import. The
//!   opened pool belongs to the importer's context, keeps the exporter's timestamp flags,
//!   and its events are created without resetting their state (they may already be
//!   signaled), as in Intel's driver. Mapping it counts as an allocation for
//!   `ZE_SOFT_FAIL_ALLOC`; a failed one answers `ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY`.
//! * Closing an opened pool destroys it (as `zeEventPoolDestroy`, which Intel's close is).

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::{Arc, Mutex};

use level_zero_sys::*;

use super::shared::{Identity, Region};
use super::{pool_destroy, EventPool, POOLS};
use crate::context;
use crate::ffi::{guard, write, ZeResult};
use crate::memfd;
use crate::sync::lock;

/// The first bytes of an event pool IPC handle of this driver.
const MAGIC: &[u8; 8] = b"zesoftEP";

/// The share of an IPC pool: its mapping, and for the exporter, its memfd and the
/// exported descriptor.
pub(super) struct Share {
    pub(super) region: Arc<Region>,
    identity: Identity,
    /// The memfd (exporter only).
    memfd: Option<OwnedFd>,
    /// The descriptor handles name, with the number of handles not put back.
    exported: Mutex<Option<(OwnedFd, u32)>>,
}

impl Share {
    /// Whether the pool was opened from a handle (so its events keep their state when
    /// created).
    pub(super) fn is_imported(&self) -> bool {
        self.memfd.is_none()
    }
}

/// The share of a new IPC pool of `count` events with `flags`.
pub(super) fn create(count: u32, flags: u32) -> ZeResult<Share> {
    let (region, memfd, identity) = Region::create(count, flags)
        .map_err(|_| ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY)?;
    Ok(Share {
        region: Arc::new(region),
        identity,
        memfd: Some(memfd),
        exported: Mutex::new(None),
    })
}

/// The fields of a handle. The bytes are laid out as Intel's opaque event pool handles
/// begin (a descriptor, the same descriptor again, the count, the exporter's pid), so that
/// tools which pass the first descriptor through a Unix socket and write the received
/// number over it (as Intel's socket fallback and the conformance suite's socket mode do)
/// work too; then this driver's magic, the flags and the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Wire {
    /// Bytes 0..4: a descriptor of this process when it differs from `fd` (received
    /// through a socket), else the exporter's.
    local_fd: i32,
    /// Bytes 8..12: the exporter's descriptor of the memfd.
    fd: i32,
    /// Bytes 20..24.
    pid: u32,
    /// Count at 16..20, flags at 32..36, token at 40..56.
    identity: Identity,
}

const MAGIC_AT: usize = 24;

fn encode(w: Wire) -> ze_ipc_event_pool_handle_t {
    let mut b = [0u8; ZE_MAX_IPC_HANDLE_SIZE as usize];
    b[0..4].copy_from_slice(&w.local_fd.to_le_bytes());
    b[8..12].copy_from_slice(&w.fd.to_le_bytes());
    b[16..20].copy_from_slice(&w.identity.count.to_le_bytes());
    b[20..24].copy_from_slice(&w.pid.to_le_bytes());
    b[MAGIC_AT..MAGIC_AT + 8].copy_from_slice(MAGIC);
    b[32..36].copy_from_slice(&w.identity.flags.to_le_bytes());
    b[40..48].copy_from_slice(&w.identity.token[0].to_le_bytes());
    b[48..56].copy_from_slice(&w.identity.token[1].to_le_bytes());
    let mut handle = ze_ipc_event_pool_handle_t::default();
    for (dst, src) in handle.data.iter_mut().zip(b) {
        *dst = src as std::ffi::c_char;
    }
    handle
}

/// The fields of a handle of this driver, or `None` for bytes that are not one.
fn decode(handle: &ze_ipc_event_pool_handle_t) -> Option<Wire> {
    let b: Vec<u8> = handle.data.iter().map(|&c| c as u8).collect();
    let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap_or_default());
    let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or_default());
    let w = Wire {
        local_fd: u32_at(0) as i32,
        fd: u32_at(8) as i32,
        pid: u32_at(20),
        identity: Identity {
            count: u32_at(16),
            flags: u32_at(32),
            token: [u64_at(40), u64_at(48)],
        },
    };
    let valid = &b[MAGIC_AT..MAGIC_AT + 8] == MAGIC
        && w.identity.count > 0
        && w.fd >= 0
        && w.local_fd >= 0
        && w.pid > 0;
    valid.then_some(w)
}

/// A descriptor of the memfd for handles: the exported one, duplicated on first use.
fn export(share: &Share) -> ZeResult<i32> {
    let memfd = share
        .memfd
        .as_ref()
        .ok_or(ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_FEATURE)?;
    let mut exported = lock(&share.exported);
    if let Some((fd, refs)) = exported.as_mut() {
        *refs = refs.saturating_add(1);
        return Ok(fd.as_raw_fd());
    }
    let fd = memfd
        .try_clone()
        .map_err(|_| ze_result_t::ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY)?;
    memfd::allow_taking();
    let raw = fd.as_raw_fd();
    *exported = Some((fd, 1));
    Ok(raw)
}

/// A descriptor of the memfd a handle names: a duplicate of the one this process received
/// (bytes 0..4 differ from 8..12), else the exporter's, taken with `pidfd_open` +
/// `pidfd_getfd`.
fn descriptor(w: &Wire) -> Option<OwnedFd> {
    if w.local_fd == w.fd {
        memfd::take_from(w.pid, w.fd)
    } else {
        // The caller's descriptor is left as it is.
        memfd::duplicate(w.local_fd)
    }
}

/// `zeEventPoolGetIpcHandle`.
unsafe extern "C" fn get_ipc_handle(
    h_pool: ze_event_pool_handle_t,
    ph_ipc: *mut ze_ipc_event_pool_handle_t,
) -> ze_result_t {
    guard(|| {
        let pool = POOLS.get(h_pool)?;
        if ph_ipc.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        let share = pool
            .share
            .as_ref()
            .ok_or(ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_FEATURE)?;
        let fd = export(share)?;
        let wire = Wire {
            local_fd: fd,
            fd,
            pid: std::process::id(),
            identity: share.identity,
        };
        // SAFETY: checked non-null; the caller passes room for one handle.
        unsafe { write(ph_ipc, encode(wire)) }
    })
}

/// `zeEventPoolOpenIpcHandle`.
unsafe extern "C" fn open_ipc_handle(
    h_context: ze_context_handle_t,
    h_ipc: ze_ipc_event_pool_handle_t,
    ph_pool: *mut ze_event_pool_handle_t,
) -> ze_result_t {
    guard(|| {
        let context = context::get(h_context)?;
        if ph_pool.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        let wire = decode(&h_ipc).ok_or(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)?;
        let config =
            crate::config::get().map_err(|_| ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED)?;
        if crate::fault::allocation_fails(config) {
            return Err(ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY);
        }
        let fd = descriptor(&wire).ok_or(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)?;
        let region = Region::import(&fd, wire.identity)
            .ok_or(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)?;
        drop(fd);
        let share = Share {
            region: Arc::new(region),
            identity: wire.identity,
            memfd: None,
            exported: Mutex::new(None),
        };
        let flags =
            wire.identity.flags & (super::KERNEL_TIMESTAMP | super::KERNEL_MAPPED_TIMESTAMP);
        let pool = EventPool::new(context, flags, wire.identity.count, Some(share));
        // SAFETY: checked non-null; the caller passes room for one handle.
        unsafe { write(ph_pool, POOLS.insert(Arc::new(pool))) }
    })
}

/// `zeEventPoolCloseIpcHandle`: destroys the pool, as Intel's driver does.
unsafe extern "C" fn close_ipc_handle(h_pool: ze_event_pool_handle_t) -> ze_result_t {
    // SAFETY: forwarded; `pool_destroy` checks the handle.
    unsafe { pool_destroy(h_pool) }
}

/// `zeEventPoolPutIpcHandle`: gives back one reference of a handle this process exported.
#[cfg(ze_api = "1.6")]
unsafe extern "C" fn put_ipc_handle(
    h_context: ze_context_handle_t,
    h_ipc: ze_ipc_event_pool_handle_t,
) -> ze_result_t {
    guard(|| {
        context::get(h_context)?;
        let Some(wire) = decode(&h_ipc).filter(|w| w.pid == std::process::id()) else {
            return Ok(());
        };
        if let Some(pool) = POOLS.find(|p| {
            p.share
                .as_ref()
                .is_some_and(|s| !s.is_imported() && s.identity == wire.identity)
        }) {
            if let Some(share) = pool.share.as_ref() {
                let mut exported = lock(&share.exported);
                let last = match exported.as_mut() {
                    Some((fd, refs)) if fd.as_raw_fd() == wire.fd => {
                        *refs -= 1;
                        *refs == 0
                    }
                    _ => false,
                };
                if last {
                    *exported = None;
                }
            }
        }
        Ok(())
    })
}

/// Sets the IPC entries of the event pool table.
pub(super) fn fill_pool_table(t: &mut ze_event_pool_dditable_t) {
    t.pfnGetIpcHandle = Some(get_ipc_handle);
    t.pfnOpenIpcHandle = Some(open_ipc_handle);
    t.pfnCloseIpcHandle = Some(close_ipc_handle);
    #[cfg(ze_api = "1.6")]
    {
        t.pfnPutIpcHandle = Some(put_ipc_handle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_decodes_to_what_was_encoded_and_forged_bytes_do_not() {
        let w = Wire {
            local_fd: 7,
            pid: 42,
            fd: 7,
            identity: Identity {
                token: [1, 2],
                count: 3,
                flags: 4,
            },
        };
        assert_eq!(decode(&encode(w)), Some(w));
        assert_eq!(decode(&ze_ipc_event_pool_handle_t::default()), None);
        assert_eq!(decode(&encode(Wire { fd: -1, ..w })), None);
    }
}
