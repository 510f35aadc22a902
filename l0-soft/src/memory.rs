//! Unified shared memory (filled in next).

use level_zero_sys::*;

/// Fills the memory table.
pub(crate) fn fill_table(_t: &mut ze_mem_dditable_t) {}
