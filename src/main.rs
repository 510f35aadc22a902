//! `usm`: inspect Level Zero drivers and devices, run the USM demo, measure bandwidth.
//!
//! Errors are printed as one line on stderr; the exit code says what kind of failure it
//! was (see [`error::CliError::exit_code`]).

mod bench;
mod demo;
mod driver_choice;
mod error;
mod info;
mod install;
mod ipc_demo;

use std::fmt;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::driver_choice::DriverChoice;
use crate::error::CliError;

/// Inspect Level Zero drivers and devices, and exercise Unified Shared Memory.
#[derive(Debug, Parser)]
#[command(name = "usm", version, about)]
struct Cli {
    /// Which driver to run on: `auto` (an installed Intel GPU driver, else the software
    /// driver), `system` (what the loader finds), or `soft` (the software driver).
    #[arg(long, value_enum, default_value_t = DriverChoice::Auto, global = true)]
    driver: DriverChoice,
    /// More log output (-v: usm-core debug events, -vv: trace). `RUST_LOG` overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Every driver and device the loader sees, with their properties.
    Info {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Allocate, write, copy, fill, verify, classify and describe USM memory on the
    /// default device, with allocation diagnostics.
    Demo,
    /// Share device memory with a second process through an IPC handle: this process
    /// writes and exports it, a child opens it, verifies and writes back, this process
    /// verifies.
    IpcDemo {
        /// The child's part: open this handle (hexadecimal) instead.
        #[arg(long, hide = true, value_name = "HANDLE")]
        open: Option<String>,
    },
    /// Copy bandwidth and latency, and allocation latency, against same-run baselines.
    Bench(bench::BenchArgs),
    /// The software driver library, for crates and binaries outside this workspace.
    #[command(subcommand)]
    Driver(DriverCommand),
}

#[derive(Debug, Subcommand)]
enum DriverCommand {
    /// Install libze_soft.so to `<prefix>/lib/level-zero-usm/` (default prefix
    /// `$HOME/.local`) and print the `export ZE_ENABLE_ALT_DRIVERS=...` line.
    Install(install::InstallArgs),
}

fn init_logging(verbose: u8, default: &str) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.is_empty() => EnvFilter::new(spec),
        _ => EnvFilter::new(match verbose {
            0 => default,
            1 => "warn,usm=debug,usm_core=debug",
            _ => "warn,usm=trace,usm_core=trace",
        }),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}

fn run(cli: Cli) -> Result<(), CliError> {
    if let Command::Driver(DriverCommand::Install(args)) = &cli.command {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        install::run(args, &mut out)?;
        out.flush()?;
        return Ok(());
    }
    let selected = driver_choice::apply(cli.driver)?;
    let default_log = match cli.command {
        // The demo shows the allocation diagnostics by default.
        Command::Demo => "warn,usm_core::alloc=debug,usm_core::leak=debug",
        _ => "warn",
    };
    init_logging(cli.verbose, default_log);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match cli.command {
        Command::Info { json } => {
            let report = info::collect(&selected)?;
            if json {
                serde_json::to_writer_pretty(&mut out, &report)?;
                writeln!(out)?;
            } else {
                info::print_text(&report, &mut out)?;
            }
        }
        Command::Demo => demo::run(&selected, &mut out)?,
        Command::IpcDemo { open: None } => ipc_demo::run(&selected, &mut out)?,
        Command::IpcDemo { open: Some(handle) } => ipc_demo::open(&handle, &mut out)?,
        Command::Bench(args) => {
            let (context, device) = usm_core::Context::default_gpu()?;
            let report = bench::run(&args, &context, &device)?;
            report.write(args.output_format(), &mut out)?;
        }
        // Handled above, before a driver is chosen.
        Command::Driver(_) => {}
    }
    out.flush()?;
    Ok(())
}

/// Writes one line to standard error. A closed standard error (`usm info 2>&1 | head -1`)
/// is not a failure: nobody reads it any more, so the line is dropped.
pub(crate) fn notice(line: fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of the output went away (`usm info | head -1`): it has what it
        // wanted, so this is not a failure.
        Err(CliError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            notice(format_args!("usm: {e}"));
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
