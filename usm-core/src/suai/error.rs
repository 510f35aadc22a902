//! The typed errors of the array interface: one variant per validation rule.

use super::typestr::TypestrError;
use crate::names::UsmKind;

/// Why an array-interface dict was refused, when parsed, described or consumed.
///
/// Every rule of the interface has its own variant, so callers (and tests) can tell which
/// rule a dict broke. `found` fields hold the offending JSON value as text.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum SuaiError {
    /// The text is not JSON.
    #[error("the array interface is not valid JSON: {message} (line {line}, column {column})")]
    Json {
        /// The parser's message.
        message: String,
        /// Line of the fault, from 1.
        line: usize,
        /// Column of the fault, from 1.
        column: usize,
    },
    /// The value is not a JSON object (a dict).
    #[error("the array interface must be a dict (JSON object), found {found}")]
    NotADict {
        /// The value found.
        found: String,
    },
    /// A required key is missing (`data`, `shape`, `typestr`, `version` or `syclobj`).
    #[error("the array interface lacks the required key `{key}`")]
    MissingKey {
        /// The missing key.
        key: &'static str,
    },
    /// `version` is not 1, the only version there is.
    #[error("the array interface has version {found}; the only recognized version is 1")]
    Version {
        /// The value found.
        found: String,
    },
    /// `data` is not a pair `[pointer, read_only]`.
    #[error("`data` must be a pair [pointer, read-only flag], found {found}")]
    DataNotPair {
        /// The value found.
        found: String,
    },
    /// The pointer in `data` is not an integer in the address range.
    #[error("the pointer in `data` must be a non-negative integer address, found {found}")]
    DataPointer {
        /// The value found.
        found: String,
    },
    /// The read-only flag in `data` is not a boolean.
    #[error("the read-only flag in `data` must be true or false, found {found}")]
    ReadOnlyFlag {
        /// The value found.
        found: String,
    },
    /// `shape` is not a list.
    #[error("`shape` must be a list of non-negative integers, found {found}")]
    ShapeNotList {
        /// The value found.
        found: String,
    },
    /// An entry of `shape` is not an integer.
    #[error("`shape[{index}]` must be an integer, found {found}")]
    ShapeEntry {
        /// The position of the entry.
        index: usize,
        /// The value found.
        found: String,
    },
    /// An entry of `shape` is negative.
    #[error("`shape[{index}]` is {value}; extents must not be negative")]
    NegativeExtent {
        /// The position of the entry.
        index: usize,
        /// The extent found.
        value: i64,
    },
    /// `strides` is neither null nor a list.
    #[error("`strides` must be null or a list of integers, found {found}")]
    StridesNotList {
        /// The value found.
        found: String,
    },
    /// An entry of `strides` is not an integer in the address range.
    #[error("`strides[{index}]` must be an integer, found {found}")]
    StrideEntry {
        /// The position of the entry.
        index: usize,
        /// The value found.
        found: String,
    },
    /// `strides` and `shape` have different lengths.
    #[error("`strides` has {strides} entries but `shape` has {shape}")]
    StridesLength {
        /// Length of `shape`.
        shape: usize,
        /// Length of `strides`.
        strides: usize,
    },
    /// `typestr` is not a string.
    #[error("`typestr` must be a string, found {found}")]
    TypestrNotString {
        /// The value found.
        found: String,
    },
    /// `typestr` is a string that names no supported element type.
    #[error(transparent)]
    Typestr(#[from] TypestrError),
    /// `offset` is not an integer in the address range.
    #[error("`offset` must be an integer (elements from the pointer), found {found}")]
    Offset {
        /// The value found.
        found: String,
    },
    /// `syclobj` does not name a context the way usm-core writes it.
    #[error("`syclobj` must be {{\"context_id\": integer or null, \"context_handle\": integer, \"device_handle\": integer or null}}, found {found}")]
    SyclObj {
        /// The value found.
        found: String,
    },
    /// The bytes the array touches do not fit in the address space.
    #[error("the array's extent overflows the address space ({what})")]
    Overflow {
        /// Which computation overflowed.
        what: &'static str,
    },
    /// `syclobj` names a context that is not alive in this process.
    #[error("`syclobj` names context id {id:?} with handle {handle:#x}, which is not a live context of this process")]
    UnknownContext {
        /// The id named, if any.
        id: Option<u64>,
        /// The raw handle named.
        handle: usize,
    },
    /// `syclobj` names another context than the one the consumer gave.
    #[error(
        "`syclobj` names context {named:#x}, but the memory is consumed in context {given:#x}"
    )]
    ContextMismatch {
        /// The raw handle named by the dict.
        named: usize,
        /// The raw handle of the consumer's context.
        given: usize,
    },
    /// The pointer in `data` is not USM memory of the named context.
    #[error("the pointer {addr:#x} in `data` is not USM memory of context {context:#x}")]
    NotUsm {
        /// The pointer.
        addr: usize,
        /// The raw handle of the context.
        context: usize,
    },
    /// The pointer in `data` is USM memory of another context made by usm-core.
    #[error("the pointer {addr:#x} in `data` belongs to context {other:#x}, not to {context:#x}")]
    ForeignContext {
        /// The pointer.
        addr: usize,
        /// The raw handle of the context asked.
        context: usize,
        /// The raw handle of the context the memory belongs to.
        other: usize,
    },
    /// The bytes the array touches leave the memory (allocation) the pointer lies in.
    #[error("the array touches bytes {first}..={last} relative to its memory of {size} bytes")]
    OutOfBounds {
        /// First touched byte, relative to the start of the memory (may be negative).
        first: i128,
        /// Last touched byte, relative to the start of the memory.
        last: i128,
        /// Size of the memory in bytes.
        size: usize,
    },
    /// The memory is of another USM kind than the consumer asked for.
    #[error("the array lives in {found} memory, but {expected} memory was asked for")]
    KindMismatch {
        /// The kind asked for.
        expected: UsmKind,
        /// The kind of the memory.
        found: UsmKind,
    },
    /// The dict marks its data read-only, but it was consumed for writing.
    #[error("the data at {addr:#x} is marked read-only; it cannot be consumed for writing")]
    ReadOnly {
        /// The pointer in `data`.
        addr: usize,
    },
    /// A Level Zero query failed, or another usm-core error (boxed: it is large); a device
    /// `syclobj` names that is not one of the context's is
    /// [`Error::DeviceNotInContext`](crate::Error::DeviceNotInContext).
    #[error(transparent)]
    Usm(Box<crate::Error>),
}

impl From<crate::Error> for SuaiError {
    fn from(e: crate::Error) -> SuaiError {
        SuaiError::Usm(Box::new(e))
    }
}

/// The JSON text of a value, for error messages (cut short when long).
pub(crate) fn found(value: &serde_json::Value) -> String {
    let mut text = value.to_string();
    if text.len() > 80 {
        let mut cut = 77;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    text
}
