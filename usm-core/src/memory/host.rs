//! Host memory.

use std::marker::PhantomData;

use bytemuck::Pod;

use super::{AllocOptions, RawAllocation, UsmKind};
use crate::context::Context;
use crate::error::Result;

/// Host USM memory (`zeMemAllocHost`) of elements of `T` (bytes by default): lives on the
/// host, accessible from every device of the context; it derefs to `[T]`, so the host
/// reads and writes it as a slice. Freed on drop.
///
/// ```no_run
/// use usm_core::{Context, UsmHost, UsmMemory};
/// let (context, _device) = Context::default_gpu()?;
/// let mut memory = UsmHost::new(&context, 8)?;
/// memory.as_mut_slice_of::<u16>()?.copy_from_slice(&[1, 2, 3, 4]);
/// assert!(memory.device().is_none());
/// let numbers = UsmHost::from_slice(&context, &[1u64, 2, 3])?;
/// assert_eq!(numbers.iter().sum::<u64>(), 6);
/// # Ok::<(), usm_core::Error>(())
/// ```
pub struct UsmHost<T = u8> {
    raw: RawAllocation,
    _elem: PhantomData<T>,
}

impl UsmHost {
    /// Allocates `nbytes` of host memory in `context`.
    ///
    /// # Errors
    ///
    /// [`Error::Allocation`](crate::Error::Allocation) for size 0 or the driver's refusal;
    /// initialisation errors.
    #[inline]
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
    #[inline]
    #[track_caller]
    pub fn with_options(context: &Context, nbytes: usize, options: &AllocOptions) -> Result<Self> {
        Self::alloc_with_options(context, nbytes, options)
    }
}

impl<T: Pod> UsmHost<T> {
    /// Allocates `len` elements of `T` in `context` (contents unspecified; any bytes are a
    /// valid `T`), aligned at least for `T`.
    ///
    /// # Errors
    ///
    /// As [`UsmDevice::alloc`](crate::UsmDevice::alloc).
    #[inline]
    #[track_caller]
    pub fn alloc(context: &Context, len: usize) -> Result<Self> {
        Self::alloc_with_options(context, len, &AllocOptions::new())
    }

    /// Allocates `len` elements of `T` in `context` as `options` say (an alignment below
    /// `T`'s is raised to it).
    ///
    /// # Errors
    ///
    /// As [`UsmHost::alloc`] and [`UsmHost::with_options`].
    #[inline]
    #[track_caller]
    pub fn alloc_with_options(
        context: &Context,
        len: usize,
        options: &AllocOptions,
    ) -> Result<Self> {
        RawAllocation::new_elements::<T, _>(
            context,
            None,
            UsmKind::Host,
            len,
            options,
            Self::from_raw_allocation,
        )
    }

    /// Allocates `len` zeroed elements of `T` in `context` (zeroed by the host).
    ///
    /// # Errors
    ///
    /// As [`UsmHost::alloc`].
    #[track_caller]
    pub fn alloc_zeroed(context: &Context, len: usize) -> Result<Self> {
        let mut memory = Self::alloc(context, len)?;
        memory.as_mut_slice().fill(T::zeroed());
        Ok(memory)
    }

    /// Allocates host memory holding a copy of `data` (copied by the host).
    ///
    /// # Errors
    ///
    /// As [`UsmHost::alloc`] (an empty `data` is a zero-sized allocation).
    #[track_caller]
    pub fn from_slice(context: &Context, data: &[T]) -> Result<Self> {
        let mut memory = Self::alloc(context, data.len())?;
        memory.as_mut_slice().copy_from_slice(data);
        Ok(memory)
    }
}

impl_usm_memory!(UsmHost);
impl_host_access!(UsmHost);
