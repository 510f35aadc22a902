//! Sharing USM memory with other processes (IPC): [`IpcHandle`], plain bytes that another
//! process opens as [`IpcMemory`], USM memory of its own context.

mod memory;

pub use memory::{IpcExport, IpcHandle, IpcMemory};
