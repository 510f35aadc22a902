//! Contexts: the owner of USM allocations, over one or several devices of a driver.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};

use level_zero_sys::{ze_context_desc_t, ze_context_handle_t, ze_structure_type_t, Api};

use crate::device::Device;
use crate::driver::{Driver, RELAXED_ALLOCATION_LIMITS_EXTENSION};
use crate::error::{check, Error, Result};
use crate::init::api;
use crate::trace::{self, ContextStats, LiveAllocation, Tracker};

/// A Level Zero context: USM allocations, command lists and events are made in one.
///
/// Cheap to clone (an `Arc` inside). The Level Zero context is destroyed when the last
/// clone **and** every allocation (or other object) made from it are gone, so memory can
/// never outlive its context.
///
/// When the last *user* handle is dropped while allocations made from it are still alive,
/// a leak report (`warn`, target `usm_core::leak`) names each of them with the place it was
/// allocated; the context itself stays alive until they are freed. Objects made from a
/// context (memory, views) hold an internal handle that keeps it alive without counting as
/// a user handle; cloning the `&Context` they hand out (`memory.context().clone()`) makes
/// a user handle again.
pub struct Context {
    inner: Arc<ContextInner>,
    user: bool,
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
    user_handles: AtomicUsize,
    drop_errors: Mutex<Vec<Error>>,
    relaxed_limits: OnceLock<bool>,
}

// SAFETY: the context handle is an opaque name valid until `Drop` destroys it, which only
// happens once no `Context` or object made from it remains. Level Zero's context and
// memory functions are free-threaded; every other field is thread-safe on its own
// (atomics, mutexes, Send + Sync device and driver names).
unsafe impl Send for ContextInner {}
// SAFETY: as for Send; `&ContextInner` only allows free-threaded calls and locked access.
unsafe impl Sync for ContextInner {}

impl ContextInner {
    /// The raw handle as an address, as allocation records name their context.
    pub(crate) fn handle_addr(&self) -> usize {
        self.handle as usize
    }
}

impl Drop for ContextInner {
    fn drop(&mut self) {
        let api = self.api;
        // SAFETY: the handle came from zeContextCreate and nothing made from it is alive
        // (every such object holds an Arc of this value).
        let outcome = unsafe { api.zeContextDestroy(self.handle) };
        if let Err(e) = check("zeContextDestroy", outcome, || format!("{:p}", self.handle)) {
            tracing::error!(error = %e, "cannot destroy a Level Zero context");
        } else {
            tracing::debug!(context = ?self.handle, "context destroyed");
        }
    }
}

impl Clone for Context {
    /// Another user handle to the same context.
    fn clone(&self) -> Self {
        self.inner.user_handles.fetch_add(1, Ordering::Relaxed);
        Context {
            inner: Arc::clone(&self.inner),
            user: true,
        }
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        if !self.user || self.inner.user_handles.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        let live = self.inner.tracker.live();
        if !live.is_empty() {
            tracing::warn!(
                target: "usm_core::leak",
                context = ?self.inner.handle,
                live = live.len(),
                "the last handle of a context was dropped while allocations made from it \
                 are alive; the context lives on until they are freed"
            );
            for a in &live {
                trace::warn_leak(a, "allocation outlives its context handle");
            }
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
        let devices = &unique[..];
        let all = driver.devices()?;
        let whole = devices.is_empty() || all.iter().all(|d| devices.contains(d));
        let desc = ze_context_desc_t {
            stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_CONTEXT_DESC,
            ..Default::default()
        };
        let mut handle: ze_context_handle_t = std::ptr::null_mut();
        let devices = if whole {
            // SAFETY: valid driver handle, typed descriptor, live out-parameter.
            let outcome = unsafe { api.zeContextCreate(driver.raw(), &desc, &mut handle) };
            check("zeContextCreate", outcome, || format!("{driver:?}"))?;
            if devices.is_empty() {
                all
            } else {
                devices.to_vec()
            }
        } else {
            let mut raw: Vec<_> = devices.iter().map(Device::raw).collect();
            // SAFETY: valid driver handle, typed descriptor, `raw` holds `len` device
            // handles of that driver, live out-parameter.
            let outcome = unsafe {
                api.zeContextCreateEx(
                    driver.raw(),
                    &desc,
                    raw.len() as u32,
                    raw.as_mut_ptr(),
                    &mut handle,
                )
            };
            check("zeContextCreateEx", outcome, || {
                format!("{driver:?}, devices={devices:?}")
            })?;
            devices.to_vec()
        };
        tracing::debug!(context = ?handle, ?devices, "context created");
        let reachable = match with_sub_devices(&devices) {
            Ok(r) => r,
            Err(e) => {
                // SAFETY: the handle was just created and nothing was made from it.
                let outcome = unsafe { api.zeContextDestroy(handle) };
                let _ = check("zeContextDestroy", outcome, || format!("{handle:p}"));
                return Err(e);
            }
        };
        let inner = Arc::new(ContextInner {
            handle,
            api,
            driver: *driver,
            devices,
            reachable,
            tracker: Tracker::default(),
            user_handles: AtomicUsize::new(1),
            drop_errors: Mutex::new(Vec::new()),
            relaxed_limits: OnceLock::new(),
        });
        trace::register_context(&inner);
        Ok(Context { inner, user: true })
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
    /// keeps the context alive but does not count as a user handle for leak reports.
    /// Cloning it gives a user handle.
    pub(crate) fn dependent(&self) -> Context {
        Context {
            inner: Arc::clone(&self.inner),
            user: false,
        }
    }

    /// The raw handle, for calls usm-core does not wrap.
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
    pub(crate) fn api(&self) -> &'static Api {
        self.inner.api
    }

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

    /// A reference that does not keep the context alive (for registries of live contexts).
    pub(crate) fn downgrade(&self) -> Weak<ContextInner> {
        Arc::downgrade(&self.inner)
    }

    /// A new user handle to the context behind `weak`, if it is still alive.
    pub(crate) fn upgrade(weak: &Weak<ContextInner>) -> Option<Context> {
        let inner = weak.upgrade()?;
        inner.user_handles.fetch_add(1, Ordering::Relaxed);
        Some(Context { inner, user: true })
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
