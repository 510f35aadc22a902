//! The plain names that errors and the safe types share, at the bottom of the crate: the
//! driver's process-wide objects ([`Driver`], [`Device`]) and the kinds of USM memory
//! ([`UsmKind`]).
//!
//! Drivers and devices are cheap copyable names of handles that the loader keeps valid
//! until the process ends; their queries live in [`driver`](crate::driver) and
//! [`device`](crate::device). This leaf only defines the names, so that errors, devices,
//! drivers and memory can all mention them without importing each other.

use std::fmt;

use level_zero_sys::{ze_device_handle_t, ze_driver_handle_t};

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

impl Driver {
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
}

/// A Level Zero device (or sub-device) of one driver.
///
/// Cheap to clone: it names a handle that the driver keeps valid for the whole process.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Device {
    handle: ze_device_handle_t,
    driver: Driver,
}

// SAFETY: a device handle is an opaque name that the driver keeps valid until the process
// ends, and Level Zero's device queries are free-threaded.
unsafe impl Send for Device {}
// SAFETY: `&Device` only gives out the handle value and runs free-threaded queries.
unsafe impl Sync for Device {}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Device({:p})", self.handle)
    }
}

impl Device {
    /// Wraps a raw handle.
    ///
    /// # Safety
    ///
    /// `handle` must be a device (or sub-device) handle of `driver`.
    pub unsafe fn from_raw(handle: ze_device_handle_t, driver: Driver) -> Device {
        Device { handle, driver }
    }

    /// The raw handle, for calls usm-core does not wrap.
    #[inline]
    pub fn raw(&self) -> ze_device_handle_t {
        self.handle
    }

    /// The raw handle as an address, as errors name devices.
    #[inline]
    pub(crate) fn addr(&self) -> usize {
        self.handle as usize
    }

    /// The driver this device belongs to.
    pub fn driver(&self) -> &Driver {
        &self.driver
    }
}

/// The three kinds of Unified Shared Memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UsmKind {
    /// Device memory: fast for the device, not accessible from the host.
    Device,
    /// Shared memory: migrates between host and device, accessible from both.
    Shared,
    /// Host memory: lives on the host, accessible from the device.
    Host,
}

impl UsmKind {
    /// The lower-case name dpctl uses (`"device"`, `"shared"`, `"host"`).
    pub fn as_str(self) -> &'static str {
        match self {
            UsmKind::Device => "device",
            UsmKind::Shared => "shared",
            UsmKind::Host => "host",
        }
    }

    /// Whether the host may read and write this kind of memory.
    pub fn is_host_accessible(self) -> bool {
        !matches!(self, UsmKind::Device)
    }
}

impl fmt::Display for UsmKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
