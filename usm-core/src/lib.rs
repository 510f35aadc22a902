//! Safe, observable Unified Shared Memory over oneAPI Level Zero.
//!
//! * Discovery: [`Driver::all`], [`Driver::devices`], [`Device::properties`],
//!   [`Device::queue_groups`]; one process-wide [`init()`].
//! * Contexts: [`Context::new`] over chosen devices, or [`Context::default_gpu`].
//! * Memory: [`UsmDevice<T>`], [`UsmShared<T>`], [`UsmHost<T>`] of any plain-old-data `T`
//!   (`u8` by default: the byte API is that case), freed on drop, keeping their context
//!   alive, sharing the [`UsmMemory`] trait; [`AllocOptions`] for alignment and flags.
//!   Shared and host memory deref to `[T]`; device memory never does. Typed views
//!   ([`UsmView`], [`UsmViewMut`]) of sub-ranges, checked once when made, are operands of
//!   every copy, fill and scope; [`UsmRange`] gives part of an allocation to owned work;
//!   [`UsmAllocator`] puts [`allocator_api2`] collections in host or shared memory; memory
//!   allocated elsewhere is adopted with [`UsmDevice::from_raw_parts`] (owned, with the
//!   caller's release) or [`UsmView::adopt`] (borrowed).
//! * Copies and fills: a [`Queue`] (an immediate command list on a copy or compute
//!   engine, see [`queue::engine`]) copies between any kinds and host slices, fills with
//!   patterns, copies 2-D/3-D regions, reads memory into a `Vec` ([`Queue::to_vec`]);
//!   bad input is a [`TransferError`] before anything is submitted.
//! * Asynchronous work: [`scope()`] returns [`Event`]s, orders work on the same memory by
//!   itself, and waits for everything before it returns, so memory in flight can be
//!   neither freed nor touched; [`Queue::copy_async`] and its siblings return a
//!   [`Pending`] handle that owns the memory until the work is done. Both go through one
//!   submission routine and wait on each other through one dependency type, [`EventRef`].
//! * Waiting and hints: [`Queue::synchronize`] (SYCL's `queue.wait()`);
//!   [`Queue::prefetch`] and [`Queue::mem_advise`] with [`MemAdvice`], also in a scope and
//!   owned ([`Queue::prefetch_async`]). Work appended to [`Queue::raw_list`] is ordered
//!   before later synchronous calls.
//! * Interop: [`Context::from_raw_borrowed`] / [`Context::from_raw_owned`],
//!   [`Queue::from_raw_borrowed`] / [`Queue::from_raw_owned`], [`EventRef::from_raw`],
//!   [`Driver::from_raw_checked`], [`Device::from_raw_checked`].
//! * Classification: [`Context::classify`] and [`as_usm_memory`] for any pointer.
//! * Errors: [`Error`], with every Level Zero result code named ([`ResultCode`],
//!   [`ZeError`]), [`UsmAllocationError`] for allocations and [`TransferError`] for refused
//!   copies.
//! * Array interface: [`suai`] writes, validates and reads the `__sycl_usm_array_interface__`
//!   dict ([`SuaiDict`]) through which dpctl and the SYCL Python ecosystem share memory.
//! * Diagnostics: `debug` events for every allocation and free, [`Context::stats`],
//!   leak reports when a context's last owning handle drops and from [`report_leaks`]
//!   ([`diagnostics`]).
//!
//! The crate's layers and module graph are described in `ARCHITECTURE.md` at the
//! repository root.
//!
//! Element types of one's own derive the plain-old-data traits through this crate's
//! re-export of bytemuck, with no dependency of their own:
//!
//! ```no_run
//! use usm_core::{Context, Queue, UsmDevice};
//!
//! #[derive(Debug, Clone, Copy, PartialEq, usm_core::bytemuck::Pod, usm_core::bytemuck::Zeroable)]
//! #[bytemuck(crate = "usm_core::bytemuck")]
//! #[repr(C)]
//! struct Pair {
//!     key: u32,
//!     value: f32,
//! }
//!
//! let (context, device) = Context::default_gpu()?;
//! let queue = Queue::new(&context, &device)?;
//! let pairs = UsmDevice::from_slice(&queue, &[Pair { key: 1, value: 0.5 }; 16])?;
//! let (first, rest) = pairs.split_at(1)?;
//! assert_eq!((first.len(), rest.len()), (1, 15));
//! assert_eq!(pairs.download(&queue)?[15], Pair { key: 1, value: 0.5 });
//! # Ok::<(), usm_core::Error>(())
//! ```
//!
//! ```no_run
//! use usm_core::{Context, UsmDevice, UsmShared, UsmMemory, UsmKind};
//!
//! let (context, device) = Context::default_gpu()?;
//! let on_device = UsmDevice::new(&context, &device, 4096)?;
//! let mut shared = UsmShared::new(&context, &device, 4096)?;
//! shared.as_mut_slice().fill(1);
//! let info = context.classify(on_device.as_ptr())?;
//! assert_eq!(info.kind, UsmKind::Device);
//! assert_eq!(context.stats().live_count(), 2);
//! # Ok::<(), usm_core::Error>(())
//! ```

#![warn(missing_docs)]

/// Whether `debug` events of `target` are wanted: `tracing::enabled!`, with its common
/// answer (no subscriber wants `debug` anywhere: one load and a compare) inline and the
/// per-callsite question out of line, so that hot paths stay short.
macro_rules! debug_enabled {
    ($target:literal) => {
        tracing::level_enabled!(tracing::Level::DEBUG) && {
            #[cold]
            #[inline(never)]
            fn callsite_enabled() -> bool {
                tracing::enabled!(target: $target, tracing::Level::DEBUG)
            }
            callsite_enabled()
        }
    };
}

mod adopt;
pub mod classify;
pub mod context;
pub mod device;
pub mod diagnostics;
pub mod driver;
pub mod error;
pub mod init;
pub mod ipc;
pub mod memory;
mod names;
pub mod queue;
mod registry;
mod result;
mod scope;
pub mod suai;
pub mod transfer;
mod typed;

/// The former name of [`diagnostics`], kept so that `usm_core::trace::...` paths still work.
#[doc(hidden)]
pub use diagnostics as trace;

pub use classify::{as_usm_memory, PointerInfo};
pub use context::Context;
pub use device::{
    AccessCapabilities, Device, DeviceProperties, DeviceType, MemoryAccess, MemoryProperties,
    QueueGroup,
};
pub use diagnostics::{report_leaks, ContextStats, KindStats, LiveAllocation, LEAK_REPORT_ENV};
pub use driver::{Driver, DriverProperties, Extension, RELAXED_ALLOCATION_LIMITS_EXTENSION};
pub use error::{
    check, AllocationFailure, Error, EventIpcError, Failed, IpcError, Operand, PatternRule, Result,
    ResultCode, TransferError, UsmAllocationError, ZeError, IPC_HANDLE_SIZE,
};
pub use init::{api, init, loader};
pub use ipc::{IpcExport, IpcHandle, IpcMemory};
pub use memory::{
    AllocOptions, CacheBias, ElementType, Placement, UsmAllocator, UsmDestination, UsmDevice,
    UsmHost, UsmKind, UsmMemory, UsmRange, UsmShared, UsmSource, UsmView, UsmViewMut,
};
pub use queue::{
    pending, ChosenEngine, Engine, EventRef, MemAdvice, Mode, Pending, PendingResult, Queue,
    QueueOptions,
};
pub use scope::{scope, Event, HeldMut, HeldRef, Scope};
pub use suai::{SuaiDict, SuaiError, SuaiView};
pub use transfer::{Extent, Region};

/// The raw Level Zero bindings usm-core is built on.
pub use level_zero_sys as sys;

/// The plain-old-data traits typed memory needs (`Pod`, `Zeroable`) and their derives, so
/// that users need no dependency of their own: derive with
/// `#[derive(usm_core::bytemuck::Pod, usm_core::bytemuck::Zeroable)]` and
/// `#[bytemuck(crate = "usm_core::bytemuck")]` (see the crate docs).
pub use bytemuck;

/// The allocator interface [`UsmAllocator`] implements, and the collections that take it
/// (`allocator_api2::vec::Vec`, `allocator_api2::boxed::Box`).
pub use allocator_api2;

// Proof at compile time that queues, scopes, events and pending work cross threads.
const _: fn() = || {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Queue>();
    send_sync::<Scope<'static, 'static>>();
    send_sync::<Event<'static>>();
    send_sync::<HeldMut<'static>>();
    send_sync::<EventRef>();
    send::<Pending<(UsmDevice, Vec<u8>)>>();
    send_sync::<UsmDevice<f32>>();
    send_sync::<UsmViewMut<'static, u32>>();
    send_sync::<UsmAllocator>();
    send_sync::<IpcMemory>();
};
