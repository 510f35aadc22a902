//! Device memory of one device: a range of the process's address space the host cannot
//! touch, with a second mapping of the same pages for the driver's own use.
//!
//! A memfd of the configured device-memory size is mapped twice, `MAP_SHARED`:
//!
//! * the **user view**, `PROT_NONE`: the addresses `zeMemAllocDevice` returns. A host
//!   access faults (SIGSEGV), as a host access to a discrete GPU's memory would;
//! * the **driver alias**: where the driver's copies and fills read and write. It is
//!   read/write only where allocations live, `PROT_NONE` elsewhere, so that tools which
//!   read all readable memory of a process (valgrind's leak check, sanitizers) never read
//!   the whole device: a read of an unwritten memfd page would commit it.
//!
//! The memfd is sparse: pages exist only once written through the alias, and a freed range
//! is returned to the system (`fallocate(PUNCH_HOLE)`), so a 16 GiB device commits only
//! what is in use. Ranges are handed out first-fit in [`GRANULE`] steps.

use std::collections::BTreeMap;
use std::ffi::CStr;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Mutex;

use crate::host_memory::map_anonymous;
use crate::memfd;

/// Allocation granularity and reported page size of device memory: 64 KiB.
pub(crate) const GRANULE: usize = 64 << 10;

/// One device's memory.
pub(crate) struct Arena {
    fd: OwnedFd,
    view: usize,
    alias: usize,
    len: usize,
    /// Free ranges: offset → length, never adjacent (coalesced).
    free: Mutex<BTreeMap<usize, usize>>,
}

fn align_up(value: usize, align: usize) -> Option<usize> {
    Some(value.checked_add(align - 1)? & !(align - 1))
}

/// Alignment of both mappings, so that any alignment up to this costs no space.
const MAPPING_ALIGN: usize = 2 << 20;

/// Maps `len` bytes of `fd` with `prot`, shared, at an address that is a multiple of
/// [`MAPPING_ALIGN`].
fn map(fd: &OwnedFd, len: usize, prot: i32) -> io::Result<usize> {
    let start = map_anonymous(0, len, MAPPING_ALIGN, libc::PROT_NONE)?;
    // SAFETY: replaces our own fresh reservation (MAP_FIXED over exactly it) with the memfd.
    if !unsafe { memfd::map_fixed(start, len, prot, fd.as_fd(), 0) } {
        let error = io::Error::last_os_error();
        // SAFETY: gives back the reservation made above; nothing lives there.
        unsafe { libc::munmap(start as *mut libc::c_void, len) };
        return Err(error);
    }
    Ok(start)
}

impl Arena {
    /// Reserves `size` bytes (rounded down to [`GRANULE`], at least one granule).
    pub(crate) fn new(size: u64) -> io::Result<Arena> {
        let len = usize::try_from(size)
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?
            .max(GRANULE)
            & !(GRANULE - 1);
        let fd = memfd::create(c"ze_soft_device_memory", len, false)?;
        let view = map(&fd, len, libc::PROT_NONE)?;
        let alias = match map(&fd, len, libc::PROT_NONE) {
            Ok(a) => a,
            Err(e) => {
                // SAFETY: `view` is the mapping made just above, of `len` bytes.
                unsafe { libc::munmap(view as *mut libc::c_void, len) };
                return Err(e);
            }
        };
        Ok(Arena {
            fd,
            view,
            alias,
            len,
            free: Mutex::new(BTreeMap::from([(0, len)])),
        })
    }

    /// Size of the device memory, in bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether `addr` lies in the user view.
    pub(crate) fn contains(&self, addr: usize) -> bool {
        addr >= self.view && addr - self.view < self.len
    }

    /// The user-view address of `offset`.
    pub(crate) fn user_address(&self, offset: usize) -> usize {
        self.view + offset
    }

    /// The driver-alias address of the user-view address `addr` (which must be in the
    /// view).
    pub(crate) fn driver_address(&self, addr: usize) -> usize {
        debug_assert!(self.contains(addr));
        self.alias + (addr - self.view)
    }

    /// The memfd that holds the device memory, for mappings of physical memory (see
    /// [`virtual_memory`](crate::virtual_memory)).
    pub(crate) fn memfd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// The rounded length an allocation of `size` bytes occupies.
    pub(crate) fn footprint(size: usize) -> Option<usize> {
        align_up(size, GRANULE)
    }

    /// Takes a free range of `size` bytes whose user address is a multiple of `align`
    /// (a power of two); returns its offset, or `None` when no free range fits.
    pub(crate) fn allocate(&self, size: usize, align: usize) -> Option<usize> {
        let len = Self::footprint(size)?;
        let align = align.max(GRANULE);
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        let (offset, start, hole) = free.iter().find_map(|(&offset, &hole)| {
            let start = align_up(self.view + offset, align)? - self.view;
            (start.checked_add(len)? <= offset + hole).then_some((offset, start, hole))
        })?;
        // The driver reads and writes the new range through the alias from now on.
        if !self.protect(start, len, libc::PROT_READ | libc::PROT_WRITE) {
            return None;
        }
        free.remove(&offset);
        if start > offset {
            free.insert(offset, start - offset);
        }
        let end = start + len;
        if end < offset + hole {
            free.insert(end, offset + hole - end);
        }
        Some(start)
    }

    /// Sets the protection of the alias over `offset..offset + len`; `false` when the
    /// system refuses (for example at its limit of mappings per process).
    fn protect(&self, offset: usize, len: usize, prot: i32) -> bool {
        // SAFETY: the range lies inside the alias mapping, which this arena owns; only the
        // driver accesses it, and not where an allocation is being made or released.
        unsafe { libc::mprotect((self.alias + offset) as *mut libc::c_void, len, prot) == 0 }
    }

    /// Returns the range `offset..offset + footprint(size)` to the free list and its pages
    /// to the system; the next allocation of these bytes reads zeros.
    pub(crate) fn release(&self, offset: usize, size: usize) {
        let Some(len) = Self::footprint(size) else {
            return;
        };
        // Nothing uses the range any more (commands keep an allocation until they end).
        self.protect(offset, len, libc::PROT_NONE);
        memfd::punch_hole(self.fd.as_fd(), offset, len);
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        let (mut start, mut end) = (offset, offset + len);
        if let Some((&prev, &prev_len)) = free.range(..start).next_back() {
            if prev + prev_len == start {
                free.remove(&prev);
                start = prev;
            }
        }
        if let Some(&next_len) = free.get(&end) {
            free.remove(&end);
            end += next_len;
        }
        free.insert(start, end - start);
    }

    /// Gives the allocated range `offset .. offset + footprint(size)` pages of its own (for
    /// an IPC export): a new sealed memory file named `name` gets the range's bytes and is
    /// mapped over the range in both mappings (the user view stays `PROT_NONE`, the alias
    /// read/write), and the arena's own pages of the range go back to the system. The range
    /// stays allocated; [`reattach`](Self::reattach) puts the arena's pages back before it
    /// is released. Bytes written during the call by running commands may be lost, as an
    /// export is a host access to the memory.
    pub(crate) fn detach(&self, offset: usize, size: usize, name: &CStr) -> io::Result<OwnedFd> {
        let len = Self::footprint(size).ok_or(io::ErrorKind::InvalidInput)?;
        let own = memfd::create(name, len, true)?;
        let alias = self.alias + offset;
        // SAFETY: the range is allocated, so the alias is read/write over it.
        unsafe { memfd::write_from(own.as_fd(), alias, len)? };
        memfd::seal_size(own.as_fd())?;
        let rw = libc::PROT_READ | libc::PROT_WRITE;
        // SAFETY: both targets are this arena's mappings over an allocated range; only the
        // driver reaches them (the user view is never accessible) and the new pages hold
        // the same bytes.
        let mapped = unsafe {
            memfd::map_fixed(alias, len, rw, own.as_fd(), 0)
                && memfd::map_fixed(self.view + offset, len, libc::PROT_NONE, own.as_fd(), 0)
        };
        if !mapped {
            let error = io::Error::last_os_error();
            self.reattach(offset, size);
            return Err(error);
        }
        memfd::punch_hole(self.fd.as_fd(), offset, len);
        Ok(own)
    }

    /// Maps the arena's own pages back over a range given pages of its own by
    /// [`detach`](Self::detach) (the alias read/write, as over any allocated range);
    /// `false` when the system refuses, and then the range must never be released.
    pub(crate) fn reattach(&self, offset: usize, size: usize) -> bool {
        let Some(len) = Self::footprint(size) else {
            return false;
        };
        let rw = libc::PROT_READ | libc::PROT_WRITE;
        // SAFETY: both targets are this arena's mappings over a range that is still
        // allocated; the arena's file is mapped there at its own offset, as `new` did.
        unsafe {
            memfd::map_fixed(self.alias + offset, len, rw, self.fd.as_fd(), offset)
                && memfd::map_fixed(
                    self.view + offset,
                    len,
                    libc::PROT_NONE,
                    self.fd.as_fd(),
                    offset,
                )
        }
    }

    /// Bytes not allocated.
    #[cfg(test)]
    pub(crate) fn free_bytes(&self) -> usize {
        let free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        free.values().sum()
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        // SAFETY: both mappings were made by `new` with `len` bytes and are unmapped once.
        unsafe {
            libc::munmap(self.view as *mut libc::c_void, self.len);
            libc::munmap(self.alias as *mut libc::c_void, self.len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn ranges_are_aligned_reused_and_coalesced() {
        let arena = Arena::new(1 << 20).unwrap();
        assert_eq!(arena.len(), 1 << 20);
        let a = arena.allocate(1, 0).unwrap();
        let b = arena.allocate(GRANULE + 1, 0).unwrap();
        assert_eq!(b, a + GRANULE);
        let c = arena.allocate(100, 4 * GRANULE).unwrap();
        assert_eq!(arena.user_address(c) % (4 * GRANULE), 0);
        arena.release(b, GRANULE + 1);
        arena.release(a, 1);
        arena.release(c, 100);
        assert_eq!(arena.free_bytes(), 1 << 20);
        // Everything coalesced back into one range: the whole arena fits again.
        assert_eq!(arena.allocate(1 << 20, 0), Some(0));
        assert_eq!(arena.allocate(1, 0), None);
    }

    #[test]
    fn the_driver_alias_sees_what_it_wrote_and_zeros_after_release() {
        let arena = Arena::new(1 << 20).unwrap();
        let off = arena.allocate(8, 0).unwrap();
        let p = arena.driver_address(arena.user_address(off)) as *mut u64;
        // SAFETY: the alias is read/write and `off` is an allocated granule.
        unsafe { p.write(0x1234) };
        // SAFETY: as above.
        assert_eq!(unsafe { p.read() }, 0x1234);
        arena.release(off, 8);
        let again = arena.allocate(8, 0).unwrap();
        assert_eq!(again, off);
        // SAFETY: as above.
        assert_eq!(unsafe { p.read() }, 0);
    }

    /// Bytes of the memfd backed by memory.
    fn committed(arena: &Arena) -> u64 {
        // SAFETY: fstat writes into a zeroed, live stat structure.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: the descriptor is the arena's own, open for its lifetime.
        assert_eq!(unsafe { libc::fstat(arena.fd.as_raw_fd(), &mut st) }, 0);
        st.st_blocks as u64 * 512
    }

    #[test]
    fn memory_is_committed_when_written_and_returned_when_released() {
        let arena = Arena::new(64 << 20).unwrap();
        assert_eq!(committed(&arena), 0, "nothing is committed up front");
        let size = 4 << 20;
        let off = arena.allocate(size, 0).unwrap();
        let p = arena.driver_address(arena.user_address(off)) as *mut u8;
        // SAFETY: `size` allocated bytes of the read/write alias.
        unsafe { std::ptr::write_bytes(p, 0xab, size) };
        assert!(committed(&arena) >= size as u64);
        arena.release(off, size);
        assert_eq!(committed(&arena), 0, "freed pages go back to the system");
    }

    #[test]
    fn the_alias_is_readable_only_where_allocations_live() {
        let arena = Arena::new(1 << 20).unwrap();
        let readable = |offset: usize| {
            let addr = arena.driver_address(arena.user_address(offset));
            crate::host_memory::check_readable(addr, 1).is_ok()
        };
        assert!(!readable(0), "an unallocated alias page is not readable");
        let off = arena.allocate(GRANULE, 0).unwrap();
        assert!(readable(off) && readable(off + GRANULE - 1));
        assert!(!readable(off + GRANULE), "the page after the allocation");
        arena.release(off, GRANULE);
        assert!(!readable(off), "a released range is closed again");
        assert_eq!(committed(&arena), 0, "the probes committed nothing");
    }

    #[test]
    fn a_detached_range_keeps_its_bytes_in_its_own_file_until_reattached() {
        let arena = Arena::new(1 << 20).unwrap();
        let off = arena.allocate(GRANULE, 0).unwrap();
        let p = arena.driver_address(arena.user_address(off)) as *mut u8;
        // SAFETY: an allocated granule of the read/write alias.
        unsafe { std::ptr::write_bytes(p, 0x5a, GRANULE) };
        let own = arena.detach(off, GRANULE, c"test_detached").unwrap();
        // SAFETY: as above; the alias now maps the new file.
        assert_eq!(unsafe { p.add(GRANULE - 1).read() }, 0x5a);
        assert_eq!(committed(&arena), 0, "the arena's pages went back");
        assert_eq!(memfd::size(own.as_fd()).unwrap(), GRANULE as u64);
        assert_eq!(
            memfd::seals(own.as_fd()).unwrap() & memfd::SIZE_SEALS,
            memfd::SIZE_SEALS
        );
        // SAFETY: as above.
        unsafe { p.write(0x11) };
        assert!(arena.reattach(off, GRANULE));
        // SAFETY: as above: the arena's own (zero) pages are back.
        assert_eq!(unsafe { p.read() }, 0);
        let mut first = [0u8; 1];
        // SAFETY: reading one byte of our own file into a local buffer.
        let n = unsafe { libc::pread(own.as_raw_fd(), first.as_mut_ptr().cast(), 1, 0) };
        assert_eq!((n, first[0]), (1, 0x11), "the file kept what was written");
        arena.release(off, GRANULE);
        assert_eq!(arena.free_bytes(), 1 << 20);
    }
}
