//! Two devices (`ZE_SOFT_DEVICES=2`, hence a test binary of its own): copies and fills
//! between the devices' memories, and events ordering work across devices.

use usm_test_kit::raw::work::*;

fn two() -> (ze_device_handle_t, ze_device_handle_t) {
    let e = env_with(Config::Only(&[("ZE_SOFT_DEVICES", "2")]));
    assert_eq!(e.devices.len(), 2);
    (e.devices[0], e.devices[1])
}

#[test]
fn copies_and_fills_reach_the_memory_of_the_peer_device() {
    let (d0, d1) = two();
    let ctx = env().ctx;
    let len = 5000;
    let (a, b) = (alloc_device_on(ctx, d0, len), alloc_device_on(ctx, d1, len));
    let data = bytes(len, 17);
    upload(a, &data);
    // A list of device 0 writes device 1's memory, and back.
    let l0 = immediate_on(d0, COMPUTE, SYNC);
    ok(ze!(zeCommandListAppendMemoryCopy(
        l0,
        b,
        a,
        len,
        no_event(),
        0,
        none()
    )));
    assert_eq!(download(b, len), data);
    let l1 = immediate_on(d1, MAIN_COPY, SYNC);
    let pattern = [1u8, 2, 3, 4];
    ok(ze!(zeCommandListAppendMemoryFill(
        l1,
        a,
        pattern.as_ptr().cast(),
        4,
        len,
        no_event(),
        0,
        none()
    )));
    let want: Vec<u8> = (0..len).map(|i| pattern[i % 4]).collect();
    assert_eq!(download(a, len), want);
    ok(ze!(zeCommandListDestroy(l0)));
    ok(ze!(zeCommandListDestroy(l1)));
    free(a);
    free(b);
}

#[test]
fn an_event_orders_work_across_devices() {
    let (d0, d1) = two();
    let ctx = env().ctx;
    let len = 3000;
    let (a, b, c) = (
        alloc_device_on(ctx, d0, len),
        alloc_device_on(ctx, d1, len),
        alloc_device_on(ctx, d0, len),
    );
    upload(c, &vec![0u8; len]);
    let data = bytes(len, 23);
    let pool = event_pool(HOST_VISIBLE, 3);
    let (gate, moved, done) = (event(pool, 0), event(pool, 1), event(pool, 2));
    let on1 = immediate_on(d1, COMPUTE, ASYNC);
    let mut w = [moved];
    ok(ze!(zeCommandListAppendMemoryCopy(
        on1,
        c,
        b,
        len,
        done,
        1,
        w.as_mut_ptr()
    )));
    let on0 = immediate_on(d0, COMPUTE, ASYNC);
    let mut w = [gate];
    ok(ze!(zeCommandListAppendMemoryCopy(
        on0,
        a,
        data.as_ptr().cast(),
        len,
        no_event(),
        1,
        w.as_mut_ptr()
    )));
    ok(ze!(zeCommandListAppendMemoryCopy(
        on0,
        b,
        a,
        len,
        moved,
        0,
        none()
    )));
    assert_rc(ze!(zeEventQueryStatus(done)), NOT_READY);
    ok(ze!(zeEventHostSignal(gate)));
    ok(ze!(zeEventHostSynchronize(done, u64::MAX)));
    assert_eq!(download(c, len), data);
    ok(ze!(zeCommandListDestroy(on0)));
    ok(ze!(zeCommandListDestroy(on1)));
    for e in [gate, moved, done] {
        ok(ze!(zeEventDestroy(e)));
    }
    ok(ze!(zeEventPoolDestroy(pool)));
    for p in [a, b, c] {
        free(p);
    }
}

#[test]
fn devices_outside_a_context_are_refused_for_its_queues_lists_and_pools() {
    let (d0, d1) = two();
    let desc = ze_context_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_CONTEXT_DESC,
        ..Default::default()
    };
    let mut only_d1 = [d1];
    let mut ctx = std::ptr::null_mut();
    ok(ze!(zeContextCreateEx(
        env().driver,
        &desc,
        1,
        only_d1.as_mut_ptr(),
        &mut ctx
    )));
    let qd = queue_desc(COMPUTE, ASYNC);
    let mut q = std::ptr::null_mut();
    assert_rc(
        ze!(zeCommandQueueCreate(ctx, d0, &qd, &mut q)),
        INVALID_ARGUMENT,
    );
    let mut l = std::ptr::null_mut();
    assert_rc(
        ze!(zeCommandListCreateImmediate(ctx, d0, &qd, &mut l)),
        INVALID_ARGUMENT,
    );
    let ld = ze_command_list_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_COMMAND_LIST_DESC,
        ..Default::default()
    };
    assert_rc(
        ze!(zeCommandListCreate(ctx, d0, &ld, &mut l)),
        INVALID_ARGUMENT,
    );
    let pd = ze_event_pool_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_EVENT_POOL_DESC,
        count: 1,
        ..Default::default()
    };
    let mut pool = std::ptr::null_mut();
    let mut devices = [d0];
    assert_rc(
        ze!(zeEventPoolCreate(
            ctx,
            &pd,
            1,
            devices.as_mut_ptr(),
            &mut pool
        )),
        INVALID_ARGUMENT,
    );
    // The context's own device works.
    ok(ze!(zeCommandQueueCreate(ctx, d1, &qd, &mut q)));
    ok(ze!(zeCommandQueueDestroy(q)));
    ok(ze!(zeEventPoolCreate(
        ctx,
        &pd,
        1,
        only_d1.as_mut_ptr(),
        &mut pool
    )));
    ok(ze!(zeEventPoolDestroy(pool)));
    ok(ze!(zeContextDestroy(ctx)));
}
