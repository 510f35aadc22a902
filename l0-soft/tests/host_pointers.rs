//! The application's own host memory (not USM) in copies: memory the driver cannot read
//! or write is an error code, at append time where it can be seen then, else when the
//! command runs, and never a crash of the process.

use std::ffi::c_void;
use std::ptr::null_mut;

use usm_test_kit::raw::work::*;

const OUT_OF_DEVICE_MEMORY: ze_result_t = ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY;

/// A private anonymous mapping of one page with protection `prot`, filled with `fill`
/// first when it is to be readable.
fn page(prot: i32, fill: u8) -> *mut c_void {
    // SAFETY: a fresh private anonymous mapping; it overlaps nothing.
    let p = unsafe {
        libc::mmap(
            null_mut(),
            4096,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(p, libc::MAP_FAILED);
    // SAFETY: the page was just mapped read/write; then its protection changes.
    unsafe {
        std::ptr::write_bytes(p.cast::<u8>(), fill, 4096);
        assert_eq!(libc::mprotect(p, 4096, prot), 0);
    }
    p
}

fn copy_on(list: ze_command_list_handle_t, dst: *mut c_void, src: *const c_void) -> ze_result_t {
    ze!(zeCommandListAppendMemoryCopy(
        list,
        dst,
        src,
        64,
        no_event(),
        0,
        none()
    ))
}

#[test]
fn an_unreadable_source_is_refused_at_append() {
    let none = page(libc::PROT_NONE, 0);
    let device = alloc_device(4096);
    for mode in [SYNC, ASYNC] {
        let list = immediate(MAIN_COPY, mode);
        assert_rc(copy_on(list, device, none), OUT_OF_DEVICE_MEMORY);
        ok(ze!(zeCommandListDestroy(list)));
    }
    let list = regular(MAIN_COPY);
    assert_rc(copy_on(list, device, none), OUT_OF_DEVICE_MEMORY);
    // Unmapped memory (the first pages of the address space never are mapped).
    assert_rc(
        copy_on(list, device, 0x1000 as *const c_void),
        OUT_OF_DEVICE_MEMORY,
    );
    assert_rc(
        copy_on(list, 0x1000 as *mut c_void, device),
        OUT_OF_DEVICE_MEMORY,
    );
    ok(ze!(zeCommandListDestroy(list)));
}

#[test]
fn a_read_only_destination_fails_the_command_without_a_crash() {
    let read_only = page(libc::PROT_READ, 3);
    let source = vec![9u8; 4096];
    // Synchronous: the append runs the copy and answers its failure.
    let list = immediate(MAIN_COPY, SYNC);
    assert_rc(
        copy_on(list, read_only, source.as_ptr().cast()),
        DEVICE_LOST,
    );
    ok(ze!(zeCommandListDestroy(list)));
    // Asynchronous: the copy's event reports it.
    let list = immediate(MAIN_COPY, ASYNC);
    let pool = event_pool(HOST_VISIBLE, 1);
    let done = event(pool, 0);
    ok(ze!(zeCommandListAppendMemoryCopy(
        list,
        read_only,
        source.as_ptr().cast(),
        64,
        done,
        0,
        none()
    )));
    assert_rc(ze!(zeEventHostSynchronize(done, u64::MAX)), DEVICE_LOST);
    // The memory is untouched.
    // SAFETY: the page is readable.
    let kept = unsafe { std::slice::from_raw_parts(read_only.cast::<u8>(), 64) };
    assert!(kept.iter().all(|&b| b == 3));
}

#[test]
fn host_memory_unmapped_after_the_append_fails_the_execution_without_a_crash() {
    let device = alloc_device(4096);
    let list = regular(MAIN_COPY);
    let src = page(libc::PROT_READ | libc::PROT_WRITE, 5);
    let dst = page(libc::PROT_READ | libc::PROT_WRITE, 0);
    ok(copy_on(list, device, src));
    ok(ze!(zeCommandListAppendBarrier(list, no_event(), 0, none())));
    ok(copy_on(list, dst, device));
    ok(ze!(zeCommandListClose(list)));
    // SAFETY: both pages are ours, mapped above; after this, nothing of the test touches
    // them, only the driver does.
    unsafe {
        assert_eq!(libc::munmap(src, 4096), 0);
        assert_eq!(libc::mprotect(dst, 4096, libc::PROT_NONE), 0);
    }
    let q = queue(MAIN_COPY, ASYNC);
    let mut lists = [list];
    ok(ze!(zeCommandQueueExecuteCommandLists(
        q,
        1,
        lists.as_mut_ptr(),
        null_mut()
    )));
    assert_rc(ze!(zeCommandQueueSynchronize(q, u64::MAX)), DEVICE_LOST);
    // Readable and writable host memory still works afterwards.
    let good = bytes(64, 1);
    let mut back = vec![0u8; 64];
    let list = immediate(MAIN_COPY, SYNC);
    ok(copy_on(list, device, good.as_ptr().cast()));
    ok(copy_on(list, back.as_mut_ptr().cast(), device));
    assert_eq!(back, good);
}
