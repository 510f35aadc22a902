//! The same-run baseline for latency: the same work through raw level-zero-sys calls,
//! with no usm-core layer in between.

use std::ffi::c_void;
use std::ptr;

use level_zero_sys::{
    ze_command_list_handle_t, ze_command_queue_desc_t, ze_command_queue_flag_t,
    ze_command_queue_mode_t, ze_command_queue_priority_t, ze_device_mem_alloc_desc_t,
    ze_host_mem_alloc_desc_t, ze_result_t, ze_structure_type_t, Api,
};
use usm_core::{ChosenEngine, Context, Device, UsmKind};

/// usm-core's check of a raw call's outcome, with the baseline as its parameters.
fn ok(
    call: &'static str,
    outcome: Result<ze_result_t, level_zero_sys::MissingFunction>,
) -> Result<(), usm_core::Error> {
    usm_core::check(call, outcome, || "benchmark baseline".to_string())
}

/// A synchronous immediate command list made with raw calls, destroyed on drop.
pub struct RawList {
    api: &'static Api,
    list: ze_command_list_handle_t,
}

impl RawList {
    /// A synchronous immediate list on the same engine as `engine`.
    pub fn new(
        context: &Context,
        device: &Device,
        engine: ChosenEngine,
    ) -> Result<RawList, usm_core::Error> {
        let api = usm_core::api()?;
        let desc = ze_command_queue_desc_t {
            stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC,
            pNext: ptr::null(),
            ordinal: engine.group.ordinal,
            index: engine.index,
            flags: if engine.index != 0 {
                ze_command_queue_flag_t::ZE_COMMAND_QUEUE_FLAG_EXPLICIT_ONLY.0
            } else {
                0
            },
            mode: ze_command_queue_mode_t::ZE_COMMAND_QUEUE_MODE_SYNCHRONOUS,
            priority: ze_command_queue_priority_t::ZE_COMMAND_QUEUE_PRIORITY_NORMAL,
        };
        let mut list: ze_command_list_handle_t = ptr::null_mut();
        // SAFETY: live context and device handles (the device belongs to the context), a
        // typed descriptor naming a group and index the device reported, a live out-pointer.
        let code = unsafe {
            api.zeCommandListCreateImmediate(context.raw(), device.raw(), &desc, &mut list)
        };
        ok("zeCommandListCreateImmediate", code)?;
        Ok(RawList { api, list })
    }

    /// Copies `len` bytes synchronously.
    ///
    /// # Safety
    ///
    /// `dst` and `src` are valid for `len` bytes in the list's context (USM or host
    /// memory), do not overlap, and nothing else uses them during the call.
    pub unsafe fn copy(
        &self,
        dst: *mut c_void,
        src: *const c_void,
        len: usize,
    ) -> Result<(), usm_core::Error> {
        // SAFETY: the caller vouches for the ranges; a synchronous immediate list finishes
        // the copy before returning, and no events are involved.
        let code = unsafe {
            self.api.zeCommandListAppendMemoryCopy(
                self.list,
                dst,
                src,
                len,
                ptr::null_mut(),
                0,
                ptr::null_mut(),
            )
        };
        ok("zeCommandListAppendMemoryCopy", code)
    }
}

impl Drop for RawList {
    fn drop(&mut self) {
        // SAFETY: the list was created by `new` and is destroyed once; the list is
        // synchronous, so no work is pending. A failure here is not actionable.
        let _ = unsafe { self.api.zeCommandListDestroy(self.list) };
    }
}

/// Allocates `len` bytes of `kind` with raw calls and frees them again.
pub fn alloc_free(
    context: &Context,
    device: &Device,
    kind: UsmKind,
    len: usize,
) -> Result<(), usm_core::Error> {
    let api = usm_core::api()?;
    let device_desc = ze_device_mem_alloc_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC,
        ..Default::default()
    };
    let host_desc = ze_host_mem_alloc_desc_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC,
        ..Default::default()
    };
    let mut p: *mut c_void = ptr::null_mut();
    let (call, code) = match kind {
        UsmKind::Device => (
            "zeMemAllocDevice",
            // SAFETY: live context and device handles, a typed descriptor, a live
            // out-pointer; the default alignment (0).
            unsafe {
                api.zeMemAllocDevice(context.raw(), &device_desc, len, 0, device.raw(), &mut p)
            },
        ),
        UsmKind::Shared => (
            "zeMemAllocShared",
            // SAFETY: live context and device handles, typed descriptors, a live
            // out-pointer; the default alignment (0).
            unsafe {
                api.zeMemAllocShared(
                    context.raw(),
                    &device_desc,
                    &host_desc,
                    len,
                    0,
                    device.raw(),
                    &mut p,
                )
            },
        ),
        UsmKind::Host => (
            "zeMemAllocHost",
            // SAFETY: a live context handle, a typed descriptor, a live out-pointer; the
            // default alignment (0).
            unsafe { api.zeMemAllocHost(context.raw(), &host_desc, len, 0, &mut p) },
        ),
    };
    ok(call, code)?;
    // SAFETY: `p` was just allocated in this context and is freed exactly once.
    let code = unsafe { api.zeMemFree(context.raw(), p) };
    ok("zeMemFree", code)
}
