//! `__sycl_usm_array_interface__`: the dict this package's memory objects write, and the
//! reading of any object's dict, both through usm-core's `suai` module (its checks are
//! dpctl's: version, data, shape, typestr, strides, offset, the pointer's context, the
//! span inside the allocation).
//!
//! `syclobj` is a live Python object in Python, a name of a context in usm-core. Reading, it
//! is resolved here: this package's `Queue` or `Context` names its context; dpctl's
//! objects (a `SyclQueue` or `SyclContext`, their `SyclQueueRef` / `SyclContextRef`
//! capsules, an object with `_get_capsule()`, a filter-selector string) name a context of
//! dpctl's SYCL runtime, and the pointer is then looked up in the package's default context:
//! a Level Zero driver answers for an allocation of any of its contexts (as Intel's driver
//! and the software driver do), so memory of dpctl's on the same driver is found there.
//! Anything else (None included) is refused with a `ValueError`, as dpctl refuses it.

use pyo3::exceptions::{PyAttributeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyCapsule, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};
use usm_core::suai::{ArrayLayout, SuaiDict, SyclObj};
use usm_core::{Context, UsmKind, UsmMemory};

use crate::errors::suai_error;
use crate::objects::{defaults, queue_for, PyContext, PyQueue};

/// What a dict describes, after every check: the bytes the array touches.
pub(crate) struct Consumed {
    /// The first byte the array touches.
    pub(crate) ptr: usize,
    /// How many bytes it spans.
    pub(crate) len: usize,
    /// The allocation's kind.
    pub(crate) kind: UsmKind,
    /// The context the pointer was found in.
    pub(crate) context: Context,
    /// The queue to use for it: the dict's own when it named one of this package's queues
    /// on the allocation's device, else the package's for that device.
    pub(crate) queue: Py<PyQueue>,
}

const MALFORMED: &str = "__sycl_usm_array_interface__ is malformed";

/// Reads and checks `obj.__sycl_usm_array_interface__`.
pub(crate) fn consume(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Consumed> {
    let iface = match obj.getattr(intern!(py, "__sycl_usm_array_interface__")) {
        Ok(iface) => iface,
        Err(e) if e.is_instance_of::<PyAttributeError>(py) => {
            return Err(PyValueError::new_err(format!(
                "Argument {} does not expose `__sycl_usm_array_interface__`.",
                short_repr(obj)
            )))
        }
        Err(e) => return Err(e),
    };
    let Ok(dict) = iface.cast::<PyDict>() else {
        return Err(PyValueError::new_err(format!(
            "Argument {} does not correctly expose `__sycl_usm_array_interface__`: it is not a dict.",
            short_repr(obj)
        )));
    };
    let (context, named_queue) = resolve_syclobj(py, dict.get_item("syclobj")?)?;

    let mut fields = Map::new();
    for (key, value) in dict.iter() {
        let Ok(key) = key.extract::<String>() else {
            continue;
        };
        let json = match key.as_str() {
            "syclobj" => continue,
            "data" => data_to_json(&value)?,
            _ => to_json(&value, 0)?,
        };
        fields.insert(key, json);
    }
    let name = serde_json::to_value(SyclObj::new(&context, None))
        .map_err(|e| PyValueError::new_err(format!("{MALFORMED}: {e}")))?;
    fields.insert("syclobj".into(), name);
    let parsed = SuaiDict::from_value(&Value::Object(fields)).map_err(|e| suai_error(py, e))?;

    let found = py.detach(|| {
        // SAFETY: the view is dropped before this closure returns; only its numbers (the
        // pointer, length, kind and device) leave it, and the memory object made from them
        // keeps `obj`, the owner of the memory, alive.
        let view = unsafe { parsed.consume_in(&context, None) }?;
        let view = view.as_view();
        let ptr = view.base() as usize + view.offset();
        Ok::<_, usm_core::suai::SuaiError>((ptr, view.len(), view.kind(), view.device().cloned()))
    });
    let (ptr, len, kind, device) = found.map_err(|e| suai_error(py, e))?;
    let queue = match named_queue {
        Some(q) if kind == UsmKind::Host || Some(q.get().queue.device()) == device.as_ref() => q,
        _ => queue_for(py, &context, device.as_ref())?,
    };
    Ok(Consumed {
        ptr,
        len,
        kind,
        context,
        queue,
    })
}

/// The context a `syclobj` names, and the queue when it is one of this package's.
fn resolve_syclobj(
    py: Python<'_>,
    syclobj: Option<Bound<'_, PyAny>>,
) -> PyResult<(Context, Option<Py<PyQueue>>)> {
    let refuse = |what: String| {
        PyValueError::new_err(format!(
            "{MALFORMED}: 'syclobj' {what} names no context: it must be a level_zero_usm \
             Queue or Context, or a dpctl SyclQueue or SyclContext (or their capsule, or a \
             filter string)."
        ))
    };
    let Some(obj) = syclobj else {
        return Err(refuse("(missing)".into()));
    };
    if let Ok(q) = obj.cast::<PyQueue>() {
        return Ok((q.get().queue.context().clone(), Some(q.clone().unbind())));
    }
    if let Ok(c) = obj.cast::<PyContext>() {
        return Ok((c.get().context.clone(), None));
    }
    if is_foreign_sycl_object(py, &obj)? {
        return Ok((defaults(py)?.context.clone(), None));
    }
    Err(refuse(short_repr(&obj)))
}

/// Whether `obj` is one of the ways dpctl names a SYCL queue or context.
fn is_foreign_sycl_object(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    if obj.is_instance_of::<PyString>() {
        return Ok(true);
    }
    if let Ok(capsule) = obj.cast::<PyCapsule>() {
        let name = capsule.name()?;
        // SAFETY: the name of a live capsule is a NUL-terminated string that lives as long
        // as the capsule, which `obj` keeps alive here.
        let name = name.map(|n| unsafe { n.as_cstr() }.to_bytes().to_vec());
        return Ok(matches!(
            name.as_deref(),
            Some(b"SyclQueueRef") | Some(b"SyclContextRef")
        ));
    }
    if obj.hasattr(intern!(py, "_get_capsule"))? {
        return Ok(true);
    }
    let module: String = obj
        .get_type()
        .getattr(intern!(py, "__module__"))
        .and_then(|m| m.extract())
        .unwrap_or_default();
    let name = obj
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default();
    Ok(module.starts_with("dpctl") && (name == "SyclQueue" || name == "SyclContext"))
}

/// `data`: the pointer, and the flag taken by truth value (as dpctl does).
fn data_to_json(value: &Bound<'_, PyAny>) -> PyResult<Value> {
    let is_pair = (value.is_instance_of::<PyTuple>() || value.is_instance_of::<PyList>())
        && value.len()? == 2;
    if is_pair {
        let pointer = to_json(&value.get_item(0)?, 1)?;
        let flag = Value::Bool(value.get_item(1)?.is_truthy()?);
        return Ok(Value::Array(vec![pointer, flag]));
    }
    to_json(value, 0)
}

/// A Python value as JSON for usm-core's parser: None, bools, ints (also objects with
/// `__index__`, such as NumPy integers), floats, strings, tuples and lists. Anything else
/// becomes a string naming its type, which the parser then refuses for the key it is in.
fn to_json(value: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
    if depth > 32 {
        return Err(PyValueError::new_err(format!(
            "{MALFORMED}: values nest too deeply"
        )));
    }
    if value.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = value.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if value.is_instance_of::<PyInt>() {
        return int_to_json(value);
    }
    if let Ok(f) = value.cast::<PyFloat>() {
        return Ok(Number::from_f64(f.value()).map_or(Value::Null, Value::Number));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(Value::String(s.to_str()?.to_owned()));
    }
    if value.is_instance_of::<PyTuple>() || value.is_instance_of::<PyList>() {
        let items = value
            .try_iter()?
            .map(|item| to_json(&item?, depth + 1))
            .collect::<PyResult<Vec<_>>>()?;
        return Ok(Value::Array(items));
    }
    if value.hasattr(intern!(value.py(), "__index__"))? {
        if let Ok(index) = value.call_method0(intern!(value.py(), "__index__")) {
            return int_to_json(&index);
        }
    }
    let name = value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default();
    Ok(Value::String(format!("<{name} object>")))
}

fn int_to_json(value: &Bound<'_, PyAny>) -> PyResult<Value> {
    if let Ok(v) = value.extract::<i64>() {
        return Ok(Value::from(v));
    }
    if let Ok(v) = value.extract::<u64>() {
        return Ok(Value::from(v));
    }
    Err(PyValueError::new_err(format!(
        "{MALFORMED}: the integer {} is out of range",
        short_repr(value)
    )))
}

/// The dict of `nbytes` at `ptr` with `queue` as `syclobj`, as dpctl's memory objects write
/// it: `data` (the pointer, and `True` as dpctl writes for its writable memory), `shape`
/// `(nbytes,)`, `strides` None, `typestr` `"|u1"`, `version` 1. The layout comes from
/// usm-core's `SuaiDict` (which checks the span).
pub(crate) fn produce<'py>(
    py: Python<'py>,
    ptr: usize,
    nbytes: usize,
    queue: &Py<PyQueue>,
) -> PyResult<Bound<'py, PyDict>> {
    let q = queue.get();
    let dict = SuaiDict::new(
        ptr,
        false,
        ArrayLayout::bytes(nbytes),
        SyclObj::of_queue(&q.queue),
    )
    .map_err(|e| suai_error(py, e))?;
    let out = PyDict::new(py);
    out.set_item("data", (dict.pointer(), true))?;
    out.set_item("shape", PyTuple::new(py, &dict.layout().shape)?)?;
    out.set_item("strides", py.None())?;
    out.set_item("typestr", dict.layout().typestr.to_string())?;
    out.set_item("version", SuaiDict::VERSION)?;
    out.set_item("syclobj", queue.clone_ref(py))?;
    Ok(out)
}

/// `repr(obj)`, cut to 200 characters, for messages.
pub(crate) fn short_repr(obj: &Bound<'_, PyAny>) -> String {
    let text = obj
        .repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| "<unprintable object>".into());
    if text.chars().count() > 200 {
        let cut: String = text.chars().take(200).collect();
        format!("{cut}...")
    } else {
        text
    }
}
