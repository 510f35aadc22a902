//! The C boundary: every `extern "C"` entry point runs its body through [`guard`], which
//! turns an `Err(code)` into that code and a panic into `ZE_RESULT_ERROR_UNKNOWN`, so no
//! panic ever unwinds into the caller. Small helpers check the pointers the caller passes.

use std::cell::{Cell, RefCell};
use std::ffi::CString;
use std::panic::{catch_unwind, AssertUnwindSafe};

use level_zero_sys::{ze_result_t, ze_structure_type_t};

/// The result of a driver operation: the error is the Level Zero code to return.
pub(crate) type ZeResult<T = ()> = Result<T, ze_result_t>;

/// Runs `body`, returning `ZE_RESULT_SUCCESS`, the error code it returned, or
/// `ZE_RESULT_ERROR_UNKNOWN` if it panicked. A failure also sets this thread's
/// description of the last error (`zeDriverGetLastErrorDescription`): the text the body
/// gave with [`describe`], else the code's name, or the panic's message.
pub(crate) fn guard(body: impl FnOnce() -> ZeResult) -> ze_result_t {
    let _ = DESCRIBED.try_with(|d| d.set(false));
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => ze_result_t::ZE_RESULT_SUCCESS,
        Ok(Err(code)) => {
            if !DESCRIBED.try_with(Cell::get).unwrap_or(true) {
                set_last_error(code.name().unwrap_or("an unknown result code"));
            }
            code
        }
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("no message");
            set_last_error(&format!("internal error of the software driver: {message}"));
            ze_result_t::ZE_RESULT_ERROR_UNKNOWN
        }
    }
}

thread_local! {
    /// This thread's description of the last error a call returned.
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
    /// Whether the running call described its failure itself.
    static DESCRIBED: Cell<bool> = const { Cell::new(false) };
}

/// Sets this thread's last-error description. Never panics: during thread teardown the
/// text is dropped.
fn set_last_error(text: &str) {
    let text = CString::new(text.replace('\0', " ")).unwrap_or_default();
    let _ = LAST_ERROR.try_with(|e| {
        if let Ok(mut e) = e.try_borrow_mut() {
            *e = text;
        }
    });
}

/// Describes the failure the running call is about to return, in more words than its
/// code (`zeDriverGetLastErrorDescription` answers with it).
pub(crate) fn describe(text: &str) {
    set_last_error(text);
    let _ = DESCRIBED.try_with(|d| d.set(true));
}

/// This thread's last-error description, NUL-terminated; empty before any failure. The
/// pointer stays valid until the next failure on this thread or the thread's end.
#[cfg(any(test, ze_api = "1.6"))]
pub(crate) fn last_error() -> *const std::ffi::c_char {
    static EMPTY: &std::ffi::CStr = c"";
    LAST_ERROR
        .try_with(|e| e.try_borrow().map(|e| e.as_ptr()).unwrap_or(EMPTY.as_ptr()))
        .unwrap_or(EMPTY.as_ptr())
}

/// The answer of an entry point this driver does not implement (`name` is its C name):
/// `ZE_RESULT_ERROR_UNSUPPORTED_FEATURE`, with a last-error description naming it.
pub(crate) fn unsupported(name: &str) -> ze_result_t {
    set_last_error(&format!("{name} is not implemented by the software driver"));
    ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_FEATURE
}

/// A reference to the caller's input structure, or `ZE_RESULT_ERROR_INVALID_NULL_POINTER`.
///
/// # Safety
///
/// `ptr` is null or points to a live, initialised `T` that stays valid (and is not written
/// by anyone else) for the returned lifetime.
pub(crate) unsafe fn input<'a, T>(ptr: *const T) -> ZeResult<&'a T> {
    // SAFETY: the caller guarantees `ptr` is null or valid.
    unsafe { ptr.as_ref() }.ok_or(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER)
}

/// A reference to the caller's output structure, or `ZE_RESULT_ERROR_INVALID_NULL_POINTER`.
///
/// # Safety
///
/// `ptr` is null or points to a live, writable, initialised `T`, not aliased for the
/// returned lifetime.
pub(crate) unsafe fn output<'a, T>(ptr: *mut T) -> ZeResult<&'a mut T> {
    // SAFETY: the caller guarantees `ptr` is null or valid and unaliased.
    unsafe { ptr.as_mut() }.ok_or(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER)
}

/// Writes `value` through the caller's output pointer, or returns
/// `ZE_RESULT_ERROR_INVALID_NULL_POINTER`. The old value is not read or dropped.
///
/// # Safety
///
/// `ptr` is null or valid for a write of one `T`.
pub(crate) unsafe fn write<T>(ptr: *mut T, value: T) -> ZeResult {
    if ptr.is_null() {
        return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_NULL_POINTER);
    }
    // SAFETY: non-null, and the caller guarantees it is valid for a write.
    unsafe { ptr.write(value) };
    Ok(())
}

/// A Level Zero structure that starts with `stype` and `pNext`.
pub(crate) trait Typed {
    /// The structure's `stype`.
    fn stype(&self) -> ze_structure_type_t;
}

macro_rules! typed {
    ($($t:ty),* $(,)?) => {$(
        impl Typed for $t {
            fn stype(&self) -> ze_structure_type_t {
                self.stype
            }
        }
    )*};
}

typed!(
    level_zero_sys::ze_driver_properties_t,
    level_zero_sys::ze_driver_ipc_properties_t,
    level_zero_sys::ze_device_properties_t,
    level_zero_sys::ze_device_compute_properties_t,
    level_zero_sys::ze_device_module_properties_t,
    level_zero_sys::ze_command_queue_group_properties_t,
    level_zero_sys::ze_device_memory_properties_t,
    level_zero_sys::ze_device_memory_access_properties_t,
    level_zero_sys::ze_device_cache_properties_t,
    level_zero_sys::ze_device_image_properties_t,
    level_zero_sys::ze_device_external_memory_properties_t,
    level_zero_sys::ze_device_p2p_properties_t,
    level_zero_sys::ze_memory_allocation_properties_t,
);

/// The caller's output structure: `ZE_RESULT_ERROR_INVALID_NULL_POINTER` when null,
/// `ZE_RESULT_ERROR_INVALID_ARGUMENT` when its `stype` is neither `expected` nor 0. A
/// zero-initialised output structure (stype 0, which names no structure) is filled, as
/// Intel's driver fills it (it does not read an output's stype; Intel's conformance suite
/// passes such structures).
///
/// # Safety
///
/// As [`output`].
pub(crate) unsafe fn typed_output<'a, T: Typed>(
    ptr: *mut T,
    expected: ze_structure_type_t,
) -> ZeResult<&'a mut T> {
    // SAFETY: the caller's guarantee, passed on.
    let out = unsafe { output(ptr) }?;
    if out.stype().0 != 0 {
        check_stype(out.stype(), expected)?;
    }
    Ok(out)
}

/// `ZE_RESULT_ERROR_INVALID_ARGUMENT` unless a descriptor's `stype` is `expected`.
pub(crate) fn check_stype(actual: ze_structure_type_t, expected: ze_structure_type_t) -> ZeResult {
    if actual == expected {
        Ok(())
    } else {
        Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)
    }
}

/// `ZE_RESULT_ERROR_INVALID_ENUMERATION` when `flags` has a bit outside `known`.
pub(crate) fn check_flags(flags: u32, known: u32) -> ZeResult {
    if flags & !known == 0 {
        Ok(())
    } else {
        Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ENUMERATION)
    }
}

/// Answers the Level Zero "count and array" query pattern: with `*count == 0` (or a null
/// array) stores the number of items; otherwise copies up to `*count` items into `array`
/// and stores how many were copied.
///
/// # Safety
///
/// `count` is null or valid for reads and writes; when `array` is non-null and
/// `*count > 0`, `array` is valid for `*count` writes of `T`.
pub(crate) unsafe fn fill_array<T: Copy>(count: *mut u32, array: *mut T, items: &[T]) -> ZeResult {
    // SAFETY: the caller guarantees `count` is null or valid.
    let count = unsafe { output(count) }?;
    let total = u32::try_from(items.len()).unwrap_or(u32::MAX);
    if *count == 0 || array.is_null() {
        *count = total;
        return Ok(());
    }
    let n = (*count).min(total) as usize;
    for (i, item) in items.iter().take(n).enumerate() {
        // SAFETY: i < n <= *count, and the caller guarantees room for *count items.
        unsafe { array.add(i).write(*item) };
    }
    *count = n as u32;
    Ok(())
}

/// The `stype` and `pNext` header every extensible Level Zero structure starts with.
#[repr(C)]
pub(crate) struct BaseDesc {
    /// The structure's type.
    pub stype: ze_structure_type_t,
    /// The next structure of the chain, or null.
    pub p_next: *const std::ffi::c_void,
}

/// A `pNext` pointer: `*const c_void` in input structures, `*mut c_void` in output ones.
pub(crate) trait ChainPointer: Copy {
    /// The pointer as a constant pointer.
    fn address(self) -> *const std::ffi::c_void;
    /// The pointer back from a constant pointer.
    fn from_address(p: *const std::ffi::c_void) -> Self;
}

impl ChainPointer for *const std::ffi::c_void {
    fn address(self) -> *const std::ffi::c_void {
        self
    }
    fn from_address(p: *const std::ffi::c_void) -> Self {
        p
    }
}

impl ChainPointer for *mut std::ffi::c_void {
    fn address(self) -> *const std::ffi::c_void {
        self
    }
    fn from_address(p: *const std::ffi::c_void) -> Self {
        p.cast_mut()
    }
}

/// Finds the structure of type `wanted` in a `pNext` chain, returning its address.
///
/// # Safety
///
/// Every element of the chain starting at `next` is null or a live Level Zero structure
/// (which starts with `stype` and `pNext`).
pub(crate) unsafe fn find_in_chain<P: ChainPointer>(
    next: P,
    wanted: ze_structure_type_t,
) -> Option<P> {
    let mut next = next.address();
    // A chain longer than this is surely a cycle.
    for _ in 0..64 {
        if next.is_null() {
            return None;
        }
        // SAFETY: the caller guarantees every chain element starts with this header.
        let base = unsafe { &*(next as *const BaseDesc) };
        if base.stype == wanted {
            return Some(P::from_address(next));
        }
        next = base.p_next;
    }
    None
}

/// Copies `text` into a fixed-size C string field, truncating and NUL-terminating it.
pub(crate) fn copy_name(field: &mut [std::os::raw::c_char], text: &str) {
    let n = text.len().min(field.len().saturating_sub(1));
    for (dst, src) in field.iter_mut().zip(text.bytes().take(n)) {
        *dst = src as std::os::raw::c_char;
    }
    for dst in field.iter_mut().skip(n) {
        *dst = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_turns_errors_and_panics_into_codes() {
        assert_eq!(guard(|| Ok(())), ze_result_t::ZE_RESULT_SUCCESS);
        assert_eq!(
            guard(|| Err(ze_result_t::ZE_RESULT_ERROR_INVALID_SIZE)),
            ze_result_t::ZE_RESULT_ERROR_INVALID_SIZE
        );
        assert_eq!(
            guard(|| panic!("a bug in the driver")),
            ze_result_t::ZE_RESULT_ERROR_UNKNOWN
        );
    }

    /// This thread's last-error description as text.
    fn last_error_text() -> String {
        // SAFETY: `last_error` returns a NUL-terminated string that lives until the next
        // failure on this thread; it is copied out at once.
        unsafe { std::ffi::CStr::from_ptr(last_error()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn failures_set_the_last_error_description() {
        assert_eq!(
            guard(|| Err(ze_result_t::ZE_RESULT_ERROR_INVALID_SIZE)),
            ze_result_t::ZE_RESULT_ERROR_INVALID_SIZE
        );
        assert_eq!(last_error_text(), "ZE_RESULT_ERROR_INVALID_SIZE");
        // A success leaves it as it was.
        assert_eq!(guard(|| Ok(())), ze_result_t::ZE_RESULT_SUCCESS);
        assert_eq!(last_error_text(), "ZE_RESULT_ERROR_INVALID_SIZE");
        let rc = guard(|| {
            describe("the pattern is larger than the queue group allows");
            Err(ze_result_t::ZE_RESULT_ERROR_INVALID_SIZE)
        });
        assert_eq!(rc, ze_result_t::ZE_RESULT_ERROR_INVALID_SIZE);
        assert_eq!(
            last_error_text(),
            "the pattern is larger than the queue group allows"
        );
        assert_eq!(
            guard(|| panic!("a bug in the driver")),
            ze_result_t::ZE_RESULT_ERROR_UNKNOWN
        );
        assert_eq!(
            last_error_text(),
            "internal error of the software driver: a bug in the driver"
        );
        assert_eq!(
            unsupported("zeModuleCreate"),
            ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_FEATURE
        );
        assert_eq!(
            last_error_text(),
            "zeModuleCreate is not implemented by the software driver"
        );
    }

    #[test]
    fn count_and_array_queries_report_and_truncate() {
        let items = [1u32, 2, 3];
        let mut count = 0;
        // SAFETY: a live count and no array.
        unsafe { fill_array(&mut count, std::ptr::null_mut(), &items) }.unwrap();
        assert_eq!(count, 3);
        let mut out = [0u32; 2];
        count = 2;
        // SAFETY: room for `count` items.
        unsafe { fill_array(&mut count, out.as_mut_ptr(), &items) }.unwrap();
        assert_eq!((count, out), (2, [1, 2]));
    }

    #[test]
    fn names_are_truncated_and_terminated() {
        let mut field = [1 as std::os::raw::c_char; 4];
        copy_name(&mut field, "abcdef");
        assert_eq!(field, [97, 98, 99, 0]);
    }
}
