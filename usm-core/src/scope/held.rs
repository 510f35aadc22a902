//! Memory held by a scope: tokens that name it for device work while the host cannot
//! touch it.

use std::marker::PhantomData;

use crate::names::UsmKind;
use crate::transfer::{Operand, Side, TransferError};

/// Memory a [`Scope`](crate::Scope) holds for reading by the device: made by
/// [`Scope::hold`](crate::Scope::hold) from a shared borrow, or from a [`HeldMut`].
///
/// A small `Copy` token: it names a byte range, not the bytes; the host cannot read
/// through it.
#[derive(Debug, Clone, Copy)]
pub struct HeldRef<'scope> {
    pub(crate) hold: usize,
    pub(crate) side: Side,
    pub(crate) _scope: PhantomData<&'scope mut &'scope ()>,
}

/// Memory a [`Scope`](crate::Scope) holds for reading and writing by the device: made by
/// [`Scope::hold_mut`](crate::Scope::hold_mut) from an exclusive borrow, which keeps the
/// host away from it until the scope has waited for all its work.
#[derive(Debug, Clone, Copy)]
pub struct HeldMut<'scope> {
    pub(crate) hold: usize,
    pub(crate) side: Side,
    pub(crate) _scope: PhantomData<&'scope mut &'scope ()>,
}

/// The range operation and accessors both tokens share.
macro_rules! held_common {
    ($ty:ident, $operand:expr) => {
        impl<'scope> $ty<'scope> {
            /// The `len` bytes at `offset`.
            ///
            /// # Errors
            ///
            /// [`TransferError::OutOfBounds`].
            pub fn range(self, offset: usize, len: usize) -> Result<$ty<'scope>, TransferError> {
                Ok($ty {
                    side: self.side.range($operand, offset, len)?,
                    ..self
                })
            }

            /// Its length in bytes.
            pub fn len(&self) -> usize {
                self.side.len
            }

            /// Whether it is empty.
            pub fn is_empty(&self) -> bool {
                self.side.len == 0
            }

            /// Its USM kind (`None` for plain host memory).
            pub fn kind(&self) -> Option<UsmKind> {
                self.side.kind
            }
        }
    };
}

held_common!(HeldRef, Operand::Source);
held_common!(HeldMut, Operand::Destination);

impl<'scope> HeldMut<'scope> {
    /// The same bytes, as a source for later work.
    pub fn as_source(self) -> HeldRef<'scope> {
        HeldRef {
            hold: self.hold,
            side: self.side,
            _scope: PhantomData,
        }
    }
}

impl<'scope> From<HeldMut<'scope>> for HeldRef<'scope> {
    fn from(m: HeldMut<'scope>) -> Self {
        m.as_source()
    }
}
