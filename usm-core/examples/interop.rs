//! Interop both ways: a context, an immediate list and an event made by raw Level Zero
//! calls (as a SYCL runtime or another library would), adopted and used by usm-core; and
//! usm-core's own handles given to raw calls.
//!
//! Run: `cargo run -p usm-core --example interop`.

use std::ptr::null_mut;

use usm_core::sys::{
    ze_command_queue_desc_t, ze_command_queue_mode_t, ze_context_desc_t, ze_event_desc_t,
    ze_event_pool_desc_t, ze_event_pool_flag_t, ze_event_scope_flag_t, ze_structure_type_t,
};
use usm_core::{api, check, Context, Device, Engine, EventRef, Queue, QueueOptions, UsmHost};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // SAFETY: first thing in `main`: no other thread exists, the loader is not open.
    unsafe { ze_soft::enable_for_process() }?;
    let api = api()?;
    let device = Device::first_gpu()?;
    let driver = *device.driver();

    // "Elsewhere": a context, an immediate list on the compute engine, an event.
    let mut raw_context = null_mut();
    let desc = ze_context_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_CONTEXT_DESC,
        ..Default::default()
    };
    // SAFETY: a driver of the loader, typed descriptor, out-parameter.
    let outcome = unsafe { api.zeContextCreate(driver.raw(), &desc, &mut raw_context) };
    check("zeContextCreate", outcome, String::new)?;
    let compute = device
        .queue_groups()?
        .into_iter()
        .find(|g| g.is_compute())
        .ok_or("no compute engine")?;
    let desc = ze_command_queue_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC,
        ordinal: compute.ordinal,
        mode: ze_command_queue_mode_t::ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS,
        ..Default::default()
    };
    let mut raw_list = null_mut();
    // SAFETY: the live context and one of its devices, typed descriptor, out-parameter.
    let outcome = unsafe {
        api.zeCommandListCreateImmediate(raw_context, device.raw(), &desc, &mut raw_list)
    };
    check("zeCommandListCreateImmediate", outcome, String::new)?;
    let pool_desc = ze_event_pool_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_EVENT_POOL_DESC,
        flags: ze_event_pool_flag_t::ZE_EVENT_POOL_FLAG_HOST_VISIBLE.0,
        count: 1,
        ..Default::default()
    };
    let mut pool = null_mut();
    // SAFETY: the live context, typed descriptor, out-parameter.
    let outcome =
        unsafe { api.zeEventPoolCreate(raw_context, &pool_desc, 0, null_mut(), &mut pool) };
    check("zeEventPoolCreate", outcome, String::new)?;
    let event_desc = ze_event_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_EVENT_DESC,
        signal: ze_event_scope_flag_t::ZE_EVENT_SCOPE_FLAG_HOST.0,
        wait: ze_event_scope_flag_t::ZE_EVENT_SCOPE_FLAG_HOST.0,
        ..Default::default()
    };
    let mut raw_event = null_mut();
    // SAFETY: the live pool, index 0 of 1, out-parameter.
    let outcome = unsafe { api.zeEventCreate(pool, &event_desc, &mut raw_event) };
    check("zeEventCreate", outcome, String::new)?;

    {
        // SAFETY: a live context of `driver` over all its devices, destroyed below after
        // everything made from it is gone.
        let context = unsafe { Context::from_raw_borrowed(&driver, &[], raw_context) }?;
        // SAFETY: a live asynchronous immediate list of that context on the compute
        // engine, used by nothing else while the queue lives, destroyed below.
        let queue = unsafe {
            Queue::from_raw_borrowed(
                &context,
                &device,
                raw_list,
                QueueOptions::new().engine(Engine::Compute),
            )
        }?;
        // SAFETY: an event of the context, alive until after the fill that waits for it.
        let ready = unsafe { EventRef::from_raw(&context, raw_event) }?;
        let pending = queue.fill_async(UsmHost::new(&context, 4096)?, &[9], &[&ready])?;
        assert!(!pending.is_complete()?, "waits for the raw event");
        // The other side signals its event (here, from the host).
        // SAFETY: the live event.
        let outcome = unsafe { api.zeEventHostSignal(raw_event) };
        check("zeEventHostSignal", outcome, String::new)?;
        let (memory, _) = pending.wait()?;
        assert!(memory.as_slice().iter().all(|&b| b == 9));
        // The other way: usm-core's handles in raw calls.
        // SAFETY: the queue's context handle, live.
        let outcome = unsafe { api.zeContextGetStatus(context.raw()) };
        check("zeContextGetStatus", outcome, String::new)?;
        println!("adopted context, list and event: the fill waited for the raw event");
    }

    // Borrowed: still the creator's to use and destroy.
    // SAFETY: nothing of usm-core refers to them any more.
    unsafe {
        check("zeEventDestroy", api.zeEventDestroy(raw_event), String::new)?;
        check(
            "zeEventPoolDestroy",
            api.zeEventPoolDestroy(pool),
            String::new,
        )?;
        check(
            "zeCommandListDestroy",
            api.zeCommandListDestroy(raw_list),
            String::new,
        )?;
        check(
            "zeContextDestroy",
            api.zeContextDestroy(raw_context),
            String::new,
        )?;
    }
    println!("the borrowed objects were destroyed by their creator");
    Ok(())
}
