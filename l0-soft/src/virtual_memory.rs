//! Virtual and physical memory: reservations of address space (`zeVirtualMemReserve`),
//! physical memory objects (`zePhysicalMemCreate`) and the mappings between them
//! (`zeVirtualMemMap`), as Intel's driver offers them, by context id (below `context`,
//! which releases a destroyed context's; the entry points are `virtual_mem`'s).
//!
//! * A **reservation** is a range of the process's address space, inaccessible to the host
//!   (`PROT_NONE`), aligned to [`PAGE`].
//! * A **physical memory object** is a range of its device's [`Arena`](crate::arena::Arena):
//!   it counts against the device's memory and reads zeros when made.
//! * A **mapping** puts the pages of a physical object under a page-aligned part of a
//!   reservation. It becomes an allocation of the [memory table](crate::memory) (device
//!   memory at the reservation's addresses), so every command reaches it as it reaches
//!   memory from `zeMemAllocDevice`. The host still cannot touch it (the reservation stays
//!   `PROT_NONE`), as with any device memory.
//! * The driver reaches mapped pages through the reservation's **driver view**: address
//!   space of the reservation's size where each mapping maps the same pages of the arena's
//!   memfd read/write, at the same offset as in the reservation. So adjacent mappings of
//!   different physical objects are one contiguous range for the driver, and a command may
//!   span them, as on a GPU. An unmapped range of the view holds scratch pages, so that a
//!   command still running over memory the application unmapped writes nowhere that
//!   matters and never faults.
//!
//! As in Intel's driver, one physical device object backs at most one mapping at a time,
//! access attributes belong to a whole reservation, and a reservation is freed with its
//! exact size. Access attributes are recorded and reported; device accesses are not checked
//! against them.

use std::collections::BTreeMap;
use std::ffi::c_void;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use level_zero_sys::*;

use crate::arena::GRANULE;
use crate::device::Device;
use crate::ffi::ZeResult;
use crate::handle::{Kind, Registry};
use crate::host_memory::map_anonymous;
use crate::{memfd, memory};

/// The page size of virtual and physical memory: the device's page size (64 KiB), for
/// every size, as `zeVirtualMemQueryPageSize` reports.
pub(crate) const PAGE: usize = GRANULE;

/// One reservation of address space.
struct Reservation {
    size: usize,
    /// The raw handle value of the context it was made in.
    context: usize,
    access: ze_memory_access_attribute_t,
    /// Made at the first mapping: a reservation that is never mapped (large ones are
    /// common) costs no second range of address space.
    view: Option<Arc<DriverView>>,
}

/// The driver's view of one reservation (see the module docs); unmapped when the
/// reservation and every mapping in it (and every command using one) are gone.
struct DriverView {
    base: usize,
    size: usize,
}

impl DriverView {
    /// A view of `size` bytes, all scratch pages until mappings replace them.
    fn new(size: usize) -> Option<DriverView> {
        let base = map_anonymous(0, size, PAGE, READ_WRITE).ok()?;
        Some(DriverView { base, size })
    }
}

impl Drop for DriverView {
    fn drop(&mut self) {
        // SAFETY: the view's own mapping, unmapped once, when nothing refers to it.
        unsafe { libc::munmap(self.base as *mut c_void, self.size) };
    }
}

/// Read/write protection: of driver views' pages and of mapped host memory.
const READ_WRITE: i32 = libc::PROT_READ | libc::PROT_WRITE;

/// Puts fresh private pages with `prot` over `addr .. addr + len`: scratch pages
/// (`READ_WRITE`) in a driver view, or inaccessible ones (`PROT_NONE`) in a reservation
/// after a host mapping; `false` when the system refuses.
///
/// # Safety
///
/// The range must be part of a driver view or a reservation, holding no Rust object.
unsafe fn replace_anonymous(addr: usize, len: usize, prot: i32) -> bool {
    // SAFETY: the caller guarantees the range is the driver's own address space.
    let mapped = unsafe {
        libc::mmap(
            addr as *mut c_void,
            len,
            prot,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_FIXED,
            -1,
            0,
        )
    };
    mapped != libc::MAP_FAILED
}

/// Every live reservation, by base address.
static RESERVATIONS: Mutex<BTreeMap<usize, Reservation>> = Mutex::new(BTreeMap::new());

fn reservations() -> MutexGuard<'static, BTreeMap<usize, Reservation>> {
    // Single inserts, removes and field writes: consistent even after a panic.
    RESERVATIONS.lock().unwrap_or_else(|e| e.into_inner())
}

/// A physical memory object, released when the object and every mapping of it are gone.
pub(crate) struct Physical {
    pages: Pages,
    /// The raw handle value of the context it was made in.
    context: usize,
    size: usize,
    /// Whether a mapping uses it now (device objects back one mapping at a time); the
    /// memory table clears it when the mapping goes.
    mapped: Arc<AtomicBool>,
}

/// Where a physical object's pages are.
enum Pages {
    /// A range of a device's arena, at this offset: device memory.
    Device { device: Arc<Device>, offset: usize },
    /// A memfd of its own: host memory (`ZE_PHYSICAL_MEM_FLAG_ALLOCATE_ON_HOST`), which
    /// may back several mappings at once, as in Intel's driver.
    Host { fd: OwnedFd },
}

impl Physical {
    /// The file and offset of byte `offset` of the object.
    fn file(&self, offset: usize) -> (BorrowedFd<'_>, usize) {
        match &self.pages {
            Pages::Device {
                device,
                offset: start,
            } => (device.arena.memfd(), start + offset),
            Pages::Host { fd } => (fd.as_fd(), offset),
        }
    }
}

impl Drop for Physical {
    fn drop(&mut self) {
        if let Pages::Device { device, offset } = &self.pages {
            device.arena.release(*offset, self.size);
        }
    }
}

/// A memfd of `size` bytes of zeroed host memory.
fn host_pages(size: usize) -> Option<OwnedFd> {
    memfd::create(c"ze_soft_physical_host", size, false).ok()
}

static PHYSICAL: Registry<Physical> = Registry::new(Kind::PhysicalMemory);

/// `ZE_RESULT_ERROR_UNSUPPORTED_SIZE` unless `size` is a non-zero multiple of [`PAGE`].
fn check_size(size: usize) -> ZeResult {
    if size == 0 || size % PAGE != 0 {
        return Err(ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_SIZE);
    }
    Ok(())
}

/// `ZE_RESULT_ERROR_UNSUPPORTED_ALIGNMENT` unless `value` is a multiple of [`PAGE`].
fn check_aligned(value: usize) -> ZeResult {
    if value % PAGE != 0 {
        return Err(ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_ALIGNMENT);
    }
    Ok(())
}

/// `ZE_RESULT_ERROR_INVALID_ENUMERATION` for an access attribute the specification does
/// not define.
fn check_access(access: ze_memory_access_attribute_t) -> ZeResult {
    match access {
        ze_memory_access_attribute_t::ZE_MEMORY_ACCESS_ATTRIBUTE_NONE
        | ze_memory_access_attribute_t::ZE_MEMORY_ACCESS_ATTRIBUTE_READWRITE
        | ze_memory_access_attribute_t::ZE_MEMORY_ACCESS_ATTRIBUTE_READONLY => Ok(()),
        _ => Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ENUMERATION),
    }
}

/// The base of the reservation of `context` that holds all of `ptr .. ptr + size`.
fn reservation_holding(
    table: &BTreeMap<usize, Reservation>,
    context: usize,
    ptr: usize,
    size: usize,
) -> ZeResult<usize> {
    let (&base, r) = table
        .range(..=ptr)
        .next_back()
        .ok_or(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)?;
    let end = ptr
        .checked_add(size)
        .ok_or(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)?;
    if r.context != context || end > base + r.size {
        return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
    }
    Ok(base)
}

/// `zeVirtualMemReserve` for context `context`: the base of `size` bytes of new reserved
/// address space, at `hint` when that range is free.
pub(crate) fn reserve(context: usize, hint: usize, size: usize) -> ZeResult<usize> {
    check_size(size)?;
    let base = map_anonymous(hint & !(PAGE - 1), size, PAGE, libc::PROT_NONE)
        .map_err(|_| ze_result_t::ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY)?;
    memory::reserve_range(base, size);
    reservations().insert(
        base,
        Reservation {
            size,
            context,
            access: ze_memory_access_attribute_t::ZE_MEMORY_ACCESS_ATTRIBUTE_NONE,
            view: None,
        },
    );
    Ok(base)
}

/// `zeVirtualMemFree`: the reservation of `context` at exactly `base` and `size`, with
/// every mapping in it.
pub(crate) fn free(context: usize, base: usize, size: usize) -> ZeResult {
    let mut table = reservations();
    match table.get(&base) {
        Some(r) if r.context == context && r.size == size => {}
        _ => return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT),
    }
    table.remove(&base);
    drop(table);
    memory::remove_mappings(base, size);
    memory::unreserve_range(base);
    // SAFETY: the reservation was mapped by `reserve` for exactly this range, and is
    // unmapped once (it left the table above, under the lock).
    unsafe { libc::munmap(base as *mut c_void, size) };
    Ok(())
}

/// `zePhysicalMemCreate` for context `context`: `size` bytes of `device`'s memory, or of
/// host memory when `device` is `None`.
pub(crate) fn create_physical(
    context: usize,
    device: Option<Arc<Device>>,
    size: usize,
) -> ZeResult<ze_physical_mem_handle_t> {
    let pages = match device {
        None => {
            // Host memory needs whole host pages only, as in Intel's driver.
            if size == 0 || size % crate::host_memory::page_size() != 0 {
                return Err(ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_SIZE);
            }
            let fd = host_pages(size).ok_or(ze_result_t::ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY)?;
            Pages::Host { fd }
        }
        Some(device) => {
            check_size(size)?;
            let offset = device
                .arena
                .allocate(size, PAGE)
                .ok_or(ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY)?;
            Pages::Device { device, offset }
        }
    };
    let physical = Arc::new(Physical {
        pages,
        context,
        size,
        mapped: Arc::new(AtomicBool::new(false)),
    });
    Ok(PHYSICAL.insert(physical))
}

/// `zePhysicalMemDestroy`: `ZE_RESULT_ERROR_HANDLE_OBJECT_IN_USE` while a device object is
/// mapped.
pub(crate) fn destroy_physical(context: usize, handle: ze_physical_mem_handle_t) -> ZeResult {
    let object = PHYSICAL.get(handle)?;
    if object.context != context {
        return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
    }
    if object.mapped.load(Ordering::Acquire) {
        return Err(ze_result_t::ZE_RESULT_ERROR_HANDLE_OBJECT_IN_USE);
    }
    PHYSICAL.remove(handle).map(drop)
}

/// `zeVirtualMemMap`: `size` bytes of the physical object `handle` from `offset`, at `ptr`
/// of a reservation of `context`.
pub(crate) fn map(
    context: usize,
    ptr: usize,
    size: usize,
    handle: ze_physical_mem_handle_t,
    offset: usize,
    access: ze_memory_access_attribute_t,
) -> ZeResult {
    let object = PHYSICAL.get(handle)?;
    check_access(access)?;
    check_size(size)?;
    check_aligned(ptr)?;
    check_aligned(offset)?;
    if offset > object.size || object.size - offset < size || object.context != context {
        return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
    }
    let mut table = reservations();
    let base = reservation_holding(&table, context, ptr, size)?;
    let device = match &object.pages {
        Pages::Device { device, .. } => Some(Arc::clone(device)),
        Pages::Host { .. } => None,
    };
    // Device objects back one mapping at a time; host objects any number.
    let exclusive = device.is_some();
    if exclusive
        && object
            .mapped
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
    {
        return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
    }
    let give_back = || {
        if exclusive {
            object.mapped.store(false, Ordering::Release);
        }
    };
    let Some(r) = table.get_mut(&base) else {
        give_back();
        return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
    };
    let view = match &r.view {
        Some(view) => Arc::clone(view),
        None => match DriverView::new(r.size) {
            Some(view) => Arc::clone(r.view.insert(Arc::new(view))),
            None => {
                give_back();
                return Err(ze_result_t::ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY);
            }
        },
    };
    let driver_base = view.base + (ptr - base);
    let pages = memory::MappedPages {
        device,
        driver_base,
        view: view.base,
        _owner: Arc::new((Arc::clone(&object), view)),
        in_use: Arc::clone(&object.mapped),
    };
    // Recorded first: that refuses a range over another mapping before any mapping
    // changes.
    if let Err(e) = memory::insert_mapping(context, ptr, size, pages) {
        give_back();
        return Err(e);
    }
    let (fd, at) = object.file(offset);
    // SAFETY: the targets are part of this reservation and of its driver view (the range
    // lies in the reservation, checked above) where no other mapping is (the insert above
    // refused overlaps); the source is the physical object's pages. Host memory is mapped
    // for the host too, at the reservation's own addresses.
    let mapped = unsafe {
        memfd::map_fixed(driver_base, size, READ_WRITE, fd, at)
            && (exclusive || memfd::map_fixed(ptr, size, READ_WRITE, fd, at))
    };
    if !mapped {
        unmap_locked(ptr, size);
        return Err(ze_result_t::ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    }
    r.access = access;
    Ok(())
}

/// `zeVirtualMemUnmap`: every mapping wholly inside `ptr .. ptr + size`.
pub(crate) fn unmap(ptr: usize, size: usize) -> ZeResult {
    check_size(size)?;
    check_aligned(ptr)?;
    // Under the lock: no reservation (and so no view) goes away meanwhile.
    let _table = reservations();
    unmap_locked(ptr, size);
    Ok(())
}

/// `zeVirtualMemSetAccessAttribute`: the access of the reservation of `context` that holds
/// `ptr .. ptr + size`.
pub(crate) fn set_access(
    context: usize,
    ptr: usize,
    size: usize,
    access: ze_memory_access_attribute_t,
) -> ZeResult {
    check_access(access)?;
    check_size(size)?;
    check_aligned(ptr)?;
    let mut table = reservations();
    let base = reservation_holding(&table, context, ptr, size)?;
    if let Some(r) = table.get_mut(&base) {
        r.access = access;
    }
    Ok(())
}

/// `zeVirtualMemGetAccessAttribute`: the access and size of the reservation of `context`
/// that holds `ptr .. ptr + size`.
pub(crate) fn access(
    context: usize,
    ptr: usize,
    size: usize,
) -> ZeResult<(ze_memory_access_attribute_t, usize)> {
    check_size(size)?;
    check_aligned(ptr)?;
    let table = reservations();
    let base = reservation_holding(&table, context, ptr, size)?;
    let r = &table[&base];
    Ok((r.access, r.size))
}

/// Removes the mappings wholly inside `start .. start + size`: their parts of the driver
/// views get scratch pages, host mappings become inaccessible again. The caller holds the
/// reservations' lock, so no reservation or view goes away meanwhile.
fn unmap_locked(start: usize, size: usize) {
    for m in memory::remove_mappings(start, size) {
        // SAFETY: the ranges were a mapping's parts of its reservation and of the
        // reservation's view, which both live (the caller holds the reservations' lock);
        // commands still running over them now reach scratch pages.
        unsafe {
            replace_anonymous(m.driver_base, m.size, READ_WRITE);
            if m.host {
                replace_anonymous(m.base, m.size, libc::PROT_NONE);
            }
        }
    }
}

/// Frees the reservations and physical objects of a context being destroyed.
pub(crate) fn release_context(context: usize) {
    let gone: Vec<(usize, usize)> = {
        let mut table = reservations();
        let bases: Vec<usize> = table
            .iter()
            .filter(|(_, r)| r.context == context)
            .map(|(&b, _)| b)
            .collect();
        bases
            .into_iter()
            .filter_map(|b| table.remove(&b).map(|r| (b, r.size)))
            .collect()
    };
    for (base, size) in gone {
        memory::remove_mappings(base, size);
        memory::unreserve_range(base);
        // SAFETY: the reservation left the table above; it was mapped by `reserve` for
        // exactly this range and is unmapped once.
        unsafe { libc::munmap(base as *mut c_void, size) };
    }
    PHYSICAL.remove_where(|p| p.context == context);
}
