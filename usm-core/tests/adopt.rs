//! Adopting USM memory allocated elsewhere (raw `zeMemAlloc*` calls standing in for another
//! library): as owned memory released by the caller's function, or as views that are never
//! freed; and every refusal (other kind, other context, out of the allocation, overflow,
//! misaligned, null, plain host memory, zero elements), which leaves the memory the
//! caller's.

use usm_test_kit::usm as kit;

use std::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use usm_core::sys::{ze_device_mem_alloc_desc_t, ze_host_mem_alloc_desc_t, ze_structure_type_t};
use usm_core::{
    api, check, Context, Device, Error, Queue, UsmDevice, UsmHost, UsmKind, UsmMemory, UsmShared,
    UsmView, UsmViewMut,
};

/// `size` bytes of raw device memory, allocated around usm-core.
fn raw_device(context: &Context, device: &Device, size: usize) -> *mut c_void {
    let desc = ze_device_mem_alloc_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC,
        pNext: std::ptr::null(),
        flags: 0,
        ordinal: 0,
    };
    let mut ptr = std::ptr::null_mut();
    // SAFETY: live context and device, typed descriptor, out-parameter.
    let outcome = unsafe {
        api()
            .unwrap()
            .zeMemAllocDevice(context.raw(), &desc, size, 64, device.raw(), &mut ptr)
    };
    check("zeMemAllocDevice", outcome, String::new).unwrap();
    ptr
}

/// `size` bytes of raw host memory, allocated around usm-core.
fn raw_host(context: &Context, size: usize) -> *mut c_void {
    let desc = ze_host_mem_alloc_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC,
        pNext: std::ptr::null(),
        flags: 0,
    };
    let mut ptr = std::ptr::null_mut();
    // SAFETY: live context, typed descriptor, out-parameter.
    let outcome = unsafe {
        api()
            .unwrap()
            .zeMemAllocHost(context.raw(), &desc, size, 64, &mut ptr)
    };
    check("zeMemAllocHost", outcome, String::new).unwrap();
    ptr
}

/// Frees raw memory of `context` (as the other library's release would).
fn raw_free(context: usize, ptr: *mut c_void) {
    // SAFETY: memory allocated by this test in this live context, freed once.
    let outcome = unsafe { api().unwrap().zeMemFree(context as _, ptr) };
    check("zeMemFree", outcome, String::new).unwrap();
}

/// A release that frees through the driver and counts its calls.
fn counting_release(
    context: &Context,
    calls: &Arc<AtomicUsize>,
) -> impl FnOnce(*mut c_void) + Send {
    let (context, calls) = (context.raw() as usize, Arc::clone(calls));
    move |ptr| {
        calls.fetch_add(1, Ordering::SeqCst);
        raw_free(context, ptr);
    }
}

#[test]
fn foreign_device_memory_is_owned_used_and_released_once() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let ptr = raw_device(&context, &device, 64);
    let calls = Arc::new(AtomicUsize::new(0));
    // SAFETY: the memory was just allocated and is used by nothing else; the release
    // frees it once.
    let mut memory = unsafe {
        UsmDevice::<u32>::from_raw_parts(
            &context,
            ptr.cast(),
            16,
            counting_release(&context, &calls),
        )
    }
    .unwrap();
    assert_eq!((memory.len(), memory.kind()), (16, UsmKind::Device));
    assert_eq!(memory.device().map(Device::raw), Some(device.raw()));
    assert_eq!(context.stats().live_count(), 0, "not usm-core's allocation");
    memory
        .upload(&queue, &(0..16).collect::<Vec<u32>>())
        .unwrap();
    let views = memory.split_at(8).unwrap();
    assert_eq!(
        queue.to_vec_of::<u32, _>(&views.1).unwrap(),
        (8..16).collect::<Vec<_>>()
    );
    drop(views);
    drop(memory);
    // Released once (whether the address is free now is not asked: another test may be
    // given it at once).
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn an_interior_pointer_and_host_memory_are_adopted_too() {
    let (context, _device) = kit::context();
    let base = raw_host(&context, 4096);
    let calls = Arc::new(AtomicUsize::new(0));
    let interior = base.cast::<u8>().wrapping_add(1024).cast::<u64>();
    let (ctx, counted, base_addr) = (context.raw() as usize, Arc::clone(&calls), base as usize);
    // SAFETY: as above; the release frees the allocation's base.
    let mut memory = unsafe {
        UsmHost::<u64>::from_raw_parts(&context, interior, 384, move |_| {
            counted.fetch_add(1, Ordering::SeqCst);
            raw_free(ctx, base_addr as *mut c_void);
        })
    }
    .unwrap();
    memory.fill(9);
    assert_eq!(memory.iter().sum::<u64>(), 9 * 384);
    drop(memory);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn refusals_leave_the_memory_to_the_caller() {
    let (context, device) = kit::context();
    let ptr = raw_device(&context, &device, 64);
    let calls = Arc::new(AtomicUsize::new(0));
    let release = || counting_release(&context, &calls);
    let adopt_u32 = |p: *mut c_void, len| {
        // SAFETY: every call here is refused before anything takes the memory.
        unsafe { UsmDevice::<u32>::from_raw_parts(&context, p.cast(), len, release()) }
    };
    // Another kind than the memory's.
    // SAFETY: refused, as above.
    let e =
        unsafe { UsmHost::<u32>::from_raw_parts(&context, ptr.cast(), 4, release()) }.unwrap_err();
    assert!(
        matches!(
            e,
            Error::WrongKind {
                expected: UsmKind::Host,
                actual: UsmKind::Device,
                ..
            }
        ),
        "{e:?}"
    );
    // SAFETY: refused, as above.
    let e = unsafe { UsmShared::<u32>::from_raw_parts(&context, ptr.cast(), 4, release()) }
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::WrongKind {
                expected: UsmKind::Shared,
                ..
            }
        ),
        "{e:?}"
    );
    // Past the end of the allocation, and sizes that overflow.
    let e = adopt_u32(ptr, 17).unwrap_err();
    assert!(
        matches!(
            e,
            Error::OutOfBounds {
                offset: 0,
                len: 68,
                size: 64
            }
        ),
        "{e:?}"
    );
    let e = adopt_u32(ptr.cast::<u8>().wrapping_add(8).cast(), 15).unwrap_err();
    assert!(
        matches!(
            e,
            Error::OutOfBounds {
                offset: 8,
                len: 60,
                size: 64
            }
        ),
        "{e:?}"
    );
    let e = adopt_u32(ptr, usize::MAX / 2).unwrap_err();
    assert!(
        matches!(
            e,
            Error::OutOfBounds {
                len: usize::MAX,
                ..
            }
        ),
        "{e:?}"
    );
    // Misaligned for the type.
    let e = adopt_u32(ptr.cast::<u8>().wrapping_add(2).cast(), 4).unwrap_err();
    assert!(
        matches!(
            e,
            Error::TypedView {
                type_name: "u32",
                ..
            }
        ),
        "{e:?}"
    );
    // Zero elements, null, plain host memory.
    let e = adopt_u32(ptr, 0).unwrap_err();
    assert!(
        matches!(e, Error::InvalidArgument { name: "len", .. }),
        "{e:?}"
    );
    let e = adopt_u32(std::ptr::null_mut(), 4).unwrap_err();
    assert!(matches!(e, Error::NotUsm { addr: 0 }), "{e:?}");
    let mut on_stack = [0u32; 4];
    let e = adopt_u32(on_stack.as_mut_ptr().cast(), 4).unwrap_err();
    assert!(matches!(e, Error::NotUsm { .. }), "{e:?}");
    // A zero-sized element type.
    // SAFETY: refused, as above.
    let e = unsafe { UsmView::<()>::adopt(&context, ptr.cast_const().cast(), 1) }.unwrap_err();
    assert!(matches!(e, Error::TypedView { .. }), "{e:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 0, "a refusal never releases");
    // Still the caller's, alive.
    assert_eq!(context.classify(ptr).unwrap().kind, UsmKind::Device);
    raw_free(context.raw() as usize, ptr);
}

#[test]
fn memory_of_another_usm_core_context_is_refused() {
    let (context, device) = kit::context();
    let (other, other_device) = kit::context();
    let foreign = UsmDevice::<u32>::alloc(&other, &other_device, 4).unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    // SAFETY: refused before anything takes the memory.
    let e = unsafe {
        UsmDevice::<u32>::from_raw_parts(
            &context,
            foreign.as_ptr().cast(),
            4,
            counting_release(&context, &calls),
        )
    }
    .unwrap_err();
    assert!(matches!(e, Error::ForeignContext { .. }), "{e:?}");
    // SAFETY: refused, as above.
    let e = unsafe { UsmView::<u32>::adopt(&context, foreign.as_ptr().cast(), 4) }.unwrap_err();
    assert!(matches!(e, Error::ForeignContext { .. }), "{e:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    let _ = device;
}

#[test]
fn adopted_views_are_used_and_never_freed() {
    let (context, device) = kit::context();
    let queue = Queue::new(&context, &device).unwrap();
    let ptr = raw_device(&context, &device, 256);
    {
        // SAFETY: the memory outlives the view, and nothing else touches it meanwhile.
        let mut view = unsafe { UsmViewMut::<f32>::adopt(&context, ptr.cast(), 64) }.unwrap();
        assert_eq!(
            (view.len(), view.kind(), view.offset()),
            (64, UsmKind::Device, 0)
        );
        queue.write_from_slice_of(&mut view, &[1.5f32; 64]).unwrap();
        let (low, mut high) = view.split_at_mut(32).unwrap();
        queue.fill_with(&mut high, 0, 128, 2.0f32).unwrap();
        assert_eq!(queue.to_vec_of::<f32, _>(&low).unwrap(), [1.5; 32]);
        // Views of zero elements are fine.
        // SAFETY: as above.
        let empty = unsafe { UsmView::<f32>::adopt(&context, ptr.cast(), 0) }.unwrap();
        assert!(empty.is_empty());
        // SAFETY: refused before any use.
        let e = unsafe { UsmView::<f32>::adopt(&context, ptr.cast(), 65) }.unwrap_err();
        assert!(
            matches!(
                e,
                Error::OutOfBounds {
                    len: 260,
                    size: 256,
                    ..
                }
            ),
            "{e:?}"
        );
    }
    // The views are gone; the memory is not.
    assert_eq!(context.classify(ptr).unwrap().size, 256);
    // SAFETY: as above.
    let view = unsafe { UsmView::<f32>::adopt(&context, ptr.cast(), 64) }.unwrap();
    let values = queue.to_vec_of::<f32, _>(&view).unwrap();
    assert_eq!(&values[..32], &[1.5; 32]);
    assert_eq!(&values[32..], &[2.0; 32]);
    drop(view);
    raw_free(context.raw() as usize, ptr);
}
