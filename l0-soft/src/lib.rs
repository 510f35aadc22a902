//! A software Level Zero driver: a discrete-GPU-like device that runs on the CPU.
//!
//! The library `libze_soft.so` is loaded by the unchanged Level Zero loader
//! (`libze_loader.so.1`) when its path is named in `ZE_ENABLE_ALT_DRIVERS`. The loader asks
//! it for its tables of entry points (the `ze*Get*ProcAddrTable` functions of `ddi`);
//! every entry either runs this driver's code or answers
//! `ZE_RESULT_ERROR_UNSUPPORTED_FEATURE`.
//!
//! One module per Level Zero object: `driver`, `device`, `context`, `memory`,
//! `cmdlist`, `queue`, `event`, `fence`; plus `config` (environment variables),
//! `fault` (fault injection), `handle` (handle registries) and `ffi` (the C boundary).
//!
//! # Inside the driver
//!
//! Each `extern "C"` entry point is a thin shim: `ffi::guard(|| ...)` runs the body, maps
//! `Err(code)` to that code and a panic to `ZE_RESULT_ERROR_UNKNOWN`. The crate-internal
//! API the object modules share:
//!
//! * `handle::Registry<T>`: a `static` per object kind; `insert`/`insert_with` give a new
//!   handle, `get` and `remove` check it (null → `INVALID_NULL_HANDLE`, unknown or wrong
//!   kind → `INVALID_ARGUMENT`). Add a `handle::Kind` variant per new kind.
//! * `driver::initialized()`, `driver::get(h)`: the driver and its devices.
//! * `device::get(h) -> Arc<Device>`; `Device::queue_groups()` (index = ordinal; flags,
//!   number of queues, largest fill pattern); `device::timestamp_ns()`: the clock of
//!   device and host timestamps.
//! * `context::get(h) -> Arc<Context>`; `Context::devices()`, `Context::has_device(d)`.
//! * `memory::lookup(ptr, len)`: `Ok(Some(Region))` when the range lies in one
//!   allocation of any context of the driver (`kind()`, `device()`, `base()`, `size()`, and
//!   `driver_ptr()`, the address the driver reads and writes: the device memory's alias,
//!   or the pointer itself for host and shared memory); `Ok(None)` for ordinary host memory;
//!   `Err(code)` otherwise. A `Region` keeps the memory mapped while held.
//! * `config::count_var(name)`: reads a positive-integer `ZE_SOFT_*` variable;
//!   `fault::Trigger`: deterministic "fail the Nth / every Nth" counting.
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
pub(crate) mod host_memory;
pub(crate) mod memory;
pub(crate) mod queue;
pub(crate) mod sync;

mod locate;

pub use locate::{enable_for_process, library_path, ALT_DRIVERS_VAR, LIBRARY_VAR};
