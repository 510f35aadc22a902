//! Why an event pool could not be shared between processes.

use super::{ResultCode, ZeError};

/// A refused step of sharing events between processes
/// ([`SharedEventPool`](crate::ipc::SharedEventPool)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventIpcError {
    /// Bytes that cannot be an event pool IPC handle: every handle has the same length.
    #[error("an event pool IPC handle is {expected} bytes, not {actual}")]
    HandleLength {
        /// The length of every handle (`ZE_MAX_IPC_HANDLE_SIZE`).
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// The driver opened nothing from the handle: forged bytes, a handle whose exporting
    /// process has exited, whose pool was destroyed or whose every reference was put back
    /// (`ZE_RESULT_ERROR_INVALID_ARGUMENT`).
    #[error("the event pool IPC handle opens no pool (forged, or its exporter, pool or export is gone): {source}")]
    Refused {
        /// The driver's answer.
        source: ZeError,
    },
    /// The driver shares no event pools between processes, or not this one
    /// (`ZE_RESULT_ERROR_UNSUPPORTED_FEATURE`).
    #[error("the driver cannot share this event pool between processes: {source}")]
    Unsupported {
        /// The driver's answer.
        source: ZeError,
    },
    /// A pool opened from a handle exports no handle of its own (the exporter's handle is
    /// the one to pass on).
    #[error("an event pool opened from an IPC handle cannot export a handle")]
    OpenedPool,
}

impl EventIpcError {
    /// The Level Zero result code behind this error, when a driver call produced it.
    pub fn code(&self) -> Option<ResultCode> {
        match self {
            EventIpcError::Refused { source } | EventIpcError::Unsupported { source } => {
                Some(source.code)
            }
            _ => None,
        }
    }
}
