//! Shared memory.

use super::{AllocOptions, RawAllocation, UsmKind};
use crate::context::Context;
use crate::error::Result;
use crate::names::Device;

/// Shared USM memory (`zeMemAllocShared`): migrates between host and device and is
/// accessible from both; the host reads and writes it through byte and typed slices under
/// Rust's borrow rules. Freed on drop.
///
/// ```no_run
/// use usm_core::{Context, UsmShared};
/// let (context, device) = Context::default_gpu()?;
/// let mut memory = UsmShared::new(&context, &device, 16)?;
/// memory.as_mut_slice().fill(7);
/// assert_eq!(memory.as_slice_of::<u32>()?[0], 0x0707_0707);
/// # Ok::<(), usm_core::Error>(())
/// ```
///
/// Typed views need plain old data (`bytemuck::Pod`): no references, no padding.
///
/// ```compile_fail,E0277
/// fn pointers(memory: &usm_core::UsmShared) -> usm_core::Result<&[&u8]> {
///     memory.as_slice_of::<&u8>()
/// }
/// ```
///
/// A view borrows the memory it was taken from, so it cannot outlive it:
///
/// ```compile_fail,E0597
/// use usm_core::{Context, UsmMemory, UsmShared, UsmView};
/// fn dangling<'a>(context: &Context, device: &usm_core::Device) -> UsmView<'a> {
///     let memory = UsmShared::new(context, device, 16).unwrap();
///     memory.view(0, 8).unwrap()
/// }
/// ```
pub struct UsmShared {
    raw: RawAllocation,
}

impl UsmShared {
    /// Allocates `nbytes` of shared memory bound to `device`.
    ///
    /// # Errors
    ///
    /// [`Error::Allocation`](crate::Error::Allocation) for size 0 or the driver's refusal;
    /// initialisation errors.
    #[track_caller]
    pub fn new(context: &Context, device: &Device, nbytes: usize) -> Result<Self> {
        Self::with_options(context, device, nbytes, &AllocOptions::new())
    }

    /// Allocates `nbytes` of shared memory bound to `device` as `options` say.
    ///
    /// # Errors
    ///
    /// As [`UsmShared::new`]; also, as [`Error::Allocation`](crate::Error::Allocation), an
    /// alignment that is not a power of two, a device that is not in the context, and
    /// relaxed limits on a driver without them.
    #[track_caller]
    pub fn with_options(
        context: &Context,
        device: &Device,
        nbytes: usize,
        options: &AllocOptions,
    ) -> Result<Self> {
        let raw = RawAllocation::new(context, Some(device), UsmKind::Shared, nbytes, options)?;
        Ok(UsmShared { raw })
    }
}

impl_usm_memory!(UsmShared);
impl_host_access!(UsmShared);
