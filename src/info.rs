//! `usm info`: every driver and device the loader sees.

use std::io::Write;

use serde::Serialize;
use usm_core::{Device, Driver};

use crate::driver_choice::Selected;
use crate::error::CliError;

/// The whole report, as printed with `--json`.
#[derive(Debug, Serialize)]
pub struct InfoReport {
    /// How the driver was chosen.
    pub selection: String,
    /// The loader's file and the versions of its components.
    pub loader: LoaderInfo,
    /// The Level Zero API version the bindings were generated from (`major.minor`).
    pub header_api_version: String,
    /// Every driver.
    pub drivers: Vec<DriverInfo>,
}

/// The loader and its components (`zelLoaderGetVersions`).
#[derive(Debug, Serialize)]
pub struct LoaderInfo {
    /// The loader library that was opened.
    pub path: String,
    /// `component name -> library version`.
    pub components: Vec<ComponentInfo>,
}

/// One loader component.
#[derive(Debug, Serialize)]
pub struct ComponentInfo {
    /// `"loader"`, `"validation layer"`, ...
    pub name: String,
    /// `major.minor.patch`.
    pub version: String,
    /// The Level Zero API version the component implements, `major.minor`.
    pub api_version: String,
}

/// One driver.
#[derive(Debug, Serialize)]
pub struct DriverInfo {
    /// Index in discovery order.
    pub index: usize,
    /// UUID in the usual 8-4-4-4-12 hex form.
    pub uuid: String,
    /// The driver's own version number.
    pub driver_version: u32,
    /// The API version it implements (`major.minor`).
    pub api_version: String,
    /// Extension names with their versions.
    pub extensions: Vec<String>,
    /// Its devices.
    pub devices: Vec<DeviceInfo>,
}

/// One device (or sub-device).
#[derive(Debug, Serialize)]
pub struct DeviceInfo {
    /// Index within its driver (or parent).
    pub index: usize,
    /// Marketing or driver name.
    pub name: String,
    /// `gpu`, `cpu`, ...
    pub device_type: String,
    /// PCI vendor id.
    pub vendor_id: u32,
    /// Device id.
    pub device_id: u32,
    /// UUID, 8-4-4-4-12 hex.
    pub uuid: String,
    /// Whether the device is integrated (shares memory with the host).
    pub integrated: bool,
    /// Core clock in MHz.
    pub core_clock_mhz: u32,
    /// Total device-local memory in bytes.
    pub total_memory: u64,
    /// Largest single allocation in bytes.
    pub max_mem_alloc_size: u64,
    /// Compute units (EUs).
    pub compute_units: u32,
    /// Command queue groups.
    pub queue_groups: Vec<QueueGroupInfo>,
    /// Sub-devices, recursively.
    pub sub_devices: Vec<DeviceInfo>,
}

/// One command queue group.
#[derive(Debug, Serialize)]
pub struct QueueGroupInfo {
    /// Ordinal for queue and list descriptors.
    pub ordinal: u32,
    /// `compute`, `copy`, or both.
    pub capabilities: Vec<&'static str>,
    /// Number of engines (queues) in the group.
    pub engines: u32,
    /// Largest fill pattern in bytes.
    pub max_fill_pattern_size: usize,
}

/// Collects the report.
pub fn collect(selection: &Selected) -> Result<InfoReport, CliError> {
    let loader = usm_core::loader()?;
    let components = loader
        .versions()
        .unwrap_or_default()
        .into_iter()
        .map(|c| {
            let (major, minor) = level_zero_sys::version_parts(c.spec_version);
            ComponentInfo {
                name: c.component,
                version: format!(
                    "{}.{}.{}",
                    c.library_version.0, c.library_version.1, c.library_version.2
                ),
                api_version: format!("{major}.{minor}"),
            }
        })
        .collect();
    let (hmaj, hmin) = level_zero_sys::version_parts(level_zero_sys::HEADER_API_VERSION.0);
    let mut drivers = Vec::new();
    for (index, driver) in Driver::all()?.into_iter().enumerate() {
        drivers.push(driver_info(index, &driver)?);
    }
    Ok(InfoReport {
        selection: selection.describe(),
        loader: LoaderInfo {
            path: loader.path().display().to_string(),
            components,
        },
        header_api_version: format!("{hmaj}.{hmin}"),
        drivers,
    })
}

fn driver_info(index: usize, driver: &Driver) -> Result<DriverInfo, CliError> {
    let props = driver.properties()?;
    let (major, minor) = driver.api_version()?;
    let extensions = driver
        .extensions()?
        .into_iter()
        .map(|e| {
            let (maj, min) = level_zero_sys::version_parts(e.version);
            format!("{} {maj}.{min}", e.name)
        })
        .collect();
    let mut devices = Vec::new();
    for (i, device) in driver.devices()?.into_iter().enumerate() {
        devices.push(device_info(i, &device)?);
    }
    Ok(DriverInfo {
        index,
        uuid: format_uuid(&props.uuid),
        driver_version: props.driver_version,
        api_version: format!("{major}.{minor}"),
        extensions,
        devices,
    })
}

fn device_info(index: usize, device: &Device) -> Result<DeviceInfo, CliError> {
    let p = device.properties()?;
    let queue_groups = device
        .queue_groups()?
        .into_iter()
        .map(|g| {
            let mut capabilities = Vec::new();
            if g.is_compute() {
                capabilities.push("compute");
            }
            if g.is_copy() {
                capabilities.push("copy");
            }
            QueueGroupInfo {
                ordinal: g.ordinal,
                capabilities,
                engines: g.engine_count,
                max_fill_pattern_size: g.max_memory_fill_pattern_size,
            }
        })
        .collect();
    let mut sub_devices = Vec::new();
    for (i, sub) in device.sub_devices()?.into_iter().enumerate() {
        sub_devices.push(device_info(i, &sub)?);
    }
    Ok(DeviceInfo {
        index,
        name: p.name,
        device_type: format!("{:?}", p.device_type).to_lowercase(),
        vendor_id: p.vendor_id,
        device_id: p.device_id,
        uuid: format_uuid(&p.uuid),
        integrated: p.is_integrated,
        core_clock_mhz: p.core_clock_mhz,
        total_memory: p.total_memory,
        max_mem_alloc_size: p.max_mem_alloc_size,
        compute_units: p.compute_units,
        queue_groups,
        sub_devices,
    })
}

/// Formats 16 bytes as `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
pub fn format_uuid(bytes: &[u8; 16]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Formats a byte count with a binary unit.
pub fn format_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Prints the report as readable text.
pub fn print_text(report: &InfoReport, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "Driver selection: {}", report.selection)?;
    writeln!(out, "Loader: {}", report.loader.path)?;
    for c in &report.loader.components {
        writeln!(out, "  {} {} (API {})", c.name, c.version, c.api_version)?;
    }
    writeln!(
        out,
        "Header API version: {} (the headers level-zero-sys was built with)",
        report.header_api_version
    )?;
    if report.drivers.is_empty() {
        writeln!(out, "No drivers.")?;
    }
    for d in &report.drivers {
        writeln!(
            out,
            "\nDriver {}: uuid {}, version {}, API {}",
            d.index, d.uuid, d.driver_version, d.api_version
        )?;
        if !d.extensions.is_empty() {
            writeln!(out, "  extensions: {}", d.extensions.join(", "))?;
        }
        for dev in &d.devices {
            print_device(dev, 1, out)?;
        }
    }
    Ok(())
}

fn print_device(dev: &DeviceInfo, depth: usize, out: &mut impl Write) -> std::io::Result<()> {
    let pad = "  ".repeat(depth);
    writeln!(
        out,
        "{pad}Device {}: {} ({}{})",
        dev.index,
        dev.name,
        dev.device_type,
        if dev.integrated { ", integrated" } else { "" }
    )?;
    writeln!(
        out,
        "{pad}  ids: vendor {:#06x}, device {:#06x}; uuid {}",
        dev.vendor_id, dev.device_id, dev.uuid
    )?;
    writeln!(
        out,
        "{pad}  memory {}, max allocation {}, {} compute units at {} MHz",
        format_bytes(dev.total_memory),
        format_bytes(dev.max_mem_alloc_size),
        dev.compute_units,
        dev.core_clock_mhz
    )?;
    for g in &dev.queue_groups {
        writeln!(
            out,
            "{pad}  queue group {}: {} x {}, fill pattern up to {} B",
            g.ordinal,
            g.engines,
            g.capabilities.join("+"),
            g.max_fill_pattern_size
        )?;
    }
    for sub in &dev.sub_devices {
        print_device(sub, depth + 1, out)?;
    }
    Ok(())
}
