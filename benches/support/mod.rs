//! What the usm-core benchmarks share: the driver they run on and its default device.

use level_zero_sys::Api;
use usm_core::{Context, Device};

/// The loader table, a context and its device.
pub struct Setup {
    /// The loaded Level Zero entry points, for the raw baselines.
    pub api: &'static Api,
    /// The default context.
    pub context: Context,
    /// Its device.
    pub device: Device,
}

/// The software driver of this workspace (or the machine's drivers with
/// `USM_TEST_DRIVER=system`), and its first GPU device with the default context.
pub fn setup() -> Setup {
    usm_test_kit::driver::require(usm_test_kit::driver::Config::Inherit(&[]));
    let (context, device) = Context::default_gpu().expect("a GPU device");
    Setup {
        api: usm_core::api().expect("Level Zero"),
        context,
        device,
    }
}
