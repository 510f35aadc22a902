//! The tool's errors: one line each, with the exit code that goes with it.

/// Everything `usm` can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// An error from usm-core (loader, driver, allocation, copy).
    #[error(transparent)]
    Usm(usm_core::Error),
    /// `zeInit` found no driver to initialise.
    #[error(
        "no Level Zero driver could be initialised ({0}); install Intel's GPU driver \
         or run with --driver soft"
    )]
    NoDriver(String),
    /// The software driver was asked for but its library is not where it is built.
    #[error(
        "the software driver libze_soft.so was not found next to the executable nor \
         installed (build it with `cargo build -p ze-soft` and run \
         `usm driver install`, or set ZE_SOFT_LIBRARY to its path)"
    )]
    SoftDriverMissing,
    /// A driver library named by the environment, found, or given is not usable.
    #[error(transparent)]
    DriverSetup(#[from] ze_soft::DriverSetupError),
    /// Installing the software driver failed.
    #[error("cannot install the software driver to {}: {source}", .path.display())]
    Install {
        /// Where it was to go.
        path: std::path::PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// An array interface dict was refused.
    #[error(transparent)]
    Suai(#[from] usm_core::SuaiError),
    /// A check of the demo found wrong data.
    #[error("verification failed: {0}")]
    Verification(String),
    /// Writing the output failed.
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
    /// Serialising JSON failed.
    #[error("cannot serialise output: {0}")]
    Json(#[from] serde_json::Error),
}

impl From<usm_core::Error> for CliError {
    fn from(e: usm_core::Error) -> Self {
        match e {
            usm_core::Error::Ze(ze)
                if ze.call == "zeInit"
                    && ze.code == level_zero_sys::ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED =>
            {
                CliError::NoDriver(format!("zeInit returned {}", ze.name()))
            }
            other => CliError::Usm(other),
        }
    }
}

impl CliError {
    /// The process exit code for this error: 3 when the loader cannot be opened, 4 when
    /// there is no device, 1 otherwise (clap uses 2 for bad arguments).
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usm(usm_core::Error::Load(_)) => 3,
            CliError::Usm(usm_core::Error::NoDevice { .. }) | CliError::NoDriver(_) => 4,
            CliError::SoftDriverMissing | CliError::DriverSetup(_) => 3,
            _ => 1,
        }
    }
}
