//! Devices: discovery and properties (filled in next).

use std::sync::Arc;

use level_zero_sys::*;

use crate::config::Config;
use crate::ffi::ZeResult;
use crate::handle::{Kind, Registry};

/// One command queue group of a device; its index in [`Device::queue_groups`] is its
/// ordinal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct QueueGroup {
    /// `ze_command_queue_group_property_flags_t`.
    pub flags: ze_command_queue_group_property_flags_t,
    /// Number of queues (engines) in the group.
    pub num_queues: u32,
    /// Largest fill pattern, in bytes.
    pub max_fill_pattern_size: usize,
}

/// A software device.
pub(crate) struct Device {
    handle: usize,
    /// Position in `zeDeviceGet` order.
    pub index: u32,
    queue_groups: Vec<QueueGroup>,
}

impl Device {
    /// The device's handle.
    pub(crate) fn handle(&self) -> ze_device_handle_t {
        self.handle as ze_device_handle_t
    }

    /// The command queue groups; the index is the ordinal.
    pub(crate) fn queue_groups(&self) -> &[QueueGroup] {
        &self.queue_groups
    }
}

static DEVICES: Registry<Device> = Registry::new(Kind::Device);

/// The device named by `handle`.
pub(crate) fn get(handle: ze_device_handle_t) -> ZeResult<Arc<Device>> {
    DEVICES.get(handle)
}

/// Creates and registers device number `index`.
pub(crate) fn create(index: u32, _config: &Config) -> ZeResult<Arc<Device>> {
    let (_, device) = DEVICES.insert_with(|handle: ze_device_handle_t| Device {
        handle: handle as usize,
        index,
        queue_groups: Vec::new(),
    });
    Ok(device)
}

/// Fills the device table.
pub(crate) fn fill_table(_t: &mut ze_device_dditable_t) {}
