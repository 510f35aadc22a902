//! Command lists: regular and immediate lists, appended copies, fills and barriers.

use level_zero_sys::ze_command_list_dditable_t;

/// Overrides the entries of the command list table this module implements (called after
/// every entry was set to "unsupported feature").
pub(crate) fn fill_table(_table: &mut ze_command_list_dditable_t) {}
