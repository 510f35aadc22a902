//! Why an IPC handle could not be made, read or opened.

use super::ZeError;
use crate::names::UsmKind;

/// The size of a Level Zero memory IPC handle, in bytes (`ZE_MAX_IPC_HANDLE_SIZE`).
pub const IPC_HANDLE_SIZE: usize = 64;

/// Why IPC failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum IpcError {
    /// Bytes of the wrong length were given as a handle.
    #[error("an IPC handle is {IPC_HANDLE_SIZE} bytes, not {len}")]
    Length {
        /// The length given.
        len: usize,
    },
    /// The driver refused the handle (`ZE_RESULT_ERROR_INVALID_ARGUMENT`): it is forged,
    /// or stale (its exporter exited, freed the memory or put the handle back), or of
    /// another driver. Nothing was mapped.
    #[error("the IPC handle opens nothing: forged, or stale (the exporter exited, freed the memory or put the handle back): {source}")]
    Refused {
        /// The driver's answer.
        source: ZeError,
    },
    /// The driver cannot export memory of this kind.
    #[error("{kind} memory cannot be shared with other processes: {source}")]
    NotExportable {
        /// The kind of the memory.
        kind: UsmKind,
        /// The driver's answer.
        source: ZeError,
    },
    /// More bytes were asked of opened memory than it has.
    #[error("the opened memory has {size} bytes, {len} were asked for")]
    TooLong {
        /// The length asked for.
        len: usize,
        /// The opened memory's size, as the driver reports it.
        size: usize,
    },
    /// `zeMemPutIpcHandle` is not in the Level Zero headers usm-core was built with (API
    /// older than 1.6).
    #[error("zeMemPutIpcHandle is not in the Level Zero headers usm-core was built with (API older than 1.6)")]
    PutUnavailable,
}
