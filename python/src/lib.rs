//! `level_zero_usm`: dpctl's `dpctl.memory` API for Python, over usm-core, on any Level
//! Zero driver (the software driver `libze_soft.so` included), without a SYCL runtime.
//!
//! The module is built with maturin (see `python/README.md`); its Python surface is
//! described in `level_zero_usm.pyi`. Its parts:
//!
//! - `objects`: the thin `Device`, `Context` and `Queue` wrappers of usm-core's, the
//!   package's defaults (the first GPU's driver, one context holding all its devices, one
//!   cached queue per device);
//! - `memory`: `MemoryUSMDevice`, `MemoryUSMShared`, `MemoryUSMHost` and their base
//!   `_Memory`: allocation, zero-copy views of other objects' memory, copies, fills, the
//!   buffer protocol (host-accessible kinds only), pickling;
//! - `interface`: the `__sycl_usm_array_interface__` dict read and written through
//!   usm-core's `suai` module;
//! - `buffer`: the Python buffers copies read and write;
//! - `errors`: `USMAllocationError`, `LevelZeroError`, the mapping of usm-core's errors,
//!   and the guard that keeps a panic from reaching Python.

use pyo3::prelude::*;

mod buffer;
mod errors;
mod interface;
mod ipc;
mod memory;
mod objects;

/// The Python module `level_zero_usm`.
#[pymodule]
fn level_zero_usm(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add(
        "USMAllocationError",
        py.get_type::<errors::USMAllocationError>(),
    )?;
    m.add("LevelZeroError", py.get_type::<errors::LevelZeroError>())?;
    m.add_class::<objects::PyDevice>()?;
    m.add_class::<objects::PyContext>()?;
    m.add_class::<objects::PyQueue>()?;
    m.add_class::<memory::Memory>()?;
    m.add_class::<memory::MemoryUSMDevice>()?;
    m.add_class::<memory::MemoryUSMShared>()?;
    m.add_class::<memory::MemoryUSMHost>()?;
    m.add_class::<ipc::MemoryIPCDevice>()?;
    m.add_class::<ipc::IPCMemoryHandle>()?;
    m.add_function(wrap_pyfunction!(memory::as_usm_memory, m)?)?;
    m.add_function(wrap_pyfunction!(memory::to_memory, m)?)?;
    m.add_function(wrap_pyfunction!(objects::default_queue, m)?)?;
    m.add_function(wrap_pyfunction!(objects::get_devices, m)?)?;
    m.add_function(wrap_pyfunction!(errors::panic_inside_guard, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
