//! The result layer: one thin function per Level Zero call usm-core makes, grouped by API
//! family (as cudarc's `driver::result`), each making the call and turning its outcome into
//! a typed [`Error`](crate::Error) named after the call and its parameters.
//!
//! The safe types above call no `ze*` function directly; they call these. Most functions
//! are `unsafe`: Level Zero trusts its handles and pointers, and each function's `# Safety`
//! section says what the caller must uphold. They decide no policy (no retries, no
//! tracing): that is the safe layer's business.
//!
//! Parameters are described with the specification's names (`hContext`, `size`), and only
//! when a call failed: describing them costs nothing on success.

pub(crate) mod command_list;
pub(crate) mod context;
pub(crate) mod device;
pub(crate) mod driver;
pub(crate) mod event;
pub(crate) mod event_ipc;
pub(crate) mod init;
pub(crate) mod ipc;
pub(crate) mod memory;

use crate::error::Result;

/// The count-then-fill protocol of Level Zero's enumerations (`zeDriverGet`,
/// `zeDeviceGetSubDevices`, `zeDeviceGetMemoryProperties`, ...): asks for the count with a
/// null array, then fills an array of that many copies of `template`, and keeps as many
/// entries as the second call reports.
///
/// # Safety
///
/// `query(count, array)` must make the enumeration call: with a null `array` it only writes
/// the count; otherwise it writes at most `*count` elements of type `T` to `array`.
pub(crate) unsafe fn enumerate<T: Clone>(
    template: T,
    mut query: impl FnMut(&mut u32, *mut T) -> Result<()>,
) -> Result<Vec<T>> {
    let mut count = 0u32;
    query(&mut count, std::ptr::null_mut())?;
    let mut out = vec![template; count as usize];
    if count == 0 {
        return Ok(out);
    }
    // The array holds `count` elements, as the query's contract asks.
    query(&mut count, out.as_mut_ptr())?;
    out.truncate(count as usize);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enumeration_asks_for_the_count_then_fills() {
        let mut calls = Vec::new();
        let query = |count: &mut u32, array: *mut u8| {
            calls.push(array.is_null());
            if array.is_null() {
                *count = 3;
            } else {
                let filled = [7u8, 8];
                // SAFETY: the array holds 3 >= 2 elements.
                unsafe { std::ptr::copy_nonoverlapping(filled.as_ptr(), array, 2) };
                *count = 2;
            }
            Ok(())
        };
        // SAFETY: the query writes at most `*count` elements, as promised.
        let got = unsafe { enumerate(0u8, query) };
        assert_eq!(got.unwrap(), [7, 8]);
        assert_eq!(calls, [true, false]);
    }

    #[test]
    fn an_empty_enumeration_makes_one_call() {
        let mut calls = 0;
        // SAFETY: the closure writes nothing but the count.
        let got = unsafe {
            enumerate(0u32, |count, _| {
                calls += 1;
                *count = 0;
                Ok(())
            })
        };
        assert!(got.unwrap().is_empty());
        assert_eq!(calls, 1);
    }
}
