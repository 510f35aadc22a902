//! Events shared between processes through usm-core's safe API: a parent test and child
//! processes of this binary ([`child::spawn_on_thread`]) share a [`SharedEventPool`] from its
//! serialised handle, and owned and scoped work of each waits for signals of the other.

use std::time::Duration;

use usm_core::ipc::{EventPoolIpcHandle, SharedEventPool};
use usm_core::{scope, Engine, Error, EventIpcError, Mode, Queue, UsmHost};
use usm_test_kit::child::{self, spawn_on_thread, Handoff};
use usm_test_kit::usm as kit;

const HANDLE_VAR: &str = "USM_EVENT_POOL_HANDLE";
const LONG: Duration = Duration::from_secs(30);

fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd").expect("/proc").count()
}

fn handle_from_env() -> EventPoolIpcHandle {
    let json = std::env::var(HANDLE_VAR).expect("the parent gives the handle");
    serde_json::from_str(&json).expect("a serialised handle")
}

/// The parent tests one at a time: one counts descriptors, and children hold pipes.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

#[test]
fn owned_and_scoped_work_waits_for_a_signal_from_another_process_and_signals_back() {
    let _serial = serial();
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let other = kit::queue(&context, &device, Engine::LinkCopy, Mode::Asynchronous);
    let pool = SharedEventPool::new(&context, 3).unwrap();
    let (armed, go, done) = (
        pool.event(0).unwrap(),
        pool.event(1).unwrap(),
        pool.event(2).unwrap(),
    );
    let json = serde_json::to_string(&pool.ipc_handle().unwrap()).unwrap();
    let child = spawn_on_thread(
        "children::signal_when_armed_then_answer_from_a_queue",
        vec![(HANDLE_VAR.into(), json)],
    );
    let mut b = UsmHost::new(&context, 64).unwrap();
    let a = scope(|s| {
        let after_go = s.adopt(&go.event_ref());
        let scoped = s.memset(&other, s.hold_mut(&mut b), 6, &[after_go])?;
        let owned = queue.fill_async(UsmHost::new(&context, 64)?, &[5], &[&go.event_ref()])?;
        std::thread::sleep(Duration::from_millis(20));
        let waited = !scoped.is_complete()? && !owned.is_complete()?;
        armed.signal()?;
        assert!(waited, "work ran before the other process signalled");
        scoped.wait()?;
        let (a, _) = owned.wait().map_err(|f| f.error)?;
        Ok(a)
    })
    .unwrap();
    assert_eq!((a.as_slice()[0], b.as_slice()[63]), (5, 6));
    // The child's queue signals `done` after its own work, which waited for `go`.
    assert!(done.wait_timeout(LONG).unwrap());
    assert!(go.is_signalled().unwrap());
    child.join().expect("the child passed");
}

#[test]
fn a_childs_pool_opens_here_is_signalled_by_a_queue_here_and_refuses_once_it_exits() {
    let _serial = serial();
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let handoff = Handoff::new("usm-event-pool");
    let child = spawn_on_thread("children::export_then_wait", vec![handoff.env()]);
    let handle: EventPoolIpcHandle = serde_json::from_str(&handoff.receive()).unwrap();
    let pool = SharedEventPool::open(&context, &handle).unwrap();
    assert!(pool.is_opened());
    assert!(matches!(
        pool.ipc_handle(),
        Err(Error::EventIpc(EventIpcError::OpenedPool))
    ));
    let (go, done) = (pool.event(0).unwrap(), pool.event(1).unwrap());
    go.signal_on(&queue, &[]).unwrap();
    assert!(done.wait_timeout(LONG).unwrap());
    child.join().expect("the child passed");
    let before = fd_count();
    // The exporter has exited: its pool opens no more; the opened one still works.
    let refused = SharedEventPool::open(&context, &handle).unwrap_err();
    assert!(
        matches!(refused, Error::EventIpc(EventIpcError::Refused { .. })),
        "{refused:?}"
    );
    assert_eq!(
        refused.code().map(|c| c.raw()),
        Some(usm_core::sys::ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)
    );
    done.reset().unwrap();
    assert!(!done.wait_timeout(Duration::from_millis(10)).unwrap());
    done.signal().unwrap();
    assert!(done.is_signalled().unwrap());
    drop((go, done, pool));
    assert_eq!(fd_count(), before);
}

#[test]
fn bad_handles_and_arguments_are_typed_errors() {
    let _serial = serial();
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    assert!(matches!(
        EventPoolIpcHandle::from_bytes(&[0; 10]),
        Err(Error::EventIpc(EventIpcError::HandleLength {
            expected: 64,
            actual: 10
        }))
    ));
    let forged = EventPoolIpcHandle::from_bytes(&[0x5a; 64]).unwrap();
    assert!(matches!(
        SharedEventPool::open(&context, &forged),
        Err(Error::EventIpc(EventIpcError::Refused { .. }))
    ));
    assert!(matches!(
        SharedEventPool::new(&context, 0),
        Err(Error::InvalidArgument { name: "count", .. })
    ));
    let pool = SharedEventPool::new(&context, 1).unwrap();
    let e = pool.event(0).unwrap();
    assert!(matches!(
        e.signal_on(&queue, &[&e.event_ref()]),
        Err(Error::InvalidArgument { name: "after", .. })
    ));
    let past = pool.event(1).unwrap_err();
    assert_eq!(
        past.code().map(|c| c.raw()),
        Some(usm_core::sys::ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT)
    );
    // A queue of another context refuses the event.
    let (other_context, other_device) = kit::context();
    let elsewhere = Queue::new(&other_context, &other_device).unwrap();
    assert!(matches!(
        e.signal_on(&elsewhere, &[]),
        Err(Error::Transfer(_))
    ));
    // Opened in this process too, an event of the pool is the same event.
    let same = SharedEventPool::open(&context, &pool.ipc_handle().unwrap()).unwrap();
    let twin = same.event(0).unwrap();
    e.signal().unwrap();
    assert!(twin.is_signalled().unwrap());
}

mod children {
    //! The child halves.

    use super::*;

    #[test]
    #[ignore = "child of event_ipc::owned_and_scoped_work_waits_for_a_signal_from_another_process_and_signals_back"]
    fn signal_when_armed_then_answer_from_a_queue() {
        child::expect_child();
        let (context, device) = kit::context();
        let queue = Queue::new(&context, &device).unwrap();
        let pool = SharedEventPool::open(&context, &handle_from_env()).unwrap();
        let (armed, go, done) = (
            pool.event(0).unwrap(),
            pool.event(1).unwrap(),
            pool.event(2).unwrap(),
        );
        assert!(armed.wait_timeout(LONG).unwrap());
        go.signal().unwrap();
        let mine = queue
            .fill_async(
                UsmHost::new(&context, 64).unwrap(),
                &[9],
                &[&go.event_ref()],
            )
            .unwrap();
        done.signal_on(&queue, &[&mine.event()]).unwrap();
        let (m, _) = mine.wait().unwrap();
        assert_eq!(m.as_slice()[0], 9);
        done.wait().unwrap();
    }

    #[test]
    #[ignore = "child of event_ipc::a_childs_pool_opens_here_is_signalled_by_a_queue_here_and_refuses_once_it_exits"]
    fn export_then_wait() {
        child::expect_child();
        let (context, _) = kit::context();
        let pool = SharedEventPool::new(&context, 2).unwrap();
        let (go, done) = (pool.event(0).unwrap(), pool.event(1).unwrap());
        Handoff::publish(&serde_json::to_string(&pool.ipc_handle().unwrap()).unwrap());
        assert!(go.wait_timeout(LONG).unwrap(), "the parent's queue signals");
        done.signal().unwrap();
    }
}
