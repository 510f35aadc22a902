//! The crate's test, on the software driver, wherever the test binary is run from: typed
//! memory, views, a context made by raw Level Zero calls and adopted, and a raw event as a
//! dependency of scoped work.

use std::ptr::null_mut;
use std::time::Duration;

use usm_core::sys::{
    ze_context_desc_t, ze_event_desc_t, ze_event_pool_desc_t, ze_event_pool_flag_t,
    ze_event_scope_flag_t, ze_structure_type_t,
};
use usm_core::{scope, Context, Driver, EventRef, Queue, UsmDevice, UsmHost};

fn check(rc: Result<usm_core::sys::ze_result_t, usm_core::sys::MissingFunction>, what: &str) {
    let rc = rc.unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(rc.is_success(), "{what}: {rc:?}");
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // SAFETY: first thing in `main` (a test without the harness): no other thread exists
    // and Level Zero is not open yet.
    let library = unsafe { ze_soft::enable_for_process() }?;
    println!("software driver: {}", library.display());
    let api = usm_core::api()?;
    let driver = Driver::all()?.into_iter().next().ok_or("no Level Zero driver")?;
    let devices = driver.devices()?;

    // A context made elsewhere (here: by raw calls), adopted without taking ownership.
    let desc = ze_context_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_CONTEXT_DESC,
        ..Default::default()
    };
    let mut raw_context = null_mut();
    // SAFETY: a valid driver handle, descriptor and out-pointer.
    check(unsafe { api.zeContextCreate(driver.raw(), &desc, &mut raw_context) }, "zeContextCreate");
    // SAFETY: a live context of `driver` over `devices`, destroyed below only after every
    // usm-core value made from it is gone.
    let context = unsafe { Context::from_raw_borrowed(&driver, &devices, raw_context) }?;
    let device = &devices[0];
    let queue = Queue::new(&context, device)?;

    // Typed memory and views, through the crate's own code.
    let values: Vec<f32> = (0..1024).map(|i| i as f32).collect();
    let doubled = usm_downstream_check::doubled(&queue, &values)?;
    assert_eq!(doubled[1023], 2046.0);
    let mut memory = UsmDevice::from_slice(&queue, &values)?;
    usm_downstream_check::fill_low_half(&queue, &mut memory, -1.0)?;
    let back = memory.download(&queue)?;
    assert!(back[..512].iter().all(|&v| v == -1.0) && back[512] == 512.0);

    // A raw event as a dependency: scoped work on two views waits for it; another thread
    // signals it from the host.
    let pool_desc = ze_event_pool_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_EVENT_POOL_DESC,
        flags: ze_event_pool_flag_t::ZE_EVENT_POOL_FLAG_HOST_VISIBLE.0,
        count: 1,
        ..Default::default()
    };
    let mut pool = null_mut();
    // SAFETY: a live context, a valid descriptor, no device list, a live out-pointer.
    check(unsafe { api.zeEventPoolCreate(raw_context, &pool_desc, 0, null_mut(), &mut pool) }, "zeEventPoolCreate");
    let event_desc = ze_event_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_EVENT_DESC,
        index: 0,
        signal: ze_event_scope_flag_t::ZE_EVENT_SCOPE_FLAG_HOST.0,
        wait: ze_event_scope_flag_t::ZE_EVENT_SCOPE_FLAG_HOST.0,
        ..Default::default()
    };
    let mut event = null_mut();
    // SAFETY: a live pool, a valid descriptor, a live out-pointer.
    check(unsafe { api.zeEventCreate(pool, &event_desc, &mut event) }, "zeEventCreate");
    // SAFETY: an event of `context`'s Level Zero context that outlives every use below.
    let dependency = unsafe { EventRef::from_raw(&context, event) }?;
    let mut sevens = UsmHost::<f32>::alloc(&context, 512)?;
    sevens.fill(7.0);
    let (low, high) = memory.split_at_mut(512)?;
    std::thread::scope(|threads| -> Result<(), usm_core::Error> {
        let signal = event as usize;
        threads.spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            // SAFETY: the event is live until after the scope below has returned.
            check(unsafe { api.zeEventHostSignal(signal as _) }, "zeEventHostSignal");
        });
        scope(|s| {
            let after = s.adopt(&dependency);
            s.memset(&queue, s.hold_view_mut(low), 0, &[after])?;
            s.copy(&queue, s.hold_view_mut(high), s.hold(&sevens), &[after])?;
            Ok(())
        })
    })?;
    let back = memory.download(&queue)?;
    assert!(back[..512].iter().all(|&v| v == 0.0), "the first view is zeroed");
    assert!(back[512..].iter().all(|&v| v == 7.0), "the second view holds the copy");

    drop((dependency, sevens, memory, queue, context));
    // SAFETY: live handles nothing uses any more.
    unsafe {
        check(api.zeEventDestroy(event), "zeEventDestroy");
        check(api.zeEventPoolDestroy(pool), "zeEventPoolDestroy");
        // Borrowed: usm-core left it alive, so destroying it here succeeds.
        check(api.zeContextDestroy(raw_context), "zeContextDestroy");
    }
    println!("downstream check: typed memory, views, an adopted context and a raw event dependency on the software driver");
    Ok(())
}
