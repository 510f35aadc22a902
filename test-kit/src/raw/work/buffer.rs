//! Test buffers of every memory kind: device, host and shared USM, and plain host memory.

use std::ffi::c_void;

use super::*;

/// Where a buffer of a test lives.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// Device USM.
    Device,
    /// Host USM.
    Host,
    /// Shared USM.
    Shared,
    /// Plain host memory the driver did not allocate.
    Malloc,
}

/// A buffer of a [`Kind`], freed on drop.
pub struct Buffer {
    /// Where it lives.
    pub kind: Kind,
    /// Its address.
    pub ptr: *mut c_void,
    _vec: Vec<u8>,
}

impl Buffer {
    /// `len` bytes of `kind`.
    pub fn new(kind: Kind, len: usize) -> Buffer {
        let mut vec = Vec::new();
        let ptr = match kind {
            Kind::Device => alloc_device(len),
            Kind::Host => alloc_host(len),
            Kind::Shared => alloc_shared(len),
            Kind::Malloc => {
                vec = vec![0u8; len];
                vec.as_mut_ptr().cast()
            }
        };
        Buffer {
            kind,
            ptr,
            _vec: vec,
        }
    }

    /// Writes `data` at its start, by a copy.
    pub fn write(&self, data: &[u8]) {
        upload(self.ptr, data);
    }

    /// Reads its first `len` bytes, by a copy.
    pub fn read(&self, len: usize) -> Vec<u8> {
        download(self.ptr, len)
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        if !matches!(self.kind, Kind::Malloc) {
            free(self.ptr);
        }
    }
}

/// Every kind, in the order the tests walk them.
pub const KINDS: [Kind; 4] = [Kind::Device, Kind::Host, Kind::Shared, Kind::Malloc];
