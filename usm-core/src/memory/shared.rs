//! Shared memory.

use std::marker::PhantomData;

use bytemuck::Pod;

use super::{RawAllocation, UsmKind};
use crate::context::Context;
use crate::error::Result;
use crate::names::Device;

/// Shared USM memory (`zeMemAllocShared`) of elements of `T` (bytes by default): migrates
/// between host and device and is accessible from both; it derefs to `[T]`, so the host
/// reads and writes it under Rust's borrow rules. Freed on drop.
///
/// ```no_run
/// use usm_core::{Context, UsmShared};
/// let (context, device) = Context::default_gpu()?;
/// let mut memory = UsmShared::new(&context, &device, 16)?;
/// memory.as_mut_slice().fill(7);
/// assert_eq!(memory.as_slice_of::<u32>()?[0], 0x0707_0707);
/// let mut floats = UsmShared::<f32>::alloc_zeroed(&context, &device, 4)?;
/// floats[1] = 2.5;
/// assert_eq!(&floats[..], &[0.0, 2.5, 0.0, 0.0]);
/// # Ok::<(), usm_core::Error>(())
/// ```
///
/// Typed memory needs plain old data (`bytemuck::Pod`): no references, no padding.
///
/// ```compile_fail,E0277
/// fn pointers(memory: &usm_core::UsmShared) -> usm_core::Result<&[&u8]> {
///     memory.as_slice_of::<&u8>()
/// }
/// ```
///
/// ```compile_fail,E0277
/// # fn f(context: &usm_core::Context, device: &usm_core::Device) {
/// let _ = usm_core::UsmShared::<&'static u8>::alloc(context, device, 4);
/// # }
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
pub struct UsmShared<T = u8> {
    raw: RawAllocation,
    _elem: PhantomData<T>,
}

impl<T: Pod> UsmShared<T> {
    /// Allocates `len` zeroed elements of `T` bound to `device` (zeroed by the host).
    ///
    /// # Errors
    ///
    /// As [`UsmShared::alloc`].
    #[track_caller]
    pub fn alloc_zeroed(context: &Context, device: &Device, len: usize) -> Result<Self> {
        let mut memory = Self::alloc(context, device, len)?;
        memory.as_mut_slice().fill(T::zeroed());
        Ok(memory)
    }

    /// Allocates shared memory holding a copy of `data` (copied by the host).
    ///
    /// # Errors
    ///
    /// As [`UsmShared::alloc`] (an empty `data` is a zero-sized allocation).
    #[track_caller]
    pub fn from_slice(context: &Context, device: &Device, data: &[T]) -> Result<Self> {
        let mut memory = Self::alloc(context, device, data.len())?;
        memory.as_mut_slice().copy_from_slice(data);
        Ok(memory)
    }
}

impl_device_bound!(UsmShared, UsmKind::Shared, "shared");
impl_usm_memory!(UsmShared);
impl_host_access!(UsmShared);
