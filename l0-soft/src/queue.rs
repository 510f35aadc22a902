//! Command queues: creation on a device's queue group, execution of command lists, synchronisation.

use level_zero_sys::ze_command_queue_dditable_t;

/// Overrides the entries of the command queue table this module implements (called after
/// every entry was set to "unsupported feature").
pub(crate) fn fill_table(_table: &mut ze_command_queue_dditable_t) {}
