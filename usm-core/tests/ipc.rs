//! Sharing memory between processes through usm-core's safe API: a parent test exports,
//! a child process of this binary opens the handle it got as JSON ([`child::run`]), and
//! both check what the other wrote. Every bad handle is a typed error.

use usm_core::{
    Context, Error, IpcError, IpcHandle, IpcMemory, Queue, SuaiDict, UsmDevice, UsmHost, UsmKind,
    UsmMemory, IPC_HANDLE_SIZE,
};
use usm_test_kit::child;
use usm_test_kit::driver::Config;
use usm_test_kit::usm as kit;

const LEN: usize = 3 * 65536 + 100;

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// The context, device and queue of a child (its configuration is its parent's).
fn child_setup() -> (Context, usm_core::Device, Queue) {
    child::expect_child();
    kit::init_config(Config::Inherit(&[]));
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    (context, device, queue)
}

fn handle_from_env() -> IpcHandle {
    serde_json::from_str(&std::env::var("IPC_HANDLE").expect("set by the parent")).unwrap()
}

#[test]
fn device_memory_is_shared_with_a_child_process_both_ways() {
    if !kit::soft_driver_or_skip(
        "device_memory_is_shared_with_a_child_process_both_ways",
        "the child half runs on the software driver",
    ) {
        return;
    }
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let memory = UsmDevice::from_slice(&queue, &pattern(LEN, 1)).unwrap();
    let handle = IpcHandle::export(&memory).unwrap();
    let json = serde_json::to_string(&handle).unwrap();
    child::run("ipc_child_reads_and_writes", &[("IPC_HANDLE", json)]);
    let mut expected = pattern(LEN, 2);
    expected[LEN / 2..].copy_from_slice(&pattern(LEN, 1)[LEN / 2..]);
    assert_eq!(memory.download(&queue).unwrap(), expected);
}

#[test]
#[ignore = "child of device_memory_is_shared_with_a_child_process_both_ways"]
fn ipc_child_reads_and_writes() {
    let (context, device, queue) = child_setup();
    let mut opened = handle_from_env().open(&context, &device, LEN).unwrap();
    assert_eq!(opened.kind(), UsmKind::Device);
    assert_eq!(opened.device(), Some(&device));
    assert_eq!(opened.context().raw(), context.raw());
    // Classification sees USM memory of this context.
    let info = context.classify(opened.as_ptr()).unwrap();
    assert_eq!(
        (info.kind, info.base),
        (UsmKind::Device, opened.as_ptr() as usize)
    );
    let dict = SuaiDict::of_memory(&opened).unwrap();
    assert_eq!(dict.pointer(), opened.as_ptr() as usize);
    assert!(matches!(
        opened.as_slice(),
        Err(Error::NotHostAccessible {
            kind: UsmKind::Device
        })
    ));
    let mut seen = vec![0u8; LEN];
    queue.copy_to_host(&mut seen, &opened, 0).unwrap();
    assert_eq!(seen, pattern(LEN, 1));
    // Through a view, into a copy of our own memory and back.
    let mut own = UsmDevice::new(&context, &device, LEN / 2).unwrap();
    queue
        .copy(
            &mut own,
            0,
            &opened.as_view().view(0, LEN / 2).unwrap(),
            0,
            LEN / 2,
        )
        .unwrap();
    assert_eq!(own.download(&queue).unwrap(), pattern(LEN, 1)[..LEN / 2]);
    queue
        .copy_from_host(&mut opened.as_view_mut(), 0, &pattern(LEN, 2)[..LEN / 2])
        .unwrap();
    opened.close().unwrap();
}

#[test]
fn host_memory_opens_as_host_memory_with_host_access() {
    if !kit::soft_driver_or_skip(
        "host_memory_opens_as_host_memory_with_host_access",
        "the child half runs on the software driver",
    ) {
        return;
    }
    let (context, _device) = kit::context();
    let mut memory = UsmHost::<u8>::new(&context, LEN).unwrap();
    memory.as_mut_slice().copy_from_slice(&pattern(LEN, 3));
    let handle = IpcHandle::export(&memory).unwrap();
    let json = serde_json::to_string(&handle).unwrap();
    child::run("ipc_child_of_host_memory", &[("IPC_HANDLE", json)]);
    assert_eq!(memory.as_slice(), &pattern(LEN, 4)[..]);
}

#[test]
#[ignore = "child of host_memory_opens_as_host_memory_with_host_access"]
fn ipc_child_of_host_memory() {
    let (context, device, _queue) = child_setup();
    let mut opened = handle_from_env().open(&context, &device, LEN).unwrap();
    assert_eq!(opened.kind(), UsmKind::Host);
    assert_eq!(opened.as_slice().unwrap(), &pattern(LEN, 3)[..]);
    opened
        .as_mut_slice()
        .unwrap()
        .copy_from_slice(&pattern(LEN, 4));
    drop(opened);
    assert!(context.take_drop_errors().is_empty());
}

#[test]
fn handles_travel_as_bytes_and_through_serde() {
    kit::init();
    let (context, device) = kit::context();
    let memory = UsmDevice::new(&context, &device, 4096).unwrap();
    let handle = IpcHandle::export(&memory).unwrap();
    let bytes = handle.to_bytes();
    assert_eq!(IpcHandle::from_bytes(&bytes).unwrap(), handle);
    let json = serde_json::to_string(&handle).unwrap();
    assert_eq!(serde_json::from_str::<IpcHandle>(&json).unwrap(), handle);
    assert!(matches!(
        IpcHandle::from_bytes(&bytes[..IPC_HANDLE_SIZE - 1]),
        Err(Error::Ipc(IpcError::Length { len: 63 }))
    ));
    assert!(serde_json::from_str::<IpcHandle>("[1,2,3]").is_err());
    let long = serde_json::to_string(&vec![0u8; IPC_HANDLE_SIZE + 1]).unwrap();
    assert!(serde_json::from_str::<IpcHandle>(&long).is_err());
}

#[test]
fn bad_handles_and_requests_are_typed_errors() {
    if !kit::soft_driver_or_skip(
        "bad_handles_and_requests_are_typed_errors",
        "the codes asserted are the software driver's",
    ) {
        return;
    }
    let (context, device) = kit::context();
    let forged = IpcHandle::from_bytes(&[0x5a; IPC_HANDLE_SIZE]).unwrap();
    let refused = |r: usm_core::Result<IpcMemory>| match r {
        Err(Error::Ipc(IpcError::Refused { source })) => {
            assert_eq!(source.call, "zeMemOpenIpcHandle");
        }
        other => panic!("expected a refusal, got {other:?}"),
    };
    refused(forged.open(&context, &device, 64));
    let memory = UsmDevice::new(&context, &device, 4096).unwrap();
    let handle = IpcHandle::export(&memory).unwrap();
    assert!(matches!(
        handle.open(&context, &device, 0),
        Err(Error::InvalidArgument { name: "len", .. })
    ));
    // The allocation is 4096 bytes (in its exporting process, the handle opens to it).
    assert!(matches!(
        handle.open(&context, &device, 8192),
        Err(Error::Ipc(IpcError::TooLong {
            len: 8192,
            size: 4096
        }))
    ));
    let other = kit::driver().devices().unwrap()[1].clone();
    assert!(matches!(
        handle.open(&context, &other, 64),
        Err(Error::DeviceNotInContext { .. })
    ));
    let opened = handle.open(&context, &device, 4096).unwrap();
    assert_eq!(opened.as_ptr(), memory.as_ptr());
    drop(opened);
    drop(memory);
    refused(handle.open(&context, &device, 64));
    assert!(context.take_drop_errors().is_empty());
}

#[test]
fn put_retires_the_handle_for_other_processes() {
    if !kit::soft_driver_or_skip(
        "put_retires_the_handle_for_other_processes",
        "the child half runs on the software driver",
    ) {
        return;
    }
    let (context, device) = kit::context();
    let memory = UsmDevice::new(&context, &device, 4096).unwrap();
    let handle = IpcHandle::export(&memory).unwrap();
    let json = serde_json::to_string(&handle).unwrap();
    #[cfg(ze_api = "1.6")]
    {
        handle.put(&context).unwrap();
        child::run("ipc_child_of_a_put_handle", &[("IPC_HANDLE", json)]);
    }
    #[cfg(not(ze_api = "1.6"))]
    {
        let _ = json;
        assert!(matches!(
            handle.put(&context),
            Err(Error::Ipc(IpcError::PutUnavailable))
        ));
    }
}

#[test]
#[ignore = "child of put_retires_the_handle_for_other_processes"]
fn ipc_child_of_a_put_handle() {
    let (context, device, _queue) = child_setup();
    let refused = handle_from_env().open(&context, &device, 64);
    assert!(
        matches!(refused, Err(Error::Ipc(IpcError::Refused { .. }))),
        "{refused:?}"
    );
}

#[test]
fn an_injected_fault_during_open_is_the_drivers_code_and_maps_nothing() {
    if !kit::soft_driver_or_skip(
        "an_injected_fault_during_open_is_the_drivers_code_and_maps_nothing",
        "only the software driver can be told to fail on purpose",
    ) {
        return;
    }
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let memory = UsmDevice::from_slice(&queue, &pattern(4096, 5)).unwrap();
    let json = serde_json::to_string(&IpcHandle::export(&memory).unwrap()).unwrap();
    child::run(
        "ipc_child_with_a_fault",
        &[("IPC_HANDLE", json.as_str()), ("ZE_SOFT_FAIL_ALLOC", "1")],
    );
}

#[test]
#[ignore = "child of an_injected_fault_during_open_is_the_drivers_code_and_maps_nothing"]
fn ipc_child_with_a_fault() {
    let (context, device, queue) = child_setup();
    let handle = handle_from_env();
    let failed = handle.open(&context, &device, 4096).unwrap_err();
    assert_eq!(
        failed.code(),
        Some(usm_core::ResultCode(
            level_zero_sys::ze_result_t::ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY
        ))
    );
    let opened = handle.open(&context, &device, 4096).unwrap();
    let mut seen = vec![0u8; 4096];
    queue.copy_to_host(&mut seen, &opened, 0).unwrap();
    assert_eq!(seen, pattern(4096, 5));
}
