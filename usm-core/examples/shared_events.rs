//! Events shared between two processes: this program exports an event pool, runs itself
//! again as a second process with the pool's handle (JSON) as its argument, and each
//! process waits for the other's signal: the second signals from the host, the first's
//! queue fills memory after that signal and then signals back from the device.
//!
//! Run: `cargo run -p usm-core --example shared_events` (on the software driver built with
//! the workspace, or an installed one: see the README).

use std::process::Command;
use std::time::Duration;

use usm_core::ipc::{EventPoolIpcHandle, SharedEventPool};
use usm_core::{Context, Queue, UsmHost};

const CHILD_FLAG: &str = "--open";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // SAFETY: first thing in `main`: no other thread exists, the loader is not open.
    let driver = unsafe { ze_soft::enable_for_process() }?;
    let (context, device) = Context::default_gpu()?;
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(CHILD_FLAG) {
        let json = args.get(2).ok_or("the importer is given the handle")?;
        return importer(&context, json);
    }
    println!("driver: {}", driver.display());
    let queue = Queue::new(&context, &device)?;
    let pool = SharedEventPool::new(&context, 2)?;
    let (ready, done) = (pool.event(0)?, pool.event(1)?);
    let handle = serde_json::to_string(&pool.ipc_handle()?)?;

    // Work here waits on the device for the other process's host signal.
    let filled = queue.fill_async(UsmHost::new(&context, 64)?, &[7], &[&ready.event_ref()])?;
    // ... and then signals `done`, which the other process waits for.
    done.signal_on(&queue, &[&filled.event()])?;

    let mut child = Command::new(std::env::current_exe()?)
        .args([CHILD_FLAG, handle.as_str()])
        .spawn()?;
    let (memory, _) = filled.wait()?;
    assert_eq!(memory.as_slice(), &[7; 64]);
    println!("exporter: the fill ran after the other process's signal");
    let status = child.wait()?;
    assert!(status.success(), "the importing process failed: {status}");
    println!("exporter: the other process saw this queue's signal");
    Ok(())
}

/// The second process: opens the pool, signals `ready`, waits for `done`.
fn importer(context: &Context, json: &str) -> Result<(), Box<dyn std::error::Error>> {
    let handle: EventPoolIpcHandle = serde_json::from_str(json)?;
    let pool = SharedEventPool::open(context, &handle)?;
    let (ready, done) = (pool.event(0)?, pool.event(1)?);
    ready.signal()?;
    let signalled = done.wait_timeout(Duration::from_secs(30))?;
    assert!(signalled, "the exporter's queue signals `done`");
    println!("importer: signalled `ready`, saw `done`");
    Ok(())
}
