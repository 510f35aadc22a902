//! Event pools and events: creation, signalling, host synchronisation, timestamps.

use level_zero_sys::{ze_event_dditable_t, ze_event_exp_dditable_t, ze_event_pool_dditable_t};

/// Overrides the entries of the event table this module implements (called after every
/// entry was set to "unsupported feature").
pub(crate) fn fill_table(_table: &mut ze_event_dditable_t) {}

/// Overrides the entries of the event pool table this module implements.
pub(crate) fn fill_pool_table(_table: &mut ze_event_pool_dditable_t) {}

/// Overrides the entries of the experimental event table this module implements.
pub(crate) fn fill_exp_table(_table: &mut ze_event_exp_dditable_t) {}
