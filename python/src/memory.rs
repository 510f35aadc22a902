//! `MemoryUSMDevice`, `MemoryUSMShared`, `MemoryUSMHost` and their base `_Memory`, with
//! dpctl 0.22's constructors, attributes and methods; `as_usm_memory`; the pickle
//! reconstructor `_to_memory`.
//!
//! A memory object either owns its allocation (usm-core's `UsmDevice` / `UsmShared` /
//! `UsmHost`, shared by the objects made from it, as dpctl shares its smart pointer) or
//! views memory another object owns (made from its `__sycl_usm_array_interface__`; that
//! object is kept as `reference_obj`, which keeps the memory alive). Every copy and fill
//! goes through usm-core's `Queue` with the GIL released. Owned memory is locked for the
//! duration of a write, so writes through one allocation are serialised; as in dpctl, the
//! bytes themselves are shared memory, and Python threads writing the same bytes at once
//! race (no Rust reference over them exists; the driver moves them).

use std::ffi::c_int;
use std::sync::{Arc, Mutex, MutexGuard};

use pyo3::exceptions::{PyBufferError, PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyInt, PyTuple};
use usm_core::{
    AllocOptions, Context, Error, IpcMemory, Queue, UsmDevice, UsmHost, UsmKind, UsmShared,
    UsmView, UsmViewMut,
};

use crate::buffer::{self, Bytes, HostBuffer};
use crate::errors::{guard, to_py};
use crate::interface::{self, short_repr};
use crate::objects::{default_queue_for, PyContext, PyDevice, PyQueue};

/// An allocation this package made, or memory of another process it opened (None once
/// its mapping is closed).
pub(crate) enum Owned {
    Device(UsmDevice),
    Shared(UsmShared),
    Host(UsmHost),
    Ipc(Option<IpcMemory>),
}

/// The error of an operation on an IPC mapping that was closed.
fn mapping_closed() -> Error {
    Error::InvalidArgument {
        name: "memory",
        reason: "its IPC mapping was closed (IPCMemoryHandle.close_mapping)".to_string(),
    }
}

impl Owned {
    fn view(&self) -> usm_core::Result<UsmView<'_>> {
        match self {
            Owned::Device(m) => Ok(m.as_view()),
            Owned::Shared(m) => Ok(m.as_view()),
            Owned::Host(m) => Ok(m.as_view()),
            Owned::Ipc(Some(m)) => Ok(m.as_view()),
            Owned::Ipc(None) => Err(mapping_closed()),
        }
    }

    fn view_mut(&mut self) -> usm_core::Result<UsmViewMut<'_>> {
        match self {
            Owned::Device(m) => Ok(m.as_view_mut()),
            Owned::Shared(m) => Ok(m.as_view_mut()),
            Owned::Host(m) => Ok(m.as_view_mut()),
            Owned::Ipc(Some(m)) => Ok(m.as_view_mut()),
            Owned::Ipc(None) => Err(mapping_closed()),
        }
    }
}

/// Where a memory object's bytes come from.
pub(crate) enum Backing {
    /// This package's allocation, shared by the objects made from it.
    Owned(Arc<Mutex<Owned>>),
    /// Another object's memory (its `reference_obj`), adopted as a view for each operation.
    Borrowed,
}

/// The base class of the three memory classes (dpctl's `_Memory`).
#[pyclass(subclass, frozen, module = "level_zero_usm", name = "_Memory")]
pub(crate) struct Memory {
    pub(crate) ptr: usize,
    pub(crate) nbytes: usize,
    pub(crate) kind: UsmKind,
    pub(crate) context: Context,
    pub(crate) backing: Backing,
    pub(crate) queue: Py<PyQueue>,
    pub(crate) refobj: Option<Py<PyAny>>,
}

pub(crate) fn lock(owned: &Mutex<Owned>) -> MutexGuard<'_, Owned> {
    // A panic while locked cannot leave the allocation inconsistent (it holds no Rust
    // state over the bytes), so a poisoned lock is taken as it is.
    owned
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Memory {
    /// Allocates `nbytes` of `kind` on `queue` (the default queue when None).
    fn allocate(
        py: Python<'_>,
        kind: UsmKind,
        nbytes: i64,
        alignment: i64,
        queue: Option<Py<PyQueue>>,
    ) -> PyResult<Memory> {
        if nbytes <= 0 {
            return Err(PyValueError::new_err(
                "Number of bytes of request allocation must be positive.",
            ));
        }
        let nbytes = usize::try_from(nbytes)
            .map_err(|_| PyValueError::new_err("the number of bytes does not fit a size"))?;
        // dpctl: a non-positive alignment means the driver's choice.
        let alignment = usize::try_from(alignment).unwrap_or(0);
        let queue = match queue {
            Some(q) => q,
            None => default_queue_for(py, 0)?,
        };
        let q = queue.get();
        let context = q.queue.context().clone();
        let device = q.queue.device().clone();
        let options = AllocOptions::new().alignment(alignment);
        let owned = py
            .detach(|| match kind {
                UsmKind::Device => {
                    UsmDevice::with_options(&context, &device, nbytes, &options).map(Owned::Device)
                }
                UsmKind::Shared => {
                    UsmShared::with_options(&context, &device, nbytes, &options).map(Owned::Shared)
                }
                UsmKind::Host => UsmHost::with_options(&context, nbytes, &options).map(Owned::Host),
            })
            .map_err(|e| to_py(py, e))?;
        let ptr = owned.view().map_err(|e| to_py(py, e))?.base() as usize;
        Ok(Memory {
            ptr,
            nbytes,
            kind,
            context,
            backing: Backing::Owned(Arc::new(Mutex::new(owned))),
            queue,
            refobj: None,
        })
    }

    /// Another object's memory, without a copy: a memory object of this package shares
    /// its allocation (and its `reference_obj`); any other object is read through its
    /// `__sycl_usm_array_interface__` and kept as `reference_obj`.
    fn from_other(py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Memory> {
        if let Ok(m) = other.cast::<Memory>() {
            let m = m.get();
            return Ok(Memory {
                ptr: m.ptr,
                nbytes: m.nbytes,
                kind: m.kind,
                context: m.context.clone(),
                backing: match &m.backing {
                    Backing::Owned(a) => Backing::Owned(Arc::clone(a)),
                    Backing::Borrowed => Backing::Borrowed,
                },
                queue: m.queue.clone_ref(py),
                refobj: m.refobj.as_ref().map(|r| r.clone_ref(py)),
            });
        }
        let found = interface::consume(py, other)?;
        Ok(Memory {
            ptr: found.ptr,
            nbytes: found.len,
            kind: found.kind,
            context: found.context,
            backing: Backing::Borrowed,
            queue: found.queue,
            refobj: Some(other.clone().unbind()),
        })
    }

    fn usm_queue(&self) -> Queue {
        self.queue.get().queue.clone()
    }

    /// Runs `f` on a view of the whole memory (call with the GIL released).
    fn read<R>(&self, f: impl FnOnce(&UsmView<'_>) -> usm_core::Result<R>) -> usm_core::Result<R> {
        match &self.backing {
            Backing::Owned(owned) => f(&lock(owned).view()?),
            Backing::Borrowed => {
                // SAFETY: `reference_obj` owns the memory and lives as long as `self`, which
                // outlives the view (dropped when `f` returns); adopt checks the range is USM
                // of the context. Writes by others while it is read are the program's race
                // on shared memory, as in dpctl (no Rust reference over the bytes exists).
                let view = unsafe {
                    UsmView::<u8>::adopt(&self.context, self.ptr as *const u8, self.nbytes)
                }?;
                f(&view)
            }
        }
    }

    /// Runs `f` on a mutable view of the whole memory (call with the GIL released).
    fn write<R>(
        &self,
        f: impl FnOnce(&mut UsmViewMut<'_>) -> usm_core::Result<R>,
    ) -> usm_core::Result<R> {
        match &self.backing {
            Backing::Owned(owned) => f(&mut lock(owned).view_mut()?),
            Backing::Borrowed => {
                // SAFETY: as in `read`; the dict's owner handed the memory out as writable
                // USM memory (dpctl's memory objects are always writable).
                let mut view = unsafe {
                    UsmViewMut::<u8>::adopt(&self.context, self.ptr as *mut u8, self.nbytes)
                }?;
                f(&mut view)
            }
        }
    }

    /// Copies `src_len` bytes of USM memory at `src_ptr` (of `src_context`, kept alive by the
    /// caller) to the start of this memory: on this memory's queue when both are in its
    /// context, else through the host.
    fn copy_usm_in(
        &self,
        py: Python<'_>,
        src_ptr: usize,
        src_len: usize,
        src_context: &Context,
        src_queue: Queue,
    ) -> PyResult<()> {
        if src_len > self.nbytes {
            return Err(PyValueError::new_err(format!(
                "Source object is too large to be accommodated in {} bytes buffer",
                self.nbytes
            )));
        }
        let queue = self.usm_queue();
        let same_context = *src_context == self.context;
        py.detach(|| {
            // SAFETY: the caller keeps the source's owner alive during the call; the view
            // is dropped before returning and only read; adopt checks it is USM memory of
            // `src_context`.
            let src = unsafe { UsmView::<u8>::adopt(src_context, src_ptr as *const u8, src_len) }?;
            if same_context {
                self.write(|dst| queue.copy(dst, 0, &src, 0, src_len))
            } else {
                let staged = src_queue.to_vec(&src)?;
                self.write(|dst| queue.copy_from_host(dst, 0, &staged))
            }
        })
        .map_err(|e| to_py(py, e))
    }

    fn kind_name(&self) -> &'static str {
        self.kind.as_str()
    }
}

/// The context `syclobj` names for `get_usm_type` (None: the memory's own).
fn context_of_syclobj(memory: &Memory, syclobj: Option<&Bound<'_, PyAny>>) -> PyResult<Context> {
    match syclobj {
        None => Ok(memory.context.clone()),
        Some(obj) if obj.is_none() => Ok(memory.context.clone()),
        Some(obj) => {
            if let Ok(c) = obj.cast::<PyContext>() {
                Ok(c.get().context.clone())
            } else if let Ok(q) = obj.cast::<PyQueue>() {
                Ok(q.get().queue.context().clone())
            } else {
                Err(PyTypeError::new_err(
                    "syclobj keyword can be either None, or an instance of Context or Queue",
                ))
            }
        }
    }
}

/// dpctl's numbers for the kinds: 1 device, 2 shared, 3 host, 0 unknown.
fn kind_enum(kind: Option<UsmKind>) -> u32 {
    match kind {
        Some(UsmKind::Device) => 1,
        Some(UsmKind::Shared) => 2,
        Some(UsmKind::Host) => 3,
        None => 0,
    }
}

impl Memory {
    /// The kind of the memory as `context` sees it (None: not USM memory of it).
    fn classify_in(&self, py: Python<'_>, context: &Context) -> PyResult<Option<UsmKind>> {
        let ptr = self.ptr;
        match py.detach(|| context.classify(ptr as *const std::ffi::c_void)) {
            Ok(info) => Ok(Some(info.kind)),
            Err(Error::NotUsm { .. }) | Err(Error::ForeignContext { .. }) => Ok(None),
            Err(e) => Err(to_py(py, e)),
        }
    }
}

#[pymethods]
impl Memory {
    /// Extent of this USM buffer in bytes.
    #[getter]
    fn nbytes(&self) -> usize {
        self.nbytes
    }

    /// Extent of this USM buffer in bytes.
    #[getter]
    fn size(&self) -> usize {
        self.nbytes
    }

    /// The USM pointer at the start of this buffer, as an int.
    #[getter]
    fn _pointer(&self) -> usize {
        self.ptr
    }

    /// The `Context` the memory is bound to.
    #[getter]
    fn _context(&self) -> PyContext {
        PyContext {
            context: self.context.clone(),
        }
    }

    /// The `Queue` the memory's copies and fills run on.
    #[getter]
    fn _queue(&self, py: Python<'_>) -> Py<PyQueue> {
        self.queue.clone_ref(py)
    }

    /// The `Context` the memory is bound to.
    #[getter]
    fn sycl_context(&self) -> PyContext {
        self._context()
    }

    /// The `Device` of the memory's queue (for device and shared memory, the device it is
    /// bound to).
    #[getter]
    fn sycl_device(&self) -> PyDevice {
        PyDevice::wrap(self.queue.get().queue.device().clone())
    }

    /// The `Queue` the memory's copies and fills run on.
    #[getter]
    fn sycl_queue(&self, py: Python<'_>) -> Py<PyQueue> {
        self.queue.clone_ref(py)
    }

    /// The Python object owning the memory, when this object views another's; None when
    /// the memory is this package's allocation.
    #[getter]
    fn reference_obj(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.refobj.as_ref().map(|r| r.clone_ref(py))
    }

    /// The dict of the SYCL USM array interface: the whole memory as bytes (`|u1`), with the
    /// memory's `Queue` as `syclobj`.
    #[getter]
    fn __sycl_usm_array_interface__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guard(|| interface::produce(py, self.ptr, self.nbytes, &self.queue))
    }

    /// `'device'`, `'shared'`, `'host'`, or `'unknown'`: the kind of the memory as the
    /// context of `syclobj` (a `Context` or `Queue`; None: the memory's own) sees it.
    #[pyo3(signature = (syclobj = None))]
    fn get_usm_type(
        &self,
        py: Python<'_>,
        syclobj: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<&'static str> {
        guard(|| {
            let context = context_of_syclobj(self, syclobj)?;
            Ok(self
                .classify_in(py, &context)?
                .map_or("unknown", |k| k.as_str()))
        })
    }

    /// As `get_usm_type`, as dpctl's numbers: 1 device, 2 shared, 3 host, 0 unknown.
    #[pyo3(signature = (syclobj = None))]
    fn get_usm_type_enum(
        &self,
        py: Python<'_>,
        syclobj: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u32> {
        guard(|| {
            let context = context_of_syclobj(self, syclobj)?;
            Ok(kind_enum(self.classify_in(py, &context)?))
        })
    }

    /// Copies the memory into `obj` (a writable C-contiguous buffer of at least `nbytes`
    /// bytes) and returns it; without `obj`, into a new NumPy `uint8` array (a `bytearray`
    /// when NumPy is not installed).
    #[pyo3(signature = (obj = None))]
    fn copy_to_host<'py>(
        &self,
        py: Python<'py>,
        obj: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let obj = match obj {
                Some(obj) if !obj.is_none() => obj,
                _ => match py.import("numpy") {
                    Ok(np) => np.call_method1("empty", ((self.nbytes,), "|u1"))?,
                    Err(_) => py
                        .get_type::<pyo3::types::PyByteArray>()
                        .call1((self.nbytes,))?,
                },
            };
            let host = HostBuffer::writable(&obj)?;
            if host.len() < self.nbytes {
                return Err(PyValueError::new_err(format!(
                    "Destination object is too small to accommodate {} bytes",
                    self.nbytes
                )));
            }
            let mut bytes = host.bytes(self.nbytes);
            let queue = self.usm_queue();
            py.detach(|| self.read(|src| queue.copy_to_host(bytes.as_mut_slice(), src, 0)))
                .map_err(|e| to_py(py, e))?;
            drop(host);
            Ok(obj)
        })
    }

    /// Copies the bytes of `obj` (any C-contiguous buffer, at most `nbytes` long) to the
    /// start of the memory.
    fn copy_from_host(&self, py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        guard(|| {
            let host = HostBuffer::readable(obj)?;
            if host.len() > self.nbytes {
                return Err(PyValueError::new_err(format!(
                    "Source object is too large to be accommodated in {} bytes buffer",
                    self.nbytes
                )));
            }
            let bytes = host.bytes(host.len());
            let queue = self.usm_queue();
            py.detach(move || self.write(|dst| queue.copy_from_host(dst, 0, bytes.as_slice())))
                .map_err(|e| to_py(py, e))
        })
    }

    /// Copies the USM memory of `obj` (a memory object, or any object exposing
    /// `__sycl_usm_array_interface__`) to the start of this memory.
    fn copy_from_device(&self, py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        guard(|| {
            if let Ok(m) = obj.cast::<Memory>() {
                let m = m.get();
                return self.copy_usm_in(py, m.ptr, m.nbytes, &m.context, m.usm_queue());
            }
            if !obj.hasattr(intern!(py, "__sycl_usm_array_interface__"))? {
                return Err(PyValueError::new_err(
                    "Object does not implement `__sycl_usm_array_interface__` protocol",
                ));
            }
            let found = interface::consume(py, obj)?;
            let src_queue = found.queue.get().queue.clone();
            self.copy_usm_in(py, found.ptr, found.len, &found.context, src_queue)
        })
    }

    /// Sets every byte of the memory to `val` (an int from 0 to 65535, as dpctl takes it;
    /// its low byte is written).
    #[pyo3(signature = (val = 0))]
    fn memset(&self, py: Python<'_>, val: u16) -> PyResult<()> {
        guard(|| {
            let queue = self.usm_queue();
            let n = self.nbytes;
            py.detach(|| self.write(|dst| queue.memset(dst, 0, n, val as u8)))
                .map_err(|e| to_py(py, e))
        })
    }

    /// A `bytes` object with a copy of the memory.
    fn tobytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        guard(|| {
            let queue = self.usm_queue();
            PyBytes::new_with(py, self.nbytes, |out| {
                // SAFETY: `out` is the new bytes object's storage, `nbytes` long, alive and
                // unshared until this closure returns, which waits for the detached copy.
                let mut bytes = unsafe { Bytes::from_raw(out.as_mut_ptr(), out.len()) };
                py.detach(|| self.read(|src| queue.copy_to_host(bytes.as_mut_slice(), src, 0)))
                    .map_err(|e| to_py(py, e))
            })
        })
    }

    fn __len__(&self) -> usize {
        self.nbytes
    }

    /// The memory's bytes plus the object's own (so `sys.getsizeof` exceeds `nbytes`, as
    /// with dpctl's objects).
    fn __sizeof__(&self) -> usize {
        self.nbytes + std::mem::size_of::<Memory>()
    }

    fn __bytes__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        self.tobytes(py)
    }

    fn __repr__(&self) -> String {
        format!(
            "<Level Zero USM-{} allocation of {} bytes at {:#x}>",
            self.kind_name(),
            self.nbytes,
            self.ptr
        )
    }

    /// Pickles the contents and the kind; unpickling allocates new memory of that kind on
    /// the default queue (the queue, device, context, alignment and address are not kept).
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        guard(|| {
            let module = py.import("level_zero_usm")?;
            let rebuild = module.getattr("_to_memory")?;
            let contents = self.tobytes(py)?;
            PyTuple::new(
                py,
                [
                    rebuild,
                    PyTuple::new(
                        py,
                        [
                            contents.into_any(),
                            self.kind_name().into_pyobject(py)?.into_any(),
                        ],
                    )?
                    .into_any(),
                ],
            )
        })
    }
}

/// The constructor all three classes share: from a byte count (allocates) or from another
/// object (a view, or with `copy=True` a copy when the kinds differ).
fn construct(
    py: Python<'_>,
    kind: UsmKind,
    other: &Bound<'_, PyAny>,
    alignment: i64,
    queue: Option<Py<PyQueue>>,
    copy: bool,
) -> PyResult<Memory> {
    guard(|| {
        if other.is_instance_of::<PyInt>() {
            return Memory::allocate(py, kind, other.extract()?, alignment, queue);
        }
        let is_memory_like = other.cast::<Memory>().is_ok()
            || other.hasattr(intern!(py, "__sycl_usm_array_interface__"))?;
        if !is_memory_like && other.hasattr(intern!(py, "__index__"))? {
            // A NumPy integer, or any other integral object.
            let n = other.call_method0(intern!(py, "__index__"))?;
            return Memory::allocate(py, kind, n.extract()?, alignment, queue);
        }
        let viewed = Memory::from_other(py, other)?;
        if viewed.kind == kind {
            return Ok(viewed);
        }
        if !copy {
            return Err(PyValueError::new_err(format!(
                "USM pointer in the argument {} is not a USM {} pointer. Zero-copy operation \
                 is not possible with copy=False. Either use copy=True, or use a constructor \
                 appropriate for type '{}'",
                short_repr(other),
                kind.as_str(),
                viewed.kind.as_str()
            )));
        }
        let copied = Memory::allocate(py, kind, viewed.nbytes as i64, 0, queue)?;
        copied.copy_usm_in(
            py,
            viewed.ptr,
            viewed.nbytes,
            &viewed.context,
            viewed.usm_queue(),
        )?;
        Ok(copied)
    })
}

/// A memory class: its constructor (dpctl's signature) and `$extra`, its own methods.
macro_rules! memory_class {
    ($class:ident, $kind:expr, $doc:literal, { $($extra:tt)* }) => {
        #[doc = $doc]
        #[pyclass(extends = Memory, subclass, frozen, module = "level_zero_usm")]
        pub(crate) struct $class;

        #[pymethods]
        impl $class {
            #[doc = concat!("`", stringify!($class), "(nbytes, *, alignment=0, queue=None, copy=False)`.")]
            #[new]
            #[pyo3(signature = (other, *, alignment = 0, queue = None, copy = None))]
            fn new(
                py: Python<'_>,
                other: &Bound<'_, PyAny>,
                alignment: i64,
                queue: Option<Py<PyQueue>>,
                copy: Option<Bound<'_, PyAny>>,
            ) -> PyResult<PyClassInitializer<Self>> {
                let copy = copy.map_or(Ok(false), |c| c.is_truthy())?;
                let memory = construct(py, $kind, other, alignment, queue, copy)?;
                Ok(PyClassInitializer::from(memory).add_subclass($class))
            }

            $($extra)*
        }
    };
}

const DEVICE_NOT_HOST: &str = "USM device memory is not host accessible: copy it to the host \
                               with copy_to_host(), or use MemoryUSMShared or MemoryUSMHost";

memory_class!(
    MemoryUSMDevice,
    UsmKind::Device,
    "USM device memory: not accessible from the host (no buffer protocol: copy it with \
     `copy_to_host`).",
    {
        /// Refused: device memory is not host accessible.
        unsafe fn __getbuffer__(
            _slf: &Bound<'_, Self>,
            _view: *mut ffi::Py_buffer,
            _flags: c_int,
        ) -> PyResult<()> {
            Err(PyBufferError::new_err(DEVICE_NOT_HOST))
        }

        /// Refused, so that `numpy.asarray` raises instead of making an object array.
        #[pyo3(signature = (dtype = None, copy = None))]
        fn __array__(
            &self,
            dtype: Option<&Bound<'_, PyAny>>,
            copy: Option<&Bound<'_, PyAny>>,
        ) -> PyResult<()> {
            let _ = (dtype, copy);
            Err(PyTypeError::new_err(DEVICE_NOT_HOST))
        }
    }
);

memory_class!(
    MemoryUSMShared,
    UsmKind::Shared,
    "USM shared memory: migrates between host and device; the buffer protocol gives its bytes.",
    {
        unsafe fn __getbuffer__(
            slf: &Bound<'_, Self>,
            view: *mut ffi::Py_buffer,
            flags: c_int,
        ) -> PyResult<()> {
            // SAFETY: pyo3 passes the interpreter's view to this slot.
            unsafe { export_memory(slf.as_any(), slf.as_super().get(), view, flags) }
        }
    }
);

memory_class!(
    MemoryUSMHost,
    UsmKind::Host,
    "USM host memory: host memory the device reaches; the buffer protocol gives its bytes.",
    {
        unsafe fn __getbuffer__(
            slf: &Bound<'_, Self>,
            view: *mut ffi::Py_buffer,
            flags: c_int,
        ) -> PyResult<()> {
            // SAFETY: pyo3 passes the interpreter's view to this slot.
            unsafe { export_memory(slf.as_any(), slf.as_super().get(), view, flags) }
        }
    }
);

/// Exports the bytes of a host-accessible memory object.
///
/// # Safety
///
/// `view` must be the Py_buffer the interpreter passed to `bf_getbuffer`.
unsafe fn export_memory(
    slf: &Bound<'_, PyAny>,
    memory: &Memory,
    view: *mut ffi::Py_buffer,
    flags: c_int,
) -> PyResult<()> {
    // SAFETY: `view` is the interpreter's (the caller's contract); the allocation lives as
    // long as the memory object, which the view references until released.
    unsafe { buffer::export(view, slf, memory.ptr as *mut u8, memory.nbytes, flags) }
}

/// An object of the class for `memory`'s kind.
fn of_kind(py: Python<'_>, memory: Memory) -> PyResult<Py<PyAny>> {
    let kind = memory.kind;
    let init = PyClassInitializer::from(memory);
    Ok(match kind {
        UsmKind::Device => Py::new(py, init.add_subclass(MemoryUSMDevice))?.into_any(),
        UsmKind::Shared => Py::new(py, init.add_subclass(MemoryUSMShared))?.into_any(),
        UsmKind::Host => Py::new(py, init.add_subclass(MemoryUSMHost))?.into_any(),
    })
}

/// `as_usm_memory(obj)`: a `MemoryUSMDevice`, `MemoryUSMShared` or `MemoryUSMHost`
/// viewing the memory of `obj` (an object exposing `__sycl_usm_array_interface__`), of the
/// class for its kind. `ValueError` when `obj` does not expose the interface or it is
/// malformed.
#[pyfunction]
pub(crate) fn as_usm_memory(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    guard(|| of_kind(py, Memory::from_other(py, obj)?))
}

/// `_to_memory(contents, usm_kind)`: the pickle reconstructor: new memory of `usm_kind`
/// (`'device'`, `'shared'` or `'host'`) on the default queue, holding `contents`.
#[pyfunction]
#[pyo3(name = "_to_memory")]
pub(crate) fn to_memory(
    py: Python<'_>,
    contents: &Bound<'_, PyAny>,
    usm_kind: &str,
) -> PyResult<Py<PyAny>> {
    guard(|| {
        let kind = match usm_kind {
            "device" => UsmKind::Device,
            "shared" => UsmKind::Shared,
            "host" => UsmKind::Host,
            other => {
                return Err(PyValueError::new_err(format!(
                    "Unrecognized usm_kind={other} stored in the pickle"
                )))
            }
        };
        let host = HostBuffer::readable(contents)?;
        let memory = Memory::allocate(py, kind, host.len() as i64, 0, None)?;
        drop(host);
        memory.copy_from_host(py, contents)?;
        of_kind(py, memory)
    })
}
