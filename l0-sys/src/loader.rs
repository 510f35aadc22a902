//! Opening the Level Zero loader at run time.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::types::{zel_component_version_t, Api};

/// Why the Level Zero loader could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The shared library could not be opened.
    #[error(
        "cannot open the Level Zero loader `{name}`: {message} \
         (install Debian's libze1, or set {env} to the loader's path)",
        env = Loader::PATH_ENV
    )]
    Library {
        /// The name or path that was tried.
        name: PathBuf,
        /// The system's message (from `dlopen`).
        message: String,
    },
}

/// A Level Zero entry point that the opened loader does not export (it is older than the
/// headers this crate was built against).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("the Level Zero loader does not export `{name}`; it is older than the headers level-zero-sys was built with")]
pub struct MissingFunction {
    /// The C name of the function.
    pub name: &'static str,
}

/// A version reported by `zelLoaderGetVersions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentVersion {
    /// The component's name (`"loader"`, `"validation layer"`, ...).
    pub component: String,
    /// Packed specification version (see [`crate::version_parts`]).
    pub spec_version: u32,
    /// Library version as `(major, minor, patch)`.
    pub library_version: (i32, i32, i32),
}

/// An opened Level Zero loader and its table of entry points.
///
/// The loader stays loaded for as long as this value lives; the [`Api`] it derefs to is
/// only valid for that long, which the borrow makes sure of.
pub struct Loader {
    api: Api,
    path: PathBuf,
    // Dropped last: the function pointers in `api` point into it.
    _library: libloading::Library,
}

impl std::fmt::Debug for Loader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loader")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Looks one symbol up, `None` when it is absent.
///
/// # Safety
///
/// `T` must be the function-pointer type of the symbol `name` (NUL-terminated).
pub(crate) unsafe fn symbol<T: Copy>(lib: &libloading::Library, name: &[u8]) -> Option<T> {
    // SAFETY: the caller names the symbol's real type; the pointer is copied out and
    // used only while `lib` lives (the table is owned next to the library in `Loader`).
    unsafe { lib.get::<T>(name).ok().map(|s| *s) }
}

impl Loader {
    /// The file name of the loader opened by default.
    pub const DEFAULT_NAME: &'static str = "libze_loader.so.1";
    /// Environment variable naming another loader file to open instead of the default.
    pub const PATH_ENV: &'static str = "LEVEL_ZERO_LOADER";

    /// Opens the loader named by `LEVEL_ZERO_LOADER`, else `libze_loader.so.1` from the
    /// system's library search path.
    ///
    /// # Errors
    ///
    /// [`LoadError::Library`] with the name tried and the system's message.
    pub fn open() -> Result<Self, LoadError> {
        let name = std::env::var_os(Self::PATH_ENV)
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| OsString::from(Self::DEFAULT_NAME));
        // SAFETY: the name is the system's Level Zero loader or the one the process's
        // configuration names for it (`LEVEL_ZERO_LOADER` is documented to name a Level
        // Zero loader); either exports its `ze*` symbols with the headers' signatures.
        unsafe { Self::open_path(name) }
    }

    /// Opens the loader at `path` (a file name searched like `dlopen` does, or a path).
    ///
    /// # Errors
    ///
    /// [`LoadError::Library`] with the name tried and the system's message.
    ///
    /// # Safety
    ///
    /// The library must be a Level Zero loader (or another library whose `ze*`/`zel*`
    /// symbols, where present, have the signatures of the headers this crate was generated
    /// from): opening it runs its initialisers, and every call through the table trusts
    /// those signatures. A symbol that is absent is a [`MissingFunction`] error when
    /// called, never a call.
    pub unsafe fn open_path(path: impl AsRef<OsStr>) -> Result<Self, LoadError> {
        let path = PathBuf::from(path.as_ref());
        // SAFETY: the caller names a Level Zero loader, whose initialisers only read the
        // environment and set up internal state.
        let library =
            unsafe { libloading::Library::new(&path) }.map_err(|e| LoadError::Library {
                name: path.clone(),
                message: dlopen_message(&e),
            })?;
        // SAFETY: `library` is a Level Zero loader (the caller's promise) and is stored
        // beside the table, outliving every use through `&self`.
        let api = unsafe { Api::load(&library) };
        Ok(Loader {
            api,
            path,
            _library: library,
        })
    }

    /// The loader opened once per process by [`Loader::open`]; later calls return the same
    /// loader, or the same error.
    ///
    /// # Errors
    ///
    /// The [`LoadError`] of the first attempt.
    pub fn global() -> Result<&'static Loader, LoadError> {
        static GLOBAL: OnceLock<Result<Loader, LoadError>> = OnceLock::new();
        GLOBAL
            .get_or_init(Loader::open)
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The name or path the loader was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The table of entry points.
    pub fn api(&self) -> &Api {
        &self.api
    }

    /// The versions of the loader and its layers, from `zelLoaderGetVersions`.
    ///
    /// The loader fills this in during `zeInit`; before it, the list may be empty.
    ///
    /// # Errors
    ///
    /// [`MissingFunction`] when the loader predates `zelLoaderGetVersions`.
    pub fn versions(&self) -> Result<Vec<ComponentVersion>, MissingFunction> {
        let mut count = 0usize;
        // SAFETY: a null array asks only for the count, written to a live usize.
        let rc = unsafe {
            self.api
                .zelLoaderGetVersions(&mut count, std::ptr::null_mut())?
        };
        if !rc.is_success() || count == 0 {
            return Ok(Vec::new());
        }
        let mut raw = vec![zel_component_version_t::default(); count];
        // SAFETY: `raw` holds `count` elements, as the first call asked for.
        let rc = unsafe {
            self.api
                .zelLoaderGetVersions(&mut count, raw.as_mut_ptr())?
        };
        if !rc.is_success() {
            return Ok(Vec::new());
        }
        raw.truncate(count);
        Ok(raw
            .iter()
            .map(|v| ComponentVersion {
                component: c_chars_to_string(&v.component_name),
                spec_version: v.spec_version.0,
                library_version: (
                    v.component_lib_version.major,
                    v.component_lib_version.minor,
                    v.component_lib_version.patch,
                ),
            })
            .collect())
    }
}

impl std::ops::Deref for Loader {
    type Target = Api;
    fn deref(&self) -> &Api {
        &self.api
    }
}

fn dlopen_message(e: &libloading::Error) -> String {
    match e {
        libloading::Error::DlOpen { desc } => format!("{desc:?}").trim_matches('"').to_string(),
        other => other.to_string(),
    }
}

/// Reads a NUL-terminated C string out of a fixed-size `c_char` array.
pub(crate) fn c_chars_to_string(chars: &[std::ffi::c_char]) -> String {
    let bytes: Vec<u8> = chars
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}
