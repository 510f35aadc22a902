//! `Device`, `Context` and `Queue`: thin Python wrappers of usm-core's, standing where dpctl
//! has `SyclDevice`, `SyclContext` and `SyclQueue`; and the package's defaults.
//!
//! The defaults: the driver of the first GPU (`usm_core::Device::first_gpu`), one context
//! holding every device of that driver, and one queue per device, made at first use and
//! kept for the life of the process. Memory made without `queue=` uses the first device's.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use pyo3::exceptions::{PyIndexError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use usm_core::{Context, Device, Queue, ResultCode};

use crate::errors::{guard, level_zero_error, to_py};

/// The package's default context and the devices in it, in the driver's order.
pub(crate) struct Defaults {
    pub(crate) context: Context,
    pub(crate) devices: Vec<Device>,
}

static DEFAULTS: OnceLock<Result<Defaults, (String, Option<ResultCode>)>> = OnceLock::new();

/// The defaults, made at the first call; a failure (no loader, no driver, no GPU) is the
/// same `LevelZeroError` at every call.
pub(crate) fn defaults(py: Python<'_>) -> PyResult<&'static Defaults> {
    let made = DEFAULTS.get_or_init(|| {
        py.detach(|| {
            let first = Device::first_gpu()?;
            let driver = *first.driver();
            let devices = driver.devices()?;
            let context = Context::new(&driver, &devices)?;
            Ok::<_, usm_core::Error>(Defaults { context, devices })
        })
        .map_err(|e| (e.to_string(), e.code()))
    });
    match made {
        Ok(d) => Ok(d),
        Err((message, code)) => Err(level_zero_error(py, message.clone(), *code)),
    }
}

static DEFAULT_QUEUES: PyOnceLock<Vec<Py<PyQueue>>> = PyOnceLock::new();

/// The cached queue of the default context for device `index` of the defaults.
pub(crate) fn default_queue_for(py: Python<'_>, index: usize) -> PyResult<Py<PyQueue>> {
    let queues = DEFAULT_QUEUES.get_or_try_init(py, || {
        let d = defaults(py)?;
        d.devices
            .iter()
            .map(|device| {
                let queue = py
                    .detach(|| Queue::new(&d.context, device))
                    .map_err(|e| to_py(py, e))?;
                Py::new(py, PyQueue::wrap(queue))
            })
            .collect::<PyResult<Vec<_>>>()
    })?;
    queues
        .get(index)
        .map(|q| q.clone_ref(py))
        .ok_or_else(|| PyIndexError::new_err(format!("no device {index} in the default context")))
}

/// The queue memory on `device` of `context` uses when none was given: the cached one for
/// the default context, a new one otherwise. `device` None (host memory) is the context's
/// first device.
pub(crate) fn queue_for(
    py: Python<'_>,
    context: &Context,
    device: Option<&Device>,
) -> PyResult<Py<PyQueue>> {
    let d = defaults(py)?;
    let device = match device {
        Some(device) => device.clone(),
        None => context
            .devices()
            .first()
            .cloned()
            .ok_or_else(|| PyValueError::new_err("the context has no device"))?,
    };
    if *context == d.context {
        if let Some(index) = d.devices.iter().position(|x| *x == device) {
            return default_queue_for(py, index);
        }
    }
    let queue = py
        .detach(|| Queue::new(context, &device))
        .map_err(|e| to_py(py, e))?;
    Py::new(py, PyQueue::wrap(queue))
}

/// `default_queue()`: the queue memory made without `queue=` uses (the default context's,
/// on its first device).
#[pyfunction]
pub(crate) fn default_queue(py: Python<'_>) -> PyResult<Py<PyQueue>> {
    guard(|| default_queue_for(py, 0))
}

/// `get_devices()`: the devices of the default context, in the driver's order.
#[pyfunction]
pub(crate) fn get_devices(py: Python<'_>) -> PyResult<Vec<PyDevice>> {
    guard(|| {
        let d = defaults(py)?;
        Ok(d.devices.iter().cloned().map(PyDevice::wrap).collect())
    })
}

/// A Level Zero device (dpctl's `SyclDevice`).
#[pyclass(frozen, module = "level_zero_usm", name = "Device")]
#[derive(Clone)]
pub(crate) struct PyDevice {
    pub(crate) device: Device,
}

impl PyDevice {
    pub(crate) fn wrap(device: Device) -> PyDevice {
        PyDevice { device }
    }

    /// The device's place among the default context's devices.
    fn index(&self, py: Python<'_>) -> PyResult<Option<usize>> {
        Ok(defaults(py)?.devices.iter().position(|d| *d == self.device))
    }
}

#[pymethods]
impl PyDevice {
    /// `Device(index=0)`: device `index` of the default context.
    #[new]
    #[pyo3(signature = (index = 0))]
    fn new(py: Python<'_>, index: usize) -> PyResult<PyDevice> {
        guard(|| {
            let d = defaults(py)?;
            d.devices
                .get(index)
                .cloned()
                .map(PyDevice::wrap)
                .ok_or_else(|| {
                    PyIndexError::new_err(format!(
                        "device index {index} out of range: the default context has {} device(s)",
                        d.devices.len()
                    ))
                })
        })
    }

    /// The device's name, as the driver reports it.
    #[getter]
    fn name(&self, py: Python<'_>) -> PyResult<String> {
        guard(|| {
            let props = self.device.properties().map_err(|e| to_py(py, e))?;
            Ok(props.name)
        })
    }

    /// `level_zero:gpu:N`, N its place in the default context (the filter string dpctl's
    /// SYCL runtime gives the same device, on the same driver); None for another device.
    #[getter]
    fn filter_string(&self, py: Python<'_>) -> PyResult<Option<String>> {
        guard(|| Ok(self.index(py)?.map(|i| format!("level_zero:gpu:{i}"))))
    }

    /// The raw `ze_device_handle_t` as an int.
    #[getter]
    fn handle(&self) -> usize {
        self.device.raw() as usize
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyDevice>()
            .is_ok_and(|o| o.get().device == self.device)
    }

    fn __hash__(&self) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.device.hash(&mut h);
        h.finish()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let name = self
            .device
            .properties()
            .map(|p| p.name)
            .unwrap_or_else(|_| "?".into());
        match self.index(py).ok().flatten() {
            Some(i) => format!("<level_zero_usm.Device [level_zero:gpu:{i}] '{name}'>"),
            None => format!("<level_zero_usm.Device at {:#x} '{name}'>", self.handle()),
        }
    }
}

/// A Level Zero context (dpctl's `SyclContext`).
#[pyclass(frozen, module = "level_zero_usm", name = "Context")]
pub(crate) struct PyContext {
    pub(crate) context: Context,
}

#[pymethods]
impl PyContext {
    /// `Context()`: the default context (every device of the first GPU's driver);
    /// `Context(devices)`: a new context of those devices (one driver's).
    #[new]
    #[pyo3(signature = (devices = None))]
    fn new(py: Python<'_>, devices: Option<Vec<PyRef<'_, PyDevice>>>) -> PyResult<PyContext> {
        guard(|| {
            let Some(devices) = devices else {
                return Ok(PyContext {
                    context: defaults(py)?.context.clone(),
                });
            };
            let devices: Vec<Device> = devices.iter().map(|d| d.device.clone()).collect();
            let first = devices
                .first()
                .ok_or_else(|| PyValueError::new_err("a context needs at least one device"))?;
            let driver = *first.driver();
            let context = py
                .detach(|| Context::new(&driver, &devices))
                .map_err(|e| to_py(py, e))?;
            Ok(PyContext { context })
        })
    }

    /// The devices of the context.
    fn get_devices(&self) -> Vec<PyDevice> {
        self.context
            .devices()
            .iter()
            .cloned()
            .map(PyDevice::wrap)
            .collect()
    }

    /// The raw `ze_context_handle_t` as an int.
    #[getter]
    fn handle(&self) -> usize {
        self.context.raw() as usize
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyContext>()
            .is_ok_and(|o| o.get().context == self.context)
    }

    fn __hash__(&self) -> u64 {
        self.context.id()
    }

    fn __repr__(&self) -> String {
        format!(
            "<level_zero_usm.Context {} at {:#x} with {} device(s)>",
            self.context.id(),
            self.handle(),
            self.context.devices().len()
        )
    }
}

static NEXT_QUEUE: AtomicU64 = AtomicU64::new(1);

/// A queue: a device of a context, on which copies and fills run (dpctl's `SyclQueue`).
#[pyclass(frozen, module = "level_zero_usm", name = "Queue")]
pub(crate) struct PyQueue {
    pub(crate) queue: Queue,
    id: u64,
}

impl PyQueue {
    pub(crate) fn wrap(queue: Queue) -> PyQueue {
        PyQueue {
            queue,
            id: NEXT_QUEUE.fetch_add(1, Ordering::Relaxed),
        }
    }
}

#[pymethods]
impl PyQueue {
    /// `Queue(context=None, device=None)`: a new queue. Without a context, the default
    /// context; without a device, the context's first device.
    #[new]
    #[pyo3(signature = (context = None, device = None))]
    fn new(
        py: Python<'_>,
        context: Option<PyRef<'_, PyContext>>,
        device: Option<PyRef<'_, PyDevice>>,
    ) -> PyResult<PyQueue> {
        guard(|| {
            let context = match context {
                Some(c) => c.context.clone(),
                None => defaults(py)?.context.clone(),
            };
            let device = match device {
                Some(d) => d.device.clone(),
                None => context
                    .devices()
                    .first()
                    .cloned()
                    .ok_or_else(|| PyValueError::new_err("the context has no device"))?,
            };
            let queue = py
                .detach(|| Queue::new(&context, &device))
                .map_err(|e| to_py(py, e))?;
            Ok(PyQueue::wrap(queue))
        })
    }

    /// The queue's device.
    #[getter]
    fn sycl_device(&self) -> PyDevice {
        PyDevice::wrap(self.queue.device().clone())
    }

    /// The queue's context.
    #[getter]
    fn sycl_context(&self) -> PyContext {
        PyContext {
            context: self.queue.context().clone(),
        }
    }

    /// Waits for all work submitted to the queue (the GIL released meanwhile).
    fn wait(&self, py: Python<'_>) -> PyResult<()> {
        guard(|| {
            py.detach(|| self.queue.synchronize())
                .map_err(|e| to_py(py, e))
        })
    }

    /// For dpctl: a `SyclQueueRef` capsule of a `dpctl.SyclQueue` on the same device (by
    /// its filter string), so that dpctl accepts this queue as a `syclobj`. Needs dpctl,
    /// and dpctl's SYCL runtime on the same Level Zero driver.
    fn _get_capsule(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        guard(|| {
            let device = PyDevice::wrap(self.queue.device().clone());
            let filter = device.filter_string(py)?.ok_or_else(|| {
                PyValueError::new_err("the queue's device is not in the default context")
            })?;
            let dpctl = py.import("dpctl")?;
            let queue = dpctl.getattr("SyclQueue")?.call1((filter,))?;
            Ok(queue.call_method0("_get_capsule")?.unbind())
        })
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<PyQueue>().is_ok_and(|o| o.get().id == self.id)
    }

    fn __hash__(&self) -> u64 {
        self.id
    }

    fn __repr__(&self) -> String {
        format!(
            "<level_zero_usm.Queue {} on device {:#x} of context {}>",
            self.id,
            self.queue.device().raw() as usize,
            self.queue.context().id()
        )
    }
}
