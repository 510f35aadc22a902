//! The Python buffers that copies read from and write to (`bytes`, `bytearray`,
//! `memoryview`, NumPy arrays: any C-contiguous buffer, of any item format), and the
//! buffer this package exports for host-accessible USM memory.

use std::ffi::c_int;

use pyo3::ffi;
use pyo3::prelude::*;

/// A C-contiguous buffer of a Python object, held (exported) until dropped. Not `Send`: it
/// is released with the GIL held, so it never enters a `Python::detach` closure; its
/// [`Bytes`] do.
pub(crate) struct HostBuffer {
    // Boxed: the exporter may keep pointers into the structure (its shape, its strides).
    view: Box<ffi::Py_buffer>,
}

impl HostBuffer {
    /// The buffer of `obj` for reading.
    pub(crate) fn readable(obj: &Bound<'_, PyAny>) -> PyResult<HostBuffer> {
        HostBuffer::get(obj, ffi::PyBUF_C_CONTIGUOUS)
    }

    /// The buffer of `obj` for writing (a read-only one raises `BufferError`).
    pub(crate) fn writable(obj: &Bound<'_, PyAny>) -> PyResult<HostBuffer> {
        HostBuffer::get(obj, ffi::PyBUF_C_CONTIGUOUS | ffi::PyBUF_WRITABLE)
    }

    fn get(obj: &Bound<'_, PyAny>, flags: c_int) -> PyResult<HostBuffer> {
        let mut view: Box<ffi::Py_buffer> = Box::new(ffi::Py_buffer::new());
        // SAFETY: `obj` is a live object (the GIL is held through `obj`'s token) and `view`
        // a writable Py_buffer; on success the buffer is released exactly once, in Drop.
        let rc = unsafe { ffi::PyObject_GetBuffer(obj.as_ptr(), &mut *view, flags) };
        if rc != 0 {
            return Err(PyErr::fetch(obj.py()));
        }
        Ok(HostBuffer { view })
    }

    /// Its length in bytes.
    pub(crate) fn len(&self) -> usize {
        // A successful export has a non-negative length.
        usize::try_from(self.view.len).unwrap_or(0)
    }

    /// Its first `len` bytes (at most its length), to be read or written with the GIL
    /// released while `self` is alive.
    pub(crate) fn bytes(&self, len: usize) -> Bytes {
        Bytes {
            ptr: self.view.buf.cast::<u8>(),
            len: len.min(self.len()),
        }
    }
}

impl Drop for HostBuffer {
    fn drop(&mut self) {
        // SAFETY: the buffer was exported by PyObject_GetBuffer and is released once; the
        // GIL is held, since a HostBuffer never leaves the thread that holds it (not Send)
        // and every method holding one holds the GIL outside `detach`.
        unsafe { ffi::PyBuffer_Release(&mut *self.view) };
    }
}

/// The bytes of an exported buffer, for use inside `Python::detach`.
pub(crate) struct Bytes {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the pointer is used only while the `HostBuffer` it came from (or the `bytes`
// object being filled) is alive on the thread that waits for the detached closure.
unsafe impl Send for Bytes {}

impl Bytes {
    /// Bytes over `ptr`, `len` long.
    ///
    /// # Safety
    ///
    /// `ptr` must be valid for reads and writes of `len` bytes for as long as the value (and
    /// any slice made from it) is used.
    pub(crate) unsafe fn from_raw(ptr: *mut u8, len: usize) -> Bytes {
        Bytes { ptr, len }
    }

    /// The bytes as a slice.
    pub(crate) fn as_slice(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: the exporter keeps `len` bytes at `ptr` for the life of the export, which
        // outlives `self` (see `HostBuffer::bytes`). Python code on other threads may write
        // them meanwhile, as with any buffer consumer that releases the GIL; the bytes are
        // only handed to the driver, which copies them.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// The bytes as a mutable slice (the buffer was exported writable).
    pub(crate) fn as_mut_slice(&mut self) -> &mut [u8] {
        if self.len == 0 {
            return &mut [];
        }
        // SAFETY: as in `as_slice`; the buffer was exported with PyBUF_WRITABLE (or is a
        // fresh `bytes` object being filled), and `&mut self` makes this the one slice.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

/// Fills `view` for an export of `len` writable bytes at `ptr` owned by `owner` (the
/// memory object, which keeps the allocation alive and is referenced by the view).
///
/// # Safety
///
/// `view` must be the Py_buffer the interpreter passed to `bf_getbuffer`; `ptr` must stay
/// valid for `len` bytes for as long as `owner` is alive.
pub(crate) unsafe fn export(
    view: *mut ffi::Py_buffer,
    owner: &Bound<'_, PyAny>,
    ptr: *mut u8,
    len: usize,
    flags: c_int,
) -> PyResult<()> {
    let len = ffi::Py_ssize_t::try_from(len)
        .map_err(|_| pyo3::exceptions::PyBufferError::new_err("buffer too large"))?;
    // SAFETY: the caller passes the interpreter's view; PyBuffer_FillInfo honours `flags`
    // (shape, strides, format "B" when asked), takes a reference to `owner` (released by
    // PyBuffer_Release) and fails, setting the error, on requests it cannot meet.
    let rc = unsafe { ffi::PyBuffer_FillInfo(view, owner.as_ptr(), ptr.cast(), len, 0, flags) };
    if rc != 0 {
        return Err(PyErr::fetch(owner.py()));
    }
    Ok(())
}
