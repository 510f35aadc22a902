//! The memory a command reads or writes: an application pointer turned into one the
//! driver can use ([`MemRef`]), USM of a context ([`crate::memory`]) or the application's
//! own host memory ([`crate::host_memory`]), with the checks an append makes.

use std::ffi::c_void;

use level_zero_sys::*;

use crate::context::Context;
use crate::ffi::ZeResult;

/// A range of application memory a command reads or writes, as found when the command
/// was appended.
pub(crate) enum MemRef {
    /// Memory this driver did not allocate: used as it is.
    Host(usize),
    /// USM of a context; holding the region keeps the allocation mapped, so a command
    /// never touches unmapped memory even if the application frees it too early.
    Usm(crate::memory::Region),
}

impl MemRef {
    /// A pointer the driver can use for the range.
    pub(crate) fn driver_ptr(&self) -> *mut u8 {
        match self {
            MemRef::Host(a) => *a as *mut u8,
            MemRef::Usm(r) => r.driver_ptr(),
        }
    }

    /// Whether the memory is USM of this driver.
    pub(crate) fn is_usm(&self) -> bool {
        matches!(self, MemRef::Usm(..))
    }
}

/// As [`memory`], for a command of a list (or a source) in `context`.
///
/// The specification makes using memory of another context the application's error but
/// names no result code, and Intel's driver accepts USM of every context of the driver;
/// so does this driver by default. With `ZE_SOFT_STRICT_CONTEXTS=1` it refuses such memory
/// with `ZE_RESULT_ERROR_INVALID_ARGUMENT`, to catch the mistake in a client's tests.
pub(crate) fn memory_of(context: &Context, ptr: *const c_void, len: usize) -> ZeResult<MemRef> {
    let m = memory(ptr, len)?;
    if let MemRef::Usm(region) = &m {
        let strict = crate::config::get().is_ok_and(|c| c.strict_contexts);
        if strict && region.allocation().context != context.id() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
        }
    }
    Ok(m)
}

/// As [`memory_of`], for memory a command reads: host memory, already found mapped, must
/// also be readable.
pub(crate) fn source_of(context: &Context, ptr: *const c_void, len: usize) -> ZeResult<MemRef> {
    let m = memory_of(context, ptr, len)?;
    if let MemRef::Host(addr) = m {
        crate::host_memory::check_readable(addr, len)?;
    }
    Ok(m)
}

/// Classifies `[ptr, ptr + len)` for a command. USM of every context of the driver is
/// accepted, whatever the list's context, as Intel's driver accepts it.
///
/// # Errors
///
/// `ZE_RESULT_ERROR_INVALID_ARGUMENT` for freed device memory;
/// `ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY` for host memory that is not mapped (Intel's
/// driver answers so when it cannot pin a copy's memory); `ZE_RESULT_ERROR_INVALID_SIZE`
/// when the range leaves its allocation.
pub(crate) fn memory(ptr: *const c_void, len: usize) -> ZeResult<MemRef> {
    Ok(match crate::memory::lookup(ptr, len)? {
        Some(region) => MemRef::Usm(region),
        None => {
            crate::host_memory::check_mapped(ptr as usize, len)?;
            MemRef::Host(ptr as usize)
        }
    })
}
