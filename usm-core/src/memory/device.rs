//! Device memory.

use std::marker::PhantomData;

use super::{RawAllocation, UsmKind};

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

impl_device_bound!(UsmDevice, UsmKind::Device, "device");
impl_usm_memory!(UsmDevice);
