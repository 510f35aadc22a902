//! Devices: discovery and properties of a discrete Intel data-center GPU look-alike.
//!
//! Each device has its own device memory ([`Arena`]) and three command queue groups:
//!
//! | ordinal | engines | flags | queues | largest fill pattern |
//! |---|---|---|---|---|
//! | 0 | compute | `COMPUTE \| COPY` | 1 | 128 bytes |
//! | 1 | main copy | `COPY` | 1 | 16 bytes |
//! | 2 | link copy | `COPY` | 7 | 1 byte |
//!
//! Their properties are answered in `properties`. For the rest of the driver: [`get`]
//! turns a handle into a [`Device`];
//! [`Device::queue_groups`] describes the groups above.

mod properties;

use std::sync::Arc;
use std::time::Instant;

use level_zero_sys::*;

use crate::arena::{Arena, GRANULE};
use crate::config::Config;
use crate::ffi::{self, guard, ZeResult};
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

const COPY: u32 =
    ze_command_queue_group_property_flag_t::ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COPY.0;
const COMPUTE: u32 =
    ze_command_queue_group_property_flag_t::ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COMPUTE.0;

const QUEUE_GROUPS: [QueueGroup; 3] = [
    QueueGroup {
        flags: COMPUTE | COPY,
        num_queues: 1,
        max_fill_pattern_size: 128,
    },
    QueueGroup {
        flags: COPY,
        num_queues: 1,
        max_fill_pattern_size: 16,
    },
    QueueGroup {
        flags: COPY,
        num_queues: 7,
        max_fill_pattern_size: 1,
    },
];

/// PCI device id reported (Intel Data Center GPU Max 1550).
pub(crate) const DEVICE_ID: u32 = 0x0bd5;
/// Intel's PCI vendor id.
pub(crate) const VENDOR_ID: u32 = 0x8086;
/// Core clock, MHz.
pub(crate) const CORE_CLOCK_MHZ: u32 = 1600;

/// A software device.
pub(crate) struct Device {
    handle: usize,
    /// The device's number among all configured devices; `ZE_AFFINITY_MASK` may hide
    /// others, so it is not always its position in `zeDeviceGet` order.
    pub index: u32,
    /// The device's UUID, unique per device and stable across processes.
    pub uuid: [u8; 16],
    /// `maxMemAllocSize`.
    pub max_alloc_size: u64,
    /// The device memory.
    pub arena: Arena,
}

impl Device {
    /// The device's handle.
    pub(crate) fn handle(&self) -> ze_device_handle_t {
        self.handle as ze_device_handle_t
    }

    /// The command queue groups; the index is the ordinal.
    pub(crate) fn queue_groups(&self) -> &'static [QueueGroup] {
        &QUEUE_GROUPS
    }

    /// The device's name, which says it is the software device.
    pub(crate) fn name(&self) -> String {
        format!("Level Zero software device {} (ze_soft, CPU)", self.index)
    }
}

static DEVICES: Registry<Device> = Registry::new(Kind::Device);

/// The device named by `handle`.
pub(crate) fn get(handle: ze_device_handle_t) -> ZeResult<Arc<Device>> {
    DEVICES.get(handle)
}

/// Creates and registers device number `index`.
pub(crate) fn create(index: u32, config: &Config) -> ZeResult<Arc<Device>> {
    let arena = Arena::new(config.device_memory).map_err(|e| {
        eprintln!("ze-soft: cannot reserve device memory: {e}");
        ze_result_t::ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY
    })?;
    let mut uuid = *b"ze-soft-device\0\0";
    uuid[14..].copy_from_slice(&(index as u16).to_le_bytes());
    let (_, device) = DEVICES.insert_with(|handle: ze_device_handle_t| Device {
        handle: handle as usize,
        index,
        uuid,
        max_alloc_size: config.max_alloc_size,
        arena,
    });
    Ok(device)
}

unsafe extern "C" fn get_sub_devices(
    device: ze_device_handle_t,
    count: *mut u32,
    subdevices: *mut ze_device_handle_t,
) -> ze_result_t {
    guard(|| {
        get(device)?;
        // SAFETY: the caller passes a count and an array of *count handles (or null).
        unsafe { ffi::fill_array(count, subdevices, &[]) }
    })
}

unsafe extern "C" fn can_access_peer(
    device: ze_device_handle_t,
    peer: ze_device_handle_t,
    value: *mut ze_bool_t,
) -> ze_result_t {
    guard(|| {
        get(device)?;
        get(peer)?;
        // SAFETY: the caller passes a writable flag or null.
        unsafe { ffi::write(value, 1) }
    })
}

unsafe extern "C" fn get_status(device: ze_device_handle_t) -> ze_result_t {
    guard(|| get(device).map(|_| ()))
}

/// Nanoseconds on the monotonic clock shared by host and device timestamps.
pub(crate) fn timestamp_ns() -> u64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    // Offset by one second so that no timestamp is 0.
    1_000_000_000 + start.elapsed().as_nanos() as u64
}

unsafe extern "C" fn get_global_timestamps(
    device: ze_device_handle_t,
    host: *mut u64,
    device_ts: *mut u64,
) -> ze_result_t {
    guard(|| {
        get(device)?;
        if host.is_null() || device_ts.is_null() {
            return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        }
        let now = timestamp_ns();
        // SAFETY: both checked non-null; the caller passes writable values.
        unsafe {
            host.write(now);
            device_ts.write(now);
        }
        Ok(())
    })
}

/// `zeDeviceGetRootDevice`: every device of this driver is a root device (there are no
/// sub-devices), so the answer is null, as Intel's driver answers for root devices and
/// for every device in its flat hierarchy.
#[cfg(ze_api = "1.7")]
unsafe extern "C" fn get_root_device(
    device: ze_device_handle_t,
    root: *mut ze_device_handle_t,
) -> ze_result_t {
    guard(|| {
        get(device)?;
        // SAFETY: the caller passes a writable handle or null.
        unsafe { ffi::write(root, std::ptr::null_mut()) }
    })
}

/// Fills the device table (but `zeDeviceGet`, which asks the driver: see `driver`).
pub(crate) fn fill_table(t: &mut ze_device_dditable_t) {
    t.pfnGetSubDevices = Some(get_sub_devices);
    t.pfnCanAccessPeer = Some(can_access_peer);
    properties::fill_table(t);
    t.pfnGetStatus = Some(get_status);
    t.pfnGetGlobalTimestamps = Some(get_global_timestamps);
    #[cfg(ze_api = "1.7")]
    {
        t.pfnGetRootDevice = Some(get_root_device);
    }
}

/// The allocation granularity of device memory, reported as its page size.
pub(crate) const DEVICE_PAGE_SIZE: usize = GRANULE;
