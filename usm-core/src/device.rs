//! Level Zero devices: properties, memory, queue groups and sub-devices.

use level_zero_sys::{
    ze_command_queue_group_property_flag_t, ze_device_handle_t, ze_device_property_flag_t,
    ze_device_type_t,
};

pub use crate::names::Device;

use crate::driver::c_string;
use crate::error::Result;
use crate::init::api;
use crate::names::Driver;
use crate::result;

/// The generic kind of a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceType {
    /// A graphics processing unit.
    Gpu,
    /// A central processing unit.
    Cpu,
    /// A field-programmable gate array.
    Fpga,
    /// A memory copy accelerator.
    Mca,
    /// A vision processing unit.
    Vpu,
    /// A value the headers do not name.
    Other(u32),
}

impl From<ze_device_type_t> for DeviceType {
    fn from(t: ze_device_type_t) -> Self {
        match t {
            ze_device_type_t::ZE_DEVICE_TYPE_GPU => DeviceType::Gpu,
            ze_device_type_t::ZE_DEVICE_TYPE_CPU => DeviceType::Cpu,
            ze_device_type_t::ZE_DEVICE_TYPE_FPGA => DeviceType::Fpga,
            ze_device_type_t::ZE_DEVICE_TYPE_MCA => DeviceType::Mca,
            ze_device_type_t::ZE_DEVICE_TYPE_VPU => DeviceType::Vpu,
            other => DeviceType::Other(other.0),
        }
    }
}

/// A device's properties, gathered from `zeDeviceGetProperties`,
/// `zeDeviceGetComputeProperties` and `zeDeviceGetMemoryProperties`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceProperties {
    /// The device's name.
    pub name: String,
    /// GPU, CPU, ...
    pub device_type: DeviceType,
    /// PCI vendor id (0x8086 for Intel).
    pub vendor_id: u32,
    /// PCI device id.
    pub device_id: u32,
    /// The device's UUID (sub-devices have their own).
    pub uuid: [u8; 16],
    /// Whether this is a sub-device.
    pub is_subdevice: bool,
    /// The sub-device id, when [`is_subdevice`](Self::is_subdevice).
    pub subdevice_id: Option<u32>,
    /// Whether host and device share one physical memory.
    pub is_integrated: bool,
    /// Core clock rate in MHz.
    pub core_clock_mhz: u32,
    /// The largest single allocation the device accepts, in bytes.
    pub max_mem_alloc_size: u64,
    /// Total device memory over all its memory ordinals, in bytes.
    pub total_memory: u64,
    /// Number of compute units (slices × sub-slices per slice × EUs per sub-slice).
    pub compute_units: u32,
    /// Hardware threads per compute unit.
    pub threads_per_compute_unit: u32,
    /// Physical SIMD width of a compute unit.
    pub simd_width: u32,
    /// Largest work-group size.
    pub max_group_size: u32,
    /// Shared local memory per work-group, in bytes.
    pub max_shared_local_memory: u32,
    /// Maximum number of logical hardware contexts.
    pub max_hardware_contexts: u32,
}

/// One of a device's local memories (`zeDeviceGetMemoryProperties`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryProperties {
    /// The memory's ordinal, as used in device allocation descriptors.
    pub ordinal: u32,
    /// Its name (`"HBM"`, `"DDR"`).
    pub name: String,
    /// Its size in bytes.
    pub total_size: u64,
    /// Maximum clock rate in MHz.
    pub max_clock_rate: u32,
    /// Maximum bus width in bits.
    pub max_bus_width: u32,
}

/// What a device can do with one kind of USM memory (`ze_memory_access_cap_flags_t`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct AccessCapabilities {
    /// Loads and stores (the kind is usable at all).
    pub read_write: bool,
    /// Atomic operations.
    pub atomic: bool,
    /// Access concurrent with the host or other devices.
    pub concurrent: bool,
    /// Atomic operations concurrent with the host or other devices.
    pub concurrent_atomic: bool,
}

impl AccessCapabilities {
    fn from_flags(flags: u32) -> Self {
        use level_zero_sys::ze_memory_access_cap_flag_t as F;
        let has = |f: F| flags & f.0 != 0;
        AccessCapabilities {
            read_write: has(F::ZE_MEMORY_ACCESS_CAP_FLAG_RW),
            atomic: has(F::ZE_MEMORY_ACCESS_CAP_FLAG_ATOMIC),
            concurrent: has(F::ZE_MEMORY_ACCESS_CAP_FLAG_CONCURRENT),
            concurrent_atomic: has(F::ZE_MEMORY_ACCESS_CAP_FLAG_CONCURRENT_ATOMIC),
        }
    }

    /// Whether the device can use this kind of memory at all.
    pub fn is_supported(&self) -> bool {
        self.read_write
    }
}

/// How a device reaches each kind of memory (`zeDeviceGetMemoryAccessProperties`): tells
/// whether, for example, shared allocations are supported before making one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct MemoryAccess {
    /// Host allocations ([`UsmHost`](crate::UsmHost)).
    pub host: AccessCapabilities,
    /// Device allocations ([`UsmDevice`](crate::UsmDevice)).
    pub device: AccessCapabilities,
    /// Shared allocations bound to this device ([`UsmShared`](crate::UsmShared)).
    pub shared_single_device: AccessCapabilities,
    /// Shared allocations accessed from several devices.
    pub shared_cross_device: AccessCapabilities,
    /// Plain system allocations (`malloc`) used by the device.
    pub shared_system: AccessCapabilities,
}

/// A group of command queues (engines) of a device, for command lists and queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QueueGroup {
    /// The group's ordinal, as passed to command list and queue descriptors.
    pub ordinal: u32,
    /// Raw `ze_command_queue_group_property_flags_t`.
    pub flags: u32,
    /// Number of physical engines in the group.
    pub engine_count: u32,
    /// Largest fill pattern size in bytes that the group's engines accept.
    pub max_memory_fill_pattern_size: usize,
}

impl QueueGroup {
    /// Whether the group runs compute work (kernels); compute groups also copy.
    pub fn is_compute(&self) -> bool {
        self.flags
            & ze_command_queue_group_property_flag_t::ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COMPUTE.0
            != 0
    }

    /// Whether the group supports copies.
    pub fn is_copy(&self) -> bool {
        self.flags
            & ze_command_queue_group_property_flag_t::ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COPY.0
            != 0
    }

    /// Whether the group only copies (a copy engine: no compute).
    pub fn is_copy_only(&self) -> bool {
        self.is_copy() && !self.is_compute()
    }

    /// Whether the group runs cooperative kernels.
    pub fn supports_cooperative_kernels(&self) -> bool {
        self.flags
            & ze_command_queue_group_property_flag_t::ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COOPERATIVE_KERNELS.0
            != 0
    }

    /// Whether the group can collect metrics.
    pub fn supports_metrics(&self) -> bool {
        self.flags
            & ze_command_queue_group_property_flag_t::ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_METRICS.0
            != 0
    }
}

impl Device {
    /// The device (or sub-device) of `driver` with a raw handle obtained elsewhere (a SYCL
    /// runtime, another library), checked: it must be one of the driver's devices or their
    /// sub-devices, which are compared by value, so any handle is safe to pass.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when the driver has no
    /// such device; the codes of `zeDeviceGet` and `zeDeviceGetSubDevices`.
    pub fn from_raw_checked(driver: &Driver, handle: ze_device_handle_t) -> Result<Device> {
        let mut todo = driver.devices()?;
        while let Some(d) = todo.pop() {
            if d.raw() == handle {
                return Ok(d);
            }
            todo.extend(d.sub_devices()?);
        }
        Err(crate::Error::InvalidArgument {
            name: "handle",
            reason: format!("{handle:p} is not a device of {driver:?}"),
        })
    }

    /// The device's properties.
    ///
    /// # Errors
    ///
    /// The code of the first failing property query.
    pub fn properties(&self) -> Result<DeviceProperties> {
        let api = api()?;
        // SAFETY: the handle is a device of the initialised loader (see `Device`).
        let p = unsafe { result::device::properties(api, self.raw()) }?;
        // SAFETY: as above.
        let c = unsafe { result::device::compute_properties(api, self.raw()) }?;
        let memories = self.memory_properties()?;
        let flag = |f: ze_device_property_flag_t| p.flags & f.0 != 0;
        let is_subdevice = flag(ze_device_property_flag_t::ZE_DEVICE_PROPERTY_FLAG_SUBDEVICE);
        Ok(DeviceProperties {
            name: c_string(&p.name),
            device_type: p.type_.into(),
            vendor_id: p.vendorId,
            device_id: p.deviceId,
            uuid: p.uuid.id,
            is_subdevice,
            subdevice_id: is_subdevice.then_some(p.subdeviceId),
            is_integrated: flag(ze_device_property_flag_t::ZE_DEVICE_PROPERTY_FLAG_INTEGRATED),
            core_clock_mhz: p.coreClockRate,
            max_mem_alloc_size: p.maxMemAllocSize,
            total_memory: memories.iter().map(|m| m.total_size).sum(),
            compute_units: p
                .numSlices
                .saturating_mul(p.numSubslicesPerSlice)
                .saturating_mul(p.numEUsPerSubslice),
            threads_per_compute_unit: p.numThreadsPerEU,
            simd_width: p.physicalEUSimdWidth,
            max_group_size: c.maxTotalGroupSize,
            max_shared_local_memory: c.maxSharedLocalMemory,
            max_hardware_contexts: p.maxHardwareContexts,
        })
    }

    /// The device's local memories.
    ///
    /// # Errors
    ///
    /// The code of `zeDeviceGetMemoryProperties`.
    pub fn memory_properties(&self) -> Result<Vec<MemoryProperties>> {
        // SAFETY: as in `properties`.
        let raw = unsafe { result::device::memory_properties(api()?, self.raw()) }?;
        Ok(raw
            .iter()
            .zip(0..)
            .map(|(m, ordinal)| MemoryProperties {
                ordinal,
                name: c_string(&m.name),
                total_size: m.totalSize,
                max_clock_rate: m.maxClockRate,
                max_bus_width: m.maxBusWidth,
            })
            .collect())
    }

    /// How the device reaches each kind of memory.
    ///
    /// # Errors
    ///
    /// The code of `zeDeviceGetMemoryAccessProperties`.
    pub fn memory_access(&self) -> Result<MemoryAccess> {
        // SAFETY: as in `properties`.
        let p = unsafe { result::device::memory_access_properties(api()?, self.raw()) }?;
        Ok(MemoryAccess {
            host: AccessCapabilities::from_flags(p.hostAllocCapabilities),
            device: AccessCapabilities::from_flags(p.deviceAllocCapabilities),
            shared_single_device: AccessCapabilities::from_flags(
                p.sharedSingleDeviceAllocCapabilities,
            ),
            shared_cross_device: AccessCapabilities::from_flags(
                p.sharedCrossDeviceAllocCapabilities,
            ),
            shared_system: AccessCapabilities::from_flags(p.sharedSystemAllocCapabilities),
        })
    }

    /// The device's command queue groups, in ordinal order.
    ///
    /// # Errors
    ///
    /// The code of `zeDeviceGetCommandQueueGroupProperties`.
    pub fn queue_groups(&self) -> Result<Vec<QueueGroup>> {
        // SAFETY: as in `properties`.
        let raw = unsafe { result::device::queue_group_properties(api()?, self.raw()) }?;
        Ok(raw
            .iter()
            .zip(0..)
            .map(|(g, ordinal)| QueueGroup {
                ordinal,
                flags: g.flags,
                engine_count: g.numQueues,
                max_memory_fill_pattern_size: g.maxMemoryFillPatternSize,
            })
            .collect())
    }

    /// The device's sub-devices (empty when it has none).
    ///
    /// # Errors
    ///
    /// The code of `zeDeviceGetSubDevices`.
    pub fn sub_devices(&self) -> Result<Vec<Device>> {
        // SAFETY: as in `properties`.
        let handles = unsafe { result::device::sub_devices(api()?, self.raw()) }?;
        Ok(handles
            .into_iter()
            // SAFETY: zeDeviceGetSubDevices named these sub-devices of this driver's device.
            .map(|h| unsafe { Device::from_raw(h, *self.driver()) })
            .collect())
    }

    /// The first GPU device of the first driver that has one.
    ///
    /// # Errors
    ///
    /// [`Error::NoDevice`](crate::Error::NoDevice) when no driver has a GPU device;
    /// discovery errors.
    pub fn first_gpu() -> Result<Device> {
        for driver in Driver::all()? {
            for device in driver.devices()? {
                if device.properties()?.device_type == DeviceType::Gpu {
                    return Ok(device);
                }
            }
        }
        Err(crate::Error::NoDevice { what: "GPU device" })
    }

    /// Every GPU device of every driver, in discovery order.
    ///
    /// # Errors
    ///
    /// Discovery errors.
    pub fn all_gpus() -> Result<Vec<Device>> {
        let mut out = Vec::new();
        for driver in Driver::all()? {
            for device in driver.devices()? {
                if device.properties()?.device_type == DeviceType::Gpu {
                    out.push(device);
                }
            }
        }
        Ok(out)
    }
}
