//! `zeInit`.

use level_zero_sys::Api;

use crate::error::{check, Result};

/// `zeInit(flags)`: initialises the drivers the loader finds.
///
/// Safe: the flags go by value and the call has no other precondition.
pub(crate) fn init(api: &Api, flags: u32) -> Result<()> {
    // SAFETY: zeInit takes its flags by value and has no other precondition.
    let outcome = unsafe { api.zeInit(flags) };
    check("zeInit", outcome, move || format!("flags={flags:#x}"))
}
