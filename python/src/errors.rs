//! The package's exceptions, the mapping of usm-core's errors onto Python exceptions, and
//! [`guard`], which turns a panic into a `RuntimeError` before it can reach Python.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use usm_core::suai::SuaiError;
use usm_core::{Error, UsmAllocationError};

create_exception!(
    level_zero_usm,
    USMAllocationError,
    PyException,
    "A USM allocation failed. The attributes `kind` ('device', 'shared' or 'host'), `size` \
     and `alignment` (bytes; 0 is the driver's choice) describe the request; `code` is the \
     driver's ze_result_t as an int and `code_name` its name, both None when the request was \
     refused before the driver was asked (an alignment that is not a power of two, a size \
     larger than the address space)."
);

create_exception!(
    level_zero_usm,
    LevelZeroError,
    PyRuntimeError,
    "A Level Zero call failed, or no Level Zero driver or device could be used. `code` is the \
     driver's ze_result_t as an int (None when no call returned one) and `code_name` its name."
);

/// The `USMAllocationError` for `e`, its message usm-core's and its attributes set.
pub(crate) fn allocation_error(py: Python<'_>, e: &UsmAllocationError) -> PyErr {
    let err = USMAllocationError::new_err(e.to_string());
    let value = err.value(py);
    let code = e.code();
    // Setting attributes on a fresh exception instance only fails on a broken interpreter;
    // the exception is still raised with its message then.
    let _ = value.setattr("kind", e.kind.as_str());
    let _ = value.setattr("size", e.size);
    let _ = value.setattr("alignment", e.alignment);
    let _ = value.setattr("code", code.map(|c| c.raw().0));
    let _ = value.setattr("code_name", code.map(|c| c.name()));
    err
}

/// The Python exception for a usm-core error: `USMAllocationError` for allocations,
/// `ValueError` for arguments (sizes, ranges, kinds, pointers, contexts), `LevelZeroError`
/// for failed calls and missing drivers or devices.
pub(crate) fn to_py(py: Python<'_>, e: Error) -> PyErr {
    match &e {
        Error::Allocation(a) => allocation_error(py, a),
        Error::InvalidArgument { .. }
        | Error::NotUsm { .. }
        | Error::ForeignContext { .. }
        | Error::OutOfBounds { .. }
        | Error::ElementRange { .. }
        | Error::WrongKind { .. }
        | Error::NotHostAccessible { .. }
        | Error::TypedView { .. }
        | Error::DeviceNotInContext { .. }
        | Error::Transfer(_) => PyValueError::new_err(e.to_string()),
        _ => level_zero_error(py, e.to_string(), e.code()),
    }
}

/// A `LevelZeroError` with `message` and the driver's code, when there is one.
pub(crate) fn level_zero_error(
    py: Python<'_>,
    message: String,
    code: Option<usm_core::ResultCode>,
) -> PyErr {
    let err = LevelZeroError::new_err(message);
    let value = err.value(py);
    let _ = value.setattr("code", code.map(|c| c.raw().0));
    let _ = value.setattr("code_name", code.map(|c| c.name()));
    err
}

/// The `ValueError` for a malformed or unusable `__sycl_usm_array_interface__`, as dpctl
/// raises it; a failing driver query inside is a `LevelZeroError`.
pub(crate) fn suai_error(py: Python<'_>, e: SuaiError) -> PyErr {
    match e {
        SuaiError::Usm(inner) => match *inner {
            Error::DeviceNotInContext { .. } | Error::NotUsm { .. } => PyValueError::new_err(
                format!("__sycl_usm_array_interface__ is malformed: {inner}"),
            ),
            other => to_py(py, other),
        },
        other => PyValueError::new_err(format!(
            "__sycl_usm_array_interface__ is malformed: {other}"
        )),
    }
}

/// Runs `f`, turning a panic into a `RuntimeError` naming it, so that no panic (and no
/// pyo3 `PanicException`) reaches Python.
pub(crate) fn guard<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_string());
            Err(PyRuntimeError::new_err(format!(
                "internal error in level_zero_usm: {what}"
            )))
        }
    }
}

/// `_panic_inside_guard()`: panics inside [`guard`], for the tests that check a panic
/// arrives in Python as a `RuntimeError` (and not as pyo3's `PanicException`).
#[pyfunction]
#[pyo3(name = "_panic_inside_guard")]
pub(crate) fn panic_inside_guard() -> PyResult<()> {
    guard(|| panic!("a panic raised on purpose by _panic_inside_guard"))
}
