//! Finding the built `libze_soft.so` and pointing the loader at it.

use std::path::{Path, PathBuf};

/// The loader's variable naming extra driver libraries.
pub const ALT_DRIVERS_VAR: &str = "ZE_ENABLE_ALT_DRIVERS";
/// Overrides where [`library_path`] looks for `libze_soft.so`.
pub const LIBRARY_VAR: &str = "ZE_SOFT_LIBRARY";
const FILE_NAME: &str = "libze_soft.so";

/// The path of the software driver library.
///
/// `ZE_SOFT_LIBRARY` when set; else the first `libze_soft.so` found in the running
/// executable's `deps/` folder, next to it, or in its parent's `deps/` folder or parent
/// folder itself. Cargo builds the library at
/// `target/<profile>/libze_soft.so` and `target/<profile>/deps/libze_soft.so`, so test
/// binaries (in `deps/`) and examples (in `examples/`) of the workspace find it.
pub fn library_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(LIBRARY_VAR).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    // `deps/` first: cargo refreshes it on every build, while the copy next to it
    // (`target/<profile>/libze_soft.so`) is only refreshed by `cargo build`.
    let parent = dir.parent();
    let candidates = [
        Some(dir.join("deps").join(FILE_NAME)),
        Some(dir.join(FILE_NAME)),
        parent.map(|p| p.join("deps").join(FILE_NAME)),
        parent.map(|p| p.join(FILE_NAME)),
    ];
    candidates.into_iter().flatten().find(|p| p.is_file())
}

/// Makes the Level Zero loader of this process load the software driver: sets
/// `ZE_ENABLE_ALT_DRIVERS` to [`library_path`] unless it is already set, and returns the
/// driver path in effect.
///
/// Call it before the loader initialises (before the first `zeInit`), early in `main` or at
/// the start of a test, while no other thread reads or writes the environment:
/// [`std::env::set_var`] is not thread-safe on Linux with respect to concurrent `getenv`
/// calls from C code (such as the loader's).
///
/// # Errors
///
/// A message naming the places searched when the library cannot be found.
pub fn enable_for_process() -> Result<PathBuf, String> {
    if let Some(existing) = std::env::var_os(ALT_DRIVERS_VAR).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(existing));
    }
    let path = library_path().ok_or_else(|| {
        let exe = std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "<unknown executable>".into());
        format!(
            "{FILE_NAME} not found next to {exe}, in its deps/ or parent folder; \
             build it with `cargo build -p ze-soft` or set {LIBRARY_VAR}"
        )
    })?;
    let path = absolute(&path);
    std::env::set_var(ALT_DRIVERS_VAR, &path);
    Ok(path)
}

fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}
