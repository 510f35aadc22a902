//! dpctl's IPC classes: `IPCMemoryHandle` (the handle of device memory, as plain bytes for
//! another process) and `MemoryIPCDevice` (device memory of another process, opened here),
//! over usm-core's `IpcHandle` and `IpcMemory`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use usm_core::{IpcHandle, UsmKind};

use crate::errors::{guard, to_py};
use crate::memory::{lock, Backing, Memory, MemoryUSMDevice, Owned};
use crate::objects::{defaults, queue_for, PyDevice};

/// `MemoryUSMDevice` memory of another process, opened from an `IPCMemoryHandle`'s bytes
/// with `IPCMemoryHandle.open`; closed by `IPCMemoryHandle.close_mapping` or when the last
/// object using it goes.
#[pyclass(extends = MemoryUSMDevice, frozen, module = "level_zero_usm")]
pub(crate) struct MemoryIPCDevice;

#[pymethods]
impl MemoryIPCDevice {
    /// Whether the IPC mapping has been closed.
    #[getter]
    fn is_closed(slf: &Bound<'_, Self>) -> bool {
        let memory = slf.as_super().as_super().get();
        match &memory.backing {
            Backing::Owned(owned) => matches!(&*lock(owned), Owned::Ipc(None)),
            Backing::Borrowed => false,
        }
    }
}

/// The handle of a `MemoryUSMDevice` allocation for another process (dpctl's
/// `IPCMemoryHandle`): `to_bytes()` gives plain bytes to send any way; the receiver calls
/// `IPCMemoryHandle.open(bytes, device, nbytes)`. The handle keeps the exported allocation
/// alive while it exists.
#[pyclass(frozen, module = "level_zero_usm")]
pub(crate) struct IPCMemoryHandle {
    bytes: Vec<u8>,
    closed: AtomicBool,
    /// The exported allocation, kept alive for importers while the handle exists.
    _exported: Arc<Mutex<Owned>>,
}

#[pymethods]
impl IPCMemoryHandle {
    /// `IPCMemoryHandle(usm_memory)`: the handle of a `MemoryUSMDevice` that owns its
    /// allocation.
    #[new]
    fn new(py: Python<'_>, usm_memory: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(|| {
            if usm_memory.cast::<MemoryUSMDevice>().is_err() {
                let name = usm_memory.get_type().name()?;
                return Err(PyTypeError::new_err(format!(
                    "IPC handles are only supported for USM device allocations, not {name}"
                )));
            }
            let memory = usm_memory.cast::<Memory>()?.get();
            let owned = match &memory.backing {
                Backing::Owned(owned) if matches!(&*lock(owned), Owned::Device(_)) => {
                    Arc::clone(owned)
                }
                _ => {
                    return Err(PyValueError::new_err(
                        "USM memory object does not own its allocation",
                    ))
                }
            };
            let handle = py
                .detach(|| match &*lock(&owned) {
                    Owned::Device(d) => IpcHandle::export(d),
                    _ => unreachable!("checked to be owned device memory above"),
                })
                .map_err(|e| to_py(py, e))?;
            Ok(IPCMemoryHandle {
                bytes: handle.to_bytes().to_vec(),
                closed: AtomicBool::new(false),
                _exported: owned,
            })
        })
    }

    /// Whether IPC memory is available: always, in this package (the driver refuses
    /// what it cannot export, with its code).
    #[staticmethod]
    fn is_available() -> bool {
        true
    }

    /// The handle as `bytes`, for another process's `IPCMemoryHandle.open`.
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        if self.closed.load(Ordering::Relaxed) {
            return Err(PyRuntimeError::new_err(
                "IPC handle has already been closed",
            ));
        }
        Ok(PyBytes::new(py, &self.bytes))
    }

    /// `IPCMemoryHandle.open(handle_bytes, device, nbytes)`: the memory of another process
    /// named by `handle_bytes`, as a `MemoryIPCDevice` of `nbytes` on `device` in the
    /// default context.
    #[staticmethod]
    fn open(
        py: Python<'_>,
        handle_bytes: &Bound<'_, PyBytes>,
        device: PyRef<'_, PyDevice>,
        nbytes: i64,
    ) -> PyResult<Py<MemoryIPCDevice>> {
        guard(|| {
            if nbytes <= 0 {
                return Err(PyValueError::new_err("nbytes must be > 0 for IPC open"));
            }
            let nbytes = usize::try_from(nbytes)
                .map_err(|_| PyValueError::new_err("nbytes does not fit a size"))?;
            let context = defaults(py)?.context.clone();
            // The default context's cached queue of the device (a device outside it is a
            // ValueError).
            let queue = queue_for(py, &context, Some(&device.device))?;
            let raw = handle_bytes.as_bytes().to_vec();
            let target = device.device.clone();
            let opened = py
                .detach(|| IpcHandle::from_bytes(&raw)?.open(&context, &target, nbytes))
                .map_err(|e| to_py(py, e))?;
            let ptr = opened.as_view().base() as usize;
            let memory = Memory {
                ptr,
                nbytes,
                kind: UsmKind::Device,
                context,
                backing: Backing::Owned(Arc::new(Mutex::new(Owned::Ipc(Some(opened))))),
                queue,
                refobj: None,
            };
            let init = PyClassInitializer::from(memory)
                .add_subclass(MemoryUSMDevice)
                .add_subclass(MemoryIPCDevice);
            Py::new(py, init)
        })
    }

    /// Closes the IPC mapping of `usm_memory` (a `MemoryIPCDevice`); every later operation
    /// on it is refused. Closing a closed mapping does nothing.
    #[staticmethod]
    fn close_mapping(py: Python<'_>, usm_memory: &Bound<'_, PyAny>) -> PyResult<()> {
        guard(|| {
            if usm_memory.cast::<MemoryIPCDevice>().is_err() {
                return Err(PyRuntimeError::new_err(
                    "close_mapping called on a non-IPC memory object; this method is only \
                     valid for IPC-mapped memory",
                ));
            }
            let memory = usm_memory.cast::<Memory>()?.get();
            let Backing::Owned(owned) = &memory.backing else {
                return Ok(());
            };
            let taken = match &mut *lock(owned) {
                Owned::Ipc(slot) => slot.take(),
                _ => None,
            };
            match taken {
                Some(opened) => py.detach(|| opened.close()).map_err(|e| to_py(py, e)),
                None => Ok(()),
            }
        })
    }

    /// Marks this handle object as closed (`to_bytes` is refused after).
    fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
    }

    fn __repr__(&self) -> String {
        format!(
            "IPCMemoryHandle(size={}, closed={})",
            self.bytes.len(),
            if self.closed.load(Ordering::Relaxed) {
                "True"
            } else {
                "False"
            }
        )
    }
}
