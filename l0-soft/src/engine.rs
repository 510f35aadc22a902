//! The engine behind a command queue or an immediate command list: a worker thread that
//! runs submitted work in submission order, one job after the other, while the host
//! carries on. Each job is a recorded sequence of steps (see [`crate::command`]).
//!
//! Completion is published in an order that lets the host act on what it observes: when
//! a step ends, the references it held on events are released before its signal event is
//! signaled; when a job ends, its references on the command list and fence are released,
//! and the engine counts the job as done in the same critical section in which the last
//! step's event and the fence are signaled. So once the host sees the last event or the
//! fence signaled, destroying the list, the events, the fence or the queue succeeds.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use level_zero_sys::*;

use crate::busy::BusyGuard;
use crate::command::{execute, Step};
use crate::device::Device;
use crate::event::Event;
use crate::ffi::{check_flags, check_stype, ZeResult};
use crate::sync::{lock, Completion, Deadline};

/// The queue flags the specification defines (API 1.17), accepted whatever the headers
/// the driver was built with, as Intel's driver accepts them: `EXPLICIT_ONLY`, and for
/// immediate lists `IN_ORDER` (bit 1; commands already run in order here) and
/// `COPY_OFFLOAD_HINT` (bit 2; a hint).
const QUEUE_FLAGS: u32 =
    ze_command_queue_flag_t::ZE_COMMAND_QUEUE_FLAG_EXPLICIT_ONLY.0 | 1 << 1 | 1 << 2;

/// Checks a queue descriptor (also used by immediate command lists) against the
/// device; returns whether it asks for synchronous mode.
pub(crate) fn check_queue_desc(device: &Device, desc: &ze_command_queue_desc_t) -> ZeResult<bool> {
    check_flags(desc.flags, QUEUE_FLAGS)?;
    if desc.mode.0 > ze_command_queue_mode_t::ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS.0
        || desc.priority.0 > ze_command_queue_priority_t::ZE_COMMAND_QUEUE_PRIORITY_PRIORITY_HIGH.0
    {
        return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ENUMERATION);
    }
    check_stype(
        desc.stype,
        ze_structure_type_t::ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC,
    )?;
    let groups = device.queue_groups();
    let group = groups
        .get(desc.ordinal as usize)
        .ok_or(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)?;
    if desc.index >= group.num_queues {
        return Err(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT);
    }
    Ok(desc.mode == ze_command_queue_mode_t::ZE_COMMAND_QUEUE_MODE_SYNCHRONOUS)
}

/// One submission: steps to run in order, then a fence to signal.
pub(crate) struct Job {
    /// The commands, in order: one slice per command list, shared with the list.
    steps: Vec<Arc<[Step]>>,
    /// References held until the whole job has run (command lists, fence).
    job_guards: Vec<BusyGuard>,
    /// Signaled (with the job's first failure) when every step has run.
    fence: Option<Arc<Completion>>,
    /// The submitter reports the job's failure itself (synchronous queues), so the
    /// engine does not report it again at the next synchronize.
    caller_reports: bool,
}

/// The last step's signal, fired when the job is counted as done.
type PendingSignal = (Arc<Event>, u64, u64, ze_result_t);

impl Job {
    /// An empty job.
    pub(crate) fn new() -> Self {
        Job {
            steps: Vec::new(),
            job_guards: Vec::new(),
            fence: None,
            caller_reports: false,
        }
    }

    /// Leaves reporting the job's failure to the submitter.
    pub(crate) fn caller_reports_failure(&mut self) {
        self.caller_reports = true;
    }

    /// Appends `steps` (which keep the events they use alive until the job is dropped).
    pub(crate) fn add_steps(&mut self, steps: Arc<[Step]>) {
        self.steps.push(steps);
    }

    /// Keeps `guard` until the whole job has run.
    pub(crate) fn hold(&mut self, guard: BusyGuard) {
        self.job_guards.push(guard);
    }

    /// Signals `fence` when the job ends.
    pub(crate) fn set_fence(&mut self, fence: Arc<Completion>) {
        self.fence = Some(fence);
    }

    /// The fence the job signals, if any.
    pub(crate) fn fence(&self) -> Option<&Arc<Completion>> {
        self.fence.as_ref()
    }

    /// Runs the job on the calling thread and returns its first failure. At the end,
    /// `complete(result, fire)` is called once; it must call `fire`, which signals the
    /// last step's event and the fence.
    pub(crate) fn run(self, complete: impl FnOnce(ze_result_t, &mut dyn FnMut())) -> ze_result_t {
        let Job {
            steps,
            job_guards,
            fence,
            caller_reports: _,
        } = self;
        let total: usize = steps.iter().map(|s| s.len()).sum();
        let mut result = ze_result_t::ZE_RESULT_SUCCESS;
        let mut done = 0;
        let mut last: Option<PendingSignal> = None;
        for step in steps.iter().flat_map(|s| s.iter()) {
            let (r, start, end) = execute(step);
            if result == ze_result_t::ZE_RESULT_SUCCESS {
                result = r;
            }
            done += 1;
            if let Some(e) = &step.signal {
                if done == total {
                    last = Some((Arc::clone(e), start, end, r));
                } else {
                    e.signal_from_device(start, end, r);
                }
            }
        }
        drop(job_guards);
        let mut fire = || {
            if let Some((e, start, end, r)) = last.take() {
                e.signal_from_device(start, end, r);
            }
            if let Some(f) = &fence {
                f.signal(result);
            }
        };
        complete(result, &mut fire);
        result
    }

    /// Runs the job on the calling thread (synchronous mode).
    pub(crate) fn run_now(self) -> ze_result_t {
        self.run(|_, fire| fire())
    }
}

#[derive(Default)]
struct State {
    jobs: VecDeque<Job>,
    submitted: u64,
    completed: u64,
    /// The first failure not yet reported by a synchronize.
    failure: Option<ze_result_t>,
    shutdown: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    /// Work arrived, or shutdown.
    work: Condvar,
    /// A job completed.
    progress: Condvar,
}

/// A worker thread and its queue of jobs.
pub(crate) struct Engine {
    shared: Arc<Shared>,
    worker: Mutex<Option<JoinHandle<()>>>,
    /// The scheduling niceness of the worker thread (from the queue's priority).
    nice: i32,
}

/// The niceness a worker thread of a queue of `priority` runs at, so that the operating
/// system's scheduler runs high-priority queues' work first when several compete for the
/// cores (a GPU's scheduler does the same with its engines): low +10, normal 0, high -5.
/// Raising a thread's priority (a negative niceness) needs the right to (root or
/// `CAP_SYS_NICE`); without it a high-priority queue runs at normal priority.
pub(crate) fn niceness(priority: ze_command_queue_priority_t) -> i32 {
    use level_zero_sys::ze_command_queue_priority_t as P;
    match priority {
        P::ZE_COMMAND_QUEUE_PRIORITY_PRIORITY_LOW => 10,
        P::ZE_COMMAND_QUEUE_PRIORITY_PRIORITY_HIGH => -5,
        _ => 0,
    }
}

/// Gives the calling thread niceness `nice` (a failure leaves it as it is).
fn set_niceness(nice: i32) {
    if nice == 0 {
        return;
    }
    // SAFETY: gettid and setpriority take no pointers; setpriority only changes the
    // scheduling priority of this very thread, and its failure is harmless.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, nice);
    }
}

impl Engine {
    /// An engine; its worker thread starts with the first submission.
    /// An engine whose worker thread runs at niceness `nice` (see [`niceness`]).
    pub(crate) fn new(nice: i32) -> Self {
        Engine {
            shared: Arc::new(Shared::default()),
            worker: Mutex::new(None),
            nice,
        }
    }

    /// Queues `job` behind every earlier one.
    ///
    /// # Errors
    ///
    /// `ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY` when no worker thread can be started.
    pub(crate) fn submit(&self, job: Job) -> Result<(), ze_result_t> {
        self.start_worker()?;
        let mut s = lock(&self.shared.state);
        s.jobs.push_back(job);
        s.submitted += 1;
        drop(s);
        self.shared.work.notify_one();
        Ok(())
    }

    fn start_worker(&self) -> Result<(), ze_result_t> {
        let mut worker = lock(&self.worker);
        if worker.is_none() {
            let shared = Arc::clone(&self.shared);
            let nice = self.nice;
            let handle = std::thread::Builder::new()
                .name("ze-soft-engine".into())
                .spawn(move || {
                    set_niceness(nice);
                    work(&shared)
                })
                .map_err(|_| ze_result_t::ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY)?;
            *worker = Some(handle);
        }
        Ok(())
    }

    /// Waits until everything submitted so far has run; then reports (once) the first
    /// failure since the last report, else `SUCCESS`. `NOT_READY` on timeout.
    pub(crate) fn synchronize(&self, timeout: u64) -> ze_result_t {
        let guard = lock(&self.shared.state);
        let target = guard.submitted;
        let (mut guard, done) =
            Deadline::after_nanos(timeout)
                .wait_until(&self.shared.progress, guard, |s| s.completed >= target);
        if !done {
            return ze_result_t::ZE_RESULT_NOT_READY;
        }
        guard
            .failure
            .take()
            .unwrap_or(ze_result_t::ZE_RESULT_SUCCESS)
    }

    /// Whether every submitted job has run.
    pub(crate) fn is_idle(&self) -> bool {
        let s = lock(&self.shared.state);
        s.completed == s.submitted
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        lock(&self.shared.state).shutdown = true;
        self.shared.work.notify_all();
        if let Some(handle) = lock(&self.worker).take() {
            // The worker finishes the jobs already queued, then returns; a panic inside
            // it has nowhere to go from a destructor.
            let _ = handle.join();
        }
    }
}

/// The worker thread's loop.
fn work(shared: &Shared) {
    loop {
        let job = {
            let mut s = lock(&shared.state);
            loop {
                if let Some(job) = s.jobs.pop_front() {
                    break job;
                }
                if s.shutdown {
                    return;
                }
                s = shared.work.wait(s).unwrap_or_else(|p| p.into_inner());
            }
        };
        let quiet = job.caller_reports;
        let finished = catch_unwind(AssertUnwindSafe(|| {
            job.run(|result, fire| {
                let mut s = lock(&shared.state);
                fire();
                s.completed += 1;
                if result != ze_result_t::ZE_RESULT_SUCCESS && !quiet && s.failure.is_none() {
                    s.failure = Some(result);
                }
            })
        }));
        if finished.is_err() {
            // Only a bug can get here (operations catch their own panics); keep the
            // counts right so that nobody waits for ever.
            let mut s = lock(&shared.state);
            s.completed += 1;
            s.failure
                .get_or_insert(ze_result_t::ZE_RESULT_ERROR_UNKNOWN);
        }
        shared.progress.notify_all();
    }
}
