//! Memory IPC handles between processes, through the real loader: the parent test exports
//! and a child process of this binary opens ([`child::run`], [`child::spawn`]), or the
//! other way round. Handles travel as plain bytes (hexadecimal in the child's environment
//! or on its standard output), as an application would send them.
//!
//! Some cases change bytes of a real handle; they rely on the software driver's layout:
//! descriptor number at 0 and 20, pid at 16, allocation id at 24, length at 32, token at
//! 40, memory type at 48 (l0-soft/README.md).

use std::ffi::c_void;
use std::ptr::null_mut;

use usm_test_kit::child;
use usm_test_kit::raw::work::*;

const LEN: usize = 3 * 65536 + 100;

/// Whether the loader the tests run through has the entry points of API `1.minor`; when
/// not (the driver built on newer headers under Debian's loader, API 1.4), reports `test`
/// as skipped, having checked, for a loader before API 1.6, that calling
/// `zeMemPutIpcHandle` is a `MissingFunction` rather than a crash.
#[cfg(ze_api = "1.6")]
fn loader_has(minor: u32, name: &str, test: &str) -> bool {
    let versions = env().l.versions().expect("zelLoaderGetVersions");
    let loader = versions
        .iter()
        .find(|v| v.component == "loader")
        .expect("the loader reports its own version");
    let api = version_parts(loader.spec_version);
    if api >= (1, minor) {
        return true;
    }
    // SAFETY: a null context: a loader that has the function would refuse it; this one
    // has not and answers without calling anything.
    let missing = unsafe { env().l.zeMemPutIpcHandle(null_mut(), Default::default()) };
    assert!(
        missing.is_err(),
        "a loader of API {api:?} lacks zeMemPutIpcHandle"
    );
    usm_test_kit::report_skip(&format!(
        "{test}: the loader (API {}.{}) predates {name} (API 1.{minor})",
        api.0, api.1
    ));
    false
}

fn get_handle(p: *const c_void) -> ze_ipc_mem_handle_t {
    let mut handle = ze_ipc_mem_handle_t::default();
    ok(ze!(zeMemGetIpcHandle(env().ctx, p, &mut handle)));
    handle
}

fn hex(handle: &ze_ipc_mem_handle_t) -> String {
    let bytes: Vec<u8> = handle.data.iter().map(|&c| c as u8).collect();
    child::to_hex(&bytes)
}

fn handle_from_hex(text: &str) -> ze_ipc_mem_handle_t {
    let bytes = child::from_hex(text);
    let mut handle = ze_ipc_mem_handle_t::default();
    for (dst, src) in handle.data.iter_mut().zip(bytes) {
        *dst = src as std::ffi::c_char;
    }
    handle
}

/// The handle the parent put in the child's environment under `var`.
fn handle_in_env(var: &str) -> ze_ipc_mem_handle_t {
    handle_from_hex(&std::env::var(var).expect("the parent sets the handle"))
}

fn open(handle: ze_ipc_mem_handle_t) -> (ze_result_t, *mut c_void) {
    let mut p = null_mut();
    let rc = ze!(zeMemOpenIpcHandle(env().ctx, device(), handle, 0, &mut p));
    (rc, p)
}

fn close(p: *const c_void) -> ze_result_t {
    ze!(zeMemCloseIpcHandle(env().ctx, p))
}

/// A handle with `value` written over its bytes from `at`.
fn with_bytes(handle: ze_ipc_mem_handle_t, at: usize, value: &[u8]) -> ze_ipc_mem_handle_t {
    let mut out = handle;
    for (i, &b) in value.iter().enumerate() {
        out.data[at + i] = b as std::ffi::c_char;
    }
    out
}

/// A handle naming descriptor `fd` of its exporter.
fn with_fd(handle: ze_ipc_mem_handle_t, fd: i32) -> ze_ipc_mem_handle_t {
    with_bytes(
        with_bytes(handle, 0, &fd.to_le_bytes()),
        20,
        &fd.to_le_bytes(),
    )
}

fn properties(p: *const c_void) -> (ze_memory_type_t, ze_device_handle_t) {
    let (kind, _, _, device) = usm_test_kit::raw::probe::alloc_properties(env().ctx, p);
    (kind, device)
}

fn address_range(p: *const c_void) -> (usize, usize) {
    let (mut base, mut size) = (null_mut(), 0);
    ok(ze!(zeMemGetAddressRange(
        env().ctx,
        p,
        &mut base,
        &mut size
    )));
    (base as usize, size)
}

#[test]
fn device_memory_round_trips_to_another_process_and_back() {
    let _serial = serial();
    let p = alloc_device(LEN);
    upload(p, &bytes(LEN, 1));
    let fds = child::open_fds();
    let handle = get_handle(p);
    assert_eq!(
        download(p, LEN),
        bytes(LEN, 1),
        "exporting keeps the contents"
    );
    child::run(
        "importer_reads_writes_and_closes",
        &[("IPC_HANDLE", hex(&handle))],
    );
    let mut expected = bytes(LEN, 2);
    expected[LEN / 2..].copy_from_slice(&bytes(LEN, 1)[LEN / 2..]);
    assert_eq!(
        download(p, LEN),
        expected,
        "the child's writes are seen by the exporter"
    );
    // Written after export, read by a second importer.
    upload(p, &bytes(LEN, 3));
    child::run("importer_sees_pattern_3", &[("IPC_HANDLE", hex(&handle))]);
    free(p);
    assert_eq!(
        child::open_fds(),
        fds,
        "freeing the memory closes its descriptors"
    );
}

#[test]
#[ignore = "child of device_memory_round_trips_to_another_process_and_back"]
fn importer_reads_writes_and_closes() {
    child::expect_child();
    env_with(Config::Inherit(&[]));
    let fds = child::open_fds();
    let (rc, p) = open(handle_in_env("IPC_HANDLE"));
    ok(rc);
    let (kind, dev) = properties(p);
    assert_eq!(kind, ze_memory_type_t::ZE_MEMORY_TYPE_DEVICE);
    assert_eq!(dev, device());
    assert_eq!(
        address_range(p.cast_const()),
        (p as usize, LEN.next_multiple_of(65536))
    );
    assert_eq!(download(p, LEN), bytes(LEN, 1));
    upload(p, &bytes(LEN / 2, 2));
    assert_eq!(child::open_fds(), fds, "an opening holds no descriptor");
    ok(close(p));
    assert_rc(close(p), INVALID_ARGUMENT);
    assert_eq!(child::open_fds(), fds);
}

#[test]
#[ignore = "child of device_memory_round_trips_to_another_process_and_back"]
fn importer_sees_pattern_3() {
    child::expect_child();
    env_with(Config::Inherit(&[]));
    let (rc, p) = open(handle_in_env("IPC_HANDLE"));
    ok(rc);
    assert_eq!(download(p, LEN), bytes(LEN, 3));
    ok(close(p));
}

#[test]
fn host_memory_opens_as_host_memory_in_another_process() {
    let _serial = serial();
    let p = alloc_host(LEN);
    // SAFETY: host USM of LEN bytes.
    unsafe { std::ptr::copy_nonoverlapping(bytes(LEN, 4).as_ptr(), p.cast(), LEN) };
    let handle = get_handle(p);
    child::run("host_importer", &[("IPC_HANDLE", hex(&handle))]);
    // SAFETY: as above; the child is done.
    let seen = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), LEN) }.to_vec();
    assert_eq!(
        seen,
        bytes(LEN, 5),
        "the child wrote through its own mapping"
    );
    free(p);
}

#[test]
#[ignore = "child of host_memory_opens_as_host_memory_in_another_process"]
fn host_importer() {
    child::expect_child();
    env_with(Config::Inherit(&[]));
    let (rc, p) = open(handle_in_env("IPC_HANDLE"));
    ok(rc);
    assert_eq!(properties(p).0, ze_memory_type_t::ZE_MEMORY_TYPE_HOST);
    // SAFETY: opened host memory of at least LEN bytes, host-accessible.
    let data = unsafe { std::slice::from_raw_parts_mut(p.cast::<u8>(), LEN) };
    assert_eq!(data, &bytes(LEN, 4)[..]);
    data.copy_from_slice(&bytes(LEN, 5));
    ok(close(p));
}

#[test]
fn shared_memory_opens_as_device_memory_in_another_process() {
    let _serial = serial();
    let p = alloc_shared(LEN);
    // SAFETY: shared USM of LEN bytes, no command uses it.
    unsafe { std::ptr::copy_nonoverlapping(bytes(LEN, 6).as_ptr(), p.cast(), LEN) };
    let handle = get_handle(p);
    child::run("shared_importer", &[("IPC_HANDLE", hex(&handle))]);
    // SAFETY: as above; the child is done.
    let seen = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), LEN) }.to_vec();
    assert_eq!(seen, bytes(LEN, 7));
    free(p);
}

#[test]
#[ignore = "child of shared_memory_opens_as_device_memory_in_another_process"]
fn shared_importer() {
    child::expect_child();
    env_with(Config::Inherit(&[]));
    let (rc, p) = open(handle_in_env("IPC_HANDLE"));
    ok(rc);
    assert_eq!(properties(p).0, ze_memory_type_t::ZE_MEMORY_TYPE_DEVICE);
    assert_eq!(download(p, LEN), bytes(LEN, 6));
    upload(p, &bytes(LEN, 7));
    ok(close(p));
}

#[test]
fn several_importers_work_at_the_same_time() {
    let _serial = serial();
    let p = alloc_device(4 * 65536);
    upload(p, &[0u8; 4 * 65536]);
    let handle = get_handle(p);
    let mut children: Vec<child::Spawned> = (0..3)
        .map(|i| {
            child::spawn(
                "concurrent_importer",
                &[("IPC_HANDLE", hex(&handle)), ("IPC_INDEX", i.to_string())],
            )
        })
        .collect();
    // All three have it open before any writes.
    for c in &mut children {
        assert_eq!(c.line("OPENED "), "");
    }
    for c in &mut children {
        c.tell("write");
    }
    for c in children {
        c.finish();
    }
    let seen = download(p, 4 * 65536);
    for i in 0..3 {
        let part = &seen[i * 65536..(i + 1) * 65536];
        assert!(
            part.iter().all(|&b| b == i as u8 + 1),
            "importer {i}'s part"
        );
    }
    assert!(seen[3 * 65536..].iter().all(|&b| b == 0));
    free(p);
}

#[test]
#[ignore = "child of several_importers_work_at_the_same_time"]
fn concurrent_importer() {
    child::expect_child();
    env_with(Config::Inherit(&[]));
    let index: usize = std::env::var("IPC_INDEX").unwrap().parse().unwrap();
    let (rc, p) = open(handle_in_env("IPC_HANDLE"));
    ok(rc);
    println!("OPENED ");
    assert_eq!(child::wait_for_parent(), "write");
    // SAFETY: inside the opened 4 × 64 KiB.
    let part = unsafe { p.cast::<u8>().add(index * 65536) };
    upload(part.cast(), &[index as u8 + 1; 65536]);
    ok(close(p));
}

#[test]
fn memory_of_an_exporter_that_exited_stays_readable_until_closed() {
    let _serial = serial();
    let fds = child::open_fds();
    let mut exporter = child::spawn("exiting_exporter", &[] as &[(&str, &str)]);
    let handle = handle_from_hex(&exporter.line("HANDLE "));
    let (rc, p) = open(handle);
    ok(rc);
    exporter.tell("exit");
    exporter.finish();
    assert_eq!(
        download(p, LEN),
        bytes(LEN, 8),
        "the exporter freed and exited"
    );
    upload(p, &bytes(LEN, 9));
    assert_eq!(download(p, LEN), bytes(LEN, 9));
    ok(close(p));
    assert_rc(open(handle).0, INVALID_ARGUMENT);
    assert_eq!(child::open_fds(), fds);
}

#[test]
#[ignore = "child of memory_of_an_exporter_that_exited_stays_readable_until_closed"]
fn exiting_exporter() {
    child::expect_child();
    env_with(Config::Inherit(&[]));
    let p = alloc_device(LEN);
    upload(p, &bytes(LEN, 8));
    println!("HANDLE {}", hex(&get_handle(p)));
    assert_eq!(child::wait_for_parent(), "exit");
    free(p);
}

/// The handles of `forged_handles_open_nothing`, by name.
fn forged_handles() -> Vec<(&'static str, ze_ipc_mem_handle_t)> {
    let p = alloc_device(LEN);
    let real = get_handle(p);
    let freed_p = alloc_device(LEN);
    let freed = get_handle(freed_p);
    free(freed_p);
    let other_fd = std::fs::File::open("/proc/self/status").unwrap();
    use std::os::fd::AsRawFd;
    let fd = other_fd.as_raw_fd();
    std::mem::forget(other_fd);
    let mut random = ze_ipc_mem_handle_t::default();
    for (i, b) in random.data.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(151).wrapping_add(7) as std::ffi::c_char;
    }
    // The allocations stay for the test binary's lifetime (the child opens them).
    let cases = vec![
        ("random bytes", random),
        ("all zeros", ze_ipc_mem_handle_t::default()),
        (
            "wrong pid",
            with_bytes(real, 16, &0x3fff_fff0u32.to_le_bytes()),
        ),
        ("pid 0", with_bytes(real, 16, &0u32.to_le_bytes())),
        ("negative fd", with_fd(real, -1)),
        ("a file that is not the memory", with_fd(real, fd)),
        ("standard input", with_fd(real, 0)),
        (
            "a local descriptor that is not the memory",
            with_bytes(real, 0, &0i32.to_le_bytes()),
        ),
        (
            "a closed local descriptor",
            with_bytes(real, 0, &1000i32.to_le_bytes()),
        ),
        ("bytes 4..8 set", with_bytes(real, 4, &[1])),
        ("wrong token", with_bytes(real, 40, &[0x55; 8])),
        ("wrong id", with_bytes(real, 24, &[0x33; 8])),
        (
            "wrong length",
            with_bytes(real, 32, &(1u64 << 30).to_le_bytes()),
        ),
        ("unknown memory type", with_bytes(real, 48, &[9])),
        ("reserved bytes set", with_bytes(real, 63, &[1])),
        ("freed allocation", freed),
    ];
    #[cfg(ze_api = "1.6")]
    let cases = if !loader_has(6, "zeMemPutIpcHandle", "forged handles: put back") {
        cases
    } else {
        let mut cases = cases;
        let put = get_handle(alloc_device(LEN));
        ok(ze!(zeMemPutIpcHandle(env().ctx, put)));
        cases.push(("put back", put));
        cases
    };
    cases
}

#[test]
fn forged_and_stale_handles_open_nothing_in_another_process() {
    let _serial = serial();
    let cases = forged_handles();
    let env: Vec<(String, String)> = cases
        .iter()
        .enumerate()
        .map(|(i, (_, h))| (format!("IPC_CASE_{i}"), hex(h)))
        .collect();
    let names: Vec<&str> = cases.iter().map(|(n, _)| *n).collect();
    let mut vars: Vec<(&str, String)> = env.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    vars.push(("IPC_CASES", names.join(",")));
    child::run("forged_importer", &vars);
}

#[test]
#[ignore = "child of forged_and_stale_handles_open_nothing_in_another_process"]
fn forged_importer() {
    child::expect_child();
    env_with(Config::Inherit(&[]));
    let fds = child::open_fds();
    let names = std::env::var("IPC_CASES").unwrap();
    for (i, name) in names.split(',').enumerate() {
        let handle = handle_in_env(&format!("IPC_CASE_{i}"));
        let (rc, p) = open(handle);
        assert_eq!(rc, INVALID_ARGUMENT, "{name}");
        assert!(p.is_null(), "{name}: nothing written");
    }
    assert_eq!(child::open_fds(), fds, "no descriptor left behind");
}

#[test]
fn an_opening_fails_by_fault_injection_and_leaves_nothing() {
    let _serial = serial();
    let p = alloc_device(LEN);
    upload(p, &bytes(LEN, 10));
    let handle = get_handle(p);
    child::run(
        "faulty_importer",
        &[
            ("IPC_HANDLE", hex(&handle)),
            ("ZE_SOFT_FAIL_ALLOC", "1".into()),
        ],
    );
    free(p);
}

#[test]
#[ignore = "child of an_opening_fails_by_fault_injection_and_leaves_nothing"]
fn faulty_importer() {
    child::expect_child();
    env_with(Config::Inherit(&[]));
    let fds = child::open_fds();
    let handle = handle_in_env("IPC_HANDLE");
    let (rc, p) = open(handle);
    assert_rc(rc, ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY);
    assert!(p.is_null());
    assert_eq!(child::open_fds(), fds);
    let (rc, p) = open(handle);
    ok(rc);
    assert_eq!(download(p, LEN), bytes(LEN, 10));
    ok(close(p));
    assert_eq!(child::open_fds(), fds);
}

#[test]
fn within_the_exporting_process_a_handle_opens_to_the_allocation_itself() {
    let _serial = serial();
    let p = alloc_device(LEN);
    let handle = get_handle(p);
    let (rc, opened) = open(handle);
    ok(rc);
    assert_eq!(opened, p);
    ok(close(opened));
    assert_rc(close(opened), INVALID_ARGUMENT);
    free(p);
    assert_rc(open(handle).0, INVALID_ARGUMENT);
}

#[test]
fn memory_of_another_context_or_no_allocation_has_no_handle() {
    let _serial = serial();
    let local = 0u64;
    let mut handle = ze_ipc_mem_handle_t::default();
    assert_rc(
        ze!(zeMemGetIpcHandle(
            env().ctx,
            (&local as *const u64).cast(),
            &mut handle
        )),
        INVALID_ARGUMENT,
    );
    let p = alloc_device(64);
    assert_rc(
        ze!(zeMemGetIpcHandle(env().ctx, p, null_mut())),
        NULL_POINTER,
    );
    free(p);
    assert_rc(
        ze!(zeMemGetIpcHandle(env().ctx, p, &mut handle)),
        INVALID_ARGUMENT,
    );
}

#[cfg(ze_api = "1.6")]
#[test]
fn put_closes_the_descriptor_with_the_last_handle() {
    let _serial = serial();
    if !loader_has(
        6,
        "zeMemPutIpcHandle",
        "put_closes_the_descriptor_with_the_last_handle",
    ) {
        return;
    }
    let p = alloc_device(LEN);
    let fds = child::open_fds();
    let first = get_handle(p);
    let second = get_handle(p);
    assert_eq!(
        hex(&first),
        hex(&second),
        "one descriptor while handles are out"
    );
    // The allocation's pages and the handles' descriptor.
    assert_eq!(child::open_fds(), fds + 2);
    ok(ze!(zeMemPutIpcHandle(env().ctx, first)));
    assert_eq!(child::open_fds(), fds + 2, "one handle still out");
    ok(ze!(zeMemPutIpcHandle(env().ctx, second)));
    assert_eq!(
        child::open_fds(),
        fds + 1,
        "the pages stay with the allocation"
    );
    // Intel's driver answers success for handles it does not know.
    ok(ze!(zeMemPutIpcHandle(env().ctx, second)));
    ok(ze!(zeMemPutIpcHandle(
        env().ctx,
        ze_ipc_mem_handle_t::default()
    )));
    let again = get_handle(p);
    child::run("importer_of_a_new_handle", &[("IPC_HANDLE", hex(&again))]);
    free(p);
    assert_eq!(child::open_fds(), fds);
}

#[cfg(ze_api = "1.6")]
#[test]
#[ignore = "child of put_closes_the_descriptor_with_the_last_handle"]
fn importer_of_a_new_handle() {
    child::expect_child();
    env_with(Config::Inherit(&[]));
    let (rc, p) = open(handle_in_env("IPC_HANDLE"));
    ok(rc);
    ok(close(p));
}

#[cfg(ze_api = "1.6")]
#[test]
fn a_handle_converts_to_its_descriptor_and_back_in_the_exporter() {
    let _serial = serial();
    if !loader_has(
        6,
        "zeMemGetFileDescriptorFromIpcHandleExp",
        "a_handle_converts_to_its_descriptor_and_back_in_the_exporter",
    ) {
        return;
    }
    let p = alloc_device(LEN);
    let handle = get_handle(p);
    let mut fd = 0u64;
    ok(ze!(zeMemGetFileDescriptorFromIpcHandleExp(
        env().ctx,
        handle,
        &mut fd
    )));
    assert_eq!(
        fd,
        u64::from(u32::from_le_bytes(
            [0, 1, 2, 3].map(|i| handle.data[i] as u8)
        ))
    );
    let mut back = ze_ipc_mem_handle_t::default();
    ok(ze!(zeMemGetIpcHandleFromFileDescriptorExp(
        env().ctx,
        fd,
        &mut back
    )));
    assert_eq!(hex(&back), hex(&handle));
    assert_rc(
        ze!(zeMemGetIpcHandleFromFileDescriptorExp(
            env().ctx,
            0,
            &mut back
        )),
        INVALID_ARGUMENT,
    );
    assert_rc(
        ze!(zeMemGetFileDescriptorFromIpcHandleExp(
            env().ctx,
            with_bytes(handle, 32, &[1; 8]),
            &mut fd
        )),
        INVALID_ARGUMENT,
    );
    free(p);
    assert_rc(
        ze!(zeMemGetFileDescriptorFromIpcHandleExp(
            env().ctx,
            handle,
            &mut fd
        )),
        INVALID_ARGUMENT,
    );
}

#[test]
fn an_opening_cannot_be_exported_again() {
    let _serial = serial();
    let p = alloc_device(LEN);
    child::run(
        "importer_that_exports_again",
        &[("IPC_HANDLE", hex(&get_handle(p)))],
    );
    free(p);
}

#[test]
#[ignore = "child of an_opening_cannot_be_exported_again"]
fn importer_that_exports_again() {
    child::expect_child();
    env_with(Config::Inherit(&[]));
    let (rc, p) = open(handle_in_env("IPC_HANDLE"));
    ok(rc);
    let mut handle = ze_ipc_mem_handle_t::default();
    assert_rc(
        ze!(zeMemGetIpcHandle(env().ctx, p, &mut handle)),
        ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_FEATURE,
    );
    assert_rc(ze!(zeMemFree(env().ctx, p)), INVALID_ARGUMENT);
    ok(close(p));
}

#[test]
fn a_descriptor_the_application_passed_itself_opens_the_memory() {
    let _serial = serial();
    let p = alloc_device(LEN);
    upload(p, &bytes(LEN, 11));
    child::run(
        "importer_with_its_own_descriptor",
        &[("IPC_HANDLE", hex(&get_handle(p)))],
    );
    free(p);
}

#[test]
#[ignore = "child of a_descriptor_the_application_passed_itself_opens_the_memory"]
fn importer_with_its_own_descriptor() {
    child::expect_child();
    env_with(Config::Inherit(&[]));
    let handle = handle_in_env("IPC_HANDLE");
    let word =
        |at: usize| i32::from_le_bytes([at, at + 1, at + 2, at + 3].map(|i| handle.data[i] as u8));
    // What an application that receives the descriptor over a socket has: a descriptor of
    // its own (taken here with pidfd_getfd), whose number it writes over the first bytes.
    // SAFETY: plain system calls on numbers; the results are checked.
    let own = unsafe {
        let pidfd = libc::syscall(libc::SYS_pidfd_open, word(16), 0) as i32;
        assert!(pidfd >= 0);
        let fd = libc::syscall(libc::SYS_pidfd_getfd, pidfd, word(20), 0) as i32;
        libc::close(pidfd);
        assert!(fd >= 0);
        // A number other than the exporter's, as a receiver's usually is.
        let moved = libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, word(0) + 1);
        libc::close(fd);
        moved
    };
    assert!(own > word(0));
    let fds = child::open_fds();
    let (rc, p) = open(with_bytes(handle, 0, &own.to_le_bytes()));
    ok(rc);
    assert_eq!(download(p, LEN), bytes(LEN, 11));
    ok(close(p));
    assert_eq!(
        child::open_fds(),
        fds,
        "the application's descriptor stays its own"
    );
    // SAFETY: our own descriptor, closed once.
    unsafe { libc::close(own) };
}

#[cfg(ze_api = "1.15")]
#[test]
fn a_handle_with_properties_is_of_the_default_type_only() {
    let _serial = serial();
    if !loader_has(
        15,
        "zeMemGetIpcHandleWithProperties",
        "a_handle_with_properties_is_of_the_default_type_only",
    ) {
        return;
    }
    let p = alloc_device(LEN);
    let mut handle = ze_ipc_mem_handle_t::default();
    let mut with = |stype: ze_structure_type_t, flags: u32| {
        let mut desc = ze_ipc_mem_handle_type_ext_desc_t {
            stype,
            typeFlags: flags,
            ..Default::default()
        };
        let next = (&mut desc as *mut ze_ipc_mem_handle_type_ext_desc_t).cast::<c_void>();
        let rc = ze!(zeMemGetIpcHandleWithProperties(
            env().ctx,
            p,
            next,
            &mut handle
        ));
        (rc, handle)
    };
    let stype = ze_structure_type_t::ZE_STRUCTURE_TYPE_IPC_MEM_HANDLE_TYPE_EXT_DESC;
    let default = ze_ipc_mem_handle_type_flag_t::ZE_IPC_MEM_HANDLE_TYPE_FLAG_DEFAULT.0;
    let fabric = ze_ipc_mem_handle_type_flag_t::ZE_IPC_MEM_HANDLE_TYPE_FLAG_FABRIC_ACCESSIBLE.0;
    let (rc, with_default) = with(stype, default);
    ok(rc);
    assert_eq!(hex(&with_default), hex(&get_handle(p)), "the same handle");
    assert_rc(
        with(stype, fabric).0,
        ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_FEATURE,
    );
    assert_rc(
        with(
            ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC,
            default,
        )
        .0,
        INVALID_ARGUMENT,
    );
    let mut plain = ze_ipc_mem_handle_t::default();
    ok(ze!(zeMemGetIpcHandleWithProperties(
        env().ctx,
        p,
        null_mut(),
        &mut plain
    )));
    assert_eq!(hex(&plain), hex(&with_default));
    free(p);
}
