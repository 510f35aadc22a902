//! The driver's configuration: every `ZE_SOFT_*` environment variable, read once per
//! process (at the first `zeInit` or `zeInitDrivers`) and checked with one policy: a
//! malformed value, or a `ZE_SOFT_*` name this driver does not know, makes initialisation
//! fail with `ZE_RESULT_ERROR_UNINITIALIZED`, and the reason is printed on standard
//! error. No other module reads the environment
//! (except `locate`, the Rust helper that finds the library for tests, which reads
//! `ZE_SOFT_LIBRARY`).
//!
//! [`VARIABLES`] names every variable; the table in `l0-soft/README.md` gives each one's
//! meaning, accepted values and default.
//!
//! The standard `ZE_AFFINITY_MASK` is honoured as Intel's driver honours it: a
//! comma-separated list of device numbers (`N`, or `N.0` for the device's only tile)
//! exposes only those devices, in their own order, each keeping its name and UUID; entries
//! that name no device are ignored; an unset or empty mask exposes every device. A mask
//! that names none of the devices leaves the driver without devices, so `zeInit` answers
//! `ZE_RESULT_ERROR_UNINITIALIZED`.

use std::sync::OnceLock;

/// Every `ZE_SOFT_*` variable: those the driver reads, and `ZE_SOFT_LIBRARY`, read only
/// by the Rust helper `library_path`. Their meanings, accepted values and defaults are the
/// table in `l0-soft/README.md` (a unit test keeps the two the same).
pub(crate) const VARIABLES: &[&str] = &[
    "ZE_SOFT_DEVICES",
    "ZE_SOFT_DEVICE_MEMORY",
    "ZE_SOFT_MAX_ALLOC_SIZE",
    "ZE_SOFT_STRICT_CONTEXTS",
    "ZE_SOFT_COPY_THREADS",
    "ZE_SOFT_FAIL_ALLOC",
    "ZE_SOFT_FAIL_ALLOC_EVERY",
    "ZE_SOFT_FAIL_COPY",
    "ZE_SOFT_FAIL_COPY_EVERY",
    "ZE_SOFT_FAIL_COPY_COMPLETION",
    "ZE_SOFT_FAIL_COPY_COMPLETION_EVERY",
    "ZE_SOFT_LIBRARY",
];

/// When the Nth operation of a kind, and/or every Nth one, must fail (1-based counts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FailAt {
    /// Fail this operation, if set.
    pub nth: Option<u64>,
    /// Fail every multiple of this, if set.
    pub every: Option<u64>,
}

impl FailAt {
    /// Whether no operation fails.
    pub(crate) fn is_off(&self) -> bool {
        self.nth.is_none() && self.every.is_none()
    }
}

/// The configuration of the driver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Config {
    /// Number of devices configured (before `ZE_AFFINITY_MASK`).
    pub devices: u32,
    /// The numbers of the devices `ZE_AFFINITY_MASK` exposes, ascending.
    pub visible: Vec<u32>,
    /// Device memory of each device, in bytes.
    pub device_memory: u64,
    /// `maxMemAllocSize` of each device.
    pub max_alloc_size: u64,
    /// Refuse USM of another context in commands (`ZE_SOFT_STRICT_CONTEXTS=1`).
    pub strict_contexts: bool,
    /// Threads sharing one large copy (`ZE_SOFT_COPY_THREADS`), if set.
    pub copy_threads: Option<usize>,
    /// Allocations that fail (`ZE_SOFT_FAIL_ALLOC`, `ZE_SOFT_FAIL_ALLOC_EVERY`).
    pub fail_alloc: FailAt,
    /// Copy and fill appends that are refused (`ZE_SOFT_FAIL_COPY`, `..._EVERY`).
    pub fail_copy: FailAt,
    /// Copies and fills that fail when they run (`ZE_SOFT_FAIL_COPY_COMPLETION`, `..._EVERY`).
    pub fail_copy_completion: FailAt,
}

/// Default device memory: 16 GiB, like a data-center GPU tile.
const DEFAULT_DEVICE_MEMORY: u64 = 16 << 30;
/// Default largest allocation: what Intel's driver reports without relaxed limits.
const DEFAULT_MAX_ALLOC_SIZE: u64 = (4 << 30) - (8 << 10);
/// Most device memory one device may have: 16 TiB.
const MAX_DEVICE_MEMORY: u64 = 16 << 40;
/// Most devices one process may configure.
const MAX_DEVICES: u32 = 64;
/// Most threads one copy may be split over.
pub(crate) const MAX_COPY_THREADS: usize = 4;

/// Parses a byte count with an optional `K`, `M`, `G` or `T` suffix (powers of 1024).
fn parse_bytes(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, shift) = match text.chars().last()? {
        'k' | 'K' => (&text[..text.len() - 1], 10),
        'm' | 'M' => (&text[..text.len() - 1], 20),
        'g' | 'G' => (&text[..text.len() - 1], 30),
        't' | 'T' => (&text[..text.len() - 1], 40),
        _ => (text, 0),
    };
    let value: u64 = digits.trim().parse().ok()?;
    value.checked_mul(1 << shift)
}

/// The device numbers (below `devices`) an affinity mask exposes, ascending and without
/// repeats; every device for no mask or an empty one.
fn affinity(mask: Option<&str>, devices: u32) -> Vec<u32> {
    let mask = mask.map(str::trim).unwrap_or_default();
    if mask.is_empty() {
        return (0..devices).collect();
    }
    let mut chosen: Vec<u32> = mask
        .split(',')
        .filter_map(|entry| {
            let mut parts = entry.trim().split('.');
            let device: u32 = parts.next()?.trim().parse().ok()?;
            // A device has one tile and no sub-devices: only tile 0 names it.
            let whole = match (parts.next(), parts.next()) {
                (None, _) => true,
                (Some(tile), None) => tile.trim().parse::<u32>().ok() == Some(0),
                _ => false,
            };
            (whole && device < devices).then_some(device)
        })
        .collect();
    chosen.sort_unstable();
    chosen.dedup();
    chosen
}

/// The environment the configuration is read from: a lookup by name, and the names of
/// every variable set (to find unknown `ZE_SOFT_*` names).
struct Env<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    names: Vec<String>,
}

impl Env<'_> {
    /// The value of `name`, trimmed; `None` when unset or empty.
    fn var(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// An integer in `range`, or `None` when unset.
    fn integer(
        &self,
        name: &str,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<Option<u64>, String> {
        let Some(v) = self.var(name) else {
            return Ok(None);
        };
        match v.parse::<u64>() {
            Ok(n) if range.contains(&n) => Ok(Some(n)),
            _ if *range.end() == u64::MAX => {
                Err(format!("{name}={v}: expected a positive integer"))
            }
            _ => Err(format!(
                "{name}={v}: expected an integer from {} to {}",
                range.start(),
                range.end()
            )),
        }
    }

    /// A positive integer, or `None` when unset.
    fn count(&self, name: &str) -> Result<Option<u64>, String> {
        self.integer(name, 1..=u64::MAX)
    }

    /// A positive byte count, or `None` when unset.
    fn bytes(&self, name: &str) -> Result<Option<u64>, String> {
        let Some(v) = self.var(name) else {
            return Ok(None);
        };
        match parse_bytes(&v) {
            Some(n) if n > 0 => Ok(Some(n)),
            _ => Err(format!(
                "{name}={v}: expected a byte count such as 4096, 512M, 8G or 1T"
            )),
        }
    }

    /// A pair of "fail the Nth / every Nth" variables.
    fn fail_at(&self, nth: &str, every: &str) -> Result<FailAt, String> {
        Ok(FailAt {
            nth: self.count(nth)?,
            every: self.count(every)?,
        })
    }
}

impl Config {
    /// Reads the configuration from `env`.
    fn read(env: &Env<'_>) -> Result<Config, String> {
        if let Some(unknown) = env
            .names
            .iter()
            .find(|n| n.starts_with("ZE_SOFT_") && !VARIABLES.contains(&n.as_str()))
        {
            let value = (env.lookup)(unknown).unwrap_or_default();
            return Err(format!(
                "{unknown}={value}: not a variable of this driver (see l0-soft/README.md)"
            ));
        }
        let devices = env
            .integer("ZE_SOFT_DEVICES", 1..=u64::from(MAX_DEVICES))?
            .map_or(1, |n| n as u32);
        let device_memory = env
            .bytes("ZE_SOFT_DEVICE_MEMORY")?
            .unwrap_or(DEFAULT_DEVICE_MEMORY);
        if device_memory > MAX_DEVICE_MEMORY {
            let written = env.var("ZE_SOFT_DEVICE_MEMORY").unwrap_or_default();
            return Err(format!(
                "ZE_SOFT_DEVICE_MEMORY={written}: at most 16T ({MAX_DEVICE_MEMORY} bytes)"
            ));
        }
        let max_alloc_size = env
            .bytes("ZE_SOFT_MAX_ALLOC_SIZE")?
            .unwrap_or(DEFAULT_MAX_ALLOC_SIZE)
            .min(device_memory);
        let strict_contexts = match env.var("ZE_SOFT_STRICT_CONTEXTS").as_deref() {
            None | Some("0") => false,
            Some("1") => true,
            Some(other) => return Err(format!("ZE_SOFT_STRICT_CONTEXTS={other}: expected 0 or 1")),
        };
        Ok(Config {
            devices,
            visible: affinity((env.lookup)("ZE_AFFINITY_MASK").as_deref(), devices),
            device_memory,
            max_alloc_size,
            strict_contexts,
            copy_threads: env
                .integer("ZE_SOFT_COPY_THREADS", 1..=MAX_COPY_THREADS as u64)?
                .map(|n| n as usize),
            fail_alloc: env.fail_at("ZE_SOFT_FAIL_ALLOC", "ZE_SOFT_FAIL_ALLOC_EVERY")?,
            fail_copy: env.fail_at("ZE_SOFT_FAIL_COPY", "ZE_SOFT_FAIL_COPY_EVERY")?,
            fail_copy_completion: env.fail_at(
                "ZE_SOFT_FAIL_COPY_COMPLETION",
                "ZE_SOFT_FAIL_COPY_COMPLETION_EVERY",
            )?,
        })
    }

    /// Reads the configuration from the process's environment.
    fn from_env() -> Result<Config, String> {
        // A value that is not UTF-8 is read lossily, so that it is refused (its
        // replacement characters parse as nothing), never taken as unset.
        let lookup = |name: &str| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
        let names = std::env::vars_os()
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        Config::read(&Env {
            lookup: &lookup,
            names,
        })
    }
}

/// The process's configuration, read at the first call; the reason when it is malformed.
pub(crate) fn get() -> Result<&'static Config, &'static str> {
    static CONFIG: OnceLock<Result<Config, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let config = Config::from_env();
            if let Err(e) = &config {
                eprintln!("ze-soft: {e}");
            }
            config
        })
        .as_ref()
        .map_err(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<Config, String> {
        let owned: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = |name: &str| {
            owned
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        Config::read(&Env {
            lookup: &lookup,
            names: owned.iter().map(|(k, _)| k.clone()).collect(),
        })
    }

    #[test]
    fn byte_counts_take_binary_suffixes() {
        assert_eq!(parse_bytes("4096"), Some(4096));
        assert_eq!(parse_bytes("64K"), Some(64 << 10));
        assert_eq!(parse_bytes("3m"), Some(3 << 20));
        assert_eq!(parse_bytes(" 16G "), Some(16 << 30));
        assert_eq!(parse_bytes("G"), None);
        assert_eq!(parse_bytes("-1"), None);
        assert_eq!(parse_bytes("99999999999999G"), None);
        // The largest device memory is written the way the limit's message names it.
        assert_eq!(parse_bytes("16T"), Some(MAX_DEVICE_MEMORY));
        assert_eq!(parse_bytes("1t"), Some(1 << 40));
        assert_eq!(parse_bytes("99999999T"), None);
    }

    #[test]
    fn affinity_masks_pick_devices_in_their_own_order() {
        assert_eq!(affinity(None, 3), [0, 1, 2]);
        assert_eq!(affinity(Some(" "), 3), [0, 1, 2]);
        assert_eq!(affinity(Some("1"), 3), [1]);
        assert_eq!(affinity(Some("2,0,2"), 3), [0, 2]);
        assert_eq!(affinity(Some("0.0, 1"), 3), [0, 1]);
        // No such device, no such tile, or not a number: ignored.
        assert_eq!(affinity(Some("5,1.1,x,0.0.0,-1,2"), 3), [2]);
        assert_eq!(affinity(Some("7"), 3), Vec::<u32>::new());
    }

    #[test]
    fn unset_and_empty_variables_give_the_defaults() {
        let default = read(&[]).unwrap();
        assert_eq!(default.devices, 1);
        assert_eq!(default.device_memory, DEFAULT_DEVICE_MEMORY);
        assert_eq!(default.max_alloc_size, DEFAULT_MAX_ALLOC_SIZE);
        assert_eq!(default.copy_threads, None);
        assert!(default.fail_alloc.is_off() && default.fail_copy.is_off());
        let empty: Vec<(&str, &str)> = VARIABLES.iter().map(|v| (*v, " ")).collect();
        assert_eq!(read(&empty).unwrap(), default);
    }

    #[test]
    fn every_value_is_read_and_limits_are_kept() {
        let c = read(&[
            ("ZE_SOFT_DEVICES", "64"),
            ("ZE_SOFT_DEVICE_MEMORY", "1G"),
            ("ZE_SOFT_MAX_ALLOC_SIZE", "2G"),
            ("ZE_SOFT_STRICT_CONTEXTS", "1"),
            ("ZE_SOFT_COPY_THREADS", "4"),
            ("ZE_SOFT_FAIL_ALLOC", "3"),
            ("ZE_SOFT_FAIL_COPY_EVERY", "2"),
            ("ZE_SOFT_FAIL_COPY_COMPLETION", "5"),
        ])
        .unwrap();
        assert_eq!(c.devices, 64);
        assert_eq!(c.max_alloc_size, 1 << 30, "capped at the device memory");
        assert!(c.strict_contexts);
        assert_eq!(c.copy_threads, Some(4));
        assert_eq!(
            c.fail_alloc,
            FailAt {
                nth: Some(3),
                every: None
            }
        );
        assert_eq!(
            c.fail_copy,
            FailAt {
                nth: None,
                every: Some(2)
            }
        );
        assert_eq!(c.fail_copy_completion.nth, Some(5));
    }

    // Malformed values: tests/bad_config.rs, one child process per variable, through the
    // loader.

    #[test]
    fn the_readme_documents_exactly_these_variables() {
        let readme = include_str!("../README.md");
        let documented: Vec<&str> = readme
            .lines()
            .filter_map(|l| l.strip_prefix("| `ZE_SOFT_"))
            .filter_map(|l| l.split('`').next())
            .collect();
        let documented: Vec<String> = documented.iter().map(|n| format!("ZE_SOFT_{n}")).collect();
        assert_eq!(documented, VARIABLES, "the README's table, in order");
    }
}
