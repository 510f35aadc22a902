//! Level Zero result codes by name and meaning, and the error of one failed call.

use std::fmt;

use level_zero_sys::ze_result_t;

/// A Level Zero result code: a `Copy` newtype over the raw `ze_result_t` whose `Debug` and
/// `Display` print the specification's name (`ZE_RESULT_ERROR_DEVICE_LOST (0x70000001)`),
/// never the bare number. Any value a driver returns is representable.
///
/// Compares with the raw constants: `code == ze_result_t::ZE_RESULT_ERROR_DEVICE_LOST`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResultCode(pub ze_result_t);

impl ResultCode {
    /// The raw code.
    pub fn raw(self) -> ze_result_t {
        self.0
    }

    /// The specification's name (`"ZE_RESULT_ERROR_INVALID_SIZE"`), or
    /// `"ZE_RESULT_<unknown>"` for a value the headers do not define.
    pub fn name(self) -> &'static str {
        code_name(self.0)
    }

    /// What the specification says the code means.
    pub fn meaning(self) -> &'static str {
        code_meaning(self.0)
    }
}

impl From<ze_result_t> for ResultCode {
    fn from(code: ze_result_t) -> Self {
        ResultCode(code)
    }
}

impl PartialEq<ze_result_t> for ResultCode {
    fn eq(&self, other: &ze_result_t) -> bool {
        self.0 == *other
    }
}

impl PartialEq<ResultCode> for ze_result_t {
    fn eq(&self, other: &ResultCode) -> bool {
        *self == other.0
    }
}

impl fmt::Debug for ResultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:#x})", self.name(), self.0 .0)
    }
}

impl fmt::Display for ResultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A failed Level Zero call: the code it returned, the call's name and its parameters.
///
/// `Debug` prints the code by its specification name.
#[derive(Clone, PartialEq, Eq)]
pub struct ZeError {
    /// The code the call returned.
    pub code: ResultCode,
    /// The C name of the call (`"zeMemAllocDevice"`).
    pub call: &'static str,
    /// The call's parameters as text (`"size=4096, alignment=64"`).
    pub params: String,
}

impl ZeError {
    /// Builds the error of `call` with `params` that returned `code`.
    pub fn new(code: ze_result_t, call: &'static str, params: impl Into<String>) -> Self {
        ZeError {
            code: ResultCode(code),
            call,
            params: params.into(),
        }
    }

    /// The specification's name of the code (`"ZE_RESULT_ERROR_INVALID_SIZE"`), or
    /// `"ZE_RESULT_<unknown>"` for a value the headers do not define.
    pub fn name(&self) -> &'static str {
        self.code.name()
    }

    /// What the specification says the code means.
    pub fn meaning(&self) -> &'static str {
        self.code.meaning()
    }
}

impl fmt::Debug for ZeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZeError")
            .field("code", &self.code)
            .field("call", &self.call)
            .field("params", &self.params)
            .finish()
    }
}

impl fmt::Display for ZeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}({}) failed: {}: {}",
            self.call,
            self.params,
            self.code,
            self.meaning()
        )
    }
}

impl std::error::Error for ZeError {}

/// The specification's name of `code`, or `"ZE_RESULT_<unknown>"`.
pub fn code_name(code: ze_result_t) -> &'static str {
    code.name().unwrap_or("ZE_RESULT_<unknown>")
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
}
