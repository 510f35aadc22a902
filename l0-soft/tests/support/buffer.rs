//! Test buffers of every memory kind: device, host and shared USM, and plain host memory.

use std::ffi::c_void;

use super::*;

/// Where a buffer of a test lives.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Device,
    Host,
    Shared,
    Malloc,
}

pub struct Buffer {
    pub kind: Kind,
    pub ptr: *mut c_void,
    _vec: Vec<u8>,
}

impl Buffer {
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

    pub fn write(&self, data: &[u8]) {
        upload(self.ptr, data);
    }

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

pub const KINDS: [Kind; 4] = [Kind::Device, Kind::Host, Kind::Shared, Kind::Malloc];
