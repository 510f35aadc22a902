//! Fault injection for copies and fills, so that clients can test what happens when a
//! transfer fails. Counted over the process, 1-based, over every memory copy, fill and
//! copy-region command (of every list and queue):
//!
//! | variable | effect |
//! |---|---|
//! | `ZE_SOFT_FAIL_COPY=N` | the Nth copy/fill append is refused with `ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY` and records nothing |
//! | `ZE_SOFT_FAIL_COPY_EVERY=N` | every Nth copy/fill append is refused the same way |
//! | `ZE_SOFT_FAIL_COPY_COMPLETION=N` | the Nth copy/fill to run leaves its destination untouched and completes with `ZE_RESULT_ERROR_DEVICE_LOST` |
//! | `ZE_SOFT_FAIL_COPY_COMPLETION_EVERY=N` | every Nth copy/fill to run fails the same way |
//!
//! A failed completion is reported by everything that waits for the command: its signal
//! event (`zeEventHostSynchronize`, `zeEventQueryStatus`), the fence of the submission,
//! `zeCommandQueueSynchronize`, and the
//! append itself on a synchronous immediate list. Commands that wait on the failed
//! event fail the same way. The variables are read at the first copy or fill; a malformed
//! value is reported on standard error and makes every copy and fill append answer
//! `ZE_RESULT_ERROR_UNINITIALIZED`.

use std::sync::OnceLock;

use level_zero_sys::ze_result_t;

use crate::fault::Trigger;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Settings {
    submit_nth: Option<u64>,
    submit_every: Option<u64>,
    completion_nth: Option<u64>,
    completion_every: Option<u64>,
}

fn positive(name: &str) -> Result<Option<u64>, String> {
    match std::env::var(name) {
        Err(_) => Ok(None),
        Ok(v) if v.trim().is_empty() => Ok(None),
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(format!("{name}={v}: expected a positive integer")),
        },
    }
}

fn settings() -> Result<Settings, ze_result_t> {
    static SETTINGS: OnceLock<Result<Settings, String>> = OnceLock::new();
    let s = SETTINGS.get_or_init(|| {
        let read = || -> Result<Settings, String> {
            Ok(Settings {
                submit_nth: positive("ZE_SOFT_FAIL_COPY")?,
                submit_every: positive("ZE_SOFT_FAIL_COPY_EVERY")?,
                completion_nth: positive("ZE_SOFT_FAIL_COPY_COMPLETION")?,
                completion_every: positive("ZE_SOFT_FAIL_COPY_COMPLETION_EVERY")?,
            })
        };
        let r = read();
        if let Err(message) = &r {
            eprintln!("level-zero-soft: {message}; copies and fills are refused");
        }
        r
    });
    s.as_ref()
        .map(|s| *s)
        .map_err(|_| ze_result_t::ZE_RESULT_ERROR_UNINITIALIZED)
}

static SUBMITTED: Trigger = Trigger::new();
static COMPLETED: Trigger = Trigger::new();

/// Counts one copy or fill append (after its parameters were validated); the error it
/// must answer instead of recording the command, if any.
pub(crate) fn check_submission() -> Result<(), ze_result_t> {
    let s = settings()?;
    if s.submit_nth.is_none() && s.submit_every.is_none() {
        return Ok(());
    }
    if SUBMITTED.hit(s.submit_nth, s.submit_every) {
        Err(ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY)
    } else {
        Ok(())
    }
}

/// Counts one copy or fill that is about to run; true when it must fail instead.
pub(crate) fn completion_fails() -> bool {
    let Ok(s) = settings() else { return false };
    if s.completion_nth.is_none() && s.completion_every.is_none() {
        return false;
    }
    COMPLETED.hit(s.completion_nth, s.completion_every)
}
