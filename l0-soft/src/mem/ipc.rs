//! IPC memory handles, across processes, as plain bytes (the 64 bytes of
//! `ze_ipc_mem_handle_t`), the way Intel's driver makes them with pidfds.
//!
//! * **Export** (`zeMemGetIpcHandle`): the allocation gets pages of its own, a sealed
//!   memory file ([`Allocation::export`]), and a descriptor of them stays open in the
//!   exporting process while handles are out. The handle carries that descriptor's number
//!   in its first four bytes (where Intel's handles have it, so applications that pass the
//!   descriptor themselves over a Unix socket find it there), and the exporter's pid, the
//!   number again, the allocation's id, the pages' length, a random token (also in the
//!   memory file's name) and the memory type. The first export allows other processes
//!   of the user to take descriptors (`prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY)`, as
//!   Intel's driver does; without Yama the call fails with `EINVAL` and the kernel's
//!   ordinary ptrace rules apply: same user and dumpable, or `CAP_SYS_PTRACE`).
//! * **Open** in another process (`zeMemOpenIpcHandle`): `pidfd_open` + `pidfd_getfd`
//!   take the descriptor — or, when the first four bytes no longer equal the number's copy
//!   (the application received the descriptor itself and put its own number there, as
//!   Intel's driver then also expects), a duplicate of that descriptor of this process; it
//!   is accepted only when it is a memory file named as the handle
//!   says, size-sealed, of the handle's length — anything else (a wrong pid, an fd that is
//!   not this allocation's pages, an exporter that exited, a freed allocation, a handle put
//!   back) is `ZE_RESULT_ERROR_INVALID_ARGUMENT` and maps nothing. The pages are mapped as
//!   device memory of the importer's context, at an address of its own (`PROT_NONE` for the
//!   host, with a read/write driver alias), or as host memory for a host allocation's
//!   handle, and recorded in the memory table like a mapping of physical memory, so every
//!   command, `zeMemGetAllocProperties` and `zeMemGetAddressRange` reach it. The descriptor
//!   is closed again: the mapping keeps the pages alive, also after the exporter frees the
//!   allocation or exits. An opening counts as an allocation for fault injection.
//! * In the exporting process itself, opening returns the allocation's own address.
//! * `zeMemCloseIpcHandle` unmaps one opening; `zeMemPutIpcHandle` (API 1.6) puts one
//!   handle back and closes the exporter's descriptor with the last (Intel's driver answers
//!   success for any handle); `zeMemGetFileDescriptorFromIpcHandleExp` /
//!   `zeMemGetIpcHandleFromFileDescriptorExp` convert, in the exporter, between a handle and
//!   its descriptor.

use std::collections::BTreeMap;
use std::ffi::c_void;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use level_zero_sys::*;

use crate::arena::GRANULE;
use crate::context;
use crate::device::{self, Device};
use crate::ffi::{self, guard, ZeResult};
use crate::host_memory::map_anonymous;
use crate::memory::{
    self, export_name, find, find_by_id, Allocation, Exported, MappedPages, MemoryKind,
};
use crate::{config, fault, memfd};

const MAGIC: &[u8; 8] = b"zesoft\0\x02";

/// What a handle says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Handle {
    pid: u32,
    id: u64,
    exported: Exported,
    kind: MemoryKind,
    /// A descriptor of this process that the application put over the first bytes (it
    /// passed the exporter's descriptor itself, over a Unix socket), as with Intel's
    /// driver's handles; `None` while those bytes still name the exporter's descriptor.
    local_fd: Option<i32>,
}

fn kind_code(kind: MemoryKind) -> u8 {
    match kind {
        MemoryKind::Device => 1,
        MemoryKind::Host => 2,
        MemoryKind::Shared => 3,
    }
}

fn encode(handle: &Handle) -> ze_ipc_mem_handle_t {
    let mut bytes = [0u8; 64];
    let fd = handle.exported.fd.to_le_bytes();
    bytes[..4].copy_from_slice(&fd);
    bytes[8..16].copy_from_slice(MAGIC);
    bytes[16..20].copy_from_slice(&handle.pid.to_le_bytes());
    bytes[20..24].copy_from_slice(&fd);
    bytes[24..32].copy_from_slice(&handle.id.to_le_bytes());
    bytes[32..40].copy_from_slice(&(handle.exported.len as u64).to_le_bytes());
    bytes[40..48].copy_from_slice(&handle.exported.token.to_le_bytes());
    bytes[48] = kind_code(handle.kind);
    let mut out = ze_ipc_mem_handle_t::default();
    for (dst, src) in out.data.iter_mut().zip(bytes) {
        *dst = src as std::ffi::c_char;
    }
    out
}

/// Reads a handle; `ZE_RESULT_ERROR_INVALID_ARGUMENT` for bytes this driver never makes.
fn decode(handle: &ze_ipc_mem_handle_t) -> ZeResult<Handle> {
    let mut bytes = [0u8; 64];
    for (dst, &src) in bytes.iter_mut().zip(handle.data.iter()) {
        *dst = src as u8;
    }
    let invalid = ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT;
    let u32_at =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let u64_at = |at: usize| u64::from(u32_at(at)) | u64::from(u32_at(at + 4)) << 32;
    if bytes[8..16] != MAGIC[..] || u32_at(4) != 0 || bytes[49..].iter().any(|&b| b != 0) {
        return Err(invalid);
    }
    let kind = match bytes[48] {
        1 => MemoryKind::Device,
        2 => MemoryKind::Host,
        3 => MemoryKind::Shared,
        _ => return Err(invalid),
    };
    let len = usize::try_from(u64_at(32)).map_err(|_| invalid)?;
    if len == 0 || len % crate::host_memory::page_size() != 0 {
        return Err(invalid);
    }
    let (first, fd) = (u32_at(0) as i32, u32_at(20) as i32);
    Ok(Handle {
        pid: u32_at(16),
        id: u64_at(24),
        exported: Exported {
            fd,
            token: u64_at(40),
            len,
        },
        kind,
        local_fd: (first != fd).then_some(first),
    })
}

/// The handle of the live allocation `a` while handles are out.
fn handle_of(a: &Allocation, exported: Exported) -> ze_ipc_mem_handle_t {
    encode(&Handle {
        pid: std::process::id(),
        id: a.id,
        exported,
        kind: a.kind,
        local_fd: None,
    })
}

/// The allocation of this process a handle names, while its handles are out.
fn own_allocation(handle: &Handle) -> Option<Arc<Allocation>> {
    if handle.pid != std::process::id() {
        return None;
    }
    find_by_id(handle.id).filter(|a| a.exported() == Some(handle.exported) && a.kind == handle.kind)
}

/// `zeMemGetIpcHandle` and `zeMemGetIpcHandleWithProperties` once their extensions were
/// read.
///
/// # Safety
///
/// `out` is null or writable.
unsafe fn export_handle(
    context: ze_context_handle_t,
    ptr: *const c_void,
    out: *mut ze_ipc_mem_handle_t,
) -> ZeResult {
    let context = context::get(context)?;
    if ptr.is_null() || out.is_null() {
        return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
    }
    let a = find(ptr as usize)
        .filter(|a| a.context == context.id())
        .ok_or(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)?;
    memfd::allow_taking();
    let exported = a.export()?;
    // SAFETY: checked non-null; the caller passes a writable handle.
    unsafe { ffi::write(out, handle_of(&a, exported)) }
}

unsafe extern "C" fn get_ipc_handle(
    context: ze_context_handle_t,
    ptr: *const c_void,
    out: *mut ze_ipc_mem_handle_t,
) -> ze_result_t {
    // SAFETY: the caller passes a writable handle or null.
    guard(|| unsafe { export_handle(context, ptr, out) })
}

/// `zeMemGetIpcHandleWithProperties` (API 1.15): as `zeMemGetIpcHandle`; `pNext` may name
/// the handle type (`ze_ipc_mem_handle_type_ext_desc_t`): the default type only, as the
/// driver reports no fabric (`ZE_RESULT_ERROR_UNSUPPORTED_FEATURE` for a fabric-accessible
/// one); any other structure is `ZE_RESULT_ERROR_INVALID_ARGUMENT`, as in Intel's driver.
#[cfg(ze_api = "1.15")]
unsafe extern "C" fn get_ipc_handle_with_properties(
    context: ze_context_handle_t,
    ptr: *const c_void,
    next: *mut c_void,
    out: *mut ze_ipc_mem_handle_t,
) -> ze_result_t {
    guard(|| {
        if !next.is_null() {
            // SAFETY: a non-null pNext points to a structure that starts with its stype.
            let base = unsafe { &*(next as *const ze_base_desc_t) };
            ffi::check_stype(
                base.stype,
                ze_structure_type_t::ZE_STRUCTURE_TYPE_IPC_MEM_HANDLE_TYPE_EXT_DESC,
            )?;
            // SAFETY: a structure of this stype is a handle type descriptor.
            let desc = unsafe { &*(next as *const ze_ipc_mem_handle_type_ext_desc_t) };
            let fabric =
                ze_ipc_mem_handle_type_flag_t::ZE_IPC_MEM_HANDLE_TYPE_FLAG_FABRIC_ACCESSIBLE.0;
            let default = ze_ipc_mem_handle_type_flag_t::ZE_IPC_MEM_HANDLE_TYPE_FLAG_DEFAULT.0;
            ffi::check_flags(desc.typeFlags, default | fabric)?;
            if desc.typeFlags & fabric != 0 {
                return Err(ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_FEATURE);
            }
        }
        // SAFETY: the caller passes a writable handle or null.
        unsafe { export_handle(context, ptr, out) }
    })
}

/// Pages of another process's allocation, mapped in this one; unmapped when the opening
/// is closed and no command uses them any more.
struct ImportedPages {
    /// The address the application got.
    view: usize,
    /// The address the driver reads and writes (the view itself for host memory).
    alias: usize,
    len: usize,
}

impl Drop for ImportedPages {
    fn drop(&mut self) {
        // SAFETY: the mappings were made for this opening alone and are unmapped once.
        unsafe {
            libc::munmap(self.view as *mut c_void, self.len);
            if self.alias != self.view {
                libc::munmap(self.alias as *mut c_void, self.len);
            }
        }
    }
}

/// Maps the pages of `fd`: host-accessible for host memory, else `PROT_NONE` with a
/// read/write alias.
fn map_import(fd: BorrowedFd<'_>, len: usize, host: bool) -> ZeResult<ImportedPages> {
    let oom = ze_result_t::ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    let rw = libc::PROT_READ | libc::PROT_WRITE;
    let view = map_anonymous(0, len, GRANULE, libc::PROT_NONE).map_err(|_| oom)?;
    let mut pages = ImportedPages {
        view,
        alias: view,
        len,
    };
    let prot = if host { rw } else { libc::PROT_NONE };
    // SAFETY: the target is the fresh reservation made above.
    if !unsafe { memfd::map_fixed(view, len, prot, fd, 0) } {
        return Err(oom);
    }
    if !host {
        let alias = map_anonymous(0, len, GRANULE, libc::PROT_NONE).map_err(|_| oom)?;
        pages.alias = alias;
        // SAFETY: as above, a fresh reservation of our own.
        if !unsafe { memfd::map_fixed(alias, len, rw, fd, 0) } {
            return Err(oom);
        }
    }
    Ok(pages)
}

/// The descriptor a handle names: taken from its exporter, or a duplicate of the
/// importer's own when the application passed it; only the allocation's own pages are
/// accepted.
fn take_descriptor(handle: &Handle) -> ZeResult<OwnedFd> {
    let fd = match handle.local_fd {
        // The application's own descriptor stays its own: a duplicate is checked and used.
        Some(local) => memfd::duplicate(local),
        None => memfd::take_from(handle.pid, handle.exported.fd),
    };
    check_pages(
        fd.ok_or(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)?,
        handle,
    )
}

/// `fd` when it is the pages the handle names: a memory file of the handle's name,
/// size-sealed, of the handle's length.
fn check_pages(fd: OwnedFd, handle: &Handle) -> ZeResult<OwnedFd> {
    let expected = format!(
        "/memfd:{} (deleted)",
        export_name(handle.id, handle.exported.token)
    );
    let named = memfd::link_name(fd.as_fd()).is_ok_and(|p| p.as_os_str() == expected.as_str());
    let sealed = memfd::seals(fd.as_fd()).is_ok_and(|s| s & memfd::SIZE_SEALS == memfd::SIZE_SEALS);
    let sized = memfd::size(fd.as_fd()).is_ok_and(|s| s == handle.exported.len as u64);
    if named && sealed && sized {
        Ok(fd)
    } else {
        Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)
    }
}

/// Openings of other processes' handles in this process: view address → (length, whether
/// the mapping is still in the memory table).
static IMPORTS: Mutex<BTreeMap<usize, (usize, Arc<AtomicBool>)>> = Mutex::new(BTreeMap::new());

/// Opens another process's handle in `context` on `device`; returns the new address.
fn import(context: usize, device: &Arc<Device>, handle: &Handle) -> ZeResult<usize> {
    let config = config::get().map_err(|_| ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED)?;
    let host = handle.kind == MemoryKind::Host;
    if fault::allocation_fails(config) {
        return Err(handle.kind.out_of_memory());
    }
    let fd = take_descriptor(handle)?;
    let len = handle.exported.len;
    let pages = map_import(fd.as_fd(), len, host)?;
    drop(fd);
    let (base, alias) = (pages.view, pages.alias);
    let in_use = Arc::new(AtomicBool::new(true));
    let mapped = MappedPages {
        device: (!host).then(|| Arc::clone(device)),
        driver_base: alias,
        view: alias,
        _owner: Arc::new(pages),
        in_use: Arc::clone(&in_use),
    };
    memory::insert_mapping(context, base, len, mapped)?;
    IMPORTS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(base, (len, in_use));
    Ok(base)
}

unsafe extern "C" fn open_ipc_handle(
    context: ze_context_handle_t,
    device: ze_device_handle_t,
    handle: ze_ipc_mem_handle_t,
    flags: ze_ipc_memory_flags_t,
    out: *mut *mut c_void,
) -> ze_result_t {
    guard(|| {
        let context = context::get(context)?;
        let device = device::get(device)?;
        if out.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        ffi::check_flags(flags, 0x3)?;
        if !context.has_device(&device) {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
        }
        let handle = decode(&handle)?;
        let base = if handle.pid == std::process::id() {
            let a = own_allocation(&handle).ok_or(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)?;
            a.open_ipc();
            a.base
        } else {
            import(context.id(), &device, &handle)?
        };
        // SAFETY: checked non-null; the caller passes a writable pointer.
        unsafe { ffi::write(out, base as *mut c_void) }
    })
}

unsafe extern "C" fn close_ipc_handle(
    context: ze_context_handle_t,
    ptr: *const c_void,
) -> ze_result_t {
    guard(|| {
        context::get(context)?;
        if ptr.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        let imported = IMPORTS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(ptr as usize));
        if let Some((len, in_use)) = imported {
            // Gone already when its context was destroyed.
            if !in_use.load(Ordering::Acquire) {
                return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
            }
            memory::remove_mappings(ptr as usize, len);
            return Ok(());
        }
        let a = find(ptr as usize)
            .filter(|a| a.base == ptr as usize)
            .ok_or(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)?;
        if a.close_ipc() {
            Ok(())
        } else {
            Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)
        }
    })
}

#[cfg(ze_api = "1.6")]
unsafe extern "C" fn put_ipc_handle(
    context: ze_context_handle_t,
    handle: ze_ipc_mem_handle_t,
) -> ze_result_t {
    guard(|| {
        context::get(context)?;
        // Intel's driver answers success for a handle it does not know.
        if let Ok(handle) = decode(&handle) {
            if let Some(a) = own_allocation(&handle) {
                a.put_export(handle.exported.token);
            }
        }
        Ok(())
    })
}

#[cfg(ze_api = "1.6")]
unsafe extern "C" fn get_fd_from_ipc_handle(
    context: ze_context_handle_t,
    handle: ze_ipc_mem_handle_t,
    out: *mut u64,
) -> ze_result_t {
    guard(|| {
        context::get(context)?;
        if out.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        let handle = decode(&handle)?;
        own_allocation(&handle).ok_or(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)?;
        // SAFETY: checked non-null; the caller passes a writable value.
        unsafe { ffi::write(out, handle.exported.fd as u64) }
    })
}

#[cfg(ze_api = "1.6")]
unsafe extern "C" fn get_ipc_handle_from_fd(
    context: ze_context_handle_t,
    fd: u64,
    out: *mut ze_ipc_mem_handle_t,
) -> ze_result_t {
    guard(|| {
        context::get(context)?;
        if out.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        let has_fd = |a: &Allocation| a.exported().is_some_and(|e| e.fd as u64 == fd);
        let a = memory::find_where(has_fd).ok_or(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)?;
        let exported = a
            .exported()
            .ok_or(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)?;
        // SAFETY: checked non-null; the caller passes a writable handle.
        unsafe { ffi::write(out, handle_of(&a, exported)) }
    })
}

/// Fills the IPC entries of the memory table.
pub(crate) fn fill_table(t: &mut ze_mem_dditable_t) {
    t.pfnGetIpcHandle = Some(get_ipc_handle);
    t.pfnOpenIpcHandle = Some(open_ipc_handle);
    t.pfnCloseIpcHandle = Some(close_ipc_handle);
    #[cfg(ze_api = "1.6")]
    {
        t.pfnPutIpcHandle = Some(put_ipc_handle);
    }
    #[cfg(ze_api = "1.15")]
    {
        t.pfnGetIpcHandleWithProperties = Some(get_ipc_handle_with_properties);
    }
}

/// Fills the experimental memory table: the descriptor conversions.
#[cfg(ze_api = "1.6")]
pub(crate) fn fill_exp_table(t: &mut ze_mem_exp_dditable_t) {
    t.pfnGetIpcHandleFromFileDescriptorExp = Some(get_ipc_handle_from_fd);
    t.pfnGetFileDescriptorFromIpcHandleExp = Some(get_fd_from_ipc_handle);
}
