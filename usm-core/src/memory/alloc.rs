//! The one place where USM memory is allocated and freed (and where memory allocated
//! elsewhere is adopted, with the release its adopter gave).

use std::ffi::c_void;
use std::panic::Location;
use std::ptr::NonNull;
use std::time::Instant;

use level_zero_sys::{
    ze_device_mem_alloc_desc_t, ze_host_mem_alloc_desc_t, ze_relaxed_allocation_limits_exp_desc_t,
    ze_relaxed_allocation_limits_exp_flag_t, ze_structure_type_t,
};

use super::traits::address_alignment;
use super::AllocOptions;
use crate::context::tracker::LiveAllocation;
use crate::context::Context;
use crate::diagnostics::report_at_exit_once;
use crate::error::{AllocationFailure, Error, Result, UsmAllocationError, ZeError};
use crate::names::{Device, UsmKind};
use crate::result;

/// An owned USM allocation: freed with `zeMemFree` on drop (or, when adopted, given to
/// its adopter's release). Holds a dependent handle of its context, so the context is
/// destroyed only after the memory is freed.
pub(crate) struct RawAllocation {
    ptr: NonNull<c_void>,
    len: usize,
    kind: UsmKind,
    alignment: usize,
    context: Context,
    device: Option<Device>,
    location: &'static Location<'static>,
    origin: Origin,
}

/// The release an adopter of foreign memory gave: called once, with the adopted pointer.
pub(crate) type Release = Box<dyn FnOnce(*mut c_void) + Send>;

/// Where an allocation came from, and so how it is released.
enum Origin {
    /// Allocated here; the context's tracker keeps its record in this slot.
    Allocated { slot: usize },
    /// Adopted (not in the tracker: usm-core did not allocate it); released by the
    /// closure (behind a mutex only so that the allocation stays `Sync`: it is taken once,
    /// in `Drop`). Boxed: adoption is rare, and every allocation moves this enum.
    Adopted {
        release: Box<std::sync::Mutex<Option<Release>>>,
    },
}

// SAFETY: the allocation is plain memory in the unified address space, reachable from any
// host thread; zeMemFree is free-threaded. Owning it moves nothing thread-bound.
unsafe impl Send for RawAllocation {}
// SAFETY: `&RawAllocation` only reads the fields; access to the bytes is governed by the
// owning wrapper's borrows (`&` for reads, `&mut` for writes).
unsafe impl Sync for RawAllocation {}

impl RawAllocation {
    /// Allocates `len` bytes of `kind`; `device` is required for device and shared memory.
    #[track_caller]
    pub(crate) fn new(
        context: &Context,
        device: Option<&Device>,
        kind: UsmKind,
        len: usize,
        options: &AllocOptions,
    ) -> Result<Self> {
        Self::allocate(context, device, kind, len, options, ("u8", 1), |raw| raw)
    }

    /// Allocates `len` bytes of `kind` at an address aligned for its elements (`element`:
    /// their type's name and alignment, a power of two; a driver that ignores the
    /// alignment asked for is an error) and returns `wrap(allocation)`.
    ///
    /// The typed constructors pass their own constructor as `wrap`, so that the new
    /// value is built once, where it is returned, instead of being moved out of one
    /// `Result` into the next (a measurable part of a small allocation's cost).
    #[track_caller]
    fn allocate<W>(
        context: &Context,
        device: Option<&Device>,
        kind: UsmKind,
        len: usize,
        options: &AllocOptions,
        element: (&'static str, usize),
        wrap: impl FnOnce(RawAllocation) -> W,
    ) -> Result<W> {
        let location = Location::caller();
        let alignment = options.get_alignment();
        let fail = |reason: AllocationFailure| -> Error {
            allocation_failed(kind, len, alignment, device, location, reason)
        };
        if len == 0 {
            return Err(fail(AllocationFailure::ZeroSize));
        }
        if alignment != 0 && !alignment.is_power_of_two() {
            return Err(fail(AllocationFailure::AlignmentNotPowerOfTwo));
        }
        if len > isize::MAX as usize {
            // Host slices of the memory would be unsound; no driver could back it anyway.
            return Err(fail(AllocationFailure::LargerThanAddressSpace));
        }
        if let Some(d) = device {
            if !context.contains_device(d) {
                return Err(Error::DeviceNotInContext {
                    device: d.addr(),
                    context: context.raw() as usize,
                });
            }
        }
        let relaxed_limits = options.get_relaxed_limits();
        if relaxed_limits && !context.supports_relaxed_limits()? {
            return Err(fail(AllocationFailure::RelaxedLimitsUnsupported));
        }
        let api = context.api();
        let relaxed = relaxed_limits.then_some(ze_relaxed_allocation_limits_exp_desc_t {
            stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_RELAXED_ALLOCATION_LIMITS_EXP_DESC,
            pNext: std::ptr::null(),
            flags: ze_relaxed_allocation_limits_exp_flag_t::ZE_RELAXED_ALLOCATION_LIMITS_EXP_FLAG_MAX_SIZE.0,
        });
        // The specification chains the relaxed-limits descriptor to the device descriptor of
        // device and shared allocations, and to the host descriptor of host allocations.
        let chained: *const c_void = relaxed.as_ref().map_or(std::ptr::null(), |r| {
            (r as *const ze_relaxed_allocation_limits_exp_desc_t).cast()
        });
        let device_desc = |next| ze_device_mem_alloc_desc_t {
            stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC,
            pNext: next,
            flags: options.device_flags(),
            ordinal: options.ordinal(),
        };
        let host_desc = |next| ze_host_mem_alloc_desc_t {
            stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC,
            pNext: next,
            flags: options.host_flags(kind == UsmKind::Shared),
        };
        let device_handle = device.map_or(std::ptr::null_mut(), Device::raw);
        let debug = debug_enabled!("usm_core::alloc");
        let start = debug.then(Instant::now);
        let allocated = match kind {
            // SAFETY: (all three) valid context and device handles (see `Context`,
            // `Device`), typed descriptors (and the chained relaxed-limits descriptor, which
            // lives until the end of this function) living across the call; size and
            // alignment were checked above.
            UsmKind::Device => unsafe {
                result::memory::alloc_device(
                    api,
                    context.raw(),
                    &device_desc(chained),
                    len,
                    alignment,
                    device_handle,
                )
            },
            // SAFETY: as above.
            UsmKind::Shared => unsafe {
                result::memory::alloc_shared(
                    api,
                    context.raw(),
                    &device_desc(chained),
                    &host_desc(std::ptr::null()),
                    len,
                    alignment,
                    device_handle,
                )
            },
            // SAFETY: as above.
            UsmKind::Host => unsafe {
                result::memory::alloc_host(api, context.raw(), &host_desc(chained), len, alignment)
            },
        };
        let ptr = match allocated {
            Ok(ptr) => ptr,
            Err(Error::Ze(e)) => return Err(fail(AllocationFailure::Driver(e))),
            Err(other) => return Err(other),
        };
        let Some(ptr) = NonNull::new(ptr) else {
            let call = match kind {
                UsmKind::Device => "zeMemAllocDevice",
                UsmKind::Shared => "zeMemAllocShared",
                UsmKind::Host => "zeMemAllocHost",
            };
            let e = ZeError::new(
                level_zero_sys::ze_result_t::ZE_RESULT_ERROR_UNKNOWN,
                call,
                format!(
                    "hContext={:p}, size={len}, alignment={alignment} (returned success with \
                     a null pointer)",
                    context.raw()
                ),
            );
            return Err(fail(AllocationFailure::Driver(e)));
        };
        let addr = ptr.as_ptr() as usize;
        // The alignment the memory has: the one asked for, or the address's when the
        // driver chose. Records, events and `UsmMemory::alignment` all report this one.
        let alignment = if alignment == 0 {
            address_alignment(addr)
        } else {
            alignment
        };
        let slot = context.tracker().on_alloc(LiveAllocation {
            context: context.raw() as usize,
            addr,
            kind,
            size: len,
            alignment,
            location,
        });
        report_at_exit_once();
        // The owning value exists before anything that may call the user's code (a
        // tracing subscriber, which may panic): unwinding from here frees the memory.
        let allocation = RawAllocation {
            ptr,
            len,
            kind,
            alignment,
            context: context.dependent(),
            device: device.cloned(),
            location,
            origin: Origin::Allocated { slot },
        };
        if let Some(start) = start {
            allocation.report_alloc(start);
        }
        if addr % element.1 != 0 {
            return Err(misaligned_elements(allocation, element));
        }
        Ok(wrap(allocation))
    }

    /// Allocates `count` elements of `T`: `count * size_of::<T>()` bytes (a product that
    /// overflows is refused as larger than the address space), aligned at least for `T`,
    /// and returns `wrap(allocation)` (see [`RawAllocation::allocate`]).
    #[track_caller]
    pub(crate) fn new_elements<T, W>(
        context: &Context,
        device: Option<&Device>,
        kind: UsmKind,
        count: usize,
        options: &AllocOptions,
        wrap: impl FnOnce(RawAllocation) -> W,
    ) -> Result<W> {
        let requested = options.get_alignment();
        let align = std::mem::align_of::<T>();
        let options = if align > 1 && (requested == 0 || requested.is_power_of_two()) {
            options.alignment(requested.max(align))
        } else {
            *options
        };
        match count.checked_mul(std::mem::size_of::<T>()) {
            Some(bytes) => {
                let element = (std::any::type_name::<T>(), align);
                Self::allocate(context, device, kind, bytes, &options, element, wrap)
            }
            None => Err(allocation_failed(
                kind,
                usize::MAX,
                options.get_alignment(),
                device,
                Location::caller(),
                AllocationFailure::LargerThanAddressSpace,
            )),
        }
    }

    /// Takes ownership of `len` bytes at `ptr`, foreign memory of `kind` in `context`
    /// (classified by the caller), to be released by `release` when dropped.
    ///
    /// # Safety
    ///
    /// The range is USM memory of `context` that nothing else uses or frees while the
    /// value lives, and `release` may be called with `ptr` once it is no longer used.
    #[track_caller]
    pub(crate) unsafe fn adopt(
        context: &Context,
        device: Option<Device>,
        kind: UsmKind,
        ptr: NonNull<c_void>,
        len: usize,
        release: Release,
    ) -> Self {
        RawAllocation {
            ptr,
            len,
            kind,
            alignment: address_alignment(ptr.as_ptr() as usize),
            context: context.dependent(),
            device,
            location: Location::caller(),
            origin: Origin::Adopted {
                release: Box::new(std::sync::Mutex::new(Some(release))),
            },
        }
    }

    /// The `debug` event of a new allocation. Out of line: the untraced path stays short.
    #[cold]
    #[inline(never)]
    fn report_alloc(&self, start: Instant) {
        tracing::debug!(
            target: "usm_core::alloc",
            kind = %self.kind,
            bytes = self.len,
            alignment = self.alignment,
            ptr = format_args!("{:#x}", self.ptr.as_ptr() as usize),
            device = ?self.device,
            elapsed_ns = start.elapsed().as_nanos() as u64,
            at = %self.location,
            "usm alloc"
        );
    }

    /// The `debug` event of a free. Out of line, as [`RawAllocation::report_alloc`].
    #[cold]
    #[inline(never)]
    fn report_free(&self, start: Instant) {
        tracing::debug!(
            target: "usm_core::alloc",
            kind = %self.kind,
            bytes = self.len,
            alignment = self.alignment,
            ptr = format_args!("{:#x}", self.ptr.as_ptr() as usize),
            device = ?self.device,
            elapsed_ns = start.elapsed().as_nanos() as u64,
            allocated_at = %self.location,
            "usm free"
        );
    }

    pub(crate) fn ptr(&self) -> *mut c_void {
        self.ptr.as_ptr()
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn kind(&self) -> UsmKind {
        self.kind
    }

    pub(crate) fn alignment(&self) -> usize {
        self.alignment
    }

    pub(crate) fn context(&self) -> &Context {
        &self.context
    }

    pub(crate) fn device(&self) -> Option<&Device> {
        self.device.as_ref()
    }

    /// The bytes, for host-accessible kinds.
    ///
    /// # Safety
    ///
    /// `self.kind` must be host-accessible, and no `&mut` to the bytes may be alive.
    pub(crate) unsafe fn bytes(&self) -> &[u8] {
        // SAFETY: the caller guarantees host access; the pointer covers `len` bytes that
        // the driver mapped readable and that live as long as `self`. Bytes from the driver
        // are treated as initialised, as memory from mmap is.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().cast::<u8>(), self.len) }
    }

    /// The bytes, mutably, for host-accessible kinds.
    ///
    /// # Safety
    ///
    /// As [`RawAllocation::bytes`], and no other reference to the bytes may be alive.
    pub(crate) unsafe fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`; `&mut self` makes this the only reference.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr().cast::<u8>(), self.len) }
    }
}

/// The error of an allocation whose address is not aligned for its elements (a driver
/// that ignored the alignment asked for: host slices of the elements would be unsound).
/// Dropping `allocation` frees the memory.
#[cold]
#[inline(never)]
fn misaligned_elements(
    allocation: RawAllocation,
    (type_name, align): (&'static str, usize),
) -> Error {
    Error::TypedView {
        type_name,
        addr: allocation.ptr() as usize,
        len: allocation.len(),
        reason: format!("the driver returned an address not aligned to {align} bytes"),
    }
}

/// Builds (and reports at `debug`) the error of a failed allocation. Kept out of line: the
/// allocation path only pays for it when it fails.
#[cold]
#[inline(never)]
fn allocation_failed(
    kind: UsmKind,
    len: usize,
    alignment: usize,
    device: Option<&Device>,
    location: &'static Location<'static>,
    reason: AllocationFailure,
) -> Error {
    // Only a refusal by the driver is worth another query for the device's name; input
    // errors are reported without touching the driver.
    let device_name = match reason {
        AllocationFailure::Driver(_) => device.and_then(|d| d.properties().ok()),
        _ => None,
    };
    let error = UsmAllocationError {
        kind,
        size: len,
        alignment,
        device: device.cloned(),
        device_name: device_name.map(|p| p.name),
        reason,
    };
    tracing::debug!(
        target: "usm_core::alloc",
        %kind,
        bytes = len,
        alignment,
        device = ?device,
        code = error.code().map(|c| c.name()),
        at = %location,
        error = %error,
        "usm alloc failed"
    );
    Error::Allocation(error)
}

impl Drop for RawAllocation {
    fn drop(&mut self) {
        let slot = match &mut self.origin {
            Origin::Allocated { slot } => *slot,
            Origin::Adopted { release } => {
                let release = release
                    .get_mut()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .take();
                if let Some(release) = release {
                    release(self.ptr.as_ptr());
                }
                return;
            }
        };
        let addr = self.ptr.as_ptr() as usize;
        let debug = debug_enabled!("usm_core::alloc");
        let start = debug.then(Instant::now);
        // Forget the allocation before the driver frees it: once freed, the driver may
        // hand the same address to another thread's allocation at once, and classification
        // must never see this (stale) owner for it.
        self.context.tracker().on_free(slot);
        // SAFETY: the pointer came from a zeMemAlloc* call in this context, which is alive
        // (we hold a handle); no work uses it (work holds the memory borrowed or owned);
        // it is freed exactly once, here.
        let outcome = unsafe {
            result::memory::free(self.context.api(), self.context.raw(), self.ptr.as_ptr())
        };
        match outcome {
            Ok(()) => {
                if let Some(start) = start {
                    self.report_free(start);
                }
            }
            Err(e) => {
                tracing::error!(
                    target: "usm_core::alloc",
                    kind = %self.kind,
                    bytes = self.len,
                    ptr = format_args!("{addr:#x}"),
                    allocated_at = %self.location,
                    error = %e,
                    "usm free failed"
                );
                self.context.record_drop_error(e);
            }
        }
    }
}
