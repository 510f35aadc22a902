//! Memory files (`memfd_create`): making them, filling them, sealing their size and
//! mapping them shared over address space the driver owns, and taking them from other
//! processes (`pidfd_getfd`). Device memory
//! ([`arena`](crate::arena)), host physical memory
//! ([`virtual_memory`](crate::virtual_memory)), exported allocations
//! ([`memory`](crate::memory), for IPC) and the shared state of IPC event pools
//! ([`event`](crate::event)) are memory files.

use std::ffi::{c_void, CStr};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// A new memory file of `len` zero bytes named `name`, closed on `exec`; `sealable` allows
/// [`seal_size`] later.
pub(crate) fn create(name: &CStr, len: usize, sealable: bool) -> io::Result<OwnedFd> {
    let flags = libc::MFD_CLOEXEC | if sealable { libc::MFD_ALLOW_SEALING } else { 0 };
    // SAFETY: a NUL-terminated name and valid flags; the result is checked.
    let raw = unsafe { libc::memfd_create(name.as_ptr(), flags) };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `raw` is a fresh descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    let len = libc::off_t::try_from(len).map_err(|_| io::ErrorKind::InvalidInput)?;
    // SAFETY: resizing our own memory file; the result is checked.
    if unsafe { libc::ftruncate(fd.as_raw_fd(), len) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(fd)
}

/// The seals that fix a memory file's size for good.
pub(crate) const SIZE_SEALS: i32 = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL;

/// Fixes the size of a memory file made with `sealable` (no one holding it can shrink or
/// grow it, nor change the seals).
pub(crate) fn seal_size(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor we hold; the result is checked.
    if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_ADD_SEALS, SIZE_SEALS) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The seals of a memory file; an error for any other kind of file.
pub(crate) fn seals(fd: BorrowedFd<'_>) -> io::Result<i32> {
    // SAFETY: fcntl on a descriptor we hold; the result is checked.
    let seals = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GET_SEALS) };
    if seals < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(seals)
}

/// The size of the file, in bytes.
pub(crate) fn size(fd: BorrowedFd<'_>) -> io::Result<u64> {
    // SAFETY: fstat writes into a zeroed, live stat structure.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: a descriptor we hold and a writable structure; the result is checked.
    if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } != 0 {
        return Err(io::Error::last_os_error());
    }
    u64::try_from(st.st_size).map_err(|_| io::ErrorKind::InvalidData.into())
}

/// The name the kernel shows for the descriptor (`/proc/self/fd`): `/memfd:<name>
/// (deleted)` for a memory file.
pub(crate) fn link_name(fd: BorrowedFd<'_>) -> io::Result<std::path::PathBuf> {
    std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()))
}

/// Writes the `len` bytes at `src` into the file from its start.
///
/// # Safety
///
/// `src .. src + len` must be readable memory of this process.
pub(crate) unsafe fn write_from(fd: BorrowedFd<'_>, src: usize, len: usize) -> io::Result<()> {
    let mut done = 0;
    while done < len {
        // SAFETY: the caller guarantees the source is readable; the file is ours.
        let n = unsafe {
            libc::pwrite(
                fd.as_raw_fd(),
                (src + done) as *const c_void,
                len - done,
                done as libc::off_t,
            )
        };
        match n {
            n if n > 0 => done += n as usize,
            0 => return Err(io::ErrorKind::WriteZero.into()),
            _ => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
    Ok(())
}

/// Maps `len` bytes of `fd` from `offset`, shared, with `prot`, over `at .. at + len`;
/// `false` when the system refuses.
///
/// # Safety
///
/// The target range must be address space the driver owns (a reservation, a driver view,
/// an arena's mapping, an allocation's own pages), holding no Rust object, and nothing may
/// access it meanwhile except through what the new mapping provides.
pub(crate) unsafe fn map_fixed(
    at: usize,
    len: usize,
    prot: i32,
    fd: BorrowedFd<'_>,
    offset: usize,
) -> bool {
    // SAFETY: the caller guarantees the target is the driver's own address space, so
    // MAP_FIXED replaces nothing else.
    let mapped = unsafe {
        libc::mmap(
            at as *mut c_void,
            len,
            prot,
            libc::MAP_SHARED | libc::MAP_NORESERVE | libc::MAP_FIXED,
            fd.as_raw_fd(),
            offset as libc::off_t,
        )
    };
    mapped != libc::MAP_FAILED
}

/// Returns the pages of `offset .. offset + len` of the file to the system (they read
/// zeros afterwards); a failure only leaves them committed.
pub(crate) fn punch_hole(fd: BorrowedFd<'_>, offset: usize, len: usize) {
    // SAFETY: punching a hole in a memory file we hold; the result is not needed.
    unsafe {
        libc::fallocate(
            fd.as_raw_fd(),
            libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
            offset as libc::off_t,
            len as libc::off_t,
        );
    }
}

/// Lets processes of the same user take this process's descriptors with `pidfd_getfd`
/// under Yama's ptrace rules, as Intel's driver does (once per process). Without Yama the
/// call fails (`EINVAL`) and the kernel's ptrace rules apply unchanged.
pub(crate) fn allow_taking() {
    static ALLOW: std::sync::Once = std::sync::Once::new();
    ALLOW.call_once(|| {
        // SAFETY: prctl with two integer arguments; the result is ignored (see above).
        unsafe { libc::prctl(libc::PR_SET_PTRACER, libc::PR_SET_PTRACER_ANY, 0, 0, 0) };
    });
}

/// Takes descriptor `fd` of process `pid` (`pidfd_open` + `pidfd_getfd`, which the kernel's
/// ptrace access rules allow or refuse); `None` when anything refuses, for a pid or
/// descriptor number that cannot name one, or when the process is gone.
pub(crate) fn take_from(pid: u32, fd: i32) -> Option<OwnedFd> {
    let pid = libc::pid_t::try_from(pid).ok().filter(|&p| p > 0)?;
    if fd < 0 {
        return None;
    }
    // SAFETY: pidfd_open takes a pid and flags; the result is checked.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if pidfd < 0 {
        return None;
    }
    // SAFETY: a fresh descriptor that nothing else owns.
    let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd as i32) };
    // SAFETY: pidfd_getfd takes our pidfd, a descriptor number and flags; the result is
    // checked. The new descriptor is close-on-exec, as the kernel makes it.
    let taken = unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), fd, 0) };
    // SAFETY: a fresh descriptor that nothing else owns.
    (taken >= 0).then(|| unsafe { OwnedFd::from_raw_fd(taken as i32) })
}

/// A close-on-exec duplicate of this process's descriptor `fd` (the original stays its
/// owner's); `None` when `fd` is not an open descriptor.
pub(crate) fn duplicate(fd: i32) -> Option<OwnedFd> {
    if fd < 0 {
        return None;
    }
    // SAFETY: F_DUPFD_CLOEXEC on a number: an unused one fails (EBADF), checked.
    let raw = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    // SAFETY: a fresh descriptor that nothing else owns.
    (raw >= 0).then(|| unsafe { OwnedFd::from_raw_fd(raw) })
}
