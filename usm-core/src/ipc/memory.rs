//! Memory IPC: [`IpcHandle`] (the 64 bytes of a `ze_ipc_mem_handle_t`, serde-serialisable)
//! from owned USM memory ([`IpcExport`]), and [`IpcMemory`], what a handle opens in another
//! process: owned, closed on drop, USM memory of the importer's context like any other.

use std::ffi::c_void;
use std::ptr::NonNull;

use level_zero_sys::{ze_ipc_mem_handle_t, ze_result_t};

use crate::context::Context;
use crate::error::{Error, IpcError, Result, IPC_HANDLE_SIZE};
use crate::memory::{
    ElementType, UsmDestination, UsmDevice, UsmHost, UsmMemory, UsmShared, UsmSource, UsmView,
    UsmViewMut, ViewParts,
};
use crate::names::{Device, UsmKind};
use crate::result;

mod sealed {
    pub trait Sealed {}
}

/// Owned USM memory that can be shared with other processes through an [`IpcHandle`]:
/// [`UsmDevice`], [`UsmShared`] and [`UsmHost`] (whole allocations; the driver decides
/// which kinds it exports — Intel's and the software driver export all three).
pub trait IpcExport: UsmMemory + sealed::Sealed {}

impl<T: bytemuck::Pod> sealed::Sealed for UsmDevice<T> {}
impl<T: bytemuck::Pod> IpcExport for UsmDevice<T> {}
impl<T: bytemuck::Pod> sealed::Sealed for UsmShared<T> {}
impl<T: bytemuck::Pod> IpcExport for UsmShared<T> {}
impl<T: bytemuck::Pod> sealed::Sealed for UsmHost<T> {}
impl<T: bytemuck::Pod> IpcExport for UsmHost<T> {}

/// An IPC handle of USM memory: plain bytes that another process opens with
/// [`IpcHandle::open`] (dpctl's `IPCMemoryHandle`). Send them any way bytes travel
/// ([`to_bytes`](Self::to_bytes), or serde).
///
/// A handle names the memory while the exporter keeps it allocated and has not
/// [`put`](Self::put) the handle back; anything else opens nothing
/// ([`IpcError::Refused`]). Memory already opened stays valid after that, until closed.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpcHandle {
    bytes: [u8; IPC_HANDLE_SIZE],
}

impl std::fmt::Debug for IpcHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hex: String = self.bytes.iter().map(|b| format!("{b:02x}")).collect();
        f.debug_tuple("IpcHandle").field(&hex).finish()
    }
}

impl serde::Serialize for IpcHandle {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.bytes)
    }
}

impl<'de> serde::Deserialize<'de> for IpcHandle {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Bytes;
        impl<'de> serde::de::Visitor<'de> for Bytes {
            type Value = IpcHandle;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "the {IPC_HANDLE_SIZE} bytes of an IPC handle")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<IpcHandle, E> {
                IpcHandle::from_bytes(v).map_err(E::custom)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<IpcHandle, A::Error> {
                let mut bytes = Vec::with_capacity(IPC_HANDLE_SIZE);
                while let Some(b) = seq.next_element::<u8>()? {
                    if bytes.len() == IPC_HANDLE_SIZE {
                        return Err(serde::de::Error::invalid_length(IPC_HANDLE_SIZE + 1, &self));
                    }
                    bytes.push(b);
                }
                IpcHandle::from_bytes(&bytes).map_err(serde::de::Error::custom)
            }
        }
        deserializer.deserialize_bytes(Bytes)
    }
}

impl IpcHandle {
    /// An IPC handle of `memory` (its whole allocation) — dpctl's
    /// `IPCMemoryHandle(memory)`.
    ///
    /// # Errors
    ///
    /// [`IpcError::NotExportable`] when the driver does not export memory of this kind
    /// (`ZE_RESULT_ERROR_UNSUPPORTED_FEATURE`); the code of `zeMemGetIpcHandle` otherwise.
    pub fn export<M: IpcExport>(memory: &M) -> Result<IpcHandle> {
        let context = memory.context();
        // SAFETY: the context is alive (the memory holds it); the pointer is the live
        // allocation's, which the call only reads about.
        let raw =
            unsafe { result::ipc::get_mem_handle(context.api(), context.raw(), memory.as_ptr()) };
        let raw = raw.map_err(|e| match e {
            Error::Ze(source)
                if source.code.0 == ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_FEATURE =>
            {
                Error::Ipc(IpcError::NotExportable {
                    kind: memory.kind(),
                    source,
                })
            }
            other => other,
        })?;
        Ok(IpcHandle::from_raw(raw))
    }

    /// The handle of the raw Level Zero value.
    pub fn from_raw(raw: ze_ipc_mem_handle_t) -> IpcHandle {
        let mut bytes = [0u8; IPC_HANDLE_SIZE];
        for (dst, &src) in bytes.iter_mut().zip(raw.data.iter()) {
            *dst = src as u8;
        }
        IpcHandle { bytes }
    }

    /// The raw Level Zero value.
    pub fn to_raw(&self) -> ze_ipc_mem_handle_t {
        let mut raw = ze_ipc_mem_handle_t::default();
        for (dst, &src) in raw.data.iter_mut().zip(self.bytes.iter()) {
            *dst = src as std::ffi::c_char;
        }
        raw
    }

    /// The handle's bytes (dpctl's `to_bytes()`).
    pub fn to_bytes(&self) -> [u8; IPC_HANDLE_SIZE] {
        self.bytes
    }

    /// The handle of bytes [`to_bytes`](Self::to_bytes) gave (in any process). Whether
    /// they name memory is known only when opened.
    ///
    /// # Errors
    ///
    /// [`IpcError::Length`] unless there are exactly [`IPC_HANDLE_SIZE`] bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<IpcHandle> {
        let bytes = bytes
            .try_into()
            .map_err(|_| IpcError::Length { len: bytes.len() })?;
        Ok(IpcHandle { bytes })
    }

    /// Opens the handle in `context` on `device`: `len` bytes of the exporter's memory,
    /// as [`IpcMemory`] of this context (dpctl's `IPCMemoryHandle.open(bytes, device,
    /// nbytes)`). Device and shared memory open as device memory, host memory as host
    /// memory, as Intel's driver does. In the exporting process itself, the driver gives
    /// the allocation's own address.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for 0 bytes; [`Error::DeviceNotInContext`];
    /// [`IpcError::Refused`] for a forged or stale handle; [`IpcError::TooLong`] when the
    /// memory has fewer than `len` bytes (it is closed again); the code of
    /// `zeMemOpenIpcHandle` otherwise (an injected fault is out of memory).
    pub fn open(&self, context: &Context, device: &Device, len: usize) -> Result<IpcMemory> {
        if len == 0 {
            return Err(Error::InvalidArgument {
                name: "len",
                reason: "opened memory has at least one byte".into(),
            });
        }
        if !context.contains_device(device) {
            return Err(Error::DeviceNotInContext {
                device: device.addr(),
                context: context.raw() as usize,
            });
        }
        // SAFETY: live context and device of one driver (checked just above).
        let opened = unsafe {
            result::ipc::open_mem_handle(
                context.api(),
                context.raw(),
                device.raw(),
                self.to_raw(),
                0,
            )
        };
        let ptr = opened.map_err(|e| match e {
            Error::Ze(source) if source.code.0 == ze_result_t::ZE_RESULT_ERROR_INVALID_ARGUMENT => {
                Error::Ipc(IpcError::Refused { source })
            }
            other => other,
        })?;
        let Some(ptr) = NonNull::new(ptr) else {
            return Err(Error::NotUsm { addr: 0 });
        };
        let mut memory = IpcMemory {
            ptr,
            len,
            kind: UsmKind::Device,
            device: None,
            context: context.dependent(),
            closed: false,
        };
        let info = context.classify(ptr.as_ptr())?;
        if info.remaining() < len {
            return Err(Error::Ipc(IpcError::TooLong {
                len,
                size: info.remaining(),
            }));
        }
        memory.kind = info.kind;
        memory.device = info.device;
        Ok(memory)
    }

    /// Puts the handle back in the exporting process (`zeMemPutIpcHandle`): once every
    /// handle of the memory is put back, it opens nothing any more (memory already opened
    /// stays valid). Handles the driver does not know are accepted, as Intel's driver does.
    ///
    /// # Errors
    ///
    /// [`IpcError::PutUnavailable`] when usm-core was built with headers older than API
    /// 1.6; the code of `zeMemPutIpcHandle` ([`Error::MissingFunction`] from a loader
    /// without it).
    pub fn put(self, context: &Context) -> Result<()> {
        #[cfg(ze_api = "1.6")]
        {
            // SAFETY: a live context; the handle is passed by value.
            unsafe { result::ipc::put_mem_handle(context.api(), context.raw(), self.to_raw()) }
        }
        #[cfg(not(ze_api = "1.6"))]
        {
            let _ = context;
            Err(Error::Ipc(IpcError::PutUnavailable))
        }
    }
}

/// Memory of another process opened through an [`IpcHandle`] (dpctl's
/// `MemoryIPCDevice`): USM memory of the importer's context, usable in copies, fills,
/// views, classification and the array interface like any other; closed when dropped or
/// with [`close`](Self::close) (dpctl's `close_mapping()`). Data written by either process
/// is seen by the other once the writer's work is done.
pub struct IpcMemory {
    ptr: NonNull<c_void>,
    len: usize,
    kind: UsmKind,
    device: Option<Device>,
    context: Context,
    closed: bool,
}

// SAFETY: the mapping is plain memory of the unified address space, reachable from any
// host thread; zeMemCloseIpcHandle is free-threaded. Owning it moves nothing thread-bound.
unsafe impl Send for IpcMemory {}
// SAFETY: `&IpcMemory` only reads the fields; the bytes are reached through `&` (reads) or
// `&mut` (writes) borrows, as for owned allocations.
unsafe impl Sync for IpcMemory {}

impl IpcMemory {
    /// Closes the mapping now (dpctl's `close_mapping()`), giving the driver's answer.
    ///
    /// # Errors
    ///
    /// The code of `zeMemCloseIpcHandle`.
    pub fn close(mut self) -> Result<()> {
        self.closed = true;
        // SAFETY: the pointer was opened in this context, which is alive (we hold it); no
        // work uses it (work borrows or owns the memory, and we own it).
        unsafe {
            result::ipc::close_mem_handle(self.context.api(), self.context.raw(), self.ptr.as_ptr())
        }
    }

    /// A shared view of all the bytes.
    pub fn as_view(&self) -> UsmView<'_> {
        UsmView::from_view_parts(ViewParts::of(self))
    }

    /// A mutable view of all the bytes.
    pub fn as_view_mut(&mut self) -> UsmViewMut<'_> {
        UsmViewMut::from_view_parts(ViewParts::of(&*self))
    }

    /// The bytes, for reading on the host: opened host memory only.
    ///
    /// # Errors
    ///
    /// [`Error::NotHostAccessible`] for device memory.
    pub fn as_slice(&self) -> Result<&[u8]> {
        self.host_accessible()?;
        // SAFETY: host memory of `len` mapped bytes, owned by this value; `&self` excludes
        // writers through it.
        Ok(unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().cast::<u8>(), self.len) })
    }

    /// The bytes, for writing on the host: opened host memory only.
    ///
    /// # Errors
    ///
    /// [`Error::NotHostAccessible`] for device memory.
    pub fn as_mut_slice(&mut self) -> Result<&mut [u8]> {
        self.host_accessible()?;
        // SAFETY: as in `as_slice`; `&mut self` makes the access exclusive.
        Ok(unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr().cast::<u8>(), self.len) })
    }

    fn host_accessible(&self) -> Result<()> {
        match self.kind {
            UsmKind::Host | UsmKind::Shared => Ok(()),
            kind => Err(Error::NotHostAccessible { kind }),
        }
    }
}

impl Drop for IpcMemory {
    fn drop(&mut self) {
        if self.closed {
            return;
        }
        // SAFETY: as in `close`.
        let closed = unsafe {
            result::ipc::close_mem_handle(self.context.api(), self.context.raw(), self.ptr.as_ptr())
        };
        if let Err(e) = closed {
            self.context.record_drop_error(e);
        }
    }
}

impl std::fmt::Debug for IpcMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IpcMemory")
            .field("ptr", &self.ptr)
            .field("len", &self.len)
            .field("kind", &self.kind)
            .field("device", &self.device)
            .finish()
    }
}

// SAFETY: the mapping lives as long as the value (closed only on drop or `close`, which
// take it); its pointer, length, kind and device never change; the host reaches its bytes
// only through the value.
unsafe impl UsmMemory for IpcMemory {
    fn as_ptr(&self) -> *mut c_void {
        self.ptr.as_ptr()
    }
    fn len(&self) -> usize {
        self.len
    }
    fn kind(&self) -> UsmKind {
        self.kind
    }
    fn alignment(&self) -> usize {
        crate::memory::address_alignment(self.ptr.as_ptr() as usize)
    }
    fn context(&self) -> &Context {
        &self.context
    }
    fn device(&self) -> Option<&Device> {
        self.device.as_ref()
    }
}

// SAFETY: the mapping stays until the value is dropped, which a borrow prevents; this
// process writes it only through `&mut` borrows (other processes' writes are the
// application's protocol, as for any shared memory).
unsafe impl UsmSource for IpcMemory {}
// SAFETY: `&mut self` is the only way this process reaches the bytes.
unsafe impl UsmDestination for IpcMemory {}

impl ElementType for IpcMemory {
    type Elem = u8;
}
