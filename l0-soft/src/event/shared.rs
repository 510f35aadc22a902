//! The state of an IPC event pool's events, in memory that several processes map: a
//! sealed memfd holding a header and one cell per index.
//!
//! A cell is a state word (`0` not signaled, `1` signaled, else the error the signaling
//! command failed with) and the device-clock start and end of the signal. Signaling
//! stores the times, then the state, then wakes every waiter of the state word with a
//! futex that is not process-private (so waiters of every process that maps the memfd
//! wake); waiting sleeps on that futex while the state is `0`. There are no locks in the
//! shared memory, so a process that dies at any point leaves the others consistent, and
//! whatever another process writes there is only read as a state: it cannot make this
//! process fault.
//!
//! The header holds a magic value, a random token (which the IPC handle also carries),
//! the count and the pool flags; an importer maps a memfd only when its seals forbid
//! resizing, its size is the one the count gives, and its header names the same pool.

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use level_zero_sys::ze_result_t;

use crate::memfd::{self, SIZE_SEALS};
use crate::sync::Deadline;

/// The header's first word ("zesoftEV" as a little-endian number).
const MAGIC: u64 = u64::from_le_bytes(*b"zesoftEV");

const UNSIGNALED: u32 = 0;
const SIGNALED: u32 = 1;

/// The start of the shared memory.
#[repr(C)]
struct Header {
    magic: AtomicU64,
    token: [AtomicU64; 2],
    count: AtomicU32,
    flags: AtomicU32,
}

/// The state of one index.
#[repr(C)]
struct Cell {
    state: AtomicU32,
    _pad: u32,
    start: AtomicU64,
    end: AtomicU64,
}

/// What names a pool's shared memory: the token the exporter drew, the count and flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Identity {
    /// Random bits drawn when the pool was made.
    pub(crate) token: [u64; 2],
    /// The pool's event count.
    pub(crate) count: u32,
    /// The pool's flags.
    pub(crate) flags: u32,
}

/// The bytes a pool of `count` events takes, or `None` when too many to represent.
fn size_for(count: u32) -> Option<usize> {
    (count as usize)
        .checked_mul(std::mem::size_of::<Cell>())?
        .checked_add(std::mem::size_of::<Header>())
}

/// A mapping of an IPC pool's shared memory in this process.
pub(crate) struct Region {
    addr: usize,
    len: usize,
    count: u32,
}

// SAFETY: the mapping is only accessed through atomics.
unsafe impl Send for Region {}
// SAFETY: as for Send.
unsafe impl Sync for Region {}

/// Draws a token: random bits from the kernel, or the time and process id when the
/// kernel has none to give (the token names a pool; it is no secret).
fn draw_token() -> [u64; 2] {
    let mut bytes = [0u8; 16];
    // SAFETY: writes at most 16 bytes into the local buffer; the result is checked.
    let n = unsafe { libc::getrandom(bytes.as_mut_ptr().cast(), bytes.len(), 0) };
    if n != 16 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        bytes[..8].copy_from_slice(&nanos.to_le_bytes());
        bytes[8..12].copy_from_slice(&std::process::id().to_le_bytes());
    }
    let word = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap_or_default());
    [word(0), word(8)]
}

/// Maps `len` bytes of `fd`, shared, readable and writable.
fn map(fd: &OwnedFd, len: usize) -> io::Result<usize> {
    // SAFETY: a fresh mapping chosen by the kernel; the result is checked.
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            fd.as_raw_fd(),
            0,
        )
    };
    if addr == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    Ok(addr as usize)
}

impl Region {
    /// The shared memory of a new pool of `count` events with `flags`: a sealed memfd,
    /// every index not signaled. Gives the memfd (to export) and the pool's identity.
    pub(crate) fn create(count: u32, flags: u32) -> io::Result<(Region, OwnedFd, Identity)> {
        let len = size_for(count).ok_or_else(|| io::Error::from(io::ErrorKind::OutOfMemory))?;
        // Its size sealed, so that no process can make another's mapping fault.
        let fd = memfd::create(c"ze_soft_event_pool", len, true)?;
        memfd::seal_size(fd.as_fd())?;
        let region = Region {
            addr: map(&fd, len)?,
            len,
            count,
        };
        let identity = Identity {
            token: draw_token(),
            count,
            flags,
        };
        let h = region.header();
        h.token[0].store(identity.token[0], Ordering::Relaxed);
        h.token[1].store(identity.token[1], Ordering::Relaxed);
        h.count.store(count, Ordering::Relaxed);
        h.flags.store(flags, Ordering::Relaxed);
        h.magic.store(MAGIC, Ordering::Release);
        Ok((region, fd, identity))
    }

    /// Maps the shared memory of the pool `expected` names from `fd` (taken from the
    /// exporter), or `None` when `fd` is not that pool's memfd: not sealed against
    /// resizing, of another size, or with another header.
    pub(crate) fn import(fd: &OwnedFd, expected: Identity) -> Option<Region> {
        let len = size_for(expected.count)?;
        let sealed = memfd::seals(fd.as_fd()).is_ok_and(|s| s & SIZE_SEALS == SIZE_SEALS);
        if !sealed || memfd::size(fd.as_fd()).ok()? != len as u64 {
            return None;
        }
        let region = Region {
            addr: map(fd, len).ok()?,
            len,
            count: expected.count,
        };
        let h = region.header();
        let found = Identity {
            token: [
                h.token[0].load(Ordering::Relaxed),
                h.token[1].load(Ordering::Relaxed),
            ],
            count: h.count.load(Ordering::Relaxed),
            flags: h.flags.load(Ordering::Relaxed),
        };
        (h.magic.load(Ordering::Acquire) == MAGIC && found == expected).then_some(region)
    }

    fn header(&self) -> &Header {
        // SAFETY: the mapping starts with a header, is page-aligned, lives as long as
        // `self`, and is only accessed through atomics.
        unsafe { &*(self.addr as *const Header) }
    }

    fn cell(&self, index: u32) -> &Cell {
        assert!(index < self.count, "a cell index is below the pool's count");
        let offset = std::mem::size_of::<Header>() + index as usize * std::mem::size_of::<Cell>();
        // SAFETY: in bounds (checked above; `size_for` sized the mapping), aligned (the
        // header and cells are multiples of 8 bytes), accessed only through atomics.
        unsafe { &*((self.addr + offset) as *const Cell) }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: unmapping our own mapping; no reference into it outlives `self`.
        unsafe { libc::munmap(self.addr as *mut libc::c_void, self.len) };
    }
}

/// Wakes every waiter, in every process, of `word`.
fn wake_all(word: &AtomicU32) {
    // SAFETY: a futex wake on a valid, aligned word of a shared mapping.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE,
            i32::MAX,
            std::ptr::null::<libc::timespec>(),
        )
    };
}

/// Sleeps while `word` is `UNSIGNALED`, at most until `deadline` (which is not `Now`).
fn sleep_while_unsignaled(word: &AtomicU32, deadline: Deadline) {
    let timeout = match deadline {
        Deadline::At(at) => {
            let left = at.saturating_duration_since(std::time::Instant::now());
            Some(libc::timespec {
                tv_sec: left.as_secs().min(i64::MAX as u64) as libc::time_t,
                tv_nsec: libc::c_long::from(left.subsec_nanos() as i32),
            })
        }
        _ => None,
    };
    let ts = timeout
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: a futex wait on a valid, aligned word of a shared mapping, with a valid
    // relative timeout or none; spurious wake-ups are handled by the caller's loop.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT,
            UNSIGNALED,
            ts,
        )
    };
}

/// The status a state word gives: `NOT_READY`, `SUCCESS`, or the error it holds (a value
/// that is no error code, which only a misbehaving process can write, reads as
/// `ZE_RESULT_ERROR_UNKNOWN`).
fn code(state: u32) -> ze_result_t {
    match state {
        UNSIGNALED => ze_result_t::ZE_RESULT_NOT_READY,
        SIGNALED => ze_result_t::ZE_RESULT_SUCCESS,
        e if e >= 0x7000_0000 => ze_result_t(e),
        _ => ze_result_t::ZE_RESULT_ERROR_UNKNOWN,
    }
}

/// One index of a shared pool.
pub(crate) struct SharedSlot {
    region: std::sync::Arc<Region>,
    index: u32,
}

impl SharedSlot {
    /// Index `index` of `region` (below its count).
    pub(crate) fn new(region: std::sync::Arc<Region>, index: u32) -> SharedSlot {
        SharedSlot { region, index }
    }

    fn cell(&self) -> &Cell {
        self.region.cell(self.index)
    }

    /// Signals with `result`, stamped `start` to `end`, and wakes every waiter.
    pub(crate) fn signal(&self, start: u64, end: u64, result: ze_result_t) {
        let c = self.cell();
        c.start.store(start, Ordering::Relaxed);
        c.end.store(end, Ordering::Relaxed);
        let state = if result == ze_result_t::ZE_RESULT_SUCCESS {
            SIGNALED
        } else {
            result.0
        };
        c.state.store(state, Ordering::Release);
        wake_all(&c.state);
    }

    /// Back to not signaled, without timestamps.
    pub(crate) fn reset(&self) {
        let c = self.cell();
        c.state.store(UNSIGNALED, Ordering::Release);
        c.start.store(0, Ordering::Relaxed);
        c.end.store(0, Ordering::Relaxed);
    }

    /// `SUCCESS`, the error it was signaled with, or `NOT_READY`.
    pub(crate) fn status(&self) -> ze_result_t {
        code(self.cell().state.load(Ordering::Acquire))
    }

    /// Waits for the signal under the Level Zero timeout rule.
    pub(crate) fn wait(&self, timeout: u64) -> ze_result_t {
        let deadline = Deadline::after_nanos(timeout);
        let word = &self.cell().state;
        loop {
            let state = word.load(Ordering::Acquire);
            if state != UNSIGNALED {
                return code(state);
            }
            match deadline {
                Deadline::Now => return ze_result_t::ZE_RESULT_NOT_READY,
                Deadline::At(at) if std::time::Instant::now() >= at => {
                    return ze_result_t::ZE_RESULT_NOT_READY
                }
                _ => sleep_while_unsignaled(word, deadline),
            }
        }
    }

    /// The start and end of the signal, once signaled.
    pub(crate) fn times(&self) -> Option<(u64, u64)> {
        let c = self.cell();
        if c.state.load(Ordering::Acquire) == UNSIGNALED {
            return None;
        }
        Some((
            c.start.load(Ordering::Relaxed),
            c.end.load(Ordering::Relaxed),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn an_import_of_the_memfd_shares_the_state() {
        let (region, fd, id) = Region::create(4, 0).unwrap();
        let imported = Region::import(&fd, id).expect("the pool's own memfd imports");
        let a = SharedSlot::new(Arc::new(region), 2);
        let b = SharedSlot::new(Arc::new(imported), 2);
        assert_eq!(b.status(), ze_result_t::ZE_RESULT_NOT_READY);
        let waiter = std::thread::spawn(move || b.wait(u64::MAX));
        a.signal(5, 7, ze_result_t::ZE_RESULT_SUCCESS);
        assert_eq!(waiter.join().unwrap(), ze_result_t::ZE_RESULT_SUCCESS);
        assert_eq!(a.times(), Some((5, 7)));
        a.reset();
        assert_eq!(a.times(), None);
        assert_eq!(a.wait(1_000_000), ze_result_t::ZE_RESULT_NOT_READY);
    }

    #[test]
    fn another_identity_or_an_unsealed_memfd_does_not_import() {
        let (_region, fd, id) = Region::create(4, 0).unwrap();
        let other = Identity {
            token: [id.token[0] ^ 1, id.token[1]],
            ..id
        };
        assert!(Region::import(&fd, other).is_none());
        assert!(Region::import(&fd, Identity { count: 5, ..id }).is_none());
        let plain = memfd::create(c"plain", 0, false).unwrap();
        assert!(Region::import(&plain, id).is_none());
    }

    #[test]
    fn a_foreign_state_value_reads_as_an_error() {
        assert_eq!(code(7), ze_result_t::ZE_RESULT_ERROR_UNKNOWN);
        assert_eq!(
            code(ze_result_t::ZE_RESULT_ERROR_DEVICE_LOST.0),
            ze_result_t::ZE_RESULT_ERROR_DEVICE_LOST
        );
    }
}
