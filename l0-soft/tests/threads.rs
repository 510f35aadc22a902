//! Many threads allocating, inspecting and freeing at once.

use std::collections::HashSet;
use std::ptr::null_mut;

use usm_test_kit::raw::probe::*;

#[test]
fn eight_threads_allocate_and_free_concurrently() {
    let s = setup();
    let ctx = new_context();
    // Shared between threads as a plain value: the handle is thread-safe by the API.
    let ctx_value = ctx as usize;
    let device_value = s.devices[0] as usize;
    let threads: Vec<_> = (0..8)
        .map(|t| {
            std::thread::spawn(move || {
                let ctx = ctx_value as ze_context_handle_t;
                let device = device_value as ze_device_handle_t;
                let mut ids = Vec::new();
                for i in 0..100usize {
                    let size = 1 + (t * 131 + i * 17) % 5000;
                    let (rc, p) = match i % 3 {
                        0 => alloc_device(ctx, size, 0, device),
                        1 => alloc_host(ctx, size, 0),
                        _ => alloc_shared(ctx, size, 0, device),
                    };
                    ok(rc);
                    let (kind, id, _, _) = alloc_properties(ctx, p);
                    let expected = [
                        ze_memory_type_t::ZE_MEMORY_TYPE_DEVICE,
                        ze_memory_type_t::ZE_MEMORY_TYPE_HOST,
                        ze_memory_type_t::ZE_MEMORY_TYPE_SHARED,
                    ][i % 3];
                    assert_eq!(kind, expected);
                    let mut base = null_mut();
                    let mut len = 0;
                    let last = p.cast::<u8>().wrapping_add(size - 1).cast();
                    ok(ze!(zeMemGetAddressRange(ctx, last, &mut base, &mut len)));
                    assert_eq!((base, len), (p, size));
                    ids.push(id);
                    ok(ze!(zeMemFree(ctx, p)));
                }
                ids
            })
        })
        .collect();
    let mut all = HashSet::new();
    for t in threads {
        for id in t.join().expect("thread ran to the end") {
            assert!(all.insert(id), "id {id} handed out twice");
        }
    }
    assert_eq!(all.len(), 800);
    ok(ze!(zeContextDestroy(ctx)));
}
