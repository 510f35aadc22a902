//! Typed memory's operations through a queue: allocate zeroed and allocate-and-upload for
//! device and shared memory ([`UsmDevice::alloc_zeroed`], [`UsmDevice::from_slice`]), and
//! upload and download for every kind ([`UsmDevice::upload`], [`UsmDevice::download`]).
//! The memory types themselves live in the memory module, which knows nothing of queues.

use bytemuck::Pod;

use crate::error::Result;
use crate::memory::{UsmDevice, UsmHost, UsmShared};
use crate::queue::Queue;

impl<T: Pod> UsmDevice<T> {
    /// Allocates `len` elements of `T` on the queue's device and zeroes them with a fill
    /// on `queue` (done when this returns); cudarc's `alloc_zeros`.
    ///
    /// # Errors
    ///
    /// As [`UsmDevice::alloc`]; the driver's code of the fill.
    #[track_caller]
    pub fn alloc_zeroed(queue: &Queue, len: usize) -> Result<Self> {
        let mut memory = Self::alloc(queue.context(), queue.device(), len)?;
        let bytes = crate::UsmMemory::len(&memory);
        queue.memset(&mut memory, 0, bytes, 0)?;
        Ok(memory)
    }

    /// Allocates `data.len()` elements on the queue's device and uploads `data` through
    /// `queue` (done when this returns); cudarc's `memcpy_stod`.
    ///
    /// # Errors
    ///
    /// As [`UsmDevice::alloc`] (an empty `data` is a zero-sized allocation); as
    /// [`Queue::copy`].
    #[track_caller]
    pub fn from_slice(queue: &Queue, data: &[T]) -> Result<Self> {
        let mut memory = Self::alloc(queue.context(), queue.device(), data.len())?;
        memory.upload(queue, data)?;
        Ok(memory)
    }
}

/// Upload and download, the same for every kind.
macro_rules! impl_transfers {
    ($ty:ident) => {
        impl<T: Pod> $ty<T> {
            /// Reads all the elements into a new vector through `queue` (cudarc's
            /// `memcpy_dtov`).
            ///
            /// # Errors
            ///
            /// As [`Queue::copy`].
            pub fn download(&self, queue: &Queue) -> Result<Vec<T>> {
                queue.to_vec_of::<T, Self>(self)
            }

            /// Writes `data` over all the elements through `queue` (cudarc's
            /// `memcpy_htod`); `data` must have as many elements.
            ///
            /// # Errors
            ///
            /// [`TransferError::SizeMismatch`](crate::TransferError::SizeMismatch) (in
            /// bytes), and as [`Queue::copy`].
            pub fn upload(&mut self, queue: &Queue, data: &[T]) -> Result<()> {
                queue.write_from_slice_of(self, data)
            }
        }
    };
}

impl_transfers!(UsmDevice);
impl_transfers!(UsmShared);
impl_transfers!(UsmHost);
