//! Unified shared memory: the allocations of every context, found by any address inside
//! them.
//!
//! * **Device memory** comes from the device's [`Arena`](crate::arena::Arena): the returned
//!   address cannot be touched by the host (it faults); the driver reaches the same bytes
//!   through the arena's read/write alias.
//! * **Host and shared memory** is ordinary anonymous host memory (`mmap`), readable and
//!   writable by the host and by the driver at the same address.
//!
//! For the rest of the driver (copies, fills): [`lookup`] tells whether a range lies in one
//! allocation (of any context) and gives the address the driver may read and write; the
//! returned [`Region`] keeps the allocation's memory mapped while it is held, even if the
//! application frees it meanwhile.

use std::collections::BTreeMap;
use std::ffi::c_void;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use level_zero_sys::*;

use crate::arena::Arena;
use crate::device::{Device, DEVICE_PAGE_SIZE};
use crate::ffi::ZeResult;
use crate::host_memory::page_size as host_page_size;
use crate::{config, driver, fault, memfd};

/// The kind of a USM allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MemoryKind {
    /// `zeMemAllocHost`: host memory the devices can reach.
    Host,
    /// `zeMemAllocDevice`: device memory, not host-accessible.
    Device,
    /// `zeMemAllocShared`: memory both the host and the devices can reach.
    Shared,
}

impl MemoryKind {
    /// The Level Zero memory type.
    pub(crate) fn ze_type(self) -> ze_memory_type_t {
        match self {
            MemoryKind::Host => ze_memory_type_t::ZE_MEMORY_TYPE_HOST,
            MemoryKind::Device => ze_memory_type_t::ZE_MEMORY_TYPE_DEVICE,
            MemoryKind::Shared => ze_memory_type_t::ZE_MEMORY_TYPE_SHARED,
        }
    }

    /// The code returned when memory of this kind runs out.
    pub(crate) fn out_of_memory(self) -> ze_result_t {
        match self {
            MemoryKind::Host => ze_result_t::ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY,
            MemoryKind::Device | MemoryKind::Shared => {
                ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY
            }
        }
    }
}

/// Where an allocation's bytes live.
enum Backing {
    /// A range of a device's arena, at this offset.
    Arena { offset: usize },
    /// A private anonymous host mapping.
    Host { map: usize, map_len: usize },
    /// Physical memory mapped into a reservation of address space
    /// ([`virtual_memory`](crate::virtual_memory)).
    Mapped(MappedPages),
}

/// The pages under a mapping of physical memory into reserved address space, as
/// [`insert_mapping`] records them.
pub(crate) struct MappedPages {
    /// The device whose memory the pages are; `None` for host memory.
    pub device: Option<Arc<Device>>,
    /// The address the driver reads and writes for the mapping's first byte.
    pub driver_base: usize,
    /// The driver view the mapping is part of (its address): mappings of one view that
    /// touch are one range for the driver.
    pub view: usize,
    /// Keeps the pages alive while the mapping, or a command using it, lives.
    pub _owner: Arc<dyn std::any::Any + Send + Sync>,
    /// Set while the mapping is in the table; cleared when it is removed.
    pub in_use: Arc<AtomicBool>,
}

/// One live USM allocation.
pub(crate) struct Allocation {
    /// Unique id, never reused in the process (`ze_memory_allocation_properties_t.id`).
    pub id: u64,
    /// Host, device or shared.
    pub kind: MemoryKind,
    /// The address the application got.
    pub base: usize,
    /// The size the application asked for.
    pub size: usize,
    /// The owning context's handle value.
    pub context: usize,
    /// The device of device memory and of shared memory bound to a device.
    pub device: Option<Arc<Device>>,
    backing: Backing,
    /// Number of opened, not yet closed IPC handles of this allocation.
    ipc_opened: AtomicU32,
    /// What IPC exports of this allocation hold.
    export: Mutex<Export>,
}

/// The IPC export state of an allocation ([`Allocation::export`]).
#[derive(Default)]
pub(crate) struct Export {
    /// The allocation's own pages, a sealed memory file, from its first export on.
    pages: Option<OwnedFd>,
    /// The descriptor that handles name, open while handles are out (not put back).
    handle_fd: Option<OwnedFd>,
    /// Handles given out and not put back.
    handles: u32,
    /// The random value in the pages' name and in every handle.
    token: u64,
}

/// What a handle of an exported allocation carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Exported {
    /// The descriptor number, in this process, of the allocation's pages.
    pub fd: i32,
    /// The random value the pages' name carries.
    pub token: u64,
    /// The size of the pages (the allocation's size, rounded up to its pages).
    pub len: usize,
}

/// The name of the memory file of an exported allocation: what an importer checks.
pub(crate) fn export_name(id: u64, token: u64) -> String {
    format!("ze_soft_ipc:{id}:{token:016x}")
}

impl Allocation {
    /// The address the driver reads and writes for `base`.
    pub(crate) fn driver_base(&self) -> usize {
        match (&self.backing, &self.device) {
            (Backing::Arena { .. }, Some(device)) => device.arena.driver_address(self.base),
            (Backing::Mapped(pages), _) => pages.driver_base,
            _ => self.base,
        }
    }

    /// Counts one opening of an IPC handle of the allocation.
    pub(crate) fn open_ipc(&self) {
        self.ipc_opened.fetch_add(1, Ordering::AcqRel);
    }

    /// Closes one opening of an IPC handle; false when none is open.
    pub(crate) fn close_ipc(&self) -> bool {
        self.ipc_opened
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .is_ok()
    }

    /// Gives out one IPC handle of the allocation: on the first export, the allocation gets
    /// pages of its own (a sealed memory file, so that importers keep exactly these pages,
    /// never a range the arena hands out again); while handles are out, a descriptor of
    /// them stays open for importers to take (`pidfd_getfd`). Memory mapped from physical
    /// memory objects has no handles (`ZE_RESULT_ERROR_UNSUPPORTED_FEATURE`).
    pub(crate) fn export(&self) -> ZeResult<Exported> {
        let mut export = self.export.lock().unwrap_or_else(|e| e.into_inner());
        let oom = ze_result_t::ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        if let Backing::Mapped(_) = self.backing {
            return Err(ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_FEATURE);
        }
        if export.pages.is_none() {
            let mut token = [0u8; 8];
            // SAFETY: getrandom writes at most 8 bytes into the buffer.
            let n = unsafe { libc::getrandom(token.as_mut_ptr().cast(), 8, 0) };
            if n != 8 {
                return Err(oom);
            }
            let token = u64::from_ne_bytes(token);
            let name = std::ffi::CString::new(export_name(self.id, token)).map_err(|_| oom)?;
            export.pages = Some(self.detach(&name).ok_or(oom)?);
            export.token = token;
        }
        let Some(pages) = &export.pages else {
            return Err(oom);
        };
        if export.handle_fd.is_none() {
            export.handle_fd = Some(pages.try_clone().map_err(|_| oom)?);
        }
        let fd = export.handle_fd.as_ref().map_or(-1, |fd| fd.as_raw_fd());
        export.handles += 1;
        Ok(Exported {
            fd,
            token: export.token,
            len: self.pages_len(),
        })
    }

    /// The handle data of the allocation while handles are out.
    pub(crate) fn exported(&self) -> Option<Exported> {
        let export = self.export.lock().unwrap_or_else(|e| e.into_inner());
        let fd = export.handle_fd.as_ref()?.as_raw_fd();
        Some(Exported {
            fd,
            token: export.token,
            len: self.pages_len(),
        })
    }

    /// Puts one handle back (`zeMemPutIpcHandle`); the descriptor closes with the last.
    #[cfg(ze_api = "1.6")]
    pub(crate) fn put_export(&self, token: u64) {
        let mut export = self.export.lock().unwrap_or_else(|e| e.into_inner());
        if export.handle_fd.is_none() || export.token != token {
            return;
        }
        export.handles = export.handles.saturating_sub(1);
        if export.handles == 0 {
            export.handle_fd = None;
        }
    }

    /// Retires every handle (the allocation was freed): importers can open none any more.
    fn retire_exports(&self) {
        let mut export = self.export.lock().unwrap_or_else(|e| e.into_inner());
        export.handle_fd = None;
        export.handles = 0;
    }

    /// The length of the allocation's pages.
    fn pages_len(&self) -> usize {
        match self.backing {
            Backing::Host { map_len, .. } => map_len,
            _ => Arena::footprint(self.size).unwrap_or(self.size),
        }
    }

    /// Gives the allocation pages of its own, a sealed memory file named `name` holding
    /// its bytes, mapped where its pages were.
    fn detach(&self, name: &std::ffi::CStr) -> Option<OwnedFd> {
        match (&self.backing, &self.device) {
            (Backing::Arena { offset }, Some(device)) => {
                device.arena.detach(*offset, self.size, name).ok()
            }
            (Backing::Host { map, map_len }, _) => {
                let own = memfd::create(name, *map_len, true).ok()?;
                // SAFETY: the allocation's own read/write host mapping.
                unsafe { memfd::write_from(own.as_fd(), *map, *map_len).ok()? };
                memfd::seal_size(own.as_fd()).ok()?;
                let rw = libc::PROT_READ | libc::PROT_WRITE;
                // SAFETY: replaces the allocation's own mapping by the same bytes, shared;
                // accesses meanwhile are the application's race with its own export.
                unsafe { memfd::map_fixed(*map, *map_len, rw, own.as_fd(), 0) }.then_some(own)
            }
            _ => None,
        }
    }

    /// The page size reported for the allocation.
    pub(crate) fn page_size(&self) -> usize {
        match self.backing {
            Backing::Arena { .. } | Backing::Mapped(_) => DEVICE_PAGE_SIZE,
            Backing::Host { .. } => host_page_size(),
        }
    }
}

impl Drop for Allocation {
    fn drop(&mut self) {
        match self.backing {
            Backing::Arena { offset } => {
                let detached = self.export.get_mut().map_or(true, |e| e.pages.is_some());
                if let Some(device) = &self.device {
                    // Pages given to IPC exports stay with their importers; the arena's
                    // own come back first, else the range is never handed out again.
                    if !detached || device.arena.reattach(offset, self.size) {
                        device.arena.release(offset, self.size);
                    }
                }
            }
            Backing::Host { map, map_len } => {
                // SAFETY: the mapping was made for this allocation alone and is unmapped
                // once, after the last reference to the allocation went away.
                unsafe { libc::munmap(map as *mut c_void, map_len) };
            }
            // The pages go with the last holder of their owner.
            Backing::Mapped(_) => {}
        }
    }
}

/// Every live allocation, by base address.
static ALLOCATIONS: RwLock<BTreeMap<usize, Arc<Allocation>>> = RwLock::new(BTreeMap::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn read_table() -> std::sync::RwLockReadGuard<'static, BTreeMap<usize, Arc<Allocation>>> {
    // Updates are single inserts and removes: a poisoned lock still holds a sound map.
    ALLOCATIONS.read().unwrap_or_else(|e| e.into_inner())
}

fn write_table() -> std::sync::RwLockWriteGuard<'static, BTreeMap<usize, Arc<Allocation>>> {
    ALLOCATIONS.write().unwrap_or_else(|e| e.into_inner())
}

/// The first live allocation (of any context) for which `matches` holds.
#[cfg(ze_api = "1.6")]
pub(crate) fn find_where(matches: impl Fn(&Allocation) -> bool) -> Option<Arc<Allocation>> {
    read_table().values().find(|a| matches(a)).cloned()
}

/// The live allocation with this id (`Allocation::id`), of any context.
pub(crate) fn find_by_id(id: u64) -> Option<Arc<Allocation>> {
    read_table().values().find(|a| a.id == id).cloned()
}

/// The allocation (of any context) that contains `addr`.
pub(crate) fn find(addr: usize) -> Option<Arc<Allocation>> {
    let table = read_table();
    let (_, a) = table.range(..=addr).next_back()?;
    (addr - a.base < a.size).then(|| Arc::clone(a))
}

/// A range inside one allocation, as [`lookup`] found it. Holding it keeps the
/// allocation's memory mapped.
pub(crate) struct Region {
    allocation: Arc<Allocation>,
    offset: usize,
}

impl Region {
    /// The address the driver may read and write for the start of the range: the
    /// read/write alias for device memory, the pointer itself for host and shared memory.
    pub(crate) fn driver_ptr(&self) -> *mut u8 {
        (self.allocation.driver_base() + self.offset) as *mut u8
    }

    /// The allocation the range lies in.
    pub(crate) fn allocation(&self) -> &Arc<Allocation> {
        &self.allocation
    }
}

/// Where the range `ptr .. ptr + len` lies, for a copy, fill or residency request:
///
/// * `Ok(Some(region))`: inside one allocation of any context of the driver (Intel's
///   driver keeps one allocation table per driver, and commands of a context's lists use
///   memory of its other contexts too);
/// * `Ok(None)`: not USM memory at all: ordinary host memory the driver may use as is;
/// * `Err(ZE_RESULT_ERROR_INVALID_NULL_POINTER)`: `ptr` is null;
/// * `Err(ZE_RESULT_ERROR_INVALID_ARGUMENT)`: device memory that is not (or no longer)
///   allocated;
/// * `Err(ZE_RESULT_ERROR_INVALID_SIZE)`: starts in an allocation and runs past its end.
pub(crate) fn lookup(ptr: *const c_void, len: usize) -> ZeResult<Option<Region>> {
    if ptr.is_null() {
        return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
    }
    let addr = ptr as usize;
    let Some(allocation) = find(addr) else {
        let in_device_memory = driver::initialized()
            .map(|d| d.devices.iter().any(|dev| dev.arena.contains(addr)))
            .unwrap_or(false)
            || is_reserved(addr);
        return if in_device_memory {
            Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)
        } else {
            Ok(None)
        };
    };
    let offset = addr - allocation.base;
    if len > allocation.size - offset && !mappings_continue(&allocation, addr + len) {
        return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_SIZE);
    }
    Ok(Some(Region { allocation, offset }))
}

/// Whether mappings of `first`'s driver view follow it without a gap up to `end`, so that
/// a range from inside `first` to `end` is one range of the view (see
/// [`virtual_memory`](crate::virtual_memory)).
fn mappings_continue(first: &Allocation, end: usize) -> bool {
    let Backing::Mapped(pages) = &first.backing else {
        return false;
    };
    let table = read_table();
    let mut reached = first.base + first.size;
    for (&base, next) in table.range(reached..) {
        if reached >= end {
            break;
        }
        match &next.backing {
            Backing::Mapped(p) if p.view == pages.view && base == reached => {
                reached = base + next.size;
            }
            _ => return false,
        }
    }
    reached >= end
}

/// What the application asked for.
pub(crate) struct Request {
    pub kind: MemoryKind,
    pub size: usize,
    pub alignment: usize,
    pub device: Option<Arc<Device>>,
    /// The relaxed-allocation-limits extension allows sizes above `maxMemAllocSize`.
    pub relaxed: bool,
}

/// Checks a request against the limits and allocates in the context with handle value
/// `context`; returns the new base address.
pub(crate) fn allocate(context: usize, request: Request) -> ZeResult<usize> {
    let config = config::get().map_err(|_| ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED)?;
    let Request {
        kind,
        size,
        alignment,
        device,
        relaxed,
    } = request;
    if size == 0 {
        return Err(ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_SIZE);
    }
    // Any alignment, as in Intel's driver, which aligns its reservation up to it (rounded
    // to its page size): one that is not a power of two is rounded up to the next one
    // (the validation layer refuses such alignments, as the specification says); one the
    // address space cannot honour fails below as out of memory.
    let alignment = match alignment {
        0 => 0,
        a => a.checked_next_power_of_two().ok_or(kind.out_of_memory())?,
    };
    let max = device
        .as_ref()
        .map_or(config.max_alloc_size, |d| d.max_alloc_size);
    if size as u64 > max && !relaxed {
        return Err(ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_SIZE);
    }
    if fault::allocation_fails(config) {
        return Err(kind.out_of_memory());
    }
    let (base, backing) = match (kind, &device) {
        (MemoryKind::Device, Some(device)) => {
            let offset = device
                .arena
                .allocate(size, alignment)
                .ok_or(ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY)?;
            (device.arena.user_address(offset), Backing::Arena { offset })
        }
        (MemoryKind::Device, None) => return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_HANDLE),
        _ => map_host(size, alignment).ok_or(kind.out_of_memory())?,
    };
    let allocation = Arc::new(Allocation {
        id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        kind,
        base,
        size,
        context,
        device,
        backing,
        ipc_opened: AtomicU32::new(0),
        export: Mutex::default(),
    });
    write_table().insert(base, allocation);
    Ok(base)
}

/// Maps `size` bytes of zeroed host memory whose address is a multiple of `alignment`.
fn map_host(size: usize, alignment: usize) -> Option<(usize, Backing)> {
    let page = host_page_size();
    let len = size.checked_add(page - 1)? & !(page - 1);
    let rw = libc::PROT_READ | libc::PROT_WRITE;
    let start = crate::host_memory::map_anonymous(0, len, alignment, rw).ok()?;
    Some((
        start,
        Backing::Host {
            map: start,
            map_len: len,
        },
    ))
}

/// Frees the allocation whose base is `ptr`, whichever context of the driver it was made
/// in (Intel's driver keeps one table of allocations per driver and frees through any of
/// its contexts too); `ZE_RESULT_ERROR_INVALID_ARGUMENT` for any other pointer (unknown,
/// interior or already freed).
pub(crate) fn free(ptr: *mut c_void) -> ZeResult {
    if ptr.is_null() {
        return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
    }
    let mut table = write_table();
    // Mapped physical memory is unmapped with `zeVirtualMemUnmap`, never freed.
    if let Some(Backing::Mapped(_)) = table.get(&(ptr as usize)).map(|a| &a.backing) {
        return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
    }
    let removed = table.remove(&(ptr as usize));
    drop(table);
    if let Some(a) = &removed {
        a.retire_exports();
    }
    // The memory is released when the last `Region` holding it is dropped.
    removed
        .map(drop)
        .ok_or(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)
}

/// Ranges of reserved address space (`zeVirtualMemReserve`), base → size: device address
/// space where nothing is mapped unless the table says so.
static RESERVED: RwLock<BTreeMap<usize, usize>> = RwLock::new(BTreeMap::new());

/// Records `base .. base + size` as reserved address space.
pub(crate) fn reserve_range(base: usize, size: usize) {
    RESERVED
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(base, size);
}

/// Forgets the reserved range at `base`.
pub(crate) fn unreserve_range(base: usize) {
    RESERVED
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&base);
}

/// Whether `addr` lies in reserved address space.
fn is_reserved(addr: usize) -> bool {
    let reserved = RESERVED.read().unwrap_or_else(|e| e.into_inner());
    reserved
        .range(..=addr)
        .next_back()
        .is_some_and(|(&base, &size)| addr - base < size)
}

/// Records a mapping of physical memory at `base .. base + size` as device memory of
/// `context`; `ZE_RESULT_ERROR_INVALID_ARGUMENT` when the range overlaps an allocation or
/// mapping already there.
pub(crate) fn insert_mapping(
    context: usize,
    base: usize,
    size: usize,
    pages: MappedPages,
) -> ZeResult {
    let mut table = write_table();
    let end = base + size;
    let overlaps = table
        .range(..end)
        .next_back()
        .is_some_and(|(_, a)| a.base + a.size > base);
    if overlaps {
        return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
    }
    let allocation = Arc::new(Allocation {
        id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        kind: match pages.device {
            Some(_) => MemoryKind::Device,
            None => MemoryKind::Host,
        },
        base,
        size,
        context,
        device: pages.device.clone(),
        backing: Backing::Mapped(pages),
        ipc_opened: AtomicU32::new(0),
        export: Mutex::default(),
    });
    table.insert(base, allocation);
    Ok(())
}

/// A mapping [`remove_mappings`] removed.
pub(crate) struct Unmapped {
    /// Its address in the reservation.
    pub base: usize,
    /// Its size.
    pub size: usize,
    /// Its address in the driver view.
    pub driver_base: usize,
    /// Whether it was host memory (mapped for the host at `base` too).
    pub host: bool,
}

/// Removes every mapping that lies wholly inside `start .. start + size` (as Intel's
/// driver unmaps); their physical memory can be mapped again at once.
pub(crate) fn remove_mappings(start: usize, size: usize) -> Vec<Unmapped> {
    let end = start.saturating_add(size);
    let removed: Vec<Arc<Allocation>> = {
        let mut table = write_table();
        let bases: Vec<usize> = table
            .range(start..end)
            .filter(|(_, a)| matches!(a.backing, Backing::Mapped(_)) && a.base + a.size <= end)
            .map(|(&b, _)| b)
            .collect();
        bases.iter().filter_map(|b| table.remove(b)).collect()
    };
    release_mappings(&removed);
    removed
        .iter()
        .filter_map(|a| match &a.backing {
            Backing::Mapped(pages) => Some(Unmapped {
                base: a.base,
                size: a.size,
                driver_base: pages.driver_base,
                host: pages.device.is_none(),
            }),
            _ => None,
        })
        .collect()
}

/// Marks the physical memory of removed mappings as free to map again.
fn release_mappings(removed: &[Arc<Allocation>]) {
    for a in removed {
        if let Backing::Mapped(pages) = &a.backing {
            pages.in_use.store(false, Ordering::Release);
        }
    }
}

/// Frees every allocation of the context with handle value `context` (when it is
/// destroyed).
pub(crate) fn free_all(context: usize) {
    let removed: Vec<Arc<Allocation>> = {
        let mut table = write_table();
        let bases: Vec<usize> = table
            .values()
            .filter(|a| a.context == context)
            .map(|a| a.base)
            .collect();
        bases.iter().filter_map(|b| table.remove(b)).collect()
    };
    release_mappings(&removed);
    for a in &removed {
        a.retire_exports();
    }
    drop(removed);
}
