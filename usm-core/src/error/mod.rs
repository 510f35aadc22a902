//! Errors: every Level Zero result code by name and meaning, the call that failed and its
//! parameters, allocation failures and refused transfers.
//!
//! A leaf of the crate: it names the memory kinds and devices its errors are about, and
//! nothing else of usm-core. One condition has one variant.

mod alloc;
mod code;
mod event_ipc;
mod ipc;
mod transfer;

use level_zero_sys::{ze_result_t, LoadError, MissingFunction};

use crate::names::UsmKind;

pub(crate) use alloc::RELAXED_LIMITS;
pub use alloc::{AllocationFailure, UsmAllocationError};
pub use code::{code_meaning, code_name, ResultCode, ZeError};
pub use event_ipc::EventIpcError;
pub use ipc::{IpcError, IPC_HANDLE_SIZE};
pub use transfer::{Operand, PatternRule, TransferError};

/// The result type of usm-core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything usm-core can fail with.
///
/// `Clone`, so that the one process-wide initialisation can hand the same failure to every
/// caller.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The Level Zero loader library could not be opened.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The opened loader lacks an entry point that usm-core needs.
    #[error(transparent)]
    MissingFunction(#[from] MissingFunction),
    /// A Level Zero call returned an error code.
    #[error(transparent)]
    Ze(#[from] ZeError),
    /// A USM allocation failed (bad input found before any call, or the driver refused it).
    #[error(transparent)]
    Allocation(#[from] UsmAllocationError),
    /// No device of the requested kind was found.
    #[error("no Level Zero {what} found (is a driver installed, or ZE_ENABLE_ALT_DRIVERS set?)")]
    NoDevice {
        /// What was looked for (`"GPU device"`, `"driver"`).
        what: &'static str,
    },
    /// An argument was rejected before any Level Zero call.
    #[error("invalid argument `{name}`: {reason}")]
    InvalidArgument {
        /// The argument's name.
        name: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// The pointer is not a USM allocation of any context known to the driver.
    #[error("pointer {addr:#x} is not USM memory of this context")]
    NotUsm {
        /// The address that was asked about.
        addr: usize,
    },
    /// The pointer belongs to a USM allocation of another context.
    #[error("pointer {addr:#x} belongs to another context ({other:#x}), not to {this:#x}")]
    ForeignContext {
        /// The address that was asked about.
        addr: usize,
        /// The raw handle of the context that was asked.
        this: usize,
        /// The raw handle of the context the allocation was made in.
        other: usize,
    },
    /// A range lies outside the allocation it should be part of.
    #[error("range of {len} bytes at offset {offset} lies outside the allocation of {size} bytes")]
    OutOfBounds {
        /// Offset of the range from the allocation's base, in bytes.
        offset: usize,
        /// Length of the range, in bytes.
        len: usize,
        /// Size of the allocation, in bytes.
        size: usize,
    },
    /// A range of elements (of a typed view or owned range) is reversed or does not lie
    /// in the elements it is taken from. Byte ranges are [`Error::OutOfBounds`].
    #[error("element range {start}..{end} of [{type_name}] does not lie in its {len} elements")]
    ElementRange {
        /// The element type.
        type_name: &'static str,
        /// The first element asked for (`usize::MAX` when it overflowed).
        start: usize,
        /// One past the last element asked for (`usize::MAX` when it overflowed).
        end: usize,
        /// How many elements there are.
        len: usize,
    },
    /// Foreign memory is USM of another kind than the one it was adopted as.
    #[error("pointer {addr:#x} is {actual} memory, not {expected} memory")]
    WrongKind {
        /// The address that was adopted.
        addr: usize,
        /// The kind it was adopted as.
        expected: UsmKind,
        /// The kind the driver reports.
        actual: UsmKind,
    },
    /// The memory cannot be read or written by the host (device memory).
    #[error("{kind} memory is not accessible from the host")]
    NotHostAccessible {
        /// The USM kind of the memory.
        kind: UsmKind,
    },
    /// The bytes cannot be viewed as a slice of the requested element type.
    #[error("cannot view {len} bytes at {addr:#x} as [{type_name}]: {reason}")]
    TypedView {
        /// The element type.
        type_name: &'static str,
        /// Address of the bytes.
        addr: usize,
        /// Number of bytes.
        len: usize,
        /// Misalignment or size mismatch, in words.
        reason: String,
    },
    /// The device is not one of the context's devices (nor one of their sub-devices):
    /// found before any driver call, for allocations, queues and array-interface dicts.
    #[error("device {device:#x} is not a device of context {context:#x}")]
    DeviceNotInContext {
        /// The raw device handle, as an address.
        device: usize,
        /// The raw context handle, as an address.
        context: usize,
    },
    /// A copy, fill or queue request was refused before anything was submitted.
    #[error(transparent)]
    Transfer(#[from] TransferError),
    /// Sharing an event pool between processes was refused.
    #[error(transparent)]
    EventIpc(#[from] EventIpcError),
    /// An IPC handle could not be made, read or opened.
    #[error(transparent)]
    Ipc(#[from] IpcError),
}

impl Error {
    /// The Level Zero result code behind this error, when a driver call produced it.
    pub fn code(&self) -> Option<ResultCode> {
        match self {
            Error::Ze(e) => Some(e.code),
            Error::Allocation(e) => e.code(),
            Error::EventIpc(e) => e.code(),
            Error::Ipc(IpcError::Refused { source } | IpcError::NotExportable { source, .. }) => {
                Some(source.code)
            }
            _ => None,
        }
    }
}

/// Why something that took values by move failed (submitting or waiting for owned work,
/// narrowing owned memory to a range), with the values given back.
#[derive(Debug)]
pub struct Failed<T> {
    /// What went wrong.
    pub error: Error,
    /// The memory the work owned (after a failed wait: no longer in use by the device).
    pub value: T,
}

impl<T> std::fmt::Display for Failed<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl<T: std::fmt::Debug> std::error::Error for Failed<T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl<T> From<Box<Failed<T>>> for Error {
    /// Keeps the error; the values are dropped (freed).
    fn from(f: Box<Failed<T>>) -> Error {
        f.error
    }
}

/// Turns the outcome of one Level Zero call into a [`Result`].
///
/// `params` is only evaluated when the call failed, so describing the parameters costs
/// nothing on success.
///
/// ```
/// use level_zero_sys::ze_result_t;
/// let err = usm_core::check(
///     "zeMemFree",
///     Ok(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT),
///     || "ptr=0x10".to_string(),
/// )
/// .unwrap_err();
/// assert_eq!(err.code(), Some(usm_core::ResultCode(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)));
/// ```
///
/// # Errors
///
/// [`Error::MissingFunction`] when the loader lacks the call, [`Error::Ze`] when it returned
/// anything but `ZE_RESULT_SUCCESS`.
#[inline]
pub fn check(
    call: &'static str,
    outcome: std::result::Result<ze_result_t, MissingFunction>,
    params: impl FnOnce() -> String,
) -> Result<()> {
    match outcome {
        Ok(rc) if rc.is_success() => Ok(()),
        Ok(rc) => Err(code_error(call, rc, params)),
        Err(missing) => Err(missing_function(missing)),
    }
}

/// The error of a call that answered `rc`. Out of line, as [`missing_function`]: the
/// successful path of [`check`] stays a compare and a branch, and the parameters are
/// formatted only when the call failed.
#[cold]
#[inline(never)]
fn code_error(call: &'static str, rc: ze_result_t, params: impl FnOnce() -> String) -> Error {
    Error::Ze(ZeError::new(rc, call, params()))
}

/// The error of a call the loader does not have.
#[cold]
#[inline(never)]
fn missing_function(missing: MissingFunction) -> Error {
    Error::MissingFunction(missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_passes_success_through() {
        assert!(check(
            "zeInit",
            Ok(ze_result_t::ZE_RESULT_SUCCESS),
            || unreachable!()
        )
        .is_ok());
    }

    #[test]
    fn the_code_of_an_error_prints_its_name() {
        let e = check(
            "zeMemAllocDevice",
            Ok(ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY),
            || "size=1".to_string(),
        )
        .unwrap_err();
        let text = format!("{:?}", e.code());
        assert_eq!(
            text, "Some(ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY (0x70000003))",
            "{text}"
        );
        assert!(!format!("{e:?}").contains("_ze_result_t"), "{e:?}");
    }
}
