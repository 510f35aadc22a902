//! Which Level Zero driver the tool runs on: the installed ones, or the software driver
//! built with the workspace.

use std::path::{Path, PathBuf};

use crate::error::CliError;

// The loader's variable naming the driver libraries to load instead of the installed ones.
use ze_soft::ALT_DRIVERS_VAR as ALT_DRIVERS_ENV;

/// The file Intel's GPU driver installs.
const INTEL_GPU_DRIVER: &str = "libze_intel_gpu.so.1";

/// The driver the user asked for with `--driver`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DriverChoice {
    /// The installed GPU driver where there is one, otherwise the software driver.
    Auto,
    /// Whatever the loader finds by itself (`ZE_ENABLE_ALT_DRIVERS` is respected).
    System,
    /// The software driver built with this workspace.
    Soft,
}

/// What was decided, for the one-line notice and for `info`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selected {
    /// The loader's own discovery.
    System,
    /// `ZE_ENABLE_ALT_DRIVERS` was already set by the user and is left alone.
    UserAltDrivers(String),
    /// The software driver at this path.
    Soft(PathBuf),
}

impl Selected {
    /// A short human description.
    pub fn describe(&self) -> String {
        match self {
            Selected::System => "installed Level Zero drivers".to_string(),
            Selected::UserAltDrivers(list) => format!("{ALT_DRIVERS_ENV}={list}"),
            Selected::Soft(path) => format!("software driver {}", path.display()),
        }
    }
}

/// Applies the choice to this process's environment. Must run before the loader initialises
/// (before any usm-core call), while the process has a single thread.
///
/// A `ZE_ENABLE_ALT_DRIVERS` the user set is used only once each library it names has been
/// checked to be a Level Zero driver (`ze_soft::check_alt_drivers`).
pub fn apply(choice: DriverChoice) -> Result<Selected, CliError> {
    let user_list = match choice {
        DriverChoice::Soft => None,
        _ => ze_soft::check_alt_drivers()?,
    };
    match choice {
        DriverChoice::System => Ok(match user_list {
            Some(list) => Selected::UserAltDrivers(list),
            None => Selected::System,
        }),
        DriverChoice::Soft => use_soft(),
        DriverChoice::Auto => {
            if let Some(list) = user_list {
                Ok(Selected::UserAltDrivers(list))
            } else if intel_gpu_driver_installed() {
                Ok(Selected::System)
            } else {
                let selected = use_soft()?;
                crate::notice(format_args!(
                    "usm: no Intel GPU driver ({INTEL_GPU_DRIVER}) installed; running on the {}",
                    selected.describe()
                ));
                Ok(selected)
            }
        }
    }
}

fn use_soft() -> Result<Selected, CliError> {
    let path = ze_soft::library_path().ok_or(CliError::SoftDriverMissing)?;
    let variable = if std::env::var_os(ze_soft::LIBRARY_VAR).is_some() {
        ze_soft::LIBRARY_VAR
    } else {
        "the library search"
    };
    ze_soft::check_driver_file(&path, variable)?;
    // The tool is still single-threaded here, and the loader reads the variable only when
    // it initialises, which happens later.
    std::env::set_var(ALT_DRIVERS_ENV, &path);
    Ok(Selected::Soft(path))
}

/// Whether Intel's GPU driver library is in one of the directories the dynamic linker
/// searches by default or in `LD_LIBRARY_PATH`.
fn intel_gpu_driver_installed() -> bool {
    let mut dirs: Vec<PathBuf> = std::env::var_os("LD_LIBRARY_PATH")
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default();
    dirs.extend(
        [
            "/usr/lib/x86_64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu",
            "/usr/lib64",
            "/usr/lib",
            "/usr/local/lib",
            "/lib/x86_64-linux-gnu",
        ]
        .iter()
        .map(PathBuf::from),
    );
    dirs.iter()
        .any(|d| Path::new(d).join(INTEL_GPU_DRIVER).exists())
}
