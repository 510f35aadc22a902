//! Taking a dict: resolve its context, check the memory, and view exactly the bytes the
//! array touches.

use std::ffi::c_void;

use super::error::SuaiError;
use super::layout::ArrayLayout;
use super::syclobj::SyclObj;
use super::SuaiDict;
use crate::context::Context;
use crate::error::Error;
use crate::memory::{UsmKind, UsmMemory, UsmView};
use crate::names::Device;
use crate::queue::Queue;
use crate::transfer::UsmSource;

/// An array received through the interface: a non-owning [`UsmView`] of exactly the bytes
/// the array touches (from its lowest to its highest byte), with the array's layout
/// relative to the start of that view.
///
/// Works wherever usm-core takes memory ([`UsmMemory`]) or reads it ([`UsmSource`]: a
/// [`Queue`](crate::Queue) copies from it); [`as_view`](Self::as_view) gives the view
/// itself for host reads.
#[derive(Debug, Clone)]
pub struct SuaiView<'a> {
    pub(super) view: UsmView<'a>,
    pub(super) layout: ArrayLayout,
    pub(super) read_only: bool,
    pub(super) named_device: Option<Device>,
}

impl<'a> SuaiView<'a> {
    /// The view of the touched bytes.
    pub fn as_view(&self) -> &UsmView<'a> {
        &self.view
    }

    /// The view of the touched bytes, taken out.
    pub fn into_view(self) -> UsmView<'a> {
        self.view
    }

    /// The array's layout relative to the start of the view: the dict's type, shape and
    /// strides, and the offset in elements of element `[0, ..., 0]` from the view's first
    /// byte.
    pub fn layout(&self) -> &ArrayLayout {
        &self.layout
    }

    /// Whether the producer marked the data read-only.
    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// The device the dict's `syclobj` named, if any.
    pub fn named_device(&self) -> Option<&Device> {
        self.named_device.as_ref()
    }

    /// A queue for work on the array, as dpctl makes one for a consumed dict: on the
    /// device `syclobj` named, else the device the memory is bound to, else (host memory
    /// named without a device) the context's first device.
    ///
    /// # Errors
    ///
    /// As [`Queue::new`].
    pub fn queue(&self) -> Result<Queue, SuaiError> {
        let context = self.view.context();
        let device = self
            .named_device
            .as_ref()
            .or(self.view.device())
            .or(context.devices().first())
            .ok_or(Error::NoDevice {
                what: "device in the context",
            })?;
        Ok(Queue::new(context, device)?)
    }

    /// The byte offset in the view of the element at `index`, or `None` when the index has
    /// another length than the shape or lies outside it.
    pub fn byte_offset(&self, index: &[usize]) -> Option<usize> {
        let strides = self.layout.strides_or_contiguous().ok()?;
        if index.len() != self.layout.shape.len() {
            return None;
        }
        let mut element = self.layout.offset as i128;
        for ((&i, &extent), &stride) in index.iter().zip(&self.layout.shape).zip(&strides) {
            if i >= extent {
                return None;
            }
            element += i as i128 * stride as i128;
        }
        usize::try_from(element * self.layout.typestr.itemsize() as i128).ok()
    }

    /// The dict of this array again (pointer: the view's start), with `syclobj` naming the
    /// context and the device the original dict named.
    ///
    /// # Errors
    ///
    /// As [`SuaiDict::new`] (never for a view made by consuming a dict).
    pub fn to_dict(&self) -> Result<SuaiDict, SuaiError> {
        SuaiDict::new(
            self.view.as_ptr() as usize,
            self.read_only,
            self.layout.clone(),
            SyclObj::new(self.view.context(), self.named_device.as_ref()),
        )
    }
}

// SAFETY: forwards to the inner view, made by `consume_in` over a range the driver confirmed
// is inside one live allocation of the context; the caller of that unsafe function vouched
// for the allocation's lifetime.
unsafe impl UsmMemory for SuaiView<'_> {
    fn as_ptr(&self) -> *mut c_void {
        self.view.as_ptr()
    }
    fn len(&self) -> usize {
        self.view.len()
    }
    fn kind(&self) -> UsmKind {
        self.view.kind()
    }
    fn alignment(&self) -> usize {
        self.view.alignment()
    }
    fn context(&self) -> &Context {
        self.view.context()
    }
    fn device(&self) -> Option<&Device> {
        self.view.device()
    }
}

// SAFETY: the view was made by `SuaiDict::consume_in`, whose caller promised that the bytes
// stay allocated and unwritten by others for 'a; the value offers only reads.
unsafe impl UsmSource for SuaiView<'_> {}

impl SuaiDict {
    /// Consumes the dict in the context its `syclobj` names (resolved in this process's
    /// registry, see [`SyclObj::resolve`]); as [`consume_in`](Self::consume_in) otherwise.
    ///
    /// # Errors
    ///
    /// [`SuaiError::UnknownContext`] when `syclobj` names no live context; otherwise as
    /// [`consume_in`](Self::consume_in).
    ///
    /// # Safety
    ///
    /// As [`consume_in`](Self::consume_in).
    pub unsafe fn consume<'a>(&self, kind: Option<UsmKind>) -> Result<SuaiView<'a>, SuaiError> {
        let context = self.syclobj.resolve()?;
        // SAFETY: the caller upholds consume_in's contract.
        unsafe { self.consume_in(&context, kind) }
    }

    /// Checks the dict against `context` and returns a view of exactly the bytes the
    /// array touches.
    ///
    /// `kind`, when given, is the USM kind the consumer needs (`Some(UsmKind::Device)`
    /// refuses shared and host memory, as dpctl's `MemoryUSMDevice` does).
    ///
    /// # Errors
    ///
    /// [`SuaiError::ContextMismatch`] when `syclobj` names another context;
    /// [`Error::DeviceNotInContext`]; [`SuaiError::NotUsm`] /
    /// [`SuaiError::ForeignContext`] when the pointer is not USM memory of `context`;
    /// [`SuaiError::OutOfBounds`] when the touched bytes leave the allocation the pointer
    /// lies in; [`SuaiError::KindMismatch`]; [`SuaiError::Usm`] when a query fails.
    ///
    /// # Safety
    ///
    /// The allocation must stay alive, and the viewed bytes must not be written through
    /// other paths, for as long as the view (lifetime `'a`) is used.
    pub unsafe fn consume_in<'a>(
        &self,
        context: &Context,
        kind: Option<UsmKind>,
    ) -> Result<SuaiView<'a>, SuaiError> {
        self.syclobj.check_names(context)?;
        let named_device = self.syclobj.device(context)?;
        let info = context
            .classify(self.pointer as *const c_void)
            .map_err(|e| match e {
                Error::NotUsm { addr } => SuaiError::NotUsm {
                    addr,
                    context: context.raw() as usize,
                },
                Error::ForeignContext { addr, this, other } => SuaiError::ForeignContext {
                    addr,
                    context: this,
                    other,
                },
                other => other.into(),
            })?;
        let first = info.offset as i128 + self.span.start as i128;
        let last = first + self.span.len as i128 - 1;
        if first < 0 || last >= info.size as i128 {
            return Err(SuaiError::OutOfBounds {
                first,
                last,
                size: info.size,
            });
        }
        if let Some(expected) = kind.filter(|&k| k != info.kind) {
            return Err(SuaiError::KindMismatch {
                expected,
                found: info.kind,
            });
        }
        let itemsize = self.layout.typestr.itemsize();
        let layout = ArrayLayout {
            typestr: self.layout.typestr,
            shape: self.layout.shape.clone(),
            strides: self.layout.strides.clone(),
            // `origin` is a whole number of elements by construction.
            offset: (self.span.origin / itemsize) as isize,
        };
        // In range: 0 <= first <= last < size (checked above).
        let start = info.base + first as usize;
        // SAFETY: `start..start + len` lies inside the live USM allocation of `context`
        // at `info.base` (just checked); the caller promises it stays so for 'a.
        let view = unsafe {
            UsmView::from_parts(
                start,
                self.span.len,
                info.kind,
                context,
                info.device,
                info.base,
                info.size,
            )
        };
        Ok(SuaiView {
            view,
            layout,
            read_only: self.read_only,
            named_device,
        })
    }
}
