//! The SYCL USM array interface: the `__sycl_usm_array_interface__` dict that dpctl, dpnp,
//! numba-dpex and every library speaking SYCL USM use to hand memory to each other.
//!
//! usm-core writes it for its memory ([`SuaiDict::of_memory`], [`SuaiDict::describe`]),
//! reads it from others ([`SuaiDict::from_json`], or serde), validates it with the rules
//! dpctl applies, and turns it into a non-owning view of exactly the bytes the array
//! touches ([`SuaiDict::consume`], [`SuaiDict::consume_in`]; for writing, when the dict
//! allows it: [`SuaiDict::consume_mut`], [`SuaiDict::consume_mut_in`]).
//!
//! # The dict
//!
//! | key | meaning | JSON |
//! |-----|---------|------|
//! | `data` | the pointer and a read-only flag | `[140245037203456, false]` |
//! | `shape` | extent of each dimension | `[2, 3]` (`[]` for a 0-d array) |
//! | `strides` | elements to step per dimension, may be negative; `null` = C-contiguous | `null` or `[3, 1]` |
//! | `typestr` | element type, a NumPy type string (see [`TypeStr`]) | `"<f4"` |
//! | `version` | always 1 | `1` |
//! | `offset` | elements from the pointer to element `[0, ..., 0]`; optional, default 0 | `0` |
//! | `syclobj` | the context (and device) the memory belongs to (see [`SyclObj`]) | `{"context_id": 1, ...}` |
//!
//! usm-core always writes the keys in this order, `offset` included, with no spaces
//! ([`SuaiDict::to_json`]); that text is stable. When reading, keys may come in any order,
//! `strides` and `offset` may be left out, and unknown keys are ignored (as dpctl does).
//!
//! # Rules
//!
//! A dict is refused, each time with its own [`SuaiError`] variant, when: it is not a JSON
//! object; a required key is missing; `version` is not 1; `data` is not a pair of a
//! non-negative integer and a boolean; `shape` is not a list of integers or has a negative
//! extent; `strides` is neither null nor a list of integers, or has another length than
//! `shape`; `typestr` is not a string, or names the object kind `O` or any kind other than
//! `b i u f c`, or a size the kind lacks; `offset` is not an integer; `syclobj` is not a
//! context name; the span overflows the address space. When consumed: the named context is
//! not alive (or is not the consumer's), the named device is not in it, the pointer is not
//! USM memory of it, the span leaves the allocation the pointer lies in
//! (`zeMemGetAddressRange`), the memory is of another USM kind than asked for (a device
//! view of shared memory is an error, as in dpctl), or it is consumed for writing while
//! `data` marks it read-only.
//!
//! The span is what dpctl computes: the lowest to the highest byte over all elements
//! (negative strides included); an array with no elements, or with 0 dimensions, touches
//! one element at `offset`. dpctl's documentation calls the second entry of `data` a
//! read-only flag, as NumPy's array interface does, and so does usm-core: `true` means
//! read-only. (dpctl's `usm_ndarray` writes it that way; its `MemoryUSM*` objects write
//! `true` for their writable memory, so a consumer that must write should not rely on
//! the flag of a dict from those.) Non-native byte orders are accepted, as dpctl's
//! memory objects accept them; [`TypeStr::matches`] tells whether elements read as a Rust
//! type without swapping. Type strings must start with a byte order (NumPy would also
//! read spellings such as `"float32"`, which the interface does not use), and integers
//! must be JSON integers (`2`, not `2.0`).
//!
//! # Example: produce, hand over as JSON, consume
//!
//! (The same steps run as the test `the_documented_example_works` in `tests/suai.rs`.)
//!
//! ```no_run
//! use usm_core::suai::{ArrayLayout, SuaiDict, Access};
//! use usm_core::{Context, UsmKind, UsmMemory, UsmShared};
//!
//! let (context, device) = Context::default_gpu()?;
//! let mut memory = UsmShared::new(&context, &device, 24)?;
//! memory.as_mut_slice_of::<f32>()?.copy_from_slice(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
//!
//! // The whole allocation as bytes (`|u1`), as dpctl's memory objects describe themselves:
//! let bytes = SuaiDict::of_memory(&memory)?;
//! assert_eq!(bytes.layout().shape, [24]);
//!
//! // A 2x3 array of f32, its rows in reverse order, read-only:
//! let layout = ArrayLayout::of::<f32>(vec![2, 3]).with_strides(vec![-3, 1]).with_offset(3);
//! let dict = SuaiDict::describe(&memory, layout, Access::ReadOnly)?;
//! let json = dict.to_json();
//! // {"data":[<address>,true],"shape":[2,3],"strides":[-3,1],"typestr":"<f4","version":1,
//! //  "offset":3,"syclobj":{"context_id":1,"context_handle":<handle>,"device_handle":<handle>}}
//!
//! // Another library in the same process reads the JSON (or receives the value) and
//! // takes a view of the bytes the array touches, after every check:
//! let received = SuaiDict::from_json(&json)?;
//! // SAFETY: `memory` outlives the view and is not written while the view is used.
//! let array = unsafe { received.consume(Some(UsmKind::Shared))? };
//! assert_eq!((array.as_view().offset(), array.len()), (0, 24));
//! let at = array.byte_offset(&[0, 2]).unwrap(); // element [0][2] is memory's element 5
//! assert_eq!(&array.as_view().as_slice()?[at..at + 4], &5.0f32.to_ne_bytes());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod consume;
mod consume_mut;
mod error;
mod layout;
mod parse;
mod produce;
mod syclobj;
mod typestr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use consume::SuaiView;
pub use consume_mut::SuaiViewMut;
pub use error::SuaiError;
pub use layout::{ArrayLayout, Span};
pub use produce::Access;
pub use syclobj::{context_id, SyclObj};
pub use typestr::{ByteOrder, ElementKind, SuaiElement, TypeStr, TypestrError};

/// A `__sycl_usm_array_interface__` dict whose layout has been checked: every value is
/// well-typed and the span it touches fits the address space. (Whether that span is USM
/// memory of the named context is checked when it is consumed.)
///
/// Serializes to the stable JSON form described in the [module documentation](self);
/// deserializing runs every check of [`SuaiDict::from_value`] (and reports its message).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SuaiDict {
    pointer: usize,
    read_only: bool,
    layout: ArrayLayout,
    syclobj: SyclObj,
    span: Span,
}

impl SuaiDict {
    /// The interface version usm-core reads and writes.
    pub const VERSION: u32 = 1;

    /// A dict of the array `layout` at `pointer`, in the context `syclobj` names.
    ///
    /// # Errors
    ///
    /// [`SuaiError::StridesLength`] and [`SuaiError::Overflow`] from
    /// [`ArrayLayout::span`].
    pub fn new(
        pointer: usize,
        read_only: bool,
        layout: ArrayLayout,
        syclobj: SyclObj,
    ) -> Result<SuaiDict, SuaiError> {
        let span = layout.span()?;
        if pointer as i128 + span.last() > usize::MAX as i128 {
            return Err(SuaiError::Overflow {
                what: "the pointer plus the span",
            });
        }
        Ok(SuaiDict {
            pointer,
            read_only,
            layout,
            syclobj,
            span,
        })
    }

    /// The same dict naming `syclobj` instead (for instance [`SyclObj::of_queue`], to name
    /// the queue the consumer should use). Whether it names the memory's context is checked
    /// when the dict is consumed.
    pub fn with_syclobj(mut self, syclobj: SyclObj) -> SuaiDict {
        self.syclobj = syclobj;
        self
    }

    /// Parses and validates a dict from JSON text.
    ///
    /// ```
    /// use usm_core::suai::{SuaiDict, SuaiError};
    /// let text = r#"{"data": [4096, false], "shape": [2, 2], "strides": [10, -2],
    ///     "typestr": "|u1", "offset": 9, "version": 1, "syclobj": {"context_handle": 1}}"#;
    /// let dict = SuaiDict::from_json(text)?;
    /// assert_eq!((dict.span().start, dict.span().len), (7, 13));
    /// let err = SuaiDict::from_json(&text.replace("\"|u1\"", "\"|O8\"")).unwrap_err();
    /// assert!(matches!(err, SuaiError::Typestr(_)));
    /// # Ok::<(), SuaiError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`SuaiError::Json`] for text that is not JSON; otherwise as
    /// [`SuaiDict::from_value`].
    pub fn from_json(text: &str) -> Result<SuaiDict, SuaiError> {
        parse::from_json(text)
    }

    /// Parses and validates a dict from a JSON value.
    ///
    /// # Errors
    ///
    /// One [`SuaiError`] variant per rule the value breaks (the first found, in the order
    /// dpctl checks: version, data, syclobj, shape, typestr, strides, offset, span).
    pub fn from_value(value: &serde_json::Value) -> Result<SuaiDict, SuaiError> {
        parse::from_value(value)
    }

    /// The stable JSON text of the dict.
    pub fn to_json(&self) -> String {
        // Serializing plain integers, strings and lists into a String cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The dict as a JSON value.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// The pointer (`data[0]`).
    pub fn pointer(&self) -> usize {
        self.pointer
    }

    /// Whether the data is read-only (`data[1]`).
    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// Element type, shape, strides and offset.
    pub fn layout(&self) -> &ArrayLayout {
        &self.layout
    }

    /// The name of the context the memory belongs to.
    pub fn syclobj(&self) -> &SyclObj {
        &self.syclobj
    }

    /// The bytes the array touches, relative to [`pointer`](Self::pointer).
    pub fn span(&self) -> Span {
        self.span
    }
}

/// The JSON form, in its stable key order.
#[derive(Serialize)]
struct Wire<'a> {
    data: (usize, bool),
    shape: &'a [usize],
    strides: Option<&'a [isize]>,
    typestr: String,
    version: u32,
    offset: isize,
    syclobj: &'a SyclObj,
}

impl Serialize for SuaiDict {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Wire {
            data: (self.pointer, self.read_only),
            shape: &self.layout.shape,
            strides: self.layout.strides.as_deref(),
            typestr: self.layout.typestr.to_string(),
            version: SuaiDict::VERSION,
            offset: self.layout.offset,
            syclobj: &self.syclobj,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for SuaiDict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<SuaiDict, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        SuaiDict::from_value(&value).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
