//! Pointer classification: is an address USM memory of a context, which kind, which device,
//! which allocation, and a non-owning view of it (`as_usm_memory`).

use std::ffi::c_void;

use level_zero_sys::ze_memory_type_t;

use crate::context::{other_owner, Context};
use crate::error::{Error, Result};
use crate::memory::UsmView;
use crate::names::Device;
use crate::names::UsmKind;
use crate::result;

/// What the driver says about a USM pointer (`zeMemGetAllocProperties` and
/// `zeMemGetAddressRange`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PointerInfo {
    /// The kind of the allocation.
    pub kind: UsmKind,
    /// The device it is bound to (`None` for host memory).
    pub device: Option<Device>,
    /// The allocation's start address.
    pub base: usize,
    /// The allocation's size in bytes.
    pub size: usize,
    /// The offset of the asked address from `base`.
    pub offset: usize,
    /// The driver's identifier of the allocation.
    pub id: u64,
    /// The page size used for the allocation.
    pub page_size: u64,
}

impl PointerInfo {
    /// The allocation's start address as a pointer.
    pub fn base_ptr(&self) -> *mut c_void {
        self.base as *mut c_void
    }

    /// Bytes from the asked address to the end of the allocation.
    pub fn remaining(&self) -> usize {
        self.size - self.offset
    }
}

impl Context {
    /// Classifies `ptr`: its USM kind, device, allocation base and size, and offset.
    ///
    /// Works for interior pointers and for memory not allocated through usm-core.
    ///
    /// Cost: two driver queries, plus a scan of the live allocations of the *other*
    /// usm-core contexts of the process that have any (none in the common case of one
    /// context), to tell foreign memory apart.
    ///
    /// # Errors
    ///
    /// [`Error::NotUsm`] for host stack/heap memory, null and unknown addresses;
    /// [`Error::ForeignContext`] when the address belongs to live USM memory that usm-core
    /// allocated in another context (whether or not the driver answers for it in this one;
    /// memory of another context allocated around usm-core is reported as the driver sees
    /// it); the code of a failing query.
    // The driver only looks the address up in its tables; it never reads through it.
    #[allow(clippy::not_unsafe_ptr_arg_deref)]
    pub fn classify(&self, ptr: *const c_void) -> Result<PointerInfo> {
        let addr = ptr as usize;
        if ptr.is_null() {
            return Err(Error::NotUsm { addr });
        }
        let api = self.api();
        // SAFETY: valid context handle; the pointer is only looked up, never dereferenced.
        let (props, device) = unsafe { result::memory::alloc_properties(api, self.raw(), ptr) }?;
        let kind = match props.type_ {
            ze_memory_type_t::ZE_MEMORY_TYPE_DEVICE => UsmKind::Device,
            ze_memory_type_t::ZE_MEMORY_TYPE_SHARED => UsmKind::Shared,
            ze_memory_type_t::ZE_MEMORY_TYPE_HOST => UsmKind::Host,
            _ => return Err(self.not_ours(addr)),
        };
        // SAFETY: as above.
        let (base, size) = unsafe { result::memory::address_range(api, self.raw(), ptr) }?;
        if base > addr || addr - base >= size.max(1) {
            return Err(Error::NotUsm { addr });
        }
        // The specification says memory unrelated to the context is reported as UNKNOWN,
        // but drivers may answer for the allocations of every context of the driver (the
        // software driver does, at the time of writing): an allocation usm-core made in
        // another context is foreign whatever the driver says.
        if let Some(other) = other_owner(self.raw() as usize, |t| t.starting_at(base)) {
            return Err(Error::ForeignContext {
                addr,
                this: self.raw() as usize,
                other,
            });
        }
        let device = (!device.is_null()).then(|| {
            self.devices()
                .iter()
                .find(|d| d.raw() == device)
                .cloned()
                // SAFETY: the driver named this handle as the allocation's device, so it is
                // a device of the context's driver.
                .unwrap_or_else(|| unsafe { Device::from_raw(device, *self.driver()) })
        });
        Ok(PointerInfo {
            kind,
            device,
            base,
            size,
            offset: addr - base,
            id: props.id,
            page_size: props.pageSize,
        })
    }

    /// The error for an address the driver does not know in this context.
    fn not_ours(&self, addr: usize) -> Error {
        match other_owner(self.raw() as usize, |t| t.containing(addr)) {
            Some(other) => Error::ForeignContext {
                addr,
                this: self.raw() as usize,
                other,
            },
            None => Error::NotUsm { addr },
        }
    }
}

/// Wraps `len` bytes at `ptr` (to the end of its allocation when `None`) as a non-owning
/// view, after checking that they are USM memory of `context`.
///
/// ```no_run
/// use usm_core::{as_usm_memory, Context, UsmKind, UsmMemory, UsmShared};
/// let (context, device) = Context::default_gpu()?;
/// let memory = UsmShared::new(&context, &device, 64)?;
/// let interior = memory.as_slice()[16..].as_ptr().cast();
/// // SAFETY: `memory` outlives the view and is not written while it lives.
/// let view = unsafe { as_usm_memory(&context, interior, Some(8))? };
/// assert_eq!((view.kind(), view.offset(), view.len()), (UsmKind::Shared, 16, 8));
/// # Ok::<(), usm_core::Error>(())
/// ```
///
/// # Errors
///
/// As [`Context::classify`], and [`Error::OutOfBounds`] when `len` bytes do not fit in the
/// allocation.
///
/// # Safety
///
/// The allocation must stay alive, and the viewed bytes must not be written through other
/// paths, for as long as the view (lifetime `'a`) is used.
pub unsafe fn as_usm_memory<'a>(
    context: &Context,
    ptr: *const c_void,
    len: Option<usize>,
) -> Result<UsmView<'a>> {
    let info = context.classify(ptr)?;
    let len = len.unwrap_or(info.remaining());
    if len > info.remaining() {
        return Err(Error::OutOfBounds {
            offset: info.offset,
            len,
            size: info.size,
        });
    }
    // SAFETY: the range lies inside a live USM allocation of `context` (just checked); the
    // caller promises it stays so for 'a.
    Ok(unsafe {
        UsmView::from_parts(
            ptr as usize,
            len,
            info.kind,
            context,
            info.device,
            info.base,
            info.size,
        )
    })
}
