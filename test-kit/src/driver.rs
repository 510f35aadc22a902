//! The driver under test, and enabling the software driver once per process.
//!
//! The software driver reads its `ZE_SOFT_*` configuration once, when the loader
//! initialises, so the first call of [`enable`] in a process fixes it. Two policies, named
//! by the caller: [`Config::Only`] removes every inherited `ZE_SOFT_*` variable (but
//! `ZE_SOFT_LIBRARY`) and sets the given ones, so a test binary runs with exactly the
//! configuration it names; [`Config::Inherit`] keeps the environment, for children that
//! get their configuration from their parent (see [`crate::child`]).

use std::sync::OnceLock;

/// Selects the driver under test: `soft` (default) or `system` (the installed drivers).
pub const DRIVER_VAR: &str = "USM_TEST_DRIVER";

/// The driver the tests run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Driver {
    /// The software driver built from this workspace (`libze_soft.so`).
    Soft,
    /// Whatever the loader finds installed on the machine.
    System,
}

/// The driver selected by [`DRIVER_VAR`].
pub fn selected() -> Driver {
    match std::env::var(DRIVER_VAR) {
        Ok(v) if v == "system" => Driver::System,
        _ => Driver::Soft,
    }
}

/// Whether the tests run on the software driver of this workspace.
pub fn on_soft_driver() -> bool {
    selected() == Driver::Soft
}

/// How the software driver's configuration is chosen by the first [`enable`].
#[derive(Clone, Copy, Debug)]
pub enum Config<'a> {
    /// Exactly these `ZE_SOFT_*` variables: inherited ones are removed first.
    Only(&'a [(&'a str, &'a str)]),
    /// The inherited environment, with these variables added.
    Inherit(&'a [(&'a str, &'a str)]),
}

/// Points the loader at the software driver (unless [`selected`] is
/// [`Driver::System`]) with `config`, once per process; later calls change nothing.
/// Returns the outcome of the first call.
///
/// # Errors
///
/// Why the software driver cannot be enabled (the message of `ze_soft`'s error).
pub fn enable(config: Config<'_>) -> Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        if selected() == Driver::System {
            return Ok(());
        }
        let vars = match config {
            Config::Only(vars) => {
                for (name, _) in std::env::vars_os() {
                    let text = name.to_string_lossy();
                    if text.starts_with("ZE_SOFT_") && text != ze_soft::LIBRARY_VAR {
                        std::env::remove_var(&name);
                    }
                }
                vars
            }
            Config::Inherit(vars) => vars,
        };
        for (name, value) in vars {
            std::env::set_var(name, value);
        }
        // SAFETY: every test and benchmark reaches Level Zero through this `OnceLock`
        // (the loader, C code reading the environment, starts only after it); other
        // threads of the harness read the environment only through `std::env`, which
        // locks it.
        let outcome = unsafe { ze_soft::enable_for_process() };
        outcome.map(drop).map_err(|e| e.to_string())
    })
    .clone()
}

/// [`enable`], panicking with the reason: every test needs its driver.
pub fn require(config: Config<'_>) {
    if let Err(e) = enable(config) {
        panic!("cannot enable the software driver for the tests: {e}");
    }
}
