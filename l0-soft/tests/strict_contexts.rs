//! `ZE_SOFT_STRICT_CONTEXTS=1`: commands refuse USM of another context (the default, like
//! Intel's driver, accepts it). In a test binary of its own: the configuration is read once
//! per process.

use std::ffi::c_void;

use usm_test_kit::raw::work::*;

fn strict() -> &'static Env {
    env_with(Config::Only(&[("ZE_SOFT_STRICT_CONTEXTS", "1")]))
}

#[test]
fn strict_contexts_refuse_memory_of_another_context_and_keep_their_own() {
    strict();
    let other = new_context();
    let foreign = alloc_device_in(other, 256);
    let own = alloc_device(256);
    let data = bytes(256, 9);
    let list = immediate(COMPUTE, SYNC);
    // The list's own context: accepted.
    ok(ze!(zeCommandListAppendMemoryCopy(
        list,
        own,
        data.as_ptr().cast(),
        256,
        no_event(),
        0,
        none()
    )));
    // Another context's memory as destination, source or fill target: refused.
    assert_rc(
        ze!(zeCommandListAppendMemoryCopy(
            list,
            foreign,
            data.as_ptr().cast(),
            256,
            no_event(),
            0,
            none()
        )),
        INVALID_ARGUMENT,
    );
    assert_rc(
        ze!(zeCommandListAppendMemoryCopy(
            list,
            own,
            foreign.cast_const(),
            256,
            no_event(),
            0,
            none()
        )),
        INVALID_ARGUMENT,
    );
    let pattern = 1u8;
    assert_rc(
        ze!(zeCommandListAppendMemoryFill(
            list,
            foreign,
            (&pattern as *const u8).cast::<c_void>(),
            1,
            16,
            no_event(),
            0,
            none()
        )),
        INVALID_ARGUMENT,
    );
    // Copying from another context is what zeCommandListAppendMemoryCopyFromContext is for,
    // naming that context: accepted.
    ok(ze!(zeCommandListAppendMemoryCopyFromContext(
        list,
        own,
        other,
        foreign.cast_const(),
        256,
        no_event(),
        0,
        none()
    )));
    // Naming the wrong source context is refused.
    assert_rc(
        ze!(zeCommandListAppendMemoryCopyFromContext(
            list,
            own,
            env().ctx,
            foreign.cast_const(),
            256,
            no_event(),
            0,
            none()
        )),
        INVALID_ARGUMENT,
    );
    ok(ze!(zeCommandListDestroy(list)));
    free(own);
    ok(ze!(zeMemFree(other, foreign)));
    ok(ze!(zeContextDestroy(other)));
}

#[test]
fn strict_contexts_refuse_to_execute_a_list_of_another_context() {
    strict();
    let other = new_context();
    let desc = ze_command_list_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_COMMAND_LIST_DESC,
        commandQueueGroupOrdinal: COMPUTE,
        ..Default::default()
    };
    let mut foreign_list = std::ptr::null_mut();
    ok(ze!(zeCommandListCreate(
        other,
        device(),
        &desc,
        &mut foreign_list
    )));
    ok(ze!(zeCommandListClose(foreign_list)));
    let own_list = regular(COMPUTE);
    ok(ze!(zeCommandListClose(own_list)));
    let q = queue(COMPUTE, SYNC);
    let mut lists = [foreign_list];
    assert_rc(
        ze!(zeCommandQueueExecuteCommandLists(
            q,
            1,
            lists.as_mut_ptr(),
            std::ptr::null_mut()
        )),
        INVALID_ARGUMENT,
    );
    let mut lists = [own_list];
    ok(ze!(zeCommandQueueExecuteCommandLists(
        q,
        1,
        lists.as_mut_ptr(),
        std::ptr::null_mut()
    )));
    ok(ze!(zeCommandQueueSynchronize(q, u64::MAX)));
    ok(ze!(zeCommandQueueDestroy(q)));
    ok(ze!(zeCommandListDestroy(own_list)));
    ok(ze!(zeCommandListDestroy(foreign_list)));
    ok(ze!(zeContextDestroy(other)));
}
