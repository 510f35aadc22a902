//! Device memory.

use super::{AllocOptions, RawAllocation, UsmKind};
use crate::context::Context;
use crate::error::Result;
use crate::names::Device;

/// Device USM memory (`zeMemAllocDevice`): fast for the device, not accessible from the
/// host, so it offers no host slice. Freed on drop.
///
/// ```no_run
/// use usm_core::{Context, UsmDevice, UsmMemory, UsmKind};
/// let (context, device) = Context::default_gpu()?;
/// let memory = UsmDevice::new(&context, &device, 1 << 20)?;
/// assert_eq!(memory.kind(), UsmKind::Device);
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
pub struct UsmDevice {
    raw: RawAllocation,
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
        let raw = RawAllocation::new(context, Some(device), UsmKind::Device, nbytes, options)?;
        Ok(UsmDevice { raw })
    }
}

impl_usm_memory!(UsmDevice);
