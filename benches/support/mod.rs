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
    if std::env::var("USM_TEST_DRIVER").map_or(true, |v| v != "system") {
        // SAFETY: criterion runs every bench on the main thread, which starts no other
        // thread that reads the environment; only the first call sets the variable, before
        // the loader opens (later calls find it set and only read it).
        unsafe { ze_soft::enable_for_process() }.expect("the software driver library");
    }
    let (context, device) = Context::default_gpu().expect("a GPU device");
    Setup {
        api: usm_core::api().expect("Level Zero"),
        context,
        device,
    }
}
