//! Errors: every Level Zero result code by name and meaning, the call that failed and its
//! parameters, and the allocation failures of USM memory.

use std::fmt;

use level_zero_sys::{ze_result_t, LoadError, MissingFunction};

use crate::device::Device;
use crate::memory::UsmKind;

/// The result type of usm-core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything usm-core can fail with.
///
/// `Clone`, so that the one process-wide initialisation can hand the same failure to every
/// caller.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The Level Zero loader library could not be opened.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The opened loader lacks an entry point that usm-core needs.
    #[error(transparent)]
    MissingFunction(#[from] MissingFunction),
    /// A Level Zero call returned an error code.
    #[error(transparent)]
    Ze(#[from] ZeError),
    /// A USM allocation failed (bad input found before any call, or the driver refused it).
    #[error(transparent)]
    Allocation(#[from] UsmAllocationError),
    /// No device of the requested kind was found.
    #[error("no Level Zero {what} found (is a driver installed, or ZE_ENABLE_ALT_DRIVERS set?)")]
    NoDevice {
        /// What was looked for (`"GPU device"`, `"driver"`).
        what: &'static str,
    },
    /// An argument was rejected before any Level Zero call.
    #[error("invalid argument `{name}`: {reason}")]
    InvalidArgument {
        /// The argument's name.
        name: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// The pointer is not a USM allocation of any context known to the driver.
    #[error("pointer {addr:#x} is not USM memory of this context")]
    NotUsm {
        /// The address that was asked about.
        addr: usize,
    },
    /// The pointer belongs to a USM allocation of another context.
    #[error("pointer {addr:#x} belongs to another context ({other:#x}), not to {this:#x}")]
    ForeignContext {
        /// The address that was asked about.
        addr: usize,
        /// The raw handle of the context that was asked.
        this: usize,
        /// The raw handle of the context the allocation was made in.
        other: usize,
    },
    /// A range lies outside the allocation it should be part of.
    #[error("range of {len} bytes at offset {offset} lies outside the allocation of {size} bytes")]
    OutOfBounds {
        /// Offset of the range from the allocation's base, in bytes.
        offset: usize,
        /// Length of the range, in bytes.
        len: usize,
        /// Size of the allocation, in bytes.
        size: usize,
    },
    /// The memory cannot be read or written by the host (device memory).
    #[error("{kind} memory is not accessible from the host")]
    NotHostAccessible {
        /// The USM kind of the memory.
        kind: UsmKind,
    },
    /// The bytes cannot be viewed as a slice of the requested element type.
    #[error("cannot view {len} bytes at {addr:#x} as [{type_name}]: {reason}")]
    TypedView {
        /// The element type.
        type_name: &'static str,
        /// Address of the bytes.
        addr: usize,
        /// Number of bytes.
        len: usize,
        /// Misalignment or size mismatch, in words.
        reason: String,
    },
    /// A copy, fill or queue request was refused before anything was submitted.
    #[error(transparent)]
    Transfer(#[from] crate::transfer::TransferError),
}

impl Error {
    /// The Level Zero result code behind this error, when a driver call produced it.
    pub fn code(&self) -> Option<ze_result_t> {
        match self {
            Error::Ze(e) => Some(e.code),
            Error::Allocation(e) => e.code(),
            _ => None,
        }
    }
}

/// A failed Level Zero call: the code it returned, the call's name and its parameters.
///
/// `Debug` prints the code by its specification name.
#[derive(Clone, PartialEq, Eq)]
pub struct ZeError {
    /// The code the call returned.
    pub code: ze_result_t,
    /// The C name of the call (`"zeMemAllocDevice"`).
    pub call: &'static str,
    /// The call's parameters as text (`"size=4096, alignment=64"`).
    pub params: String,
}

impl ZeError {
    /// Builds the error of `call` with `params` that returned `code`.
    pub fn new(code: ze_result_t, call: &'static str, params: impl Into<String>) -> Self {
        ZeError {
            code,
            call,
            params: params.into(),
        }
    }

    /// The specification's name of the code (`"ZE_RESULT_ERROR_INVALID_SIZE"`), or
    /// `"ZE_RESULT_<unknown>"` for a value the headers do not define.
    pub fn name(&self) -> &'static str {
        code_name(self.code)
    }

    /// What the specification says the code means.
    pub fn meaning(&self) -> &'static str {
        code_meaning(self.code)
    }
}

impl fmt::Debug for ZeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZeError")
            .field(
                "code",
                &format_args!("{} ({:#x})", self.name(), self.code.0),
            )
            .field("call", &self.call)
            .field("params", &self.params)
            .finish()
    }
}

impl fmt::Display for ZeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}({}) failed: {} ({:#x}): {}",
            self.call,
            self.params,
            self.name(),
            self.code.0,
            self.meaning()
        )
    }
}

impl std::error::Error for ZeError {}

/// Turns the outcome of one Level Zero call into a [`Result`].
///
/// `params` is only evaluated when the call failed, so describing the parameters costs
/// nothing on success.
///
/// ```
/// use level_zero_sys::ze_result_t;
/// let err = usm_core::check(
///     "zeMemFree",
///     Ok(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT),
///     || "ptr=0x10".to_string(),
/// )
/// .unwrap_err();
/// assert_eq!(err.code(), Some(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT));
/// ```
///
/// # Errors
///
/// [`Error::MissingFunction`] when the loader lacks the call, [`Error::Ze`] when it returned
/// anything but `ZE_RESULT_SUCCESS`.
#[inline]
pub fn check(
    call: &'static str,
    outcome: std::result::Result<ze_result_t, MissingFunction>,
    params: impl FnOnce() -> String,
) -> Result<()> {
    match outcome {
        Ok(rc) if rc.is_success() => Ok(()),
        Ok(rc) => Err(Error::Ze(ZeError::new(rc, call, params()))),
        Err(missing) => Err(Error::MissingFunction(missing)),
    }
}

/// The specification's name of `code`, or `"ZE_RESULT_<unknown>"`.
pub fn code_name(code: ze_result_t) -> &'static str {
    code.name().unwrap_or("ZE_RESULT_<unknown>")
}

/// The meaning of a code that only newer headers define (API 1.5 to 1.17), matched by its
/// name so that the crate builds on older headers too.
fn newer_code_meaning(code: ze_result_t) -> Option<&'static str> {
    Some(match code.name()? {
        "ZE_RESULT_EXP_ERROR_OPERANDS_INCOMPATIBLE"
        | "ZE_RESULT_EXT_ERROR_OPERANDS_INCOMPATIBLE" => {
            "the operands of the comparison are not compatible"
        }
        "ZE_RESULT_EXP_RTAS_BUILD_RETRY" | "ZE_RESULT_EXT_RTAS_BUILD_RETRY" => {
            "the ray tracing acceleration structure build needs a larger buffer; retry"
        }
        "ZE_RESULT_EXP_RTAS_BUILD_DEFERRED" | "ZE_RESULT_EXT_RTAS_BUILD_DEFERRED" => {
            "the ray tracing acceleration structure build was deferred to a parallel operation"
        }
        "ZE_RESULT_ERROR_INVALID_KERNEL_HANDLE" => "the kernel handle is invalid",
        "ZE_RESULT_ERROR_SURVIVABILITY_MODE_DETECTED" => {
            "the device is in survivability mode (firmware update required)"
        }
        "ZE_RESULT_ERROR_ADDRESS_NOT_FOUND" => "the address is not found in the address space",
        "ZE_RESULT_QUERY_TRUE" => "the query's answer is true",
        "ZE_RESULT_QUERY_FALSE" => "the query's answer is false",
        "ZE_RESULT_ERROR_INVALID_GRAPH" => "the graph is invalid",
        "ZE_RESULT_ERROR_GRAPH_CAPTURE_UNSUPPORTED" => {
            "the operation cannot be captured into a graph"
        }
        "ZE_RESULT_ERROR_GRAPH_CAPTURE_INVALIDATED" => "the graph capture was invalidated",
        "ZE_RESULT_ERROR_GRAPH_CAPTURE_MERGE_ATTEMPT" => "two graph captures cannot be merged",
        "ZE_RESULT_ERROR_COMMAND_LIST_NOT_CAPTURING" => "the command list is not capturing a graph",
        "ZE_RESULT_ERROR_GRAPH_UNJOINED_FORKS" => "the graph has forks that were not joined",
        "ZE_RESULT_ERROR_GRAPH_INTERNAL_EVENT" => {
            "an event internal to the graph cannot be used here"
        }
        _ => return None,
    })
}

/// What the Level Zero specification says `code` means.
pub fn code_meaning(code: ze_result_t) -> &'static str {
    type R = ze_result_t;
    match code {
        R::ZE_RESULT_SUCCESS => "success",
        R::ZE_RESULT_NOT_READY => "the synchronization primitive is not signaled yet",
        R::ZE_RESULT_ERROR_DEVICE_LOST => {
            "the device hung, was reset or removed, or its driver was updated"
        }
        R::ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY => "not enough host memory for the call",
        R::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY => "not enough device memory for the call",
        R::ZE_RESULT_ERROR_MODULE_BUILD_FAILURE => "building the module failed (see build log)",
        R::ZE_RESULT_ERROR_MODULE_LINK_FAILURE => "linking the modules failed (see build log)",
        R::ZE_RESULT_ERROR_DEVICE_REQUIRES_RESET => "the device must be reset",
        R::ZE_RESULT_ERROR_DEVICE_IN_LOW_POWER_STATE => "the device is in a low power state",
        R::ZE_RESULT_EXP_ERROR_DEVICE_IS_NOT_VERTEX => {
            "the device is not represented by a fabric vertex"
        }
        R::ZE_RESULT_EXP_ERROR_VERTEX_IS_NOT_DEVICE => "the fabric vertex is not a device",
        R::ZE_RESULT_EXP_ERROR_REMOTE_DEVICE => {
            "the fabric vertex is a remote device or sub-device"
        }
        R::ZE_RESULT_ERROR_INSUFFICIENT_PERMISSIONS => "access denied by permission level",
        R::ZE_RESULT_ERROR_NOT_AVAILABLE => {
            "the resource is in use and cannot be shared, or was removed"
        }
        R::ZE_RESULT_ERROR_DEPENDENCY_UNAVAILABLE => {
            "an external dependency is unavailable or missing"
        }
        R::ZE_RESULT_WARNING_DROPPED_DATA => "data may have been dropped",
        R::ZE_RESULT_ERROR_UNINITIALIZED => {
            "the driver is not initialized: zeInit was not called, or found no driver"
        }
        R::ZE_RESULT_ERROR_UNSUPPORTED_VERSION => "the version is not supported",
        R::ZE_RESULT_ERROR_UNSUPPORTED_FEATURE => "the feature is not supported",
        R::ZE_RESULT_ERROR_INVALID_ARGUMENT => "an argument is invalid",
        R::ZE_RESULT_ERROR_INVALID_NULL_HANDLE => "a handle argument is null or invalid",
        R::ZE_RESULT_ERROR_HANDLE_OBJECT_IN_USE => {
            "the object behind the handle is still in use by the device"
        }
        R::ZE_RESULT_ERROR_INVALID_NULL_POINTER => "a pointer argument must not be null",
        R::ZE_RESULT_ERROR_INVALID_SIZE => "a size argument is invalid (for example zero)",
        R::ZE_RESULT_ERROR_UNSUPPORTED_SIZE => {
            "a size argument is not supported by the device (for example too large)"
        }
        R::ZE_RESULT_ERROR_UNSUPPORTED_ALIGNMENT => {
            "an alignment argument is not supported by the device"
        }
        R::ZE_RESULT_ERROR_INVALID_SYNCHRONIZATION_OBJECT => {
            "the synchronization object is in an invalid state"
        }
        R::ZE_RESULT_ERROR_INVALID_ENUMERATION => "an enumerator argument is invalid",
        R::ZE_RESULT_ERROR_UNSUPPORTED_ENUMERATION => {
            "an enumerator argument is not supported by the device"
        }
        R::ZE_RESULT_ERROR_UNSUPPORTED_IMAGE_FORMAT => {
            "the image format is not supported by the device"
        }
        R::ZE_RESULT_ERROR_INVALID_NATIVE_BINARY => {
            "the native binary is not supported by the device"
        }
        R::ZE_RESULT_ERROR_INVALID_GLOBAL_NAME => "the global variable is not in the module",
        R::ZE_RESULT_ERROR_INVALID_KERNEL_NAME => "the kernel is not in the module",
        R::ZE_RESULT_ERROR_INVALID_FUNCTION_NAME => "the function is not in the module",
        R::ZE_RESULT_ERROR_INVALID_GROUP_SIZE_DIMENSION => {
            "a group size dimension is invalid for the kernel or device"
        }
        R::ZE_RESULT_ERROR_INVALID_GLOBAL_WIDTH_DIMENSION => {
            "a global width dimension is invalid for the kernel or device"
        }
        R::ZE_RESULT_ERROR_INVALID_KERNEL_ARGUMENT_INDEX => {
            "the kernel argument index is invalid for the kernel"
        }
        R::ZE_RESULT_ERROR_INVALID_KERNEL_ARGUMENT_SIZE => {
            "the kernel argument size does not match the kernel"
        }
        R::ZE_RESULT_ERROR_INVALID_KERNEL_ATTRIBUTE_VALUE => {
            "the kernel attribute value is invalid for the kernel or device"
        }
        R::ZE_RESULT_ERROR_INVALID_MODULE_UNLINKED => {
            "a module with imports must be linked before kernels are created from it"
        }
        R::ZE_RESULT_ERROR_INVALID_COMMAND_LIST_TYPE => {
            "the command list type does not match the command queue type"
        }
        R::ZE_RESULT_ERROR_OVERLAPPING_REGIONS => {
            "copies do not support overlapping memory regions"
        }
        R::ZE_RESULT_WARNING_ACTION_REQUIRED => "an action is required to complete the operation",
        R::ZE_RESULT_ERROR_UNKNOWN => "unknown or internal error",
        _ => {
            newer_code_meaning(code).unwrap_or("a result code the Level Zero headers do not define")
        }
    }
}

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
    /// The device is not one of the context's devices (or one of their sub-devices); found
    /// before any driver call.
    DeviceNotInContext,
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
            AllocationFailure::DeviceNotInContext => {
                f.write_str("the device is not one of the context's devices")
            }
            AllocationFailure::RelaxedLimitsUnsupported => write!(
                f,
                "relaxed allocation limits need the driver extension `{}`, which it lacks",
                crate::driver::RELAXED_ALLOCATION_LIMITS_EXTENSION
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
    pub fn code(&self) -> Option<ze_result_t> {
        match &self.reason {
            AllocationFailure::Driver(e) => Some(e.code),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_defined_code_has_a_meaning() {
        let undefined = code_meaning(ze_result_t(0x1234_5678));
        let bases = [
            0u32,
            0x7000_0000,
            0x7001_0000,
            0x7002_0000,
            0x7800_0000,
            0x7ff0_0000,
        ];
        let mut named = 0;
        for raw in bases
            .iter()
            .flat_map(|&b| b..b + 0x100)
            .chain([0x7fff_fffe])
        {
            let code = ze_result_t(raw);
            if code.name().is_some() {
                named += 1;
                assert_ne!(
                    code_meaning(code),
                    undefined,
                    "{:?} lacks a meaning",
                    code.name()
                );
            }
        }
        assert!(named > 40, "only {named} codes found");
    }

    #[test]
    fn unknown_code_still_prints() {
        let e = ZeError::new(ze_result_t(0x1234_5678), "zeMemFree", "ptr=0x1");
        let text = e.to_string();
        assert!(text.contains("zeMemFree(ptr=0x1)"), "{text}");
        assert!(text.contains("0x12345678"), "{text}");
        assert!(text.contains("ZE_RESULT_<unknown>"), "{text}");
    }

    #[test]
    fn ze_error_names_code_and_meaning() {
        let e = ZeError::new(
            ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_ALIGNMENT,
            "zeMemAllocDevice",
            "size=1, alignment=3",
        );
        let text = e.to_string();
        assert!(
            text.contains("ZE_RESULT_ERROR_UNSUPPORTED_ALIGNMENT"),
            "{text}"
        );
        assert!(
            text.contains("alignment argument is not supported"),
            "{text}"
        );
    }

    #[test]
    fn ze_error_debug_names_the_code() {
        let e = ZeError::new(
            ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_SIZE,
            "zeMemAllocHost",
            "size=0",
        );
        let text = format!("{e:?}");
        assert!(
            text.contains("ZE_RESULT_ERROR_UNSUPPORTED_SIZE (0x78000009)"),
            "{text}"
        );
        assert!(text.contains("zeMemAllocHost"), "{text}");
    }

    #[test]
    fn check_passes_success_through() {
        assert!(check(
            "zeInit",
            Ok(ze_result_t::ZE_RESULT_SUCCESS),
            || unreachable!()
        )
        .is_ok());
    }
}
