//! Fences: signalled when a command queue finishes a batch of command lists.

use level_zero_sys::ze_fence_dditable_t;

/// Overrides the entries of the fence table this module implements (called after every
/// entry was set to "unsupported feature").
pub(crate) fn fill_table(_table: &mut ze_fence_dditable_t) {}
