//! Device memory is not host-accessible: a host access faults, as on a discrete GPU.
//! Each access runs in a forked child that either dies of SIGSEGV or exits normally.

use std::ffi::c_void;

use usm_test_kit::raw::probe::*;

/// What the forked child does with the pointer.
#[derive(Clone, Copy)]
enum Access {
    Read,
    Write,
}

/// Forks; the child touches `ptr` and exits with 0 if the access did not fault. Returns
/// the signal that ended the child, or `None` if it exited normally.
fn touch_in_child(ptr: *mut c_void, access: Access) -> Option<i32> {
    // SAFETY: the child only performs one volatile access and `_exit`, both allowed after
    // `fork` in a multi-threaded process.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        // SAFETY: this is the experiment: the access either succeeds on host memory or
        // faults and kills the child; the parent's memory is not affected.
        unsafe {
            match access {
                Access::Read => {
                    std::ptr::read_volatile(ptr.cast::<u8>());
                }
                Access::Write => std::ptr::write_volatile(ptr.cast::<u8>(), 1),
            }
            libc::_exit(0);
        }
    }
    let mut status = 0;
    // SAFETY: waits for our own child, writing its status into a live local.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid);
    if libc::WIFSIGNALED(status) {
        Some(libc::WTERMSIG(status))
    } else {
        assert_eq!(libc::WEXITSTATUS(status), 0);
        None
    }
}

#[test]
fn device_memory_faults_on_host_write_and_read() {
    let s = setup();
    let ctx = new_context();
    let (rc, p) = alloc_device(ctx, 4096, 0, s.devices[0]);
    ok(rc);
    assert_eq!(touch_in_child(p, Access::Write), Some(libc::SIGSEGV));
    assert_eq!(touch_in_child(p, Access::Read), Some(libc::SIGSEGV));
    let inner = p.cast::<u8>().wrapping_add(4000).cast();
    assert_eq!(touch_in_child(inner, Access::Write), Some(libc::SIGSEGV));
    ok(ze!(zeMemFree(ctx, p)));
    ok(ze!(zeContextDestroy(ctx)));
}

#[test]
fn host_and_shared_memory_do_not_fault() {
    let s = setup();
    let ctx = new_context();
    let (rc, h) = alloc_host(ctx, 64, 0);
    ok(rc);
    let (rc, sh) = alloc_shared(ctx, 64, 0, s.devices[0]);
    ok(rc);
    for p in [h, sh] {
        assert_eq!(touch_in_child(p, Access::Write), None);
        assert_eq!(touch_in_child(p, Access::Read), None);
        ok(ze!(zeMemFree(ctx, p)));
    }
    ok(ze!(zeContextDestroy(ctx)));
}
