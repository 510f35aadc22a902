//! The benchmark's output: a text table, JSON or CSV.

use std::io::Write;

use clap::ValueEnum;
use serde::Serialize;

use super::{AllocRow, CopyRow};
use crate::error::CliError;
use crate::info::format_bytes;

/// Output format of `usm bench`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned text tables.
    Text,
    /// One JSON document.
    Json,
    /// CSV, one line per row, copies then allocations.
    Csv,
}

/// Everything one run measured.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The device measured.
    pub device: String,
    /// Copy rows.
    pub copies: Vec<CopyRow>,
    /// Allocation rows.
    pub allocations: Vec<AllocRow>,
}

fn us(seconds: f64) -> f64 {
    seconds * 1e6
}

impl Report {
    /// An empty report for `device`.
    pub fn new(device: String) -> Report {
        Report {
            device,
            copies: Vec::new(),
            allocations: Vec::new(),
        }
    }

    /// Writes the report in `format`.
    pub fn write(&self, format: Format, out: &mut impl Write) -> Result<(), CliError> {
        match format {
            Format::Json => {
                serde_json::to_writer_pretty(&mut *out, self)?;
                writeln!(out)?;
            }
            Format::Csv => self.write_csv(out)?,
            Format::Text => self.write_text(out)?,
        }
        Ok(())
    }

    fn write_text(&self, out: &mut impl Write) -> std::io::Result<()> {
        writeln!(out, "Device: {}", self.device)?;
        if !self.copies.is_empty() {
            writeln!(
                out,
                "\n{:<4} {:<10} {:<5} {:>9} {:>11} {:>7} {:>9} {:>11} {:>9} {:>11} {:>7}",
                "dir",
                "engine",
                "mode",
                "size",
                "median us",
                "spread",
                "GB/s",
                "memcpy GB/s",
                "vs memcpy",
                "raw us",
                "vs raw"
            )?;
            for r in &self.copies {
                writeln!(
                    out,
                    "{:<4} {:<10} {:<5} {:>9} {:>11.2} {:>6.0}% {:>9.2} {:>11.2} {:>8.2}x {:>11} {:>7}",
                    r.direction.as_str().to_uppercase(),
                    r.engine,
                    r.mode,
                    format_bytes(r.bytes as u64),
                    us(r.timing.median_s),
                    r.timing.spread_percent(),
                    r.gbps,
                    r.memcpy_gbps,
                    r.vs_memcpy,
                    r.raw_median_s
                        .map_or("-".to_string(), |s| format!("{:.2}", us(s))),
                    r.vs_raw.map_or("-".to_string(), |v| format!("{v:.2}x")),
                )?;
            }
        }
        if !self.allocations.is_empty() {
            writeln!(
                out,
                "\n{:<10} {:>9} {:>11} {:>7} {:>11} {:>7}",
                "alloc+free", "size", "median us", "spread", "raw us", "vs raw"
            )?;
            for r in &self.allocations {
                writeln!(
                    out,
                    "{:<10} {:>9} {:>11.2} {:>6.0}% {:>11.2} {:>6.2}x",
                    r.kind,
                    format_bytes(r.bytes as u64),
                    us(r.timing.median_s),
                    r.timing.spread_percent(),
                    us(r.raw_median_s),
                    r.vs_raw
                )?;
            }
        }
        writeln!(
            out,
            "\nvs memcpy: bandwidth / host memcpy bandwidth (same size, same run); \
             vs raw: time / the same work through raw level-zero-sys calls."
        )
    }

    fn write_csv(&self, out: &mut impl Write) -> std::io::Result<()> {
        writeln!(
            out,
            "op,direction,engine,mode,kind,bytes,median_us,min_us,max_us,reps,gbps,memcpy_gbps,vs_memcpy,raw_us,vs_raw"
        )?;
        let opt = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.4}"));
        for r in &self.copies {
            writeln!(
                out,
                "copy,{},{},{},,{},{:.4},{:.4},{:.4},{},{:.4},{:.4},{:.4},{},{}",
                r.direction.as_str(),
                r.engine,
                r.mode,
                r.bytes,
                us(r.timing.median_s),
                us(r.timing.min_s),
                us(r.timing.max_s),
                r.timing.reps,
                r.gbps,
                r.memcpy_gbps,
                r.vs_memcpy,
                opt(r.raw_median_s.map(us)),
                opt(r.vs_raw),
            )?;
        }
        for r in &self.allocations {
            writeln!(
                out,
                "alloc_free,,,,{},{},{:.4},{:.4},{:.4},{},,,,{:.4},{:.4}",
                r.kind,
                r.bytes,
                us(r.timing.median_s),
                us(r.timing.min_s),
                us(r.timing.max_s),
                r.timing.reps,
                us(r.raw_median_s),
                r.vs_raw
            )?;
        }
        Ok(())
    }
}
