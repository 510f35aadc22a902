//! Host memory.

use super::{AllocOptions, RawAllocation, UsmKind};
use crate::context::Context;
use crate::error::Result;

/// Host USM memory (`zeMemAllocHost`): lives on the host, accessible from every device of
/// the context; the host reads and writes it through byte and typed slices. Freed on drop.
///
/// ```no_run
/// use usm_core::{Context, UsmHost, UsmMemory};
/// let (context, _device) = Context::default_gpu()?;
/// let mut memory = UsmHost::new(&context, 8)?;
/// memory.as_mut_slice_of::<u16>()?.copy_from_slice(&[1, 2, 3, 4]);
/// assert!(memory.device().is_none());
/// # Ok::<(), usm_core::Error>(())
/// ```
pub struct UsmHost {
    raw: RawAllocation,
}

impl UsmHost {
    /// Allocates `nbytes` of host memory in `context`.
    ///
    /// # Errors
    ///
    /// [`Error::Allocation`](crate::Error::Allocation) for size 0 or the driver's refusal;
    /// initialisation errors.
    #[track_caller]
    pub fn new(context: &Context, nbytes: usize) -> Result<Self> {
        Self::with_options(context, nbytes, &AllocOptions::new())
    }

    /// Allocates `nbytes` of host memory in `context` as `options` say.
    ///
    /// # Errors
    ///
    /// As [`UsmHost::new`]; also, as [`Error::Allocation`](crate::Error::Allocation), an
    /// alignment that is not a power of two and relaxed limits on a driver without them.
    #[track_caller]
    pub fn with_options(context: &Context, nbytes: usize, options: &AllocOptions) -> Result<Self> {
        let raw = RawAllocation::new(context, None, UsmKind::Host, nbytes, options)?;
        Ok(UsmHost { raw })
    }
}

impl_usm_memory!(UsmHost);
impl_host_access!(UsmHost);
