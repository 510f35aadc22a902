//! `usm ipc-demo`: device memory shared with a second process. The parent allocates and
//! writes it, exports an IPC handle and starts `usm ipc-demo --open <handle>` (itself); the
//! child opens the handle (plain bytes, as hexadecimal on its command line), verifies the
//! parent's bytes and writes the second half; the parent verifies the child's writes.

use std::io::Write;
use std::process::Command;

use usm_core::{Context, IpcHandle, Queue, UsmDevice, UsmMemory};

use crate::driver_choice::Selected;
use crate::error::CliError;
use crate::info::format_bytes;

/// Bytes shared in the demo.
const SIZE: usize = 1 << 20;

/// The byte the parent (`seed` 0) or the child (`seed` 1) writes at `i`.
fn pattern(i: usize, seed: usize) -> u8 {
    ((i + 7 * seed) % 251) as u8
}

fn verify(bytes: &[u8], from: usize, seed: usize, what: &str) -> Result<(), CliError> {
    match bytes
        .iter()
        .enumerate()
        .position(|(i, &b)| b != pattern(from + i, seed))
    {
        None => Ok(()),
        Some(at) => Err(CliError::Verification(format!(
            "{what}: byte {} differs",
            from + at
        ))),
    }
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Result<Vec<u8>, CliError> {
    let bad = || CliError::Verification(format!("not a hexadecimal handle: {text:?}"));
    if text.len() % 2 != 0 || !text.is_ascii() {
        return Err(bad());
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).map_err(|_| bad()))
        .collect()
}

/// The parent's part: export, run the child, verify its writes.
pub fn run(selected: &Selected, out: &mut impl Write) -> Result<(), CliError> {
    let (context, device) = Context::default_gpu()?;
    let queue = Queue::new(&context, &device)?;
    let bytes: Vec<u8> = (0..SIZE).map(|i| pattern(i, 0)).collect();
    let memory = UsmDevice::from_slice(&queue, &bytes)?;
    let handle = IpcHandle::export(&memory)?;
    writeln!(
        out,
        "usm ipc-demo ({}): process {} exported {} of device memory at {:p}",
        selected.describe(),
        std::process::id(),
        format_bytes(SIZE as u64),
        memory.as_ptr()
    )?;
    writeln!(out, "  handle: {}", to_hex(&handle.to_bytes()))?;
    out.flush()?;
    let status = Command::new(std::env::current_exe()?)
        // The child finds the driver this process chose through the environment.
        .args(["--driver", "system", "ipc-demo", "--open"])
        .arg(to_hex(&handle.to_bytes()))
        .status()?;
    if !status.success() {
        return Err(CliError::Verification(format!(
            "the child process failed ({status})"
        )));
    }
    let seen = memory.download(&queue)?;
    verify(
        &seen[..SIZE / 2],
        0,
        0,
        "the parent's half, after the child",
    )?;
    verify(
        &seen[SIZE / 2..],
        SIZE / 2,
        1,
        "the child's half, seen by the parent",
    )?;
    writeln!(
        out,
        "parent: the child's {} are here; both halves verified",
        format_bytes((SIZE / 2) as u64)
    )?;
    Ok(())
}

/// The child's part: open, verify the parent's bytes, write the second half.
pub fn open(hex: &str, out: &mut impl Write) -> Result<(), CliError> {
    let handle = IpcHandle::from_bytes(&from_hex(hex)?)?;
    let (context, device) = Context::default_gpu()?;
    let queue = Queue::new(&context, &device)?;
    let mut opened = handle.open(&context, &device, SIZE)?;
    writeln!(
        out,
        "child: process {} opened it at {:p} ({} memory of its own context)",
        std::process::id(),
        opened.as_ptr(),
        opened.kind()
    )?;
    let mut seen = vec![0u8; SIZE];
    queue.copy_to_host(&mut seen, &opened, 0)?;
    verify(&seen, 0, 0, "the parent's bytes, seen by the child")?;
    let half: Vec<u8> = (SIZE / 2..SIZE).map(|i| pattern(i, 1)).collect();
    queue.copy_from_host(&mut opened, SIZE / 2, &half)?;
    writeln!(
        out,
        "child: verified the parent's bytes, wrote the second half"
    )?;
    opened.close()?;
    writeln!(out, "child: closed")?;
    Ok(())
}
