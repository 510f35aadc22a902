//! The element type of an array: a NumPy array-interface type string (`|u1`, `<f4`, `<c16`).
//!
//! A type string is a byte-order character, a kind character and the element size in
//! bytes as a decimal number. Only the numeric and boolean kinds that dpctl accepts are
//! valid: `b` (boolean, 1 byte), `i` / `u` (signed / unsigned integer, 1, 2, 4 or 8
//! bytes), `f` (floating point, 2, 4 or 8 bytes) and `c` (complex floating point, 8 or 16
//! bytes). NumPy's object kind `O` and every other kind (strings, void, dates) are refused.

use std::fmt;
use std::str::FromStr;

/// The byte order of a type string's elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// `<`: little-endian.
    Little,
    /// `>`: big-endian.
    Big,
    /// `=`: the host's order.
    Native,
    /// `|`: byte order does not apply (single bytes; NumPy reads it as native for larger
    /// elements).
    NotApplicable,
}

impl ByteOrder {
    /// The character that spells this order in a type string.
    pub fn as_char(self) -> char {
        match self {
            ByteOrder::Little => '<',
            ByteOrder::Big => '>',
            ByteOrder::Native => '=',
            ByteOrder::NotApplicable => '|',
        }
    }

    /// The order for multi-byte elements of this host (`<` on little-endian targets).
    pub fn host() -> ByteOrder {
        if cfg!(target_endian = "little") {
            ByteOrder::Little
        } else {
            ByteOrder::Big
        }
    }

    /// Whether elements in this order can be read on this host without swapping bytes.
    pub fn is_host(self) -> bool {
        match self {
            ByteOrder::Native | ByteOrder::NotApplicable => true,
            other => other == ByteOrder::host(),
        }
    }
}

/// The kind of an array's elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ElementKind {
    /// `b`: boolean (one byte, 0 or 1).
    Bool,
    /// `i`: signed integer.
    Int,
    /// `u`: unsigned integer.
    Uint,
    /// `f`: floating point.
    Float,
    /// `c`: complex floating point (two floats: real, imaginary).
    Complex,
}

impl ElementKind {
    /// The character that spells this kind in a type string.
    pub fn as_char(self) -> char {
        match self {
            ElementKind::Bool => 'b',
            ElementKind::Int => 'i',
            ElementKind::Uint => 'u',
            ElementKind::Float => 'f',
            ElementKind::Complex => 'c',
        }
    }

    /// The element sizes in bytes that this kind allows.
    pub fn sizes(self) -> &'static [usize] {
        match self {
            ElementKind::Bool => &[1],
            ElementKind::Int | ElementKind::Uint => &[1, 2, 4, 8],
            ElementKind::Float => &[2, 4, 8],
            ElementKind::Complex => &[8, 16],
        }
    }
}

/// Why a type string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypestrError {
    /// The string is shorter than byte order, kind and size.
    #[error("type string {text:?} is too short: expected byte order, kind and size (\"<f4\")")]
    TooShort {
        /// The string as given.
        text: String,
    },
    /// The first character is not one of `<`, `>`, `=`, `|`.
    #[error("type string {text:?} does not start with a byte order (one of < > = |)")]
    ByteOrder {
        /// The string as given.
        text: String,
    },
    /// The kind is NumPy's object kind `O`, which holds Python object references.
    #[error(
        "type string {text:?} has the object kind `O`; only numeric and boolean data can be shared"
    )]
    ObjectKind {
        /// The string as given.
        text: String,
    },
    /// The kind is not one of `b`, `i`, `u`, `f`, `c`.
    #[error("type string {text:?} has the unsupported kind {kind:?}; expected one of b i u f c")]
    UnsupportedKind {
        /// The string as given.
        text: String,
        /// The kind character found.
        kind: char,
    },
    /// The size is not a decimal number.
    #[error("type string {text:?} does not end with an element size in bytes")]
    Size {
        /// The string as given.
        text: String,
    },
    /// The size is not one the kind allows.
    #[error("type string {text:?}: kind `{}` has no {size}-byte elements (sizes: {:?})", kind.as_char(), kind.sizes())]
    UnsupportedSize {
        /// The string as given.
        text: String,
        /// The kind.
        kind: ElementKind,
        /// The size found.
        size: usize,
    },
}

/// A parsed, valid type string: byte order, kind and element size.
///
/// ```
/// use usm_core::suai::{ByteOrder, ElementKind, TypeStr};
/// let t: TypeStr = "<c16".parse()?;
/// assert_eq!((t.byte_order(), t.kind(), t.itemsize()), (ByteOrder::Little, ElementKind::Complex, 16));
/// assert_eq!(t.to_string(), "<c16");
/// assert!("|O8".parse::<TypeStr>().is_err());
/// # Ok::<(), usm_core::suai::TypestrError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TypeStr {
    byte_order: ByteOrder,
    kind: ElementKind,
    itemsize: usize,
}

impl TypeStr {
    /// Unsigned bytes, `|u1`: the type of the default 1-D view of memory.
    pub const BYTES: TypeStr = TypeStr {
        byte_order: ByteOrder::NotApplicable,
        kind: ElementKind::Uint,
        itemsize: 1,
    };

    /// A type string of `kind` with `itemsize` bytes per element in `byte_order`.
    ///
    /// # Errors
    ///
    /// [`TypestrError::UnsupportedSize`] when the kind has no elements of that size.
    pub fn new(
        byte_order: ByteOrder,
        kind: ElementKind,
        itemsize: usize,
    ) -> Result<TypeStr, TypestrError> {
        if !kind.sizes().contains(&itemsize) {
            return Err(TypestrError::UnsupportedSize {
                text: format!("{}{}{itemsize}", byte_order.as_char(), kind.as_char()),
                kind,
                size: itemsize,
            });
        }
        Ok(TypeStr {
            byte_order,
            kind,
            itemsize,
        })
    }

    /// The type string of the Rust element type `T` in this host's byte order.
    pub fn of<T: SuaiElement>() -> TypeStr {
        let itemsize = std::mem::size_of::<T>();
        TypeStr {
            byte_order: if itemsize == 1 {
                ByteOrder::NotApplicable
            } else {
                ByteOrder::host()
            },
            kind: T::KIND,
            itemsize,
        }
    }

    /// The byte order.
    pub fn byte_order(&self) -> ByteOrder {
        self.byte_order
    }

    /// The element kind.
    pub fn kind(&self) -> ElementKind {
        self.kind
    }

    /// The size of one element in bytes.
    pub fn itemsize(&self) -> usize {
        self.itemsize
    }

    /// Whether elements of this type can be read as `T` on this host: same kind and size,
    /// and a byte order that needs no swapping.
    pub fn matches<T: SuaiElement>(&self) -> bool {
        self.kind == T::KIND
            && self.itemsize == std::mem::size_of::<T>()
            && (self.itemsize == 1 || self.byte_order.is_host())
    }
}

impl FromStr for TypeStr {
    type Err = TypestrError;

    fn from_str(text: &str) -> Result<TypeStr, TypestrError> {
        let owned = || text.to_string();
        let mut chars = text.chars();
        let (Some(order), Some(kind)) = (chars.next(), chars.next()) else {
            return Err(TypestrError::TooShort { text: owned() });
        };
        let byte_order = match order {
            '<' => ByteOrder::Little,
            '>' => ByteOrder::Big,
            '=' => ByteOrder::Native,
            '|' => ByteOrder::NotApplicable,
            _ => return Err(TypestrError::ByteOrder { text: owned() }),
        };
        let kind = match kind {
            'b' => ElementKind::Bool,
            'i' => ElementKind::Int,
            'u' => ElementKind::Uint,
            'f' => ElementKind::Float,
            'c' => ElementKind::Complex,
            'O' => return Err(TypestrError::ObjectKind { text: owned() }),
            other => {
                return Err(TypestrError::UnsupportedKind {
                    text: owned(),
                    kind: other,
                })
            }
        };
        let size = chars.as_str();
        if size.is_empty() || !size.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TypestrError::Size { text: owned() });
        }
        // Digits only, so the one failure left is a number too large for usize.
        let itemsize = size.parse::<usize>().unwrap_or(usize::MAX);
        if !kind.sizes().contains(&itemsize) {
            return Err(TypestrError::UnsupportedSize {
                text: owned(),
                kind,
                size: itemsize,
            });
        }
        Ok(TypeStr {
            byte_order,
            kind,
            itemsize,
        })
    }
}

impl fmt::Display for TypeStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}{}",
            self.byte_order.as_char(),
            self.kind.as_char(),
            self.itemsize
        )
    }
}

/// A Rust type that has a type string: the primitive integers, `f32`, `f64` and `bool`.
///
/// ```
/// use usm_core::suai::TypeStr;
/// assert_eq!(TypeStr::of::<u8>().to_string(), "|u1");
/// assert_eq!(TypeStr::of::<bool>().to_string(), "|b1");
/// # #[cfg(target_endian = "little")]
/// assert_eq!(TypeStr::of::<f32>().to_string(), "<f4");
/// ```
pub trait SuaiElement: Copy + 'static {
    /// The element kind of the type.
    const KIND: ElementKind;
}

macro_rules! impl_element {
    ($kind:ident: $($ty:ty),*) => {
        $(impl SuaiElement for $ty {
            const KIND: ElementKind = ElementKind::$kind;
        })*
    };
}

impl_element!(Bool: bool);
impl_element!(Int: i8, i16, i32, i64);
impl_element!(Uint: u8, u16, u32, u64);
impl_element!(Float: f32, f64);

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<TypeStr, TypestrError> {
        s.parse()
    }

    #[test]
    fn every_numeric_typestr_dpctl_writes_parses_and_prints_back() {
        for s in [
            "|b1", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8", "<f2", "<f4", "<f8",
            "<c8", "<c16", ">f8", "=i4", "|f4",
        ] {
            assert_eq!(parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn parsed_typestr_gives_kind_size_and_order() {
        let t = parse(">i8").unwrap();
        assert_eq!(t.byte_order(), ByteOrder::Big);
        assert_eq!(t.kind(), ElementKind::Int);
        assert_eq!(t.itemsize(), 8);
    }

    #[test]
    fn object_kind_is_refused_as_object() {
        assert_eq!(
            parse("|O8"),
            Err(TypestrError::ObjectKind { text: "|O8".into() })
        );
        assert_eq!(
            parse("|O"),
            Err(TypestrError::ObjectKind { text: "|O".into() })
        );
    }

    #[test]
    fn non_numeric_kinds_are_refused_as_unsupported() {
        for (s, k) in [
            ("|S8", 'S'),
            ("<U4", 'U'),
            ("|V16", 'V'),
            ("<M8", 'M'),
            ("<x4", 'x'),
        ] {
            assert_eq!(
                parse(s),
                Err(TypestrError::UnsupportedKind {
                    text: s.into(),
                    kind: k
                })
            );
        }
    }

    #[test]
    fn missing_byte_order_is_refused() {
        assert_eq!(
            parse("f4"),
            Err(TypestrError::ByteOrder { text: "f4".into() })
        );
        assert_eq!(
            parse("!f4"),
            Err(TypestrError::ByteOrder { text: "!f4".into() })
        );
    }

    #[test]
    fn short_strings_are_refused() {
        assert_eq!(parse(""), Err(TypestrError::TooShort { text: "".into() }));
        assert_eq!(parse("<"), Err(TypestrError::TooShort { text: "<".into() }));
    }

    #[test]
    fn sizes_must_be_decimal_and_allowed_for_the_kind() {
        for s in ["<f", "<f+4", "<f4 ", "<f0x4", "<f-4"] {
            assert_eq!(parse(s), Err(TypestrError::Size { text: s.into() }));
        }
        for (s, kind, size) in [
            ("|b2", ElementKind::Bool, 2),
            ("<i3", ElementKind::Int, 3),
            ("<u16", ElementKind::Uint, 16),
            ("<f16", ElementKind::Float, 16),
            ("<c4", ElementKind::Complex, 4),
            ("<i0", ElementKind::Int, 0),
            ("<i99999999999999999999999", ElementKind::Int, usize::MAX),
        ] {
            assert_eq!(
                parse(s),
                Err(TypestrError::UnsupportedSize {
                    text: s.into(),
                    kind,
                    size
                })
            );
        }
    }

    #[test]
    fn rust_types_map_to_their_typestr() {
        assert_eq!(TypeStr::of::<u8>(), TypeStr::BYTES);
        assert_eq!(TypeStr::of::<i8>().to_string(), "|i1");
        let order = ByteOrder::host().as_char();
        assert_eq!(TypeStr::of::<u16>().to_string(), format!("{order}u2"));
        assert_eq!(TypeStr::of::<i64>().to_string(), format!("{order}i8"));
        assert_eq!(TypeStr::of::<f64>().to_string(), format!("{order}f8"));
        assert!(TypeStr::of::<f32>().matches::<f32>());
        assert!(!TypeStr::of::<f32>().matches::<u32>());
        let swapped = if ByteOrder::host() == ByteOrder::Little {
            ">f4"
        } else {
            "<f4"
        };
        assert!(!parse(swapped).unwrap().matches::<f32>());
        assert!(parse("=f4").unwrap().matches::<f32>());
    }

    #[test]
    fn new_refuses_sizes_the_kind_lacks() {
        assert!(TypeStr::new(ByteOrder::Little, ElementKind::Complex, 16).is_ok());
        assert_eq!(
            TypeStr::new(ByteOrder::Little, ElementKind::Bool, 4),
            Err(TypestrError::UnsupportedSize {
                text: "<b4".into(),
                kind: ElementKind::Bool,
                size: 4
            })
        );
    }
}
