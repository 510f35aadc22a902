//! `usm driver install`: copies the software driver library to a known place, so that
//! binaries and tests of any crate find it after they are moved or installed.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::CliError;

/// Where to install, and from where.
#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    /// Installation prefix: the library goes to `<prefix>/lib/level-zero-usm/libze_soft.so`
    /// (default `$HOME/.local`, which `ze_soft::enable_for_process` searches, as it does
    /// `/usr/local`).
    #[arg(long)]
    prefix: Option<PathBuf>,
    /// The library to install (default: the one built next to this executable, or named
    /// by `ZE_SOFT_LIBRARY`).
    #[arg(long)]
    from: Option<PathBuf>,
}

/// Installs the library and writes the line that points the loader at it to `out`
/// (`export ZE_ENABLE_ALT_DRIVERS=...`); the installed path goes to standard error.
pub fn run(args: &InstallArgs, out: &mut impl Write) -> Result<(), CliError> {
    let source = match &args.from {
        Some(from) => {
            ze_soft::check_driver_file(from, "--from")?;
            from.clone()
        }
        None => {
            let found = ze_soft::library_path().ok_or(CliError::SoftDriverMissing)?;
            ze_soft::check_driver_file(&found, "the library search")?;
            found
        }
    };
    let prefix = match &args.prefix {
        Some(p) => p.clone(),
        None => default_prefix()?,
    };
    let target = ze_soft::install_path(&prefix);
    copy_atomically(&source, &target).map_err(|source| CliError::Install {
        path: target.clone(),
        source,
    })?;
    let target = std::fs::canonicalize(&target).unwrap_or(target);
    crate::notice(format_args!(
        "usm: installed {} (from {})",
        target.display(),
        source.display()
    ));
    if !ze_soft::installed_paths().contains(&ze_soft::install_path(&prefix)) {
        crate::notice(format_args!(
            "usm: {} is not searched by default; set {} or {} as below",
            prefix.display(),
            ze_soft::ALT_DRIVERS_VAR,
            ze_soft::LIBRARY_VAR
        ));
    }
    writeln!(
        out,
        "export {}={}",
        ze_soft::ALT_DRIVERS_VAR,
        target.display()
    )?;
    Ok(())
}

fn default_prefix() -> Result<PathBuf, CliError> {
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(home) => Ok(Path::new(&home).join(".local")),
        None => Err(CliError::Install {
            path: PathBuf::from("$HOME/.local"),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "HOME is not set; pass --prefix",
            ),
        }),
    }
}

/// Copies `from` to a temporary file beside `to`, then renames it over `to`: a process
/// that has the old library loaded keeps its mapping, and nobody sees half a file.
fn copy_atomically(from: &Path, to: &Path) -> std::io::Result<()> {
    let dir = to.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let temporary = dir.join(format!(".{}.{}", ze_soft::FILE_NAME, std::process::id()));
    let copied = std::fs::copy(from, &temporary).and_then(|_| std::fs::rename(&temporary, to));
    if copied.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    copied
}
