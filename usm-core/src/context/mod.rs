//! Contexts: the owner of USM allocations, over one or several devices of a driver.

mod adopt;
pub(crate) mod tracker;

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use level_zero_sys::{ze_context_handle_t, Api};

use crate::driver::RELAXED_ALLOCATION_LIMITS_EXTENSION;
use crate::error::{Error, Result};
use crate::init::api;
use crate::names::{Device, Driver};
use crate::registry::Registry;
use crate::result;
use tracker::{ContextStats, LiveAllocation, Tracker};

/// A Level Zero context: USM allocations, command lists and events are made in one.
///
/// Cheap to clone (an `Arc` inside). The Level Zero context is destroyed when the last
/// clone **and** every allocation (or other object) made from it are gone, so memory can
/// never outlive its context.
///
/// # Owning handles and leak reports
///
/// The handle [`Context::new`] returns, and every clone of it, is an *owning* handle. When
/// the last owning handle is dropped while allocations made from the context are still
/// alive, a leak report (`warn`, target `usm_core::leak`) names each of them with the place
/// it was allocated; the context itself stays alive until they are freed.
///
/// Objects made from a context (memory, views, queues) keep it alive through a handle that
/// does not own it: the `&Context` they hand out ([`UsmMemory::context`](crate::UsmMemory))
/// is such a handle, and so is every clone of it. A clone is always the same kind of handle
/// as the original ([`Context::is_owning`] tells which), so cloning never changes when a
/// leak report is made.
pub struct Context {
    inner: Arc<ContextInner>,
    /// Present in owning handles: the last one to go makes the leak report.
    owner: Option<Arc<Owner>>,
}

/// What the owning handles of a context share; dropped with the last of them.
struct Owner {
    inner: Arc<ContextInner>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        let live = self.inner.tracker.live();
        if live.is_empty() {
            return;
        }
        tracing::warn!(
            target: "usm_core::leak",
            context = ?self.inner.handle,
            live = live.len(),
            "the last handle of a context was dropped while allocations made from it \
             are alive; the context lives on until they are freed"
        );
        for a in &live {
            tracker::warn_leak(a, "allocation outlives its context handle");
        }
    }
}

pub(crate) struct ContextInner {
    handle: ze_context_handle_t,
    /// The loader's table, kept here so that the allocation path reads a field instead of
    /// the process-wide initialisation state.
    api: &'static Api,
    driver: Driver,
    devices: Vec<Device>,
    /// The devices and, recursively, their sub-devices: where memory may be bound.
    reachable: Vec<Device>,
    pub(crate) tracker: Tracker,
    /// The context's process-unique id in the registry of live contexts.
    id: OnceLock<u64>,
    drop_errors: Mutex<Vec<Error>>,
    relaxed_limits: OnceLock<bool>,
    /// Whether dropping destroys the Level Zero context: `false` for a context adopted as
    /// borrowed ([`Context::from_raw_borrowed`]).
    destroy_on_drop: bool,
}

// SAFETY: the context handle is an opaque name valid until `Drop` destroys it, which only
// happens once no `Context` or object made from it remains. Level Zero's context and
// memory functions are free-threaded; every other field is thread-safe on its own
// (atomics, mutexes, Send + Sync device and driver names).
unsafe impl Send for ContextInner {}
// SAFETY: as for Send; `&ContextInner` only allows free-threaded calls and locked access.
unsafe impl Sync for ContextInner {}

impl Drop for ContextInner {
    fn drop(&mut self) {
        if !self.destroy_on_drop {
            tracing::debug!(context = ?self.handle, "borrowed context released");
            return;
        }
        // SAFETY: the handle came from zeContextCreate(Ex) (or was adopted as owned, with
        // that promise) and nothing made from it is alive (every such object holds an Arc
        // of this value).
        match unsafe { result::context::destroy(self.api, self.handle) } {
            Ok(()) => tracing::debug!(context = ?self.handle, "context destroyed"),
            Err(e) => tracing::error!(error = %e, "cannot destroy a Level Zero context"),
        }
    }
}

/// Every context of the process that may still be alive, held weakly: the one registry
/// that classification, the array interface and the leak reports consult.
static CONTEXTS: Registry<ContextInner> = Registry::new();

/// The live contexts of the process (for reports).
pub(crate) fn live_contexts() -> Vec<Arc<ContextInner>> {
    CONTEXTS.live()
}

/// Calls `f` with the tracker of every live context, waiting for no lock and destroying
/// no context (for the report at process exit).
pub(crate) fn visit_live_contexts_without_waiting(mut f: impl FnMut(&Tracker)) {
    CONTEXTS.visit_without_waiting(|c| f(&c.tracker));
}

/// The raw handle (as an address) of the usm-core context other than `except` with a live
/// allocation that `matches`: a scan of the live allocations of the other contexts (none
/// when there are no others).
pub(crate) fn other_owner(
    except: usize,
    matches: impl Fn(&Tracker) -> Option<LiveAllocation>,
) -> Option<usize> {
    CONTEXTS.find_other(except, |c| matches(&c.tracker).map(|a| a.context))
}

impl Clone for Context {
    /// Another handle to the same context, of the same kind (owning or not).
    fn clone(&self) -> Self {
        Context {
            inner: Arc::clone(&self.inner),
            owner: self.owner.clone(),
        }
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("handle", &self.inner.handle)
            .field("devices", &self.inner.devices)
            .finish()
    }
}

impl PartialEq for Context {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for Context {}

impl Context {
    /// Creates a context of `driver` over `devices` (all the driver's devices when empty).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when a device belongs to another driver; the code of
    /// `zeContextCreate` / `zeContextCreateEx`.
    pub fn new(driver: &Driver, devices: &[Device]) -> Result<Context> {
        let api = api()?;
        if let Some(d) = devices.iter().find(|d| d.driver() != driver) {
            return Err(Error::InvalidArgument {
                name: "devices",
                reason: format!("{d:?} belongs to {:?}, not to {driver:?}", d.driver()),
            });
        }
        let mut unique: Vec<Device> = Vec::with_capacity(devices.len());
        for d in devices {
            if !unique.contains(d) {
                unique.push(d.clone());
            }
        }
        let all = driver.devices()?;
        let whole = unique.is_empty() || all.iter().all(|d| unique.contains(d));
        let devices = if unique.is_empty() { all } else { unique };
        // Asked before the context exists, so that nothing can fail (or unwind) between
        // its creation and the value that destroys it.
        let reachable = with_sub_devices(&devices)?;
        let handle = if whole {
            // SAFETY: a driver of the initialised loader.
            unsafe { result::context::create(api, driver.raw()) }?
        } else {
            let raw: Vec<_> = devices.iter().map(Device::raw).collect();
            // SAFETY: a driver of the initialised loader and devices of it (checked above).
            unsafe { result::context::create_ex(api, driver.raw(), &raw) }?
        };
        let context = Context::register(handle, api, *driver, devices, reachable, true);
        // From here on, whatever unwinds (a tracing subscriber is the user's code) drops
        // `context`, which destroys the Level Zero context.
        tracing::debug!(context = ?handle, devices = ?context.devices(), "context created");
        Ok(context)
    }

    /// The owning handle of a new context value over `handle`, registered among the live
    /// contexts. Nothing in it can fail or unwind.
    fn register(
        handle: ze_context_handle_t,
        api: &'static Api,
        driver: Driver,
        devices: Vec<Device>,
        reachable: Vec<Device>,
        destroy_on_drop: bool,
    ) -> Context {
        let inner = Arc::new(ContextInner {
            handle,
            api,
            driver,
            devices,
            reachable,
            tracker: Tracker::default(),
            id: OnceLock::new(),
            drop_errors: Mutex::new(Vec::new()),
            relaxed_limits: OnceLock::new(),
            destroy_on_drop,
        });
        let id = CONTEXTS.register(&inner, handle as usize);
        let _ = inner.id.set(id);
        Context::owning(inner)
    }

    fn owning(inner: Arc<ContextInner>) -> Context {
        Context {
            owner: Some(Arc::new(Owner {
                inner: Arc::clone(&inner),
            })),
            inner,
        }
    }

    /// The process-wide default: the first GPU device of the first driver that has one
    /// ([`Device::first_gpu`]), with a context of its own over that device, made at the
    /// first call; later calls return the same context (or the same error), as dpctl's
    /// cached default queue. The convenient choice for code and examples that do not care:
    /// memory allocated through it anywhere in the process shares one context.
    ///
    /// The default context lives until the process ends, so dropping the handles it returns
    /// never makes a leak report; the report at process exit covers it. For a context of
    /// your own, use [`Context::new`].
    ///
    /// ```no_run
    /// let (context, device) = usm_core::Context::default_gpu()?;
    /// let memory = usm_core::UsmDevice::new(&context, &device, 4096)?;
    /// # Ok::<(), usm_core::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::NoDevice`] when no driver has a GPU device; discovery and creation errors.
    pub fn default_gpu() -> Result<(Context, Device)> {
        static DEFAULT: OnceLock<Result<(Context, Device)>> = OnceLock::new();
        DEFAULT
            .get_or_init(|| {
                let device = Device::first_gpu()?;
                let context = Context::new(device.driver(), std::slice::from_ref(&device))?;
                Ok((context, device))
            })
            .clone()
    }

    /// A handle for an object made from this context (memory, command list, event) that
    /// keeps the context alive but does not own it (see [`Context`]).
    #[inline]
    pub(crate) fn dependent(&self) -> Context {
        Context {
            inner: Arc::clone(&self.inner),
            owner: None,
        }
    }

    /// Whether this is an owning handle (from [`Context::new`], or a clone of one), whose
    /// last drop makes a leak report; the handles objects made from the context hand out
    /// are not (see [`Context`]).
    pub fn is_owning(&self) -> bool {
        self.owner.is_some()
    }

    /// The context's process-unique id in the registry of live contexts (never reused,
    /// unlike raw handles).
    pub fn id(&self) -> u64 {
        self.inner.id.get().copied().unwrap_or(0)
    }

    /// The live context of the process with raw handle `handle` (and, when given, id `id`),
    /// as a handle that does not own it.
    pub(crate) fn find(id: Option<u64>, handle: usize) -> Option<Context> {
        CONTEXTS
            .find(id, handle)
            .map(|inner| Context { inner, owner: None })
    }

    /// The raw handle, for calls usm-core does not wrap.
    #[inline]
    pub fn raw(&self) -> ze_context_handle_t {
        self.inner.handle
    }

    /// The driver the context belongs to.
    pub fn driver(&self) -> &Driver {
        &self.inner.driver
    }

    /// The devices the context was created over.
    pub fn devices(&self) -> &[Device] {
        &self.inner.devices
    }

    /// Whether `device` is one of the context's devices or one of their sub-devices.
    #[inline]
    pub fn contains_device(&self, device: &Device) -> bool {
        self.inner.reachable.contains(device)
    }

    /// The live counters of allocations made in this context, per USM kind.
    pub fn stats(&self) -> ContextStats {
        self.inner.tracker.stats()
    }

    /// The allocations made in this context that are alive now, with the place each was
    /// allocated.
    pub fn live_allocations(&self) -> Vec<LiveAllocation> {
        self.inner.tracker.live()
    }

    /// Takes the errors recorded while freeing memory in `Drop` (which cannot return them).
    pub fn take_drop_errors(&self) -> Vec<Error> {
        std::mem::take(
            &mut *self
                .inner
                .drop_errors
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// The loader's table of entry points (initialisation succeeded when this context was
    /// made).
    #[inline]
    pub(crate) fn api(&self) -> &'static Api {
        self.inner.api
    }

    #[inline]
    pub(crate) fn tracker(&self) -> &Tracker {
        &self.inner.tracker
    }

    pub(crate) fn record_drop_error(&self, e: Error) {
        self.inner
            .drop_errors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(e);
    }

    /// Whether the driver offers the relaxed-allocation-limits extension (asked once).
    pub(crate) fn supports_relaxed_limits(&self) -> Result<bool> {
        if let Some(&b) = self.inner.relaxed_limits.get() {
            return Ok(b);
        }
        let b = self
            .inner
            .driver
            .supports_extension(RELAXED_ALLOCATION_LIMITS_EXTENSION)?;
        Ok(*self.inner.relaxed_limits.get_or_init(|| b))
    }
}

/// `devices` followed by all their sub-devices, recursively, each once.
fn with_sub_devices(devices: &[Device]) -> Result<Vec<Device>> {
    let mut out: Vec<Device> = Vec::new();
    let mut todo: Vec<Device> = devices.to_vec();
    while let Some(d) = todo.pop() {
        if !out.contains(&d) {
            todo.extend(d.sub_devices()?);
            out.push(d);
        }
    }
    Ok(out)
}
