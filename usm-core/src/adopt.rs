//! Adopting USM memory allocated elsewhere (by another library, a SYCL runtime, a raw
//! `zeMemAlloc*` call): as owned memory with the caller's release
//! ([`UsmDevice::from_raw_parts`] and its siblings, cudarc's `upgrade_device_ptr`), or as a
//! borrowed view that is never freed ([`UsmView::adopt`], [`UsmViewMut::adopt`]).
//!
//! Every adoption is checked with the driver first (`zeMemGetAllocProperties`,
//! `zeMemGetAddressRange`, through [`Context::classify`]): the pointer must be USM memory
//! of the given context (not of another usm-core context), of the kind adopted (for owned
//! memory), aligned for the element type, and the elements must lie inside the
//! allocation.

use std::ffi::c_void;
use std::ptr::NonNull;

use bytemuck::Pod;

use crate::classify::PointerInfo;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::memory::{RawAllocation, UsmDevice, UsmHost, UsmShared, UsmView, UsmViewMut, ViewParts};
use crate::names::UsmKind;

/// Checks that `len` elements of `T` at `ptr` are USM memory of `context` (of `kind`, when
/// given); returns the driver's answer and the size in bytes.
fn check<T>(
    context: &Context,
    ptr: *const c_void,
    len: usize,
    kind: Option<UsmKind>,
) -> Result<(PointerInfo, usize)> {
    let addr = ptr as usize;
    let size = std::mem::size_of::<T>();
    let align = std::mem::align_of::<T>();
    let typed = |reason: String, bytes: usize| Error::TypedView {
        type_name: std::any::type_name::<T>(),
        addr,
        len: bytes,
        reason,
    };
    if size == 0 {
        return Err(typed("a zero-sized element type has no memory".into(), 0));
    }
    let info = context.classify(ptr)?;
    if let Some(expected) = kind {
        if info.kind != expected {
            return Err(Error::WrongKind {
                addr,
                expected,
                actual: info.kind,
            });
        }
    }
    let bytes = len.checked_mul(size);
    match bytes {
        Some(bytes) if bytes <= info.remaining() => {
            if addr % align != 0 {
                return Err(typed(
                    format!("the address is not aligned to {align} bytes"),
                    bytes,
                ));
            }
            Ok((info, bytes))
        }
        _ => Err(Error::OutOfBounds {
            offset: info.offset,
            len: bytes.unwrap_or(usize::MAX),
            size: info.size,
        }),
    }
}

/// Adopts `len` elements of `T` at `ptr` as owned memory of `kind`.
///
/// # Safety
///
/// As the public `from_raw_parts` functions.
#[track_caller]
unsafe fn adopt_owned<T>(
    context: &Context,
    ptr: *mut T,
    len: usize,
    kind: UsmKind,
    release: impl FnOnce(*mut c_void) + Send + 'static,
) -> Result<RawAllocation> {
    if len == 0 {
        return Err(Error::InvalidArgument {
            name: "len",
            reason: "adopted memory has at least one element".into(),
        });
    }
    let (info, bytes) = check::<T>(context, ptr.cast(), len, Some(kind))?;
    let Some(ptr) = NonNull::new(ptr.cast::<c_void>()) else {
        return Err(Error::NotUsm { addr: 0 });
    };
    // SAFETY: the range is USM memory of `context` of `kind` (checked just now); the
    // caller promises it is the value's alone until `release` is called.
    Ok(unsafe { RawAllocation::adopt(context, info.device, kind, ptr, bytes, Box::new(release)) })
}

/// The owned adoption every kind offers.
macro_rules! impl_adopt_owned {
    ($ty:ident, $kind:expr, $what:literal) => {
        impl<T: Pod> $ty<T> {
            #[doc = concat!("Adopts `len` elements of `T` at `ptr`, ", $what, " USM memory of `context` allocated")]
            /// elsewhere, as owned memory: on drop, `release(ptr)` is called (instead of
            /// `zeMemFree`) — cudarc's `upgrade_device_ptr`.
            ///
            /// Checked first with the driver: the pointer must be USM memory of `context`
            /// (an interior pointer is accepted), of this kind, aligned for `T`, with the
            /// `len` elements inside its allocation. The memory is not counted in the
            /// context's statistics or leak records (usm-core did not allocate it). On
            /// error, `release` is dropped without being called: the memory stays the
            /// caller's.
            ///
            /// # Errors
            ///
            /// [`Error::NotUsm`] and [`Error::ForeignContext`] (as
            /// [`Context::classify`]), [`Error::WrongKind`], [`Error::OutOfBounds`] (the
            /// elements leave the allocation, or their size overflows),
            /// [`Error::TypedView`] (misaligned for `T`, or a zero-sized `T`),
            /// [`Error::InvalidArgument`] for 0 elements.
            ///
            /// # Safety
            ///
            /// Until `release` is called, the `len` elements at `ptr` must stay allocated
            /// and be used by nothing else: no other code may read or write them (except
            /// through this value), and nothing else may free them. `release` must be safe
            /// to call once with `ptr`, from any thread, once this value is dropped.
            #[track_caller]
            pub unsafe fn from_raw_parts(
                context: &Context,
                ptr: *mut T,
                len: usize,
                release: impl FnOnce(*mut c_void) + Send + 'static,
            ) -> Result<Self> {
                // SAFETY: forwarded from the caller.
                let raw = unsafe { adopt_owned(context, ptr, len, $kind, release) }?;
                Ok($ty::from_raw_allocation(raw))
            }
        }
    };
}

impl_adopt_owned!(UsmDevice, UsmKind::Device, "device");
impl_adopt_owned!(UsmShared, UsmKind::Shared, "shared");
impl_adopt_owned!(UsmHost, UsmKind::Host, "host");

/// The parts of a view of `bytes` bytes at `ptr`, inside the allocation `info` describes.
fn view_parts(context: &Context, ptr: *const c_void, bytes: usize, info: PointerInfo) -> ViewParts {
    ViewParts {
        ptr: ptr.cast_mut(),
        len: bytes,
        kind: info.kind,
        context: context.dependent(),
        device: info.device,
        base: info.base,
        allocation_len: info.size,
    }
}

impl<'a, T: Pod> UsmView<'a, T> {
    /// A shared view of `len` elements of `T` at `ptr`, USM memory of any kind of
    /// `context` allocated elsewhere; never freed by usm-core. The typed counterpart of
    /// [`as_usm_memory`](crate::as_usm_memory).
    ///
    /// # Errors
    ///
    /// As [`UsmDevice::from_raw_parts`], without the kind check; 0 elements are allowed.
    ///
    /// # Safety
    ///
    /// For `'a`, the elements must stay allocated and nothing may write them.
    pub unsafe fn adopt(context: &Context, ptr: *const T, len: usize) -> Result<UsmView<'a, T>> {
        let (info, bytes) = check::<T>(context, ptr.cast(), len, None)?;
        Ok(UsmView::from_view_parts(view_parts(
            context,
            ptr.cast(),
            bytes,
            info,
        )))
    }
}

impl<'a, T: Pod> UsmViewMut<'a, T> {
    /// A mutable view of `len` elements of `T` at `ptr`, USM memory of any kind of
    /// `context` allocated elsewhere; never freed by usm-core.
    ///
    /// # Errors
    ///
    /// As [`UsmView::adopt`].
    ///
    /// # Safety
    ///
    /// For `'a`, the elements must stay allocated and nothing else may read or write them.
    pub unsafe fn adopt(context: &Context, ptr: *mut T, len: usize) -> Result<UsmViewMut<'a, T>> {
        let (info, bytes) = check::<T>(context, ptr.cast(), len, None)?;
        Ok(UsmViewMut::from_view_parts(view_parts(
            context,
            ptr.cast(),
            bytes,
            info,
        )))
    }
}
