//! Sharing with other processes (IPC) through plain-byte handles.
//!
//! * [`SharedEventPool`], [`SharedEvent`], [`EventPoolIpcHandle`]: events that one process
//!   signals and another waits for, from the host or from queues, usable as dependencies
//!   of owned and scoped work.

mod event;

pub use event::{EventPoolIpcHandle, SharedEvent, SharedEventPool};
