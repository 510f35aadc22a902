//! The one process-wide initialisation: open the loader, call `zeInit` once.

use std::sync::OnceLock;

use level_zero_sys::{Api, LoadError, Loader};

use crate::error::{Error, Result};
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
/// [`Error::Load`] when the loader cannot be opened (or the library
/// opened is not a Level Zero loader: it exports no `zeInit`),
/// [`Error::Ze`] with the code of `zeInit` when it fails.
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
        result::init::init(loader.api(), 0).map_err(|e| match e {
            // A library without zeInit is no Level Zero loader: it cannot be opened as one.
            Error::MissingFunction(missing) if missing.name == "zeInit" => {
                Error::Load(LoadError::Library {
                    name: loader.path().to_path_buf(),
                    message: "it exports no zeInit: it is not a Level Zero loader".to_string(),
                })
            }
            other => other,
        })?;
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
