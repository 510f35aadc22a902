//! Virtual and physical memory: reservations of address space (`zeVirtualMemReserve`),
//! physical memory objects (`zePhysicalMemCreate`) and the mappings between them
//! (`zeVirtualMemMap`), as Intel's driver offers them for device memory.
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
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use level_zero_sys::*;

use crate::arena::GRANULE;
use crate::context::{self, Context};
use crate::device::{self, Device};
use crate::ffi::{self, guard, ZeResult};
use crate::handle::{Kind, Registry};
use crate::memory;

/// `ZE_PHYSICAL_MEM_FLAG_ALLOCATE_ON_DEVICE` (bit 0: "reserved" before API 1.11).
const ON_DEVICE: u32 = 1;
/// `ZE_PHYSICAL_MEM_FLAG_ALLOCATE_ON_HOST` (API 1.11).
#[cfg(ze_api = "1.11")]
const ON_HOST: u32 = 2;

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
    fn new(size: usize) -> Option<DriverView> {
        let base = map_reservation(0, size)?;
        // SAFETY: the range was just reserved for the view, and holds nothing.
        if !unsafe { scratch(base, size) } {
            // SAFETY: as above; nothing else knows the range.
            unsafe { libc::munmap(base as *mut c_void, size) };
            return None;
        }
        Some(DriverView { base, size })
    }
}

impl Drop for DriverView {
    fn drop(&mut self) {
        // SAFETY: the view's own mapping, unmapped once, when nothing refers to it.
        unsafe { libc::munmap(self.base as *mut c_void, self.size) };
    }
}

/// Puts zeroed private read/write pages over `addr .. addr + len`; `false` when the
/// system refuses.
///
/// # Safety
///
/// The range must be part of a driver view, holding no Rust object.
unsafe fn scratch(addr: usize, len: usize) -> bool {
    // SAFETY: the caller guarantees the range is the driver's own address space.
    let mapped = unsafe {
        libc::mmap(
            addr as *mut c_void,
            len,
            libc::PROT_READ | libc::PROT_WRITE,
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

/// Maps `len` bytes of `fd` at `offset`, shared, with `prot`, over `at .. at + len`;
/// `false` when the system refuses.
///
/// # Safety
///
/// The target range must be address space the driver reserved (a reservation or a driver
/// view), holding no Rust object.
unsafe fn map_file(at: usize, len: usize, prot: i32, fd: BorrowedFd<'_>, offset: usize) -> bool {
    // SAFETY: the caller guarantees the target is the driver's own address space, so
    // MAP_FIXED replaces nothing else.
    let mapped = unsafe {
        libc::mmap(
            at as *mut c_void,
            len,
            prot,
            libc::MAP_SHARED | libc::MAP_FIXED,
            fd.as_raw_fd(),
            offset as libc::off_t,
        )
    };
    mapped != libc::MAP_FAILED
}

/// Makes `addr .. addr + len` of a reservation inaccessible again (after a host mapping).
///
/// # Safety
///
/// As [`map_file`].
unsafe fn inaccessible(addr: usize, len: usize) -> bool {
    // SAFETY: as the caller guarantees.
    let mapped = unsafe {
        libc::mmap(
            addr as *mut c_void,
            len,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_FIXED,
            -1,
            0,
        )
    };
    mapped != libc::MAP_FAILED
}

/// A memfd of `size` bytes of zeroed host memory.
fn host_pages(size: usize) -> Option<OwnedFd> {
    // SAFETY: a NUL-terminated name and valid flags; the result is checked.
    let raw = unsafe { libc::memfd_create(c"ze_soft_physical_host".as_ptr(), libc::MFD_CLOEXEC) };
    if raw < 0 {
        return None;
    }
    // SAFETY: `raw` is a fresh descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    // SAFETY: resizing our own memfd; the result is checked.
    (unsafe { libc::ftruncate(fd.as_raw_fd(), size as libc::off_t) } == 0).then_some(fd)
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
    context: &Context,
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
    if r.context != context.id() || end > base + r.size {
        return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
    }
    Ok(base)
}

/// Reserves `size` bytes of inaccessible address space aligned to [`PAGE`], at `hint` when
/// that range is free.
fn map_reservation(hint: usize, size: usize) -> Option<usize> {
    let total = size.checked_add(PAGE)?;
    // SAFETY: a fresh inaccessible mapping; without MAP_FIXED the kernel never places it
    // over an existing one, so it overlaps no Rust object.
    let addr = unsafe {
        libc::mmap(
            hint as *mut c_void,
            total,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if addr == libc::MAP_FAILED {
        return None;
    }
    let addr = addr as usize;
    let start = (addr + PAGE - 1) & !(PAGE - 1);
    // SAFETY: both ranges lie inside the mapping just made and hold nothing.
    unsafe {
        if start > addr {
            libc::munmap(addr as *mut c_void, start - addr);
        }
        let end = start + size;
        if addr + total > end {
            libc::munmap(end as *mut c_void, addr + total - end);
        }
    }
    Some(start)
}

unsafe extern "C" fn reserve(
    context: ze_context_handle_t,
    start: *const c_void,
    size: usize,
    out: *mut *mut c_void,
) -> ze_result_t {
    guard(|| {
        let context = context::get(context)?;
        if out.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        check_size(size)?;
        let base = map_reservation(start as usize & !(PAGE - 1), size)
            .ok_or(ze_result_t::ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY)?;
        memory::reserve_range(base, size);
        reservations().insert(
            base,
            Reservation {
                size,
                context: context.id(),
                access: ze_memory_access_attribute_t::ZE_MEMORY_ACCESS_ATTRIBUTE_NONE,
                view: None,
            },
        );
        // SAFETY: checked non-null; the caller passes a writable pointer.
        unsafe { ffi::write(out, base as *mut c_void) }
    })
}

unsafe extern "C" fn free(
    context: ze_context_handle_t,
    ptr: *const c_void,
    size: usize,
) -> ze_result_t {
    guard(|| {
        let context = context::get(context)?;
        if ptr.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        let base = ptr as usize;
        let mut table = reservations();
        match table.get(&base) {
            Some(r) if r.context == context.id() && r.size == size => {}
            _ => return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT),
        }
        table.remove(&base);
        drop(table);
        // Any mapping left in the range goes with it.
        memory::remove_mappings(base, size);
        memory::unreserve_range(base);
        // SAFETY: the reservation was mapped by `reserve` for exactly this range, and is
        // unmapped once (it left the table above, under the lock).
        unsafe { libc::munmap(base as *mut c_void, size) };
        Ok(())
    })
}

unsafe extern "C" fn query_page_size(
    context: ze_context_handle_t,
    device: ze_device_handle_t,
    _size: usize,
    out: *mut usize,
) -> ze_result_t {
    guard(|| {
        context::get(context)?;
        device::get(device)?;
        if out.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        // A size of 0 is answered too, as Intel's driver does (the specification lists it
        // as unsupported; the validation layer refuses it) and Intel's suite relies on.
        // SAFETY: checked non-null; the caller passes a writable pointer.
        unsafe { ffi::write(out, PAGE) }
    })
}

unsafe extern "C" fn physical_create(
    context: ze_context_handle_t,
    device: ze_device_handle_t,
    desc: *mut ze_physical_mem_desc_t,
    out: *mut ze_physical_mem_handle_t,
) -> ze_result_t {
    guard(|| {
        let context = context::get(context)?;
        // SAFETY: the caller passes null or a valid descriptor.
        let desc = unsafe { ffi::input(desc.cast_const()) }?;
        if out.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        ffi::check_stype(
            desc.stype,
            ze_structure_type_t::ZE_STRUCTURE_TYPE_PHYSICAL_MEM_DESC,
        )?;
        // Bit 0 is device memory (the default; "reserved" in API 1.4); bit 1, host
        // memory, exists from API 1.11.
        let on_host = match desc.flags {
            0 | ON_DEVICE => false,
            #[cfg(ze_api = "1.11")]
            ON_HOST => true,
            _ => return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ENUMERATION),
        };
        let pages = if on_host {
            // Host memory needs no device (Intel's conformance suite passes none); one
            // that is given must still be valid.
            if !device.is_null() {
                device::get(device)?;
            }
            // Host memory needs whole host pages only, as in Intel's driver.
            if desc.size == 0 || desc.size % crate::memory::host_page_size() != 0 {
                return Err(ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_SIZE);
            }
            let fd =
                host_pages(desc.size).ok_or(ze_result_t::ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY)?;
            Pages::Host { fd }
        } else {
            let device = device::get(device)?;
            if !context.has_device(&device) {
                return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
            }
            check_size(desc.size)?;
            let offset = device
                .arena
                .allocate(desc.size, PAGE)
                .ok_or(ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY)?;
            Pages::Device { device, offset }
        };
        let physical = Arc::new(Physical {
            pages,
            context: context.id(),
            size: desc.size,
            mapped: Arc::new(AtomicBool::new(false)),
        });
        let handle: ze_physical_mem_handle_t = PHYSICAL.insert(physical);
        // SAFETY: checked non-null; the caller passes a writable handle.
        unsafe { ffi::write(out, handle) }
    })
}

unsafe extern "C" fn physical_destroy(
    context: ze_context_handle_t,
    physical: ze_physical_mem_handle_t,
) -> ze_result_t {
    guard(|| {
        let context = context::get(context)?;
        let object = PHYSICAL.get(physical)?;
        if object.context != context.id() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
        }
        if object.mapped.load(Ordering::Acquire) {
            return Err(ze_result_t::ZE_RESULT_ERROR_HANDLE_OBJECT_IN_USE);
        }
        PHYSICAL.remove(physical).map(drop)
    })
}

unsafe extern "C" fn map(
    context: ze_context_handle_t,
    ptr: *const c_void,
    size: usize,
    physical: ze_physical_mem_handle_t,
    offset: usize,
    access: ze_memory_access_attribute_t,
) -> ze_result_t {
    guard(|| {
        let context = context::get(context)?;
        let object = PHYSICAL.get(physical)?;
        if ptr.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        check_access(access)?;
        check_size(size)?;
        check_aligned(ptr as usize)?;
        check_aligned(offset)?;
        if offset > object.size || object.size - offset < size || object.context != context.id() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
        }
        let mut table = reservations();
        let base = reservation_holding(&table, &context, ptr as usize, size)?;
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
        let driver_base = view.base + (ptr as usize - base);
        let pages = memory::MappedPages {
            device,
            driver_base,
            view: view.base,
            _owner: Arc::new((Arc::clone(&object), view)),
            in_use: Arc::clone(&object.mapped),
        };
        // Recorded first: that refuses a range over another mapping before any mapping
        // changes.
        if let Err(e) = memory::insert_mapping(&context, ptr as usize, size, pages) {
            give_back();
            return Err(e);
        }
        let (fd, at) = object.file(offset);
        let rw = libc::PROT_READ | libc::PROT_WRITE;
        // SAFETY: the targets are part of this reservation and of its driver view (the
        // range lies in the reservation, checked above) where no other mapping is (the
        // insert above refused overlaps); the source is the physical object's pages. Host
        // memory is mapped for the host too, at the reservation's own addresses.
        let mapped = unsafe {
            map_file(driver_base, size, rw, fd, at)
                && (exclusive || map_file(ptr as usize, size, rw, fd, at))
        };
        if !mapped {
            unmap_locked(ptr as usize, size);
            return Err(ze_result_t::ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY);
        }
        r.access = access;
        Ok(())
    })
}

unsafe extern "C" fn unmap(
    context: ze_context_handle_t,
    ptr: *const c_void,
    size: usize,
) -> ze_result_t {
    guard(|| {
        context::get(context)?;
        if ptr.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        check_size(size)?;
        check_aligned(ptr as usize)?;
        // Under the lock: no reservation (and so no view) goes away meanwhile.
        let _table = reservations();
        unmap_locked(ptr as usize, size);
        Ok(())
    })
}

unsafe extern "C" fn set_access(
    context: ze_context_handle_t,
    ptr: *const c_void,
    size: usize,
    access: ze_memory_access_attribute_t,
) -> ze_result_t {
    guard(|| {
        let context = context::get(context)?;
        if ptr.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        check_access(access)?;
        check_size(size)?;
        check_aligned(ptr as usize)?;
        let mut table = reservations();
        let base = reservation_holding(&table, &context, ptr as usize, size)?;
        if let Some(r) = table.get_mut(&base) {
            r.access = access;
        }
        Ok(())
    })
}

unsafe extern "C" fn get_access(
    context: ze_context_handle_t,
    ptr: *const c_void,
    size: usize,
    access: *mut ze_memory_access_attribute_t,
    out_size: *mut usize,
) -> ze_result_t {
    guard(|| {
        let context = context::get(context)?;
        if ptr.is_null() || access.is_null() || out_size.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        check_size(size)?;
        check_aligned(ptr as usize)?;
        let table = reservations();
        let base = reservation_holding(&table, &context, ptr as usize, size)?;
        let r = &table[&base];
        // SAFETY: both checked non-null; the caller passes writable pointers.
        unsafe {
            ffi::write(access, r.access)?;
            ffi::write(out_size, r.size)
        }
    })
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
            scratch(m.driver_base, m.size);
            if m.host {
                inaccessible(m.base, m.size);
            }
        }
    }
}

/// Frees the reservations and physical objects of a context being destroyed.
pub(crate) fn release_context(context: &Context) {
    let gone: Vec<(usize, usize)> = {
        let mut table = reservations();
        let bases: Vec<usize> = table
            .iter()
            .filter(|(_, r)| r.context == context.id())
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
    PHYSICAL.remove_where(|p| p.context == context.id());
}

/// Fills the virtual memory table.
pub(crate) fn fill_virtual_table(t: &mut ze_virtual_mem_dditable_t) {
    t.pfnReserve = Some(reserve);
    t.pfnFree = Some(free);
    t.pfnQueryPageSize = Some(query_page_size);
    t.pfnMap = Some(map);
    t.pfnUnmap = Some(unmap);
    t.pfnSetAccessAttribute = Some(set_access);
    t.pfnGetAccessAttribute = Some(get_access);
}

/// Fills the physical memory table.
pub(crate) fn fill_physical_table(t: &mut ze_physical_mem_dditable_t) {
    t.pfnCreate = Some(physical_create);
    t.pfnDestroy = Some(physical_destroy);
}
