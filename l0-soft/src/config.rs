//! Configuration from environment variables, read once per process (at the first
//! `zeInit`). Every variable starts with `ZE_SOFT_`:
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `ZE_SOFT_DEVICES` | number of devices (1–64) | 1 |
//! | `ZE_SOFT_DEVICE_MEMORY` | device memory per device, bytes (`K`, `M`, `G` suffixes) | 16G |
//! | `ZE_SOFT_MAX_ALLOC_SIZE` | largest single allocation without the relaxed-limits extension | 4 GiB − 8 KiB, at most the device memory |
//! | `ZE_SOFT_FAIL_ALLOC` | the Nth allocation (1-based, all kinds) fails | off |
//! | `ZE_SOFT_FAIL_ALLOC_EVERY` | every Nth allocation fails | off |
//! | `ZE_SOFT_STRICT_CONTEXTS` | `1`: commands refuse USM of another context | `0` |
//!
//! The standard `ZE_AFFINITY_MASK` is honoured as Intel's driver honours it: a
//! comma-separated list of device numbers (`N`, or `N.0` for the device's only tile)
//! exposes only those devices, in their own order, each keeping its name and UUID; entries
//! that name no device are ignored; an unset or empty mask exposes every device. A mask
//! that names none of the devices leaves the driver without devices, so `zeInit` answers
//! `ZE_RESULT_ERROR_UNINITIALIZED`.
//!
//! A malformed value makes `zeInit` fail with `ZE_RESULT_ERROR_UNINITIALIZED` and prints
//! the reason on standard error.

use std::sync::OnceLock;

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
    /// Fail this allocation (1-based), if set.
    pub fail_alloc_nth: Option<u64>,
    /// Fail every Nth allocation, if set.
    pub fail_alloc_every: Option<u64>,
    /// Refuse USM of another context in commands (`ZE_SOFT_STRICT_CONTEXTS=1`).
    pub strict_contexts: bool,
}

/// Default device memory: 16 GiB, like a data-center GPU tile.
pub(crate) const DEFAULT_DEVICE_MEMORY: u64 = 16 << 30;
/// Default largest allocation: what Intel's driver reports without relaxed limits.
pub(crate) const DEFAULT_MAX_ALLOC_SIZE: u64 = (4 << 30) - (8 << 10);
/// Most device memory one device may have: 16 TiB.
pub(crate) const MAX_DEVICE_MEMORY: u64 = 16 << 40;
/// Most devices one process may configure.
pub(crate) const MAX_DEVICES: u32 = 64;

/// Parses a byte count with an optional `K`, `M`, `G` or `T` suffix (powers of 1024).
pub(crate) fn parse_bytes(text: &str) -> Option<u64> {
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
pub(crate) fn affinity(mask: Option<&str>, devices: u32) -> Vec<u32> {
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

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Reads a positive integer variable: `Ok(None)` when unset or empty, `Err(message)` when
/// malformed.
pub(crate) fn count_var(name: &str) -> Result<Option<u64>, String> {
    match var(name) {
        None => Ok(None),
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(format!("{name}={v}: expected a positive integer")),
        },
    }
}

impl Config {
    /// Reads the configuration from the environment.
    pub(crate) fn from_env() -> Result<Config, String> {
        let devices = match count_var("ZE_SOFT_DEVICES")? {
            None => 1,
            Some(n) if n <= u64::from(MAX_DEVICES) => n as u32,
            Some(n) => return Err(format!("ZE_SOFT_DEVICES={n}: at most {MAX_DEVICES}")),
        };
        let bytes = |name: &str| -> Result<Option<u64>, String> {
            match var(name) {
                None => Ok(None),
                Some(v) => match parse_bytes(&v) {
                    Some(n) if n > 0 => Ok(Some(n)),
                    _ => Err(format!(
                        "{name}={v}: expected a byte count such as 4096, 512M, 8G or 1T"
                    )),
                },
            }
        };
        let device_memory = bytes("ZE_SOFT_DEVICE_MEMORY")?.unwrap_or(DEFAULT_DEVICE_MEMORY);
        if device_memory > MAX_DEVICE_MEMORY {
            return Err(format!(
                "ZE_SOFT_DEVICE_MEMORY={device_memory}: at most 16T ({MAX_DEVICE_MEMORY} bytes)"
            ));
        }
        let max_alloc_size = bytes("ZE_SOFT_MAX_ALLOC_SIZE")?
            .unwrap_or(DEFAULT_MAX_ALLOC_SIZE)
            .min(device_memory);
        Ok(Config {
            devices,
            visible: affinity(std::env::var("ZE_AFFINITY_MASK").ok().as_deref(), devices),
            device_memory,
            max_alloc_size,
            fail_alloc_nth: count_var("ZE_SOFT_FAIL_ALLOC")?,
            fail_alloc_every: count_var("ZE_SOFT_FAIL_ALLOC_EVERY")?,
            strict_contexts: match var("ZE_SOFT_STRICT_CONTEXTS").as_deref().map(str::trim) {
                None | Some("0") => false,
                Some("1") => true,
                Some(other) => {
                    return Err(format!("ZE_SOFT_STRICT_CONTEXTS={other}: expected 0 or 1"))
                }
            },
        })
    }
}

/// The process's configuration, read at the first call.
pub(crate) fn get() -> Result<&'static Config, &'static str> {
    static CONFIG: OnceLock<Result<Config, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let config = Config::from_env();
            if let Err(e) = &config {
                eprintln!("level-zero-soft: {e}");
            }
            config
        })
        .as_ref()
        .map_err(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
