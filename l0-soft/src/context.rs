//! Contexts (filled in next).

use std::sync::Arc;

use level_zero_sys::*;

use crate::device::Device;
use crate::ffi::ZeResult;
use crate::handle::{Kind, Registry};

/// A context: the devices it spans.
pub(crate) struct Context {
    handle: usize,
    devices: Vec<Arc<Device>>,
}

impl Context {
    /// The context's handle.
    pub(crate) fn handle(&self) -> ze_context_handle_t {
        self.handle as ze_context_handle_t
    }

    /// The devices of the context.
    pub(crate) fn devices(&self) -> &[Arc<Device>] {
        &self.devices
    }
}

static CONTEXTS: Registry<Context> = Registry::new(Kind::Context);

/// The context named by `handle`.
pub(crate) fn get(handle: ze_context_handle_t) -> ZeResult<Arc<Context>> {
    CONTEXTS.get(handle)
}

/// Fills the context table.
pub(crate) fn fill_table(_t: &mut ze_context_dditable_t) {}
