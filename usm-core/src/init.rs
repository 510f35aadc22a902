//! The one process-wide initialisation: open the loader, call `zeInit` once.

use std::sync::OnceLock;

use level_zero_sys::{Api, Loader};

use crate::error::Result;
use crate::result;

/// Opens the Level Zero loader and initialises it with `zeInit(0)`, once per process.
///
/// Thread-safe and idempotent: the first caller does the work, every later caller gets the
/// same outcome, including the same error when it failed. Every usm-core function that talks
/// to the driver calls this first, so calling it yourself is only needed to fail early.
///
/// The loader reads `ZE_ENABLE_ALT_DRIVERS`, `ZE_ENABLE_VALIDATION_LAYER` and friends during
/// this call: set them before.
///
/// # Errors
///
/// [`Error::Load`](crate::Error::Load) when the loader cannot be opened,
/// [`Error::Ze`](crate::Error::Ze) with the code of `zeInit` when it fails.
pub fn init() -> Result<()> {
    api().map(|_| ())
}

/// The loaded loader, after [`init`] succeeded.
///
/// # Errors
///
/// As [`init`].
pub fn loader() -> Result<&'static Loader> {
    static INIT: OnceLock<Result<&'static Loader>> = OnceLock::new();
    INIT.get_or_init(|| {
        let loader = Loader::global()?;
        // 0 asks for GPU drivers, as the specification's default.
        result::init::init(loader.api(), 0)?;
        tracing::debug!(path = %loader.path().display(), "Level Zero initialised");
        Ok(loader)
    })
    .clone()
}

/// The table of Level Zero entry points, after [`init`] succeeded.
///
/// This is the way into raw calls for code inside and next to usm-core.
///
/// # Errors
///
/// As [`init`].
#[inline]
pub fn api() -> Result<&'static Api> {
    loader().map(|l| l.api())
}
