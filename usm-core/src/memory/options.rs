//! Allocation options: alignment, cache bias, initial placement, relaxed limits.

use level_zero_sys::{ze_device_mem_alloc_flag_t as DevFlag, ze_host_mem_alloc_flag_t as HostFlag};

/// Cache preference for an allocation (`ZE_*_MEM_ALLOC_FLAG_BIAS_CACHED/UNCACHED`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum CacheBias {
    /// The driver decides.
    #[default]
    Default,
    /// Prefer cached.
    Cached,
    /// Prefer uncached.
    Uncached,
}

/// Where shared memory should first live (`..._BIAS_INITIAL_PLACEMENT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Placement {
    /// Start on the device.
    Device,
    /// Start on the host.
    Host,
}

/// How to allocate: alignment and descriptor flags. Built with chained setters.
///
/// ```
/// use usm_core::{AllocOptions, CacheBias};
/// let options = AllocOptions::new().alignment(256).cache(CacheBias::Uncached);
/// assert_eq!(options.get_alignment(), 256);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct AllocOptions {
    alignment: usize,
    cache: CacheBias,
    host_cache: CacheBias,
    write_combined: bool,
    placement: Option<Placement>,
    relaxed_limits: bool,
    ordinal: u32,
}

impl AllocOptions {
    /// The defaults: the driver's alignment and flags, memory ordinal 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Alignment in bytes: 0 (the driver's choice) or a power of two.
    pub fn alignment(mut self, alignment: usize) -> Self {
        self.alignment = alignment;
        self
    }

    /// Cache preference of the device side (device and shared memory), or of host memory.
    pub fn cache(mut self, bias: CacheBias) -> Self {
        self.cache = bias;
        self
    }

    /// Cache preference of the host side of shared memory.
    pub fn host_cache(mut self, bias: CacheBias) -> Self {
        self.host_cache = bias;
        self
    }

    /// Ask for write-combined host memory (host and the host side of shared memory).
    pub fn write_combined(mut self, yes: bool) -> Self {
        self.write_combined = yes;
        self
    }

    /// Where shared memory should first live.
    pub fn initial_placement(mut self, placement: Placement) -> Self {
        self.placement = Some(placement);
        self
    }

    /// Allow sizes above the device's maximum allocation size, through the
    /// `ZE_experimental_relaxed_allocation_limits` extension (an error when the driver
    /// lacks it).
    pub fn relaxed_limits(mut self, yes: bool) -> Self {
        self.relaxed_limits = yes;
        self
    }

    /// The device memory ordinal to allocate from (see
    /// [`Device::memory_properties`](crate::Device::memory_properties)).
    pub fn memory_ordinal(mut self, ordinal: u32) -> Self {
        self.ordinal = ordinal;
        self
    }

    /// The alignment asked for.
    pub fn get_alignment(&self) -> usize {
        self.alignment
    }

    /// Whether relaxed limits are asked for.
    pub fn get_relaxed_limits(&self) -> bool {
        self.relaxed_limits
    }

    /// The device memory ordinal.
    pub(crate) fn ordinal(&self) -> u32 {
        self.ordinal
    }

    /// `ze_device_mem_alloc_flags_t` for the device side.
    pub(crate) fn device_flags(&self) -> u32 {
        let mut flags = match self.cache {
            CacheBias::Default => 0,
            CacheBias::Cached => DevFlag::ZE_DEVICE_MEM_ALLOC_FLAG_BIAS_CACHED.0,
            CacheBias::Uncached => DevFlag::ZE_DEVICE_MEM_ALLOC_FLAG_BIAS_UNCACHED.0,
        };
        if self.placement == Some(Placement::Device) {
            flags |= DevFlag::ZE_DEVICE_MEM_ALLOC_FLAG_BIAS_INITIAL_PLACEMENT.0;
        }
        flags
    }

    /// `ze_host_mem_alloc_flags_t`; `shared` selects the host side of shared memory.
    pub(crate) fn host_flags(&self, shared: bool) -> u32 {
        let bias = if shared { self.host_cache } else { self.cache };
        let mut flags = match bias {
            CacheBias::Default => 0,
            CacheBias::Cached => HostFlag::ZE_HOST_MEM_ALLOC_FLAG_BIAS_CACHED.0,
            CacheBias::Uncached => HostFlag::ZE_HOST_MEM_ALLOC_FLAG_BIAS_UNCACHED.0,
        };
        if self.write_combined {
            flags |= HostFlag::ZE_HOST_MEM_ALLOC_FLAG_BIAS_WRITE_COMBINED.0;
        }
        if shared && self.placement == Some(Placement::Host) {
            flags |= HostFlag::ZE_HOST_MEM_ALLOC_FLAG_BIAS_INITIAL_PLACEMENT.0;
        }
        flags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_options_ask_for_no_flags() {
        let o = AllocOptions::new();
        assert_eq!(o.device_flags(), 0);
        assert_eq!(o.host_flags(true), 0);
        assert_eq!(o.host_flags(false), 0);
    }

    #[test]
    fn initial_placement_sets_the_flag_of_its_side_only() {
        let d = AllocOptions::new().initial_placement(Placement::Device);
        assert_ne!(d.device_flags(), 0);
        assert_eq!(d.host_flags(true), 0);
        let h = AllocOptions::new().initial_placement(Placement::Host);
        assert_eq!(h.device_flags(), 0);
        assert_ne!(h.host_flags(true), 0);
        assert_eq!(h.host_flags(false), 0);
    }

    #[test]
    fn cached_and_uncached_map_to_distinct_flags() {
        let c = AllocOptions::new().cache(CacheBias::Cached).device_flags();
        let u = AllocOptions::new()
            .cache(CacheBias::Uncached)
            .device_flags();
        assert!(c != 0 && u != 0 && c != u);
    }
}
