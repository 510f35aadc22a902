//! Device memory.

use std::marker::PhantomData;

use bytemuck::Pod;

use super::{AllocOptions, RawAllocation, UsmKind};
use crate::context::Context;
use crate::error::Result;
use crate::names::Device;

/// Device USM memory (`zeMemAllocDevice`) of elements of `T` (bytes by default): fast for
/// the device, not accessible from the host, so it offers no host slice and does not deref
/// to `[T]`. Freed on drop.
///
/// ```no_run
/// use usm_core::{Context, Queue, UsmDevice, UsmMemory, UsmKind};
/// let (context, device) = Context::default_gpu()?;
/// let bytes = UsmDevice::new(&context, &device, 1 << 20)?;
/// assert_eq!(bytes.kind(), UsmKind::Device);
/// let queue = Queue::new(&context, &device)?;
/// let floats = UsmDevice::from_slice(&queue, &[1.0f32, 2.0, 3.0])?;
/// assert_eq!((floats.len(), floats.download(&queue)?), (3, vec![1.0, 2.0, 3.0]));
/// # Ok::<(), usm_core::Error>(())
/// ```
///
/// The host cannot read it, so there is no slice to take:
///
/// ```compile_fail,E0599
/// fn read(memory: &usm_core::UsmDevice) -> &[u8] {
///     memory.as_slice()
/// }
/// ```
///
/// ```compile_fail,E0608
/// fn first(memory: &usm_core::UsmDevice<u32>) -> u32 {
///     memory[0]
/// }
/// ```
pub struct UsmDevice<T = u8> {
    raw: RawAllocation,
    _elem: PhantomData<T>,
}

impl UsmDevice {
    /// Allocates `nbytes` of device memory on `device` with the driver's alignment.
    ///
    /// # Errors
    ///
    /// [`Error::Allocation`](crate::Error::Allocation) for size 0 or the driver's refusal
    /// (out of memory, unsupported size); initialisation errors.
    #[track_caller]
    pub fn new(context: &Context, device: &Device, nbytes: usize) -> Result<Self> {
        Self::with_options(context, device, nbytes, &AllocOptions::new())
    }

    /// Allocates `nbytes` of device memory on `device` as `options` say.
    ///
    /// # Errors
    ///
    /// As [`UsmDevice::new`]; also, as [`Error::Allocation`](crate::Error::Allocation), an
    /// alignment that is not a power of two, a device that is not in the context, and
    /// relaxed limits on a driver without them.
    #[track_caller]
    pub fn with_options(
        context: &Context,
        device: &Device,
        nbytes: usize,
        options: &AllocOptions,
    ) -> Result<Self> {
        Self::alloc_with_options(context, device, nbytes, options)
    }
}

impl<T: Pod> UsmDevice<T> {
    /// Allocates `len` elements of `T` on `device` (contents unspecified; any bytes are a
    /// valid `T`), aligned at least for `T`.
    ///
    /// # Errors
    ///
    /// As [`UsmDevice::new`]: 0 elements (or a zero-sized `T`) is
    /// [`AllocationFailure::ZeroSize`](crate::AllocationFailure::ZeroSize), a byte size
    /// that overflows is
    /// [`AllocationFailure::LargerThanAddressSpace`](crate::AllocationFailure::LargerThanAddressSpace).
    #[track_caller]
    pub fn alloc(context: &Context, device: &Device, len: usize) -> Result<Self> {
        Self::alloc_with_options(context, device, len, &AllocOptions::new())
    }

    /// Allocates `len` elements of `T` on `device` as `options` say (an alignment below
    /// `T`'s is raised to it).
    ///
    /// # Errors
    ///
    /// As [`UsmDevice::alloc`] and [`UsmDevice::with_options`].
    #[track_caller]
    pub fn alloc_with_options(
        context: &Context,
        device: &Device,
        len: usize,
        options: &AllocOptions,
    ) -> Result<Self> {
        let raw =
            RawAllocation::new_elements::<T>(context, Some(device), UsmKind::Device, len, options)?;
        Ok(Self::from_raw_allocation(raw))
    }
}

impl_usm_memory!(UsmDevice);
