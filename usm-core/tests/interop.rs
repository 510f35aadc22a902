//! Interop both ways through the real loader: contexts, immediate lists and events made by
//! raw Level Zero calls, adopted borrowed or owned, used, and (borrowed) still alive after
//! drop or (owned) destroyed.

use usm_test_kit::usm as kit;

use std::ptr::null_mut;

use usm_core::sys::{
    ze_command_list_handle_t, ze_command_queue_desc_t, ze_command_queue_mode_t, ze_context_desc_t,
    ze_context_handle_t, ze_event_desc_t, ze_event_handle_t, ze_event_pool_desc_t,
    ze_event_pool_flag_t, ze_event_pool_handle_t, ze_event_scope_flag_t, ze_result_t,
    ze_structure_type_t,
};
use usm_core::{
    api, check, scope, Context, Device, Driver, Engine, Error, EventRef, Mode, Queue, QueueOptions,
    UsmHost, UsmKind, UsmMemory, UsmShared,
};

/// A context made by `zeContextCreate` over all of the first driver's devices.
fn raw_context() -> ze_context_handle_t {
    let driver = kit::driver();
    let desc = ze_context_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_CONTEXT_DESC,
        ..Default::default()
    };
    let mut context = null_mut();
    // SAFETY: a driver of the initialised loader, typed descriptor, out-parameter.
    let outcome = unsafe {
        api()
            .unwrap()
            .zeContextCreate(driver.raw(), &desc, &mut context)
    };
    check("zeContextCreate", outcome, String::new).unwrap();
    context
}

fn context_status(context: ze_context_handle_t) -> ze_result_t {
    // SAFETY: on the software driver handles are names it looks up, never dereferenced,
    // so even a destroyed context's handle is safe to ask about.
    unsafe { api().unwrap().zeContextGetStatus(context) }.unwrap()
}

fn destroy_context(context: ze_context_handle_t) {
    // SAFETY: made by `raw_context`; everything made in it is gone.
    let outcome = unsafe { api().unwrap().zeContextDestroy(context) };
    check("zeContextDestroy", outcome, String::new).unwrap();
}

/// An immediate list on the compute group (ordinal 0 on the software driver) of `device`.
fn raw_list(context: ze_context_handle_t, device: &Device, mode: Mode) -> ze_command_list_handle_t {
    let ordinal = device
        .queue_groups()
        .unwrap()
        .iter()
        .find(|g| g.is_compute())
        .unwrap()
        .ordinal;
    let desc = ze_command_queue_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC,
        ordinal,
        mode: match mode {
            Mode::Synchronous => ze_command_queue_mode_t::ZE_COMMAND_QUEUE_MODE_SYNCHRONOUS,
            Mode::Asynchronous => ze_command_queue_mode_t::ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS,
        },
        ..Default::default()
    };
    let mut list = null_mut();
    // SAFETY: live context and device of it, typed descriptor, out-parameter.
    let outcome = unsafe {
        api()
            .unwrap()
            .zeCommandListCreateImmediate(context, device.raw(), &desc, &mut list)
    };
    check("zeCommandListCreateImmediate", outcome, String::new).unwrap();
    list
}

/// A host-visible event pool of one event, and the event.
struct RawEvent {
    pool: ze_event_pool_handle_t,
    event: ze_event_handle_t,
}

impl RawEvent {
    fn new(context: ze_context_handle_t) -> RawEvent {
        let api = api().unwrap();
        let desc = ze_event_pool_desc_t {
            stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_EVENT_POOL_DESC,
            flags: ze_event_pool_flag_t::ZE_EVENT_POOL_FLAG_HOST_VISIBLE.0,
            count: 1,
            ..Default::default()
        };
        let mut pool = null_mut();
        // SAFETY: live context, typed descriptor, out-parameter.
        let outcome = unsafe { api.zeEventPoolCreate(context, &desc, 0, null_mut(), &mut pool) };
        check("zeEventPoolCreate", outcome, String::new).unwrap();
        let desc = ze_event_desc_t {
            stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_EVENT_DESC,
            index: 0,
            signal: ze_event_scope_flag_t::ZE_EVENT_SCOPE_FLAG_HOST.0,
            wait: ze_event_scope_flag_t::ZE_EVENT_SCOPE_FLAG_HOST.0,
            ..Default::default()
        };
        let mut event = null_mut();
        // SAFETY: the pool just made, index in range, out-parameter.
        let outcome = unsafe { api.zeEventCreate(pool, &desc, &mut event) };
        check("zeEventCreate", outcome, String::new).unwrap();
        RawEvent { pool, event }
    }

    /// Signals the event from the host (as other work would), from any thread.
    fn signaller(&self) -> impl FnOnce() + Send + 'static {
        let event = self.event as usize;
        move || {
            // SAFETY: the event outlives the signalling thread (joined by the test).
            let outcome = unsafe { api().unwrap().zeEventHostSignal(event as ze_event_handle_t) };
            check("zeEventHostSignal", outcome, String::new).unwrap();
        }
    }
}

impl Drop for RawEvent {
    fn drop(&mut self) {
        let api = api().unwrap();
        // SAFETY: nothing waits on the event any more (the tests waited for their work).
        unsafe {
            check(
                "zeEventDestroy",
                api.zeEventDestroy(self.event),
                String::new,
            )
            .unwrap();
            check(
                "zeEventPoolDestroy",
                api.zeEventPoolDestroy(self.pool),
                String::new,
            )
            .unwrap();
        }
    }
}

/// Signals `signal` from another thread after `ms` milliseconds.
fn signal_later(signal: impl FnOnce() + Send + 'static, ms: u64) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(ms));
        signal();
    })
}

#[test]
fn a_borrowed_context_is_used_and_left_alive() {
    let device = kit::device();
    let raw = raw_context();
    {
        // SAFETY: a live context over all the driver's devices, destroyed below after
        // everything made from it.
        let context = unsafe { Context::from_raw_borrowed(device.driver(), &[], raw) }.unwrap();
        assert_eq!(context.raw(), raw);
        assert!(context.contains_device(&device));
        let queue = Queue::new(&context, &device).unwrap();
        let mut shared = UsmShared::new(&context, &device, 64).unwrap();
        queue.memset(&mut shared, 0, 64, 9).unwrap();
        assert_eq!(shared.as_slice(), &[9u8; 64][..]);
        assert_eq!(
            context.classify(shared.as_ptr()).unwrap().kind,
            UsmKind::Shared
        );
    }
    assert_eq!(context_status(raw), ze_result_t::ZE_RESULT_SUCCESS);
    // Still usable by its owner: adopt it again, allocate, then destroy it.
    {
        // SAFETY: as above.
        let again = unsafe { Context::from_raw_borrowed(device.driver(), &[], raw) }.unwrap();
        assert_eq!(UsmHost::new(&again, 8).unwrap().len(), 8);
    }
    destroy_context(raw);
}

#[test]
fn an_owned_context_is_destroyed_with_its_last_value() {
    let device = kit::device();
    let raw = raw_context();
    // SAFETY: a live context over all the driver's devices, given to usm-core.
    let context = unsafe { Context::from_raw_owned(device.driver(), &[], raw) }.unwrap();
    let host = UsmHost::new(&context, 16).unwrap();
    drop(context);
    // The memory keeps the context alive.
    assert_eq!(context_status(raw), ze_result_t::ZE_RESULT_SUCCESS);
    drop(host);
    if kit::on_soft_driver() {
        assert_eq!(
            context_status(raw),
            ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT,
            "the context was destroyed"
        );
    } else {
        println!("not asking about a destroyed context on a hardware driver");
    }
}

#[test]
fn adopting_refuses_what_it_can_check() {
    let device = kit::device();
    let (known, _) = kit::context();
    let invalid = |r: usm_core::Result<Context>, name: &str| match r {
        Err(Error::InvalidArgument { name: n, .. }) => assert_eq!(n, name),
        other => panic!("expected InvalidArgument({name}), got {other:?}"),
    };
    // SAFETY: (each) refused before the handle is used.
    invalid(
        unsafe { Context::from_raw_borrowed(device.driver(), &[], null_mut()) },
        "handle",
    );
    // SAFETY: as above: a live usm-core context is refused (adopting it owned would
    // destroy it twice).
    invalid(
        unsafe { Context::from_raw_owned(device.driver(), &[], known.raw()) },
        "handle",
    );
    let raw = raw_context();
    // SAFETY: a forged driver name, as an application might pass by mistake: it is only
    // compared with the loader's drivers, never passed to Level Zero.
    let forged = unsafe { Driver::from_raw(0x1234 as _) };
    invalid(
        // SAFETY: refused before anything uses `raw` or the forged driver.
        unsafe { Context::from_raw_borrowed(&forged, &[], raw) },
        "driver",
    );
    // SAFETY: a device named with the wrong driver: only compared, as above.
    let stranger = unsafe { Device::from_raw(device.raw(), forged) };
    invalid(
        // SAFETY: refused likewise.
        unsafe { Context::from_raw_borrowed(device.driver(), &[stranger], raw) },
        "devices",
    );
    destroy_context(raw);
}

#[test]
fn raw_driver_and_device_handles_are_checked_by_value() {
    let device = kit::device();
    let driver = Driver::from_raw_checked(device.driver().raw()).unwrap();
    assert_eq!(&driver, device.driver());
    assert_eq!(
        Device::from_raw_checked(&driver, device.raw()).unwrap(),
        device
    );
    assert!(matches!(
        Driver::from_raw_checked(0x10 as _),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        Device::from_raw_checked(&driver, 0x10 as _),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn a_borrowed_immediate_list_is_used_and_left_alive() {
    let (context, device) = kit::context();
    let list = raw_list(context.raw(), &device, Mode::Asynchronous);
    let options = QueueOptions::new().engine(Engine::Compute);
    {
        // SAFETY: a live asynchronous immediate list on the compute group of `device` in
        // `context`, used by nothing else, destroyed below after the queue is gone.
        let queue = unsafe { Queue::from_raw_borrowed(&context, &device, list, options) }.unwrap();
        assert_eq!(queue.engine(), Engine::Compute);
        let pending = queue
            .fill_async(UsmHost::new(&context, 32).unwrap(), &[5], &[])
            .unwrap();
        let (memory, _) = pending.wait().unwrap();
        assert_eq!(memory.as_slice(), &[5u8; 32][..]);
        let mut shared = UsmShared::new(&context, &device, 8).unwrap();
        queue.memset(&mut shared, 0, 8, 6).unwrap();
        assert_eq!(shared.as_slice(), &[6u8; 8][..]);
    }
    // The list is still the caller's: appending to it works.
    // SAFETY: a live list used by this thread only; a barrier touches no memory.
    let outcome = unsafe {
        api()
            .unwrap()
            .zeCommandListAppendBarrier(list, null_mut(), 0, null_mut())
    };
    assert_eq!(outcome, Ok(ze_result_t::ZE_RESULT_SUCCESS));
    // SAFETY: no work of the list is in flight (a barrier that waits for nothing).
    let outcome = unsafe { api().unwrap().zeCommandListDestroy(list) };
    assert_eq!(outcome, Ok(ze_result_t::ZE_RESULT_SUCCESS));
}

#[test]
fn an_owned_immediate_list_is_destroyed_with_the_queue() {
    let (context, device) = kit::context();
    let list = raw_list(context.raw(), &device, Mode::Synchronous);
    let options = QueueOptions::new()
        .engine(Engine::Compute)
        .mode(Mode::Synchronous);
    // SAFETY: a live synchronous immediate list on the compute group, given to the queue.
    let queue = unsafe { Queue::from_raw_owned(&context, &device, list, options) }.unwrap();
    let mut host = UsmHost::new(&context, 8).unwrap();
    queue.memset(&mut host, 0, 8, 3).unwrap();
    assert_eq!(host.as_slice(), &[3u8; 8][..]);
    drop(queue);
    if kit::on_soft_driver() {
        // SAFETY: the software driver looks handles up, so a destroyed one is safe to pass.
        let outcome = unsafe {
            api()
                .unwrap()
                .zeCommandListAppendBarrier(list, null_mut(), 0, null_mut())
        };
        assert_eq!(outcome, Ok(ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT));
    } else {
        println!("not using a destroyed list on a hardware driver");
    }
}

#[test]
fn adopting_a_list_checks_what_it_can() {
    let (context, device) = kit::context();
    let (other, _) = kit::context();
    let options = QueueOptions::new().engine(Engine::Compute);
    // SAFETY: refused before the handle is used.
    let refused = unsafe { Queue::from_raw_borrowed(&context, &device, null_mut(), options) };
    assert!(matches!(
        refused,
        Err(Error::InvalidArgument { name: "list", .. })
    ));
    let list = raw_list(context.raw(), &device, Mode::Asynchronous);
    let far = kit::driver().devices().unwrap();
    if far.len() > 1 {
        let narrow = Context::new(device.driver(), std::slice::from_ref(&device)).unwrap();
        // SAFETY: refused: the device is not one of the context's.
        let refused = unsafe { Queue::from_raw_borrowed(&narrow, &far[1], list, options) };
        assert!(matches!(refused, Err(Error::DeviceNotInContext { .. })));
    }
    let bad_index = options.index(99);
    // SAFETY: refused: no such engine index.
    let refused = unsafe { Queue::from_raw_borrowed(&context, &device, list, bad_index) };
    assert!(matches!(refused, Err(Error::Transfer(_))), "{refused:?}");
    drop(other);
    // SAFETY: nothing was appended to the list.
    let outcome = unsafe { api().unwrap().zeCommandListDestroy(list) };
    assert_eq!(outcome, Ok(ze_result_t::ZE_RESULT_SUCCESS));
}

#[test]
fn owned_work_waits_for_a_raw_event() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let raw = RawEvent::new(context.raw());
    // SAFETY: an event of the queue's context, alive until `raw` drops at the end, after
    // the work that waits for it was waited for.
    let ready = unsafe { EventRef::from_raw(&context, raw.event) }.unwrap();
    assert!(ready.is_foreign());
    assert!(!ready.is_complete().unwrap());
    let pending = queue
        .fill_async(UsmHost::new(&context, 64).unwrap(), &[4], &[&ready])
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(30));
    assert!(
        !pending.is_complete().unwrap(),
        "ran before its raw dependency"
    );
    let signaller = signal_later(raw.signaller(), 10);
    let (memory, _) = pending.wait().unwrap();
    signaller.join().unwrap();
    assert_eq!(memory.as_slice(), &[4u8; 64][..]);
    assert!(ready.is_complete().unwrap());
}

#[test]
fn scoped_work_waits_for_a_raw_event() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let raw = RawEvent::new(context.raw());
    // SAFETY: as in the test above; the scope returns before `raw` drops.
    let ready = unsafe { EventRef::from_raw(&context, raw.event) }.unwrap();
    let mut memory = UsmHost::new(&context, 64).unwrap();
    let signaller = signal_later(raw.signaller(), 50);
    scope(|s| {
        let held = s.hold_mut(&mut memory);
        let done = s.memset(&queue, held, 8, &[s.adopt(&ready)])?;
        assert!(!done.is_complete()?, "ran before its raw dependency");
        Ok(())
    })
    .unwrap();
    signaller.join().unwrap();
    assert_eq!(memory.as_slice(), &[8u8; 64][..]);
}

#[test]
fn a_raw_event_of_another_context_and_a_null_one_are_refused() {
    let (context, device) = kit::context();
    let (other, _) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let raw = RawEvent::new(other.raw());
    // SAFETY: an event of `other`, alive until the end of the test.
    let foreign = unsafe { EventRef::from_raw(&other, raw.event) }.unwrap();
    let refused = queue
        .fill_async(UsmHost::new(&context, 8).unwrap(), &[1], &[&foreign])
        .unwrap_err();
    assert!(
        matches!(
            refused.error,
            Error::Transfer(usm_core::TransferError::ForeignEvent { .. })
        ),
        "{}",
        refused.error
    );
    // SAFETY: refused before use.
    let null = unsafe { EventRef::from_raw(&context, null_mut()) };
    assert!(matches!(
        null,
        Err(Error::InvalidArgument { name: "raw", .. })
    ));
}
