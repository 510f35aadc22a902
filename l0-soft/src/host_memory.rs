//! The application's own host memory (pointers this driver did not allocate), read and
//! written without ever faulting.
//!
//! A GPU driver pins such memory when a command is appended and fails the append when it
//! cannot; the GPU then reads and writes the pinned pages, so no later change of the
//! mapping can crash the process. This driver checks the range when a command is appended
//! ([`check_readable`], [`check_mapped`]) and moves the bytes with `process_vm_readv` on
//! its own process, which answers `EFAULT` for memory the process cannot access where a
//! `memcpy` would kill it with SIGSEGV ([`copy`]). A command whose host memory became
//! inaccessible after it was appended fails with `ZE_RESULT_ERROR_DEVICE_LOST`, as a GPU
//! page fault does.
//!
//! Where the system refuses `process_vm_readv` (a seccomp policy without `ptrace`
//! rights), the copy falls back to `memcpy` on memory that was checked at append time.

use std::ffi::c_void;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

use level_zero_sys::ze_result_t;

use crate::ffi::ZeResult;

/// The host's page size.
pub(crate) fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(n).unwrap_or(4096).max(4096)
}

/// Maps `len` bytes (a multiple of the host page) of fresh private anonymous memory with
/// `prot`, not reserved in swap, at an address that is a multiple of `align` (a power of
/// two; the host page when smaller), at `hint` when that range is free. The driver's
/// host memory, device memory reservations and driver views all start here.
pub(crate) fn map_anonymous(hint: usize, len: usize, align: usize, prot: i32) -> io::Result<usize> {
    let align = align.max(page_size());
    let total = len
        .checked_add(align - page_size())
        .ok_or_else(|| io::Error::from(io::ErrorKind::OutOfMemory))?;
    // SAFETY: a fresh mapping; without MAP_FIXED the kernel never places it over an
    // existing one, so it overlaps no Rust object.
    let addr = unsafe {
        libc::mmap(
            hint as *mut c_void,
            total,
            prot,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if addr == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    let addr = addr as usize;
    let start = (addr + align - 1) & !(align - 1);
    // Give back the slack before and after the aligned range.
    // SAFETY: both ranges lie inside the mapping just made and hold no object.
    unsafe {
        if start > addr {
            libc::munmap(addr as *mut c_void, start - addr);
        }
        let end = start + len;
        if addr + total > end {
            libc::munmap(end as *mut c_void, addr + total - end);
        }
    }
    Ok(start)
}

/// The answer of an append whose host memory cannot be used, as Intel's driver answers
/// when it cannot pin the memory of a copy.
const UNUSABLE: ze_result_t = ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY;
/// The answer of a command whose host memory became inaccessible before it ran.
const FAULTED: ze_result_t = ze_result_t::ZE_RESULT_ERROR_DEVICE_LOST;
/// At most this many pages are probed per system call.
const PROBE_BATCH: usize = 512;

/// Set once `process_vm_readv` answered that this process may not use it.
static UNAVAILABLE: AtomicBool = AtomicBool::new(false);

/// The pages `[start, end)` covering `[addr, addr + len)` (at least one byte), or `None`
/// when the range wraps around the address space.
fn pages(addr: usize, len: usize) -> Option<(usize, usize)> {
    let page = page_size();
    let end = addr
        .checked_add(len.max(1))?
        .checked_next_multiple_of(page)?;
    Some((addr & !(page - 1), end))
}

/// `ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY` unless every page of `[addr, addr + len)` is
/// mapped in the process (`mincore` answers `ENOMEM` for a range with unmapped pages).
/// Access rights are not checked: a destination that turns out not to be writable fails
/// when the command runs.
pub(crate) fn check_mapped(addr: usize, len: usize) -> ZeResult {
    let (start, end) = pages(addr, len).ok_or(UNUSABLE)?;
    let count = (end - start) / page_size();
    let mut residency = vec![0u8; count];
    // SAFETY: mincore only inspects the page tables of our own address space and writes
    // one byte per page into `residency`, which has room for all of them.
    let rc = unsafe { libc::mincore(start as *mut c_void, end - start, residency.as_mut_ptr()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(UNUSABLE)
    }
}

/// `ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY` unless every page of `[addr, addr + len)` can be
/// read: one byte of each page is read with `process_vm_readv`, which fails instead of
/// faulting on a page that is unmapped or `PROT_NONE`. Where the system refuses that
/// call, nothing more than [`check_mapped`] (which the caller has already passed) can be
/// known, and the range is accepted.
pub(crate) fn check_readable(addr: usize, len: usize) -> ZeResult {
    if UNAVAILABLE.load(Ordering::Relaxed) {
        return Ok(());
    }
    let page = page_size();
    let (start, end) = pages(addr, len).ok_or(UNUSABLE)?;
    let mut scratch = [0u8; PROBE_BATCH];
    let mut next = start;
    while next < end {
        let batch = ((end - next) / page).min(PROBE_BATCH);
        let local: Vec<libc::iovec> = (0..batch)
            .map(|i| libc::iovec {
                // SAFETY: `i < PROBE_BATCH`, inside `scratch`.
                iov_base: unsafe { scratch.as_mut_ptr().add(i) }.cast(),
                iov_len: 1,
            })
            .collect();
        let remote: Vec<libc::iovec> = (0..batch)
            .map(|i| libc::iovec {
                iov_base: (next + i * page) as *mut c_void,
                iov_len: 1,
            })
            .collect();
        // SAFETY: the local vectors point into `scratch`; the remote ones are only read by
        // the kernel, which checks them and answers EFAULT instead of faulting.
        let n = unsafe {
            libc::process_vm_readv(
                libc::getpid(),
                local.as_ptr(),
                batch as libc::c_ulong,
                remote.as_ptr(),
                batch as libc::c_ulong,
                0,
            )
        };
        if n < 0 && refused() {
            return Ok(());
        }
        if n != batch as isize {
            return Err(UNUSABLE);
        }
        next += batch * page;
    }
    Ok(())
}

/// Whether the last `process_vm_readv` failed because the system refuses it (and
/// remembers that), rather than because of the memory.
fn refused() -> bool {
    let errno = std::io::Error::last_os_error().raw_os_error();
    let refused = matches!(errno, Some(libc::EPERM | libc::ENOSYS));
    if refused {
        UNAVAILABLE.store(true, Ordering::Relaxed);
    }
    refused
}

/// Copies `len` bytes from `src` to `dst` (not overlapping) where either may be the
/// application's host memory: `ZE_RESULT_ERROR_DEVICE_LOST` (and a partial copy) if some
/// of it cannot be read or written, never a fault.
///
/// # Safety
///
/// Each range is either memory of this driver valid for the access, or host memory that
/// passed the append-time checks (it may since have become inaccessible); no other thread
/// of the driver writes either range during the call.
pub(crate) unsafe fn copy(dst: *mut u8, src: *const u8, len: usize) -> ZeResult {
    let mut done = 0;
    while done < len && !UNAVAILABLE.load(Ordering::Relaxed) {
        let local = libc::iovec {
            // SAFETY: `done < len`, inside the destination range.
            iov_base: unsafe { dst.add(done) }.cast(),
            iov_len: len - done,
        };
        let remote = libc::iovec {
            // SAFETY: as above, inside the source range.
            iov_base: unsafe { src.add(done) }.cast_mut().cast(),
            iov_len: len - done,
        };
        // SAFETY: both vectors describe the caller's ranges; the kernel checks both and
        // answers EFAULT (or a short count) instead of faulting.
        let n = unsafe { libc::process_vm_readv(libc::getpid(), &local, 1, &remote, 1, 0) };
        if n > 0 {
            done += n as usize;
        } else if n < 0 && refused() {
            break;
        } else {
            return Err(FAULTED);
        }
    }
    if done < len {
        // SAFETY: the fallback when the kernel refuses the call: the ranges passed the
        // append-time checks, the caller's guarantee.
        unsafe { std::ptr::copy_nonoverlapping(src.add(done), dst.add(done), len - done) };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A private anonymous mapping of `pages` pages with protection `prot`.
    fn map(pages: usize, prot: i32) -> *mut u8 {
        let len = pages * page_size();
        // SAFETY: a fresh private anonymous mapping; it overlaps nothing.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                prot,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(p, libc::MAP_FAILED);
        p.cast()
    }

    #[test]
    fn unreadable_and_unmapped_ranges_are_refused_readable_ones_accepted() {
        let page = page_size();
        let good = vec![1u8; 3 * page];
        assert_eq!(check_readable(good.as_ptr() as usize, good.len()), Ok(()));
        let none = map(2, libc::PROT_NONE);
        assert_eq!(check_readable(none as usize, 16), Err(UNUSABLE));
        assert_eq!(check_mapped(none as usize, 16), Ok(()));
        assert_eq!(check_mapped(0x1000, 16), Err(UNUSABLE));
        assert_eq!(check_readable(usize::MAX - 8, 64), Err(UNUSABLE));
    }

    #[test]
    fn a_copy_into_read_only_or_from_protected_memory_fails_without_faulting() {
        let page = page_size();
        let read_only = map(1, libc::PROT_READ);
        let none = map(1, libc::PROT_NONE);
        let mut buf = vec![7u8; page];
        // SAFETY: the driver-side buffer is valid; the other side is the experiment.
        unsafe {
            assert_eq!(copy(read_only, buf.as_ptr(), 64), Err(FAULTED));
            assert_eq!(copy(buf.as_mut_ptr(), none, 64), Err(FAULTED));
            // Reading read-only memory works: it holds zeros.
            assert_eq!(copy(buf.as_mut_ptr(), read_only, 64), Ok(()));
        }
        assert!(buf[..64].iter().all(|&b| b == 0));
        assert!(buf[64..].iter().all(|&b| b == 7));
    }
}
