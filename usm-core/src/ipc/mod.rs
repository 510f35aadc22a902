//! Sharing with other processes (IPC) through plain-byte handles.
//!
//! * [`IpcHandle`], [`IpcMemory`]: USM memory that one process exports and another opens as
//!   USM memory of its own context.
//! * [`SharedEventPool`], [`SharedEvent`], [`EventPoolIpcHandle`]: events that one process
//!   signals and another waits for, from the host or from queues, usable as dependencies
//!   of owned and scoped work.

mod event;
mod memory;

pub use event::{EventPoolIpcHandle, SharedEvent, SharedEventPool};
pub use memory::{IpcExport, IpcHandle, IpcMemory};
