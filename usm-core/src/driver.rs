//! Level Zero drivers: discovery and properties.

use std::ffi::c_char;

use level_zero_sys::{
    version_parts, ze_api_version_t, ze_driver_extension_properties_t, ze_driver_handle_t,
    ze_driver_properties_t, ze_structure_type_t,
};

use crate::device::Device;
use crate::error::{check, Result};
use crate::init::api;

/// A Level Zero driver (one per installed implementation, e.g. the GPU driver).
///
/// A driver handle lives as long as the process; this value is a cheap copyable name for it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Driver {
    handle: ze_driver_handle_t,
}

// SAFETY: a driver handle is an opaque process-wide name that the loader keeps valid until
// the process ends; Level Zero functions taking it are free-threaded.
unsafe impl Send for Driver {}
// SAFETY: as for Send: `&Driver` only gives out the handle value.
unsafe impl Sync for Driver {}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Driver({:p})", self.handle)
    }
}

/// What `zeDriverGetProperties` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverProperties {
    /// The driver's UUID.
    pub uuid: [u8; 16],
    /// The driver's version (non-zero, increasing with newer releases).
    pub driver_version: u32,
}

/// One extension a driver supports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// The extension's name (`"ZE_experimental_relaxed_allocation_limits"`).
    pub name: String,
    /// Its version, packed as `ZE_MAKE_VERSION`.
    pub version: u32,
}

/// The name of the extension that allows allocations above a device's maximum allocation size.
pub const RELAXED_ALLOCATION_LIMITS_EXTENSION: &str = "ZE_experimental_relaxed_allocation_limits";

impl Driver {
    /// Every driver the loader found, in the loader's order.
    ///
    /// # Errors
    ///
    /// Initialisation errors (see [`crate::init()`]), or the code of `zeDriverGet`.
    pub fn all() -> Result<Vec<Driver>> {
        let api = api()?;
        let mut count = 0u32;
        // SAFETY: a null array asks for the count only, written to a live u32.
        let outcome = unsafe { api.zeDriverGet(&mut count, std::ptr::null_mut()) };
        check("zeDriverGet", outcome, || "count=?".into())?;
        let mut handles = vec![std::ptr::null_mut(); count as usize];
        // SAFETY: `handles` has room for `count` handles.
        let outcome = unsafe { api.zeDriverGet(&mut count, handles.as_mut_ptr()) };
        check("zeDriverGet", outcome, || format!("count={count}"))?;
        handles.truncate(count as usize);
        Ok(handles
            .into_iter()
            .map(|handle| Driver { handle })
            .collect())
    }

    /// Wraps a raw handle.
    ///
    /// # Safety
    ///
    /// `handle` must be a driver handle returned by `zeDriverGet` of the initialised loader.
    pub unsafe fn from_raw(handle: ze_driver_handle_t) -> Driver {
        Driver { handle }
    }

    /// The raw handle, for calls usm-core does not wrap.
    pub fn raw(&self) -> ze_driver_handle_t {
        self.handle
    }

    /// The driver's properties.
    ///
    /// # Errors
    ///
    /// The code of `zeDriverGetProperties`.
    pub fn properties(&self) -> Result<DriverProperties> {
        let api = api()?;
        let mut props = ze_driver_properties_t {
            stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DRIVER_PROPERTIES,
            ..Default::default()
        };
        // SAFETY: the handle is valid (see `Driver`), `props` is a live, typed out-struct.
        let outcome = unsafe { api.zeDriverGetProperties(self.handle, &mut props) };
        check("zeDriverGetProperties", outcome, || format!("{self:?}"))?;
        Ok(DriverProperties {
            uuid: props.uuid.id,
            driver_version: props.driverVersion,
        })
    }

    /// The API version the driver implements, as `(major, minor)`.
    ///
    /// # Errors
    ///
    /// The code of `zeDriverGetApiVersion`.
    pub fn api_version(&self) -> Result<(u32, u32)> {
        let api = api()?;
        let mut version = ze_api_version_t(0);
        // SAFETY: valid handle, live out-parameter.
        let outcome = unsafe { api.zeDriverGetApiVersion(self.handle, &mut version) };
        check("zeDriverGetApiVersion", outcome, || format!("{self:?}"))?;
        Ok(version_parts(version.0))
    }

    /// The extensions the driver supports.
    ///
    /// # Errors
    ///
    /// The code of `zeDriverGetExtensionProperties`.
    pub fn extensions(&self) -> Result<Vec<Extension>> {
        let api = api()?;
        let mut count = 0u32;
        // SAFETY: valid handle; a null array asks for the count only.
        let outcome = unsafe {
            api.zeDriverGetExtensionProperties(self.handle, &mut count, std::ptr::null_mut())
        };
        check("zeDriverGetExtensionProperties", outcome, || {
            format!("{self:?}, count=?")
        })?;
        let mut raw = vec![ze_driver_extension_properties_t::default(); count as usize];
        // SAFETY: `raw` has room for `count` entries.
        let outcome = unsafe {
            api.zeDriverGetExtensionProperties(self.handle, &mut count, raw.as_mut_ptr())
        };
        check("zeDriverGetExtensionProperties", outcome, || {
            format!("{self:?}, count={count}")
        })?;
        raw.truncate(count as usize);
        Ok(raw
            .iter()
            .map(|e| Extension {
                name: c_string(&e.name),
                version: e.version,
            })
            .collect())
    }

    /// Whether the driver supports the extension `name`.
    ///
    /// # Errors
    ///
    /// As [`Driver::extensions`].
    pub fn supports_extension(&self, name: &str) -> Result<bool> {
        Ok(self.extensions()?.iter().any(|e| e.name == name))
    }

    /// The driver's devices (root devices; see [`Device::sub_devices`]).
    ///
    /// # Errors
    ///
    /// The code of `zeDeviceGet`.
    pub fn devices(&self) -> Result<Vec<Device>> {
        let api = api()?;
        let mut count = 0u32;
        // SAFETY: valid handle; a null array asks for the count only.
        let outcome = unsafe { api.zeDeviceGet(self.handle, &mut count, std::ptr::null_mut()) };
        check("zeDeviceGet", outcome, || format!("{self:?}, count=?"))?;
        let mut handles = vec![std::ptr::null_mut(); count as usize];
        // SAFETY: `handles` has room for `count` handles.
        let outcome = unsafe { api.zeDeviceGet(self.handle, &mut count, handles.as_mut_ptr()) };
        check("zeDeviceGet", outcome, || {
            format!("{self:?}, count={count}")
        })?;
        handles.truncate(count as usize);
        Ok(handles
            .into_iter()
            .map(|h| Device::from_parts(h, *self))
            .collect())
    }
}

/// Reads a NUL-terminated string out of a fixed C array.
pub(crate) fn c_string(chars: &[c_char]) -> String {
    let bytes: Vec<u8> = chars
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}
