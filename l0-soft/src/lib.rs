//! A software Level Zero driver: a discrete-GPU-like device that runs on the CPU.
//!
//! The library `libze_soft.so` is loaded by the unchanged Level Zero loader
//! (`libze_loader.so.1`) when its path is named in `ZE_ENABLE_ALT_DRIVERS`. The loader asks
//! it for its tables of entry points (the `ze*Get*ProcAddrTable` functions of [`ddi`]);
//! every entry either runs this driver's code or answers
//! `ZE_RESULT_ERROR_UNSUPPORTED_FEATURE`.
//!
//! One module per Level Zero object: [`driver`], [`device`], [`context`], [`memory`],
//! [`cmdlist`], [`queue`], [`event`], [`fence`]; plus [`config`] (environment variables),
//! [`fault`] (fault injection), [`handle`] (handle registries) and [`ffi`] (the C boundary).
//!
//! The Rust library (`rlib`) also offers [`library_path`] and [`enable_for_process`], so
//! that tests of other crates can point the loader at the built driver.

#![warn(missing_docs)]

pub(crate) mod access;
pub(crate) mod append;
pub(crate) mod arena;
pub(crate) mod busy;
pub(crate) mod cmdlist;
pub(crate) mod command;
pub(crate) mod config;
pub(crate) mod context;
pub(crate) mod copy;
pub(crate) mod copy_fault;
pub(crate) mod ddi;
pub(crate) mod device;
pub(crate) mod driver;
pub(crate) mod engine;
pub(crate) mod event;
pub(crate) mod fault;
pub(crate) mod fence;
pub(crate) mod ffi;
pub(crate) mod handle;
pub(crate) mod memory;
pub(crate) mod queue;
pub(crate) mod sync;

mod locate;

pub use locate::{enable_for_process, library_path, ALT_DRIVERS_VAR, LIBRARY_VAR};
