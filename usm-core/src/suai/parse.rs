//! Reading a dict someone gives: every key checked, in the order dpctl checks them, each
//! broken rule reported by its own [`SuaiError`] variant.

use serde_json::{Map, Value};

use super::error::{found, SuaiError};
use super::layout::ArrayLayout;
use super::syclobj::SyclObj;
use super::typestr::TypeStr;
use super::SuaiDict;

fn required<'v>(dict: &'v Map<String, Value>, key: &'static str) -> Result<&'v Value, SuaiError> {
    dict.get(key).ok_or(SuaiError::MissingKey { key })
}

/// An integer that fits `isize`, or `None`.
fn signed(value: &Value) -> Option<isize> {
    value.as_i64().and_then(|v| isize::try_from(v).ok())
}

/// Parses and validates a dict given as a JSON value.
pub(super) fn from_value(value: &Value) -> Result<SuaiDict, SuaiError> {
    let dict = value.as_object().ok_or_else(|| SuaiError::NotADict {
        found: found(value),
    })?;

    let version = required(dict, "version")?;
    if version.as_u64() != Some(1) {
        return Err(SuaiError::Version {
            found: found(version),
        });
    }

    let data = required(dict, "data")?;
    let (pointer, read_only) = match data.as_array().map(Vec::as_slice) {
        Some([pointer, read_only]) => (pointer, read_only),
        _ => return Err(SuaiError::DataNotPair { found: found(data) }),
    };
    let pointer = pointer
        .as_u64()
        .and_then(|p| usize::try_from(p).ok())
        .ok_or_else(|| SuaiError::DataPointer {
            found: found(pointer),
        })?;
    let read_only = read_only.as_bool().ok_or_else(|| SuaiError::ReadOnlyFlag {
        found: found(read_only),
    })?;

    let syclobj = required(dict, "syclobj")?;
    let syclobj: SyclObj =
        serde_json::from_value(syclobj.clone()).map_err(|_| SuaiError::SyclObj {
            found: found(syclobj),
        })?;

    let shape = required(dict, "shape")?;
    let shape = shape
        .as_array()
        .ok_or_else(|| SuaiError::ShapeNotList {
            found: found(shape),
        })?
        .iter()
        .enumerate()
        .map(|(index, extent)| match (extent.as_u64(), extent.as_i64()) {
            (Some(e), _) => usize::try_from(e).map_err(|_| SuaiError::Overflow {
                what: "an extent of `shape`",
            }),
            (None, Some(negative)) => Err(SuaiError::NegativeExtent {
                index,
                value: negative,
            }),
            (None, None) => Err(SuaiError::ShapeEntry {
                index,
                found: found(extent),
            }),
        })
        .collect::<Result<Vec<usize>, SuaiError>>()?;

    let typestr = required(dict, "typestr")?;
    let typestr: TypeStr = typestr
        .as_str()
        .ok_or_else(|| SuaiError::TypestrNotString {
            found: found(typestr),
        })?
        .parse()?;

    let strides = match dict.get("strides") {
        None | Some(Value::Null) => None,
        Some(Value::Array(strides)) => Some(
            strides
                .iter()
                .enumerate()
                .map(|(index, stride)| {
                    signed(stride).ok_or_else(|| SuaiError::StrideEntry {
                        index,
                        found: found(stride),
                    })
                })
                .collect::<Result<Vec<isize>, SuaiError>>()?,
        ),
        Some(other) => {
            return Err(SuaiError::StridesNotList {
                found: found(other),
            })
        }
    };

    let offset = match dict.get("offset") {
        None => 0,
        Some(offset) => signed(offset).ok_or_else(|| SuaiError::Offset {
            found: found(offset),
        })?,
    };

    SuaiDict::new(
        pointer,
        read_only,
        ArrayLayout {
            typestr,
            shape,
            strides,
            offset,
        },
        syclobj,
    )
}

/// Parses and validates a dict given as JSON text.
pub(super) fn from_json(text: &str) -> Result<SuaiDict, SuaiError> {
    let value: Value = serde_json::from_str(text).map_err(|e| SuaiError::Json {
        message: e.to_string(),
        line: e.line(),
        column: e.column(),
    })?;
    from_value(&value)
}
