//! Contexts made elsewhere (a SYCL runtime, another library), adopted borrowed (left alive
//! on drop) or owned (destroyed on drop).

use level_zero_sys::ze_context_handle_t;

use super::{with_sub_devices, Context};
use crate::error::{Error, Result};
use crate::init::api;
use crate::names::{Device, Driver};
use crate::result;

impl Context {
    /// A context over a Level Zero context made elsewhere, which stays alive when the last
    /// usm-core value made from it is gone (its owner destroys it).
    ///
    /// `devices` are the devices the context was made over (all of `driver`'s when it was
    /// made with `zeContextCreate`; pass them, or an empty slice for all): Level Zero
    /// cannot be asked, and usm-core allocates and queues only on these and their
    /// sub-devices. usm-core checks what it can: the handle is not null and not already a
    /// live usm-core context, the driver is one of the loader's, each device one of the
    /// driver's (or a sub-device of one), and `zeContextGetStatus` answers success.
    ///
    /// The value behaves like one from [`Context::new`]: owning handle, leak reports,
    /// classification of its memory, [`Queue`](crate::Queue)s and allocations made in it.
    ///
    /// ```no_run
    /// # fn f(raw: usm_core::sys::ze_context_handle_t) -> usm_core::Result<()> {
    /// use usm_core::{Context, Device, UsmShared};
    /// let device = Device::first_gpu()?;
    /// // SAFETY: `raw` is a live context of the device's driver over that device, kept
    /// // alive by its owner until everything made from `context` is dropped.
    /// let context = unsafe { Context::from_raw_borrowed(device.driver(), &[device.clone()], raw) }?;
    /// let shared = UsmShared::new(&context, &device, 4096)?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Safety
    ///
    /// * `handle` is a live context made by `zeContextCreate` or `zeContextCreateEx` of
    ///   `driver`, over exactly `devices` (all of `driver`'s when empty).
    /// * It stays alive until this value, its clones and everything made from it
    ///   (memory, queues, events) are gone.
    /// * Adopting it twice at once (from two threads) is not detected.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a null handle, a handle that is already a live
    /// usm-core context (use that value), a driver the loader does not list, or a device
    /// of another driver; discovery errors; the code of `zeContextGetStatus`.
    pub unsafe fn from_raw_borrowed(
        driver: &Driver,
        devices: &[Device],
        handle: ze_context_handle_t,
    ) -> Result<Context> {
        // SAFETY: forwarded from the caller.
        unsafe { Self::adopt(driver, devices, handle, false) }
    }

    /// As [`Context::from_raw_borrowed`], but the value owns the Level Zero context: it is
    /// destroyed (`zeContextDestroy`) once the last usm-core value made from it is gone.
    ///
    /// # Safety
    ///
    /// As [`Context::from_raw_borrowed`]; in addition nothing else destroys the context.
    /// On an error (or a panic of a tracing subscriber) it is not adopted: the caller keeps
    /// it.
    ///
    /// # Errors
    ///
    /// As [`Context::from_raw_borrowed`].
    pub unsafe fn from_raw_owned(
        driver: &Driver,
        devices: &[Device],
        handle: ze_context_handle_t,
    ) -> Result<Context> {
        // SAFETY: forwarded from the caller.
        unsafe { Self::adopt(driver, devices, handle, true) }
    }

    /// # Safety
    ///
    /// As [`Context::from_raw_borrowed`].
    unsafe fn adopt(
        driver: &Driver,
        devices: &[Device],
        handle: ze_context_handle_t,
        destroy_on_drop: bool,
    ) -> Result<Context> {
        let api = api()?;
        let invalid = |reason: String| Error::InvalidArgument {
            name: "handle",
            reason,
        };
        if handle.is_null() {
            return Err(invalid("a null context handle".into()));
        }
        if let Some(known) = Context::find(None, handle as usize) {
            return Err(invalid(format!(
                "{handle:p} is already the usm-core context of id {}",
                known.id()
            )));
        }
        if !Driver::all()?.contains(driver) {
            return Err(Error::InvalidArgument {
                name: "driver",
                reason: format!("{driver:?} is not a driver of the loader"),
            });
        }
        let all = driver.devices()?;
        let reachable_from_driver = with_sub_devices(&all)?;
        if let Some(d) = devices
            .iter()
            .find(|d| d.driver() != driver || !reachable_from_driver.contains(d))
        {
            return Err(Error::InvalidArgument {
                name: "devices",
                reason: format!("{d:?} is not a device of {driver:?}"),
            });
        }
        let mut unique: Vec<Device> = Vec::with_capacity(devices.len());
        for d in devices {
            if !unique.contains(d) {
                unique.push(d.clone());
            }
        }
        let devices = if unique.is_empty() { all } else { unique };
        let reachable = with_sub_devices(&devices)?;
        // SAFETY: a live context handle, per the caller.
        unsafe { result::context::get_status(api, handle) }?;
        // Told before the value takes the handle: a subscriber (the user's code) that
        // panics leaves the context with the caller, as an error does.
        tracing::debug!(
            context = ?handle,
            ?devices,
            owned = destroy_on_drop,
            "context adopted"
        );
        let context = Context::register(handle, api, *driver, devices, reachable, destroy_on_drop);
        Ok(context)
    }
}
