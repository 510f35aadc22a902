//! Finding `libze_soft.so` and pointing the loader at it, for this workspace's tests and
//! for crates and binaries elsewhere (installed with `usm driver install`).

use std::path::{Path, PathBuf};

use crate::driver_file;

/// The loader's variable naming extra driver libraries.
pub const ALT_DRIVERS_VAR: &str = "ZE_ENABLE_ALT_DRIVERS";
/// Names the library [`library_path`] returns, before any other place.
pub const LIBRARY_VAR: &str = "ZE_SOFT_LIBRARY";
/// The library's file name.
pub const FILE_NAME: &str = "libze_soft.so";
/// The folder, under a prefix's `lib/`, that `usm driver install` installs into.
pub const INSTALL_DIR: &str = "level-zero-usm";

/// Why the software driver cannot be enabled, or a configured driver is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DriverSetupError {
    /// No `libze_soft.so` in any of the places searched.
    #[error(
        "{FILE_NAME} not found; searched: {}; install it with `usm driver install` or \
         name it with {LIBRARY_VAR}",
        list(.searched)
    )]
    NotFound {
        /// Every place looked at, in order.
        searched: Vec<PathBuf>,
    },
    /// An entry of `ZE_ENABLE_ALT_DRIVERS` (or `ZE_SOFT_LIBRARY`, or a given path) names
    /// no file.
    #[error("{entry} (from {variable}) does not exist")]
    Missing {
        /// Where the entry came from: the variable, or how it was found or given.
        variable: &'static str,
        /// The entry, as written.
        entry: String,
    },
    /// A file that is not a Level Zero driver library.
    #[error("{} (from {variable}) is not a Level Zero driver: {reason}", .path.display())]
    NotADriver {
        /// Where the path came from: the variable, or how it was found or given.
        variable: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

fn list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The places [`library_path`] looks at, in order (`ZE_SOFT_LIBRARY` aside): next to the
/// running executable (its folder's `deps/`, the folder, the parent's `deps/`, the parent;
/// cargo builds the library at `target/<profile>/` and `target/<profile>/deps/`, so the
/// workspace's tests and examples find it), then the installed locations
/// ([`installed_paths`]).
pub fn search_paths() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        // `deps/` first: cargo refreshes it on every build, while the copy next to it
        // (`target/<profile>/libze_soft.so`) is only refreshed by `cargo build`.
        out.push(dir.join("deps").join(FILE_NAME));
        out.push(dir.join(FILE_NAME));
        if let Some(parent) = dir.parent() {
            out.push(parent.join("deps").join(FILE_NAME));
            out.push(parent.join(FILE_NAME));
        }
    }
    out.extend(installed_paths());
    out
}

/// Where `usm driver install` puts the library by default, then the system-wide place:
/// `$HOME/.local/lib/level-zero-usm/libze_soft.so` and
/// `/usr/local/lib/level-zero-usm/libze_soft.so`.
pub fn installed_paths() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        out.push(install_path(&Path::new(&home).join(".local")));
    }
    out.push(install_path(Path::new("/usr/local")));
    out
}

/// The library's path under an installation prefix: `<prefix>/lib/level-zero-usm/libze_soft.so`.
pub fn install_path(prefix: &Path) -> PathBuf {
    prefix.join("lib").join(INSTALL_DIR).join(FILE_NAME)
}

/// The path of the software driver library: `ZE_SOFT_LIBRARY` when set, else the first of
/// [`search_paths`] that is a file. Nothing is checked (see [`enable_for_process`]).
pub fn library_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(LIBRARY_VAR).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    search_paths().into_iter().find(|p| p.is_file())
}

/// Checks that `path` is a Level Zero driver library without loading it: a 64-bit ELF
/// shared object of this machine's architecture that exports `zeGetDriverProcAddrTable`.
///
/// # Errors
///
/// [`DriverSetupError::Missing`] or [`DriverSetupError::NotADriver`], naming `variable` as
/// where the path came from.
pub fn check_driver_file(path: &Path, variable: &'static str) -> Result<(), DriverSetupError> {
    if !path.exists() {
        return Err(DriverSetupError::Missing {
            variable,
            entry: path.display().to_string(),
        });
    }
    driver_file::check(path).map_err(|reason| DriverSetupError::NotADriver {
        variable,
        path: path.to_path_buf(),
        reason,
    })
}

/// The drivers `ZE_ENABLE_ALT_DRIVERS` names, each checked with [`check_driver_file`]
/// (a bare file name is looked for where the dynamic linker looks: `LD_LIBRARY_PATH`, the
/// folders of `/etc/ld.so.conf.d/*.conf`, the usual library folders); `None` when the
/// variable is unset or empty. Reads the environment only.
///
/// # Errors
///
/// The first entry refused.
pub fn check_alt_drivers() -> Result<Option<String>, DriverSetupError> {
    let Some(value) = std::env::var(ALT_DRIVERS_VAR)
        .ok()
        .filter(|v| !v.is_empty())
    else {
        return Ok(None);
    };
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let path = resolve(entry).ok_or_else(|| DriverSetupError::Missing {
            variable: ALT_DRIVERS_VAR,
            entry: entry.to_string(),
        })?;
        check_driver_file(&path, ALT_DRIVERS_VAR)?;
    }
    Ok(Some(value))
}

/// Where the dynamic linker would find `entry`: the entry itself when it has a `/`, else
/// the first folder that holds it.
fn resolve(entry: &str) -> Option<PathBuf> {
    if entry.contains('/') {
        let path = PathBuf::from(entry);
        return path.exists().then_some(path);
    }
    let mut dirs: Vec<PathBuf> = std::env::var_os("LD_LIBRARY_PATH")
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default();
    if let Ok(confs) = std::fs::read_dir("/etc/ld.so.conf.d") {
        for conf in confs.flatten() {
            if let Ok(text) = std::fs::read_to_string(conf.path()) {
                dirs.extend(
                    text.lines()
                        .map(str::trim)
                        .filter(|l| l.starts_with('/'))
                        .map(PathBuf::from),
                );
            }
        }
    }
    dirs.extend(
        [
            "/lib",
            "/usr/lib",
            "/lib64",
            "/usr/lib64",
            "/usr/local/lib",
            "/lib/x86_64-linux-gnu",
            "/usr/lib/x86_64-linux-gnu",
            "/lib/aarch64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu",
        ]
        .iter()
        .map(PathBuf::from),
    );
    dirs.into_iter().map(|d| d.join(entry)).find(|p| p.exists())
}

/// Makes the Level Zero loader of this process load the software driver, and returns the
/// driver in effect.
///
/// When `ZE_ENABLE_ALT_DRIVERS` is already set, it is left alone once every entry has
/// been checked to be a Level Zero driver library ([`check_alt_drivers`]), and its value
/// is returned. Otherwise the library is found ([`library_path`]: `ZE_SOFT_LIBRARY`,
/// next to the executable, then the installed locations, so a moved or installed binary
/// finds a driver installed by `usm driver install`), checked, and
/// `ZE_ENABLE_ALT_DRIVERS` is set to its absolute path.
///
/// # Safety
///
/// It may call [`std::env::set_var`], which is unsound while another thread reads the
/// environment other than through `std::env` (C code's `getenv`, such as the loader's at
/// `zeInit`) or writes it. Call it before any other thread starts (first thing in
/// `main`), or where every thread that could reach Level Zero or C code reading the
/// environment waits for it (a `OnceLock` every test goes through first), and before the
/// loader initialises (it reads the variable only then).
///
/// # Errors
///
/// [`DriverSetupError::NotFound`] naming the places searched;
/// [`DriverSetupError::Missing`] / [`DriverSetupError::NotADriver`] for a configured or
/// found file that is not a driver (`/etc/passwd` in `ZE_ENABLE_ALT_DRIVERS` is refused).
pub unsafe fn enable_for_process() -> Result<PathBuf, DriverSetupError> {
    if let Some(existing) = check_alt_drivers()? {
        return Ok(PathBuf::from(existing));
    }
    let path = match library_path() {
        Some(path) => path,
        None => {
            return Err(DriverSetupError::NotFound {
                searched: search_paths(),
            })
        }
    };
    let variable = if std::env::var_os(LIBRARY_VAR).is_some_and(|v| !v.is_empty()) {
        LIBRARY_VAR
    } else {
        "the library search"
    };
    check_driver_file(&path, variable)?;
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    std::env::set_var(ALT_DRIVERS_VAR, &path);
    Ok(path)
}
