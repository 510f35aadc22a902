//! Memory allocated by another library (here a raw `zeMemAllocDevice`) adopted as owned
//! memory with its own release, and as a borrowed view that is never freed.
//!
//! Run with `cargo run -p usm-core --example adopt_foreign`.

#[path = "support/mod.rs"]
mod support;

use std::ffi::c_void;

use usm_core::sys::{ze_device_mem_alloc_desc_t, ze_structure_type_t};
use usm_core::{api, check, Context, Device, UsmDevice, UsmViewMut};

/// What "another library" does: allocate device memory with the raw API.
fn foreign_alloc(context: &Context, device: &Device, size: usize) -> usm_core::Result<*mut c_void> {
    let desc = ze_device_mem_alloc_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC,
        pNext: std::ptr::null(),
        flags: 0,
        ordinal: 0,
    };
    let mut ptr = std::ptr::null_mut();
    // SAFETY: live context and device handles, a typed descriptor, an out-parameter.
    let outcome =
        unsafe { api()?.zeMemAllocDevice(context.raw(), &desc, size, 64, device.raw(), &mut ptr) };
    check("zeMemAllocDevice", outcome, String::new)?;
    Ok(ptr)
}

/// And free it.
fn foreign_free(context: usize, ptr: *mut c_void) {
    // SAFETY: memory of this live context, freed once, when nothing uses it.
    let outcome = unsafe { api().map(|api| api.zeMemFree(context as _, ptr)) };
    if let Ok(outcome) = outcome {
        check("zeMemFree", outcome, String::new).expect("zeMemFree");
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // SAFETY: first thing in `main`: no other thread exists, Level Zero is not open.
    let (context, device, queue) = unsafe { support::setup() }?;

    // Owned: usm-core calls the release when the memory drops.
    let ptr = foreign_alloc(&context, &device, 1024)?;
    let ctx = context.raw() as usize;
    // SAFETY: the memory was just allocated and nothing else uses or frees it; the release
    // frees it once.
    let mut owned = unsafe {
        UsmDevice::<f32>::from_raw_parts(&context, ptr.cast(), 256, move |p| {
            println!("released {p:p}");
            foreign_free(ctx, p);
        })
    }?;
    owned.upload(&queue, &[0.5; 256])?;
    assert_eq!(owned.download(&queue)?, [0.5; 256]);
    drop(owned);

    // Borrowed: a view, never freed by usm-core.
    let ptr = foreign_alloc(&context, &device, 1024)?;
    {
        // SAFETY: the memory outlives the view and nothing else touches it meanwhile.
        let mut view = unsafe { UsmViewMut::<u32>::adopt(&context, ptr.cast(), 256) }?;
        queue.fill_with(&mut view, 0, 1024, 3u32)?;
        let (_, tail) = view.split_at_mut(250)?;
        assert_eq!(queue.to_vec_of::<u32, _>(&tail)?, [3; 6]);
        // Too many elements for the allocation: refused.
        // SAFETY: refused before any use.
        let refused = unsafe { UsmViewMut::<u32>::adopt(&context, ptr.cast(), 257) }.unwrap_err();
        println!("refused: {refused}");
    }
    // The memory is still the other library's to free.
    assert_eq!(context.classify(ptr)?.size, 1024);
    foreign_free(context.raw() as usize, ptr);
    println!("adopt foreign: all checks passed");
    Ok(())
}
