//! Why a USM allocation failed.

use std::fmt;

use super::code::{ResultCode, ZeError};
use crate::names::Device;
use crate::names::UsmKind;

/// The driver extension that relaxed allocation limits need.
pub(crate) const RELAXED_LIMITS: &str = "ZE_experimental_relaxed_allocation_limits";

/// Why a USM allocation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AllocationFailure {
    /// Zero bytes were requested. usm-core refuses size 0, as dpctl does, before any driver
    /// call (the specification leaves a zero-sized allocation to the driver, which may fail
    /// it or return a pointer that cannot be used).
    ZeroSize,
    /// The alignment is neither 0 (the driver's choice) nor a power of two; found before any
    /// driver call.
    AlignmentNotPowerOfTwo,
    /// More than `isize::MAX` bytes were requested: no address space holds that, and Rust
    /// slices cannot cover it; found before any driver call.
    LargerThanAddressSpace,
    /// Relaxed allocation limits were asked for, but the driver does not offer the
    /// `ZE_experimental_relaxed_allocation_limits` extension.
    RelaxedLimitsUnsupported,
    /// The driver refused the allocation: its result code, the call and its parameters.
    Driver(ZeError),
}

impl fmt::Display for AllocationFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AllocationFailure::ZeroSize => f.write_str("zero-sized allocations are not allowed"),
            AllocationFailure::AlignmentNotPowerOfTwo => {
                f.write_str("the alignment must be 0 (driver's choice) or a power of two")
            }
            AllocationFailure::LargerThanAddressSpace => {
                f.write_str("the size is larger than isize::MAX bytes")
            }
            AllocationFailure::RelaxedLimitsUnsupported => write!(
                f,
                "relaxed allocation limits need the driver extension `{RELAXED_LIMITS}`, which \
                 it lacks"
            ),
            AllocationFailure::Driver(e) => write!(f, "{e}"),
        }
    }
}

/// A failed USM allocation: what was asked (kind, size, alignment, device) and why it
/// failed (bad input found before any call, or the driver's result code).
///
/// The counterpart of dpctl's `USMAllocationError`, which dpctl raises when the allocator
/// returns null; here every refusal carries the driver's code ([`code`](Self::code)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error(
    "cannot allocate {size} bytes of {kind} USM memory (alignment {alignment}{on}): {reason}",
    on = describe_device(device.as_ref(), device_name.as_deref())
)]
pub struct UsmAllocationError {
    /// The kind of memory requested.
    pub kind: UsmKind,
    /// The number of bytes requested.
    pub size: usize,
    /// The alignment requested (0: the driver's choice).
    pub alignment: usize,
    /// The device the memory was for; `None` for host memory.
    pub device: Option<Device>,
    /// The device's name as the driver reports it, when it could be read.
    pub device_name: Option<String>,
    /// Why it failed.
    pub reason: AllocationFailure,
}

fn describe_device(device: Option<&Device>, name: Option<&str>) -> String {
    match (device, name) {
        (Some(d), Some(n)) => format!(", device \"{n}\" {:p}", d.raw()),
        (Some(d), None) => format!(", device {:p}", d.raw()),
        (None, _) => String::new(),
    }
}

impl UsmAllocationError {
    /// The driver's result code, when the driver refused the allocation.
    pub fn code(&self) -> Option<ResultCode> {
        match &self.reason {
            AllocationFailure::Driver(e) => Some(e.code),
            _ => None,
        }
    }
}
