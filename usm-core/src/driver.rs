//! Level Zero drivers: discovery and properties.

use std::ffi::c_char;

use level_zero_sys::{version_parts, ze_driver_handle_t};

pub use crate::names::Driver;

use crate::error::Result;
use crate::init::api;
use crate::names::Device;
use crate::result;

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
pub const RELAXED_ALLOCATION_LIMITS_EXTENSION: &str = crate::error::RELAXED_LIMITS;

impl Driver {
    /// The driver of a raw handle obtained elsewhere (a SYCL runtime, another library),
    /// checked: it must be one of the drivers the loader lists, which is compared by value,
    /// so any handle is safe to pass.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when the loader lists no
    /// such driver; as [`Driver::all`].
    pub fn from_raw_checked(handle: ze_driver_handle_t) -> Result<Driver> {
        Driver::all()?
            .into_iter()
            .find(|d| d.raw() == handle)
            .ok_or_else(|| crate::Error::InvalidArgument {
                name: "handle",
                reason: format!("{handle:p} is not a driver of the loader"),
            })
    }

    /// Every driver the loader found, in the loader's order.
    ///
    /// # Errors
    ///
    /// Initialisation errors (see [`crate::init()`]), or the code of `zeDriverGet`.
    pub fn all() -> Result<Vec<Driver>> {
        let handles = result::driver::get(api()?)?;
        // SAFETY: the handles came from zeDriverGet of the initialised loader.
        Ok(handles
            .into_iter()
            .map(|h| unsafe { Driver::from_raw(h) })
            .collect())
    }

    /// The driver's properties.
    ///
    /// # Errors
    ///
    /// The code of `zeDriverGetProperties`.
    pub fn properties(&self) -> Result<DriverProperties> {
        // SAFETY: the handle is a driver of the initialised loader (see `Driver`).
        let props = unsafe { result::driver::properties(api()?, self.raw()) }?;
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
        // SAFETY: as in `properties`.
        let version = unsafe { result::driver::api_version(api()?, self.raw()) }?;
        Ok(version_parts(version))
    }

    /// The extensions the driver supports.
    ///
    /// # Errors
    ///
    /// The code of `zeDriverGetExtensionProperties`.
    pub fn extensions(&self) -> Result<Vec<Extension>> {
        // SAFETY: as in `properties`.
        let raw = unsafe { result::driver::extensions(api()?, self.raw()) }?;
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
        // SAFETY: as in `properties`.
        let handles = unsafe { result::device::get(api()?, self.raw()) }?;
        Ok(handles
            .into_iter()
            // SAFETY: zeDeviceGet named these devices of this driver.
            .map(|h| unsafe { Device::from_raw(h, *self) })
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
