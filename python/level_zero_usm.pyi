"""dpctl.memory's API on Level Zero, over usm-core: USM memory objects and the SYCL USM array
interface, without a SYCL runtime. Queue, Context and Device stand where dpctl has
SyclQueue, SyclContext and SyclDevice."""

from typing import Any, Optional, Union

from typing_extensions import Buffer

__version__: str

class USMAllocationError(Exception):
    """A USM allocation failed (the driver refused it, or the alignment is not a power of two,
    or the size exceeds the address space)."""

    kind: str
    """'device', 'shared' or 'host'."""
    size: int
    """The bytes requested."""
    alignment: int
    """The alignment requested (0: the driver's choice)."""
    code: Optional[int]
    """The driver's ze_result_t, or None when the request was refused before the driver."""
    code_name: Optional[str]
    """The name of `code` (e.g. 'ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY')."""

class LevelZeroError(RuntimeError):
    """A Level Zero call failed, or no driver or device could be used."""

    code: Optional[int]
    code_name: Optional[str]

class Device:
    """A Level Zero device (dpctl's SyclDevice)."""

    def __init__(self, index: int = 0) -> None:
        """Device `index` of the default context; IndexError when there is none."""
    @property
    def name(self) -> str: ...
    @property
    def filter_string(self) -> Optional[str]:
        """'level_zero:gpu:N', the filter string dpctl's SYCL runtime gives the same device."""
    @property
    def handle(self) -> int:
        """The raw ze_device_handle_t."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Context:
    """A Level Zero context (dpctl's SyclContext)."""

    def __init__(self, devices: Optional[list[Device]] = None) -> None:
        """The default context (every device of the first GPU's driver) without `devices`;
        a new context of `devices` otherwise."""
    def get_devices(self) -> list[Device]: ...
    @property
    def handle(self) -> int:
        """The raw ze_context_handle_t."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Queue:
    """A device of a context on which copies and fills run (dpctl's SyclQueue)."""

    def __init__(self, context: Optional[Context] = None, device: Optional[Device] = None) -> None:
        """A new queue: the default context without `context`, its first device without
        `device`. ValueError when the device is not in the context."""
    @property
    def sycl_device(self) -> Device: ...
    @property
    def sycl_context(self) -> Context: ...
    def wait(self) -> None:
        """Waits for the queue's work (the GIL released)."""
    def _get_capsule(self) -> Any:
        """For dpctl: the SyclQueueRef capsule of a dpctl.SyclQueue on the same device."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

def default_queue() -> Queue:
    """The queue memory made without `queue=` uses."""

def get_devices() -> list[Device]:
    """The devices of the default context."""

SyclObject = Union[Queue, Context, Any]

class _Memory:
    """What the three memory classes share."""

    @property
    def nbytes(self) -> int: ...
    @property
    def size(self) -> int: ...
    @property
    def _pointer(self) -> int: ...
    @property
    def _context(self) -> Context: ...
    @property
    def _queue(self) -> Queue: ...
    @property
    def sycl_context(self) -> Context: ...
    @property
    def sycl_device(self) -> Device: ...
    @property
    def sycl_queue(self) -> Queue: ...
    @property
    def reference_obj(self) -> Any:
        """The object owning the memory when this one views another's; else None."""
    @property
    def __sycl_usm_array_interface__(self) -> dict[str, Any]:
        """{'data': (pointer, True), 'shape': (nbytes,), 'strides': None, 'typestr': '|u1',
        'version': 1, 'syclobj': Queue}"""
    def get_usm_type(self, syclobj: Optional[Union[Queue, Context]] = None) -> str:
        """'device', 'shared', 'host' or 'unknown' in the context of `syclobj` (None: the
        memory's). TypeError for another syclobj."""
    def get_usm_type_enum(self, syclobj: Optional[Union[Queue, Context]] = None) -> int:
        """1 device, 2 shared, 3 host, 0 unknown."""
    def copy_to_host(self, obj: Optional[Buffer] = None) -> Any:
        """Copies the memory into `obj` (writable, C-contiguous, at least nbytes) and returns
        it; without `obj`, into a new numpy uint8 array (bytearray without numpy)."""
    def copy_from_host(self, obj: Buffer) -> None:
        """Copies `obj` (C-contiguous, at most nbytes) to the start of the memory."""
    def copy_from_device(self, obj: Any) -> None:
        """Copies the USM memory of `obj` (anything with __sycl_usm_array_interface__) to the
        start of the memory."""
    def memset(self, val: int = 0) -> None:
        """Sets every byte to the low byte of `val` (0..65535)."""
    def tobytes(self) -> bytes: ...
    def __len__(self) -> int: ...
    def __bytes__(self) -> bytes: ...
    def __sizeof__(self) -> int: ...
    def __reduce__(self) -> tuple[Any, ...]:
        """Contents and kind; the queue, context, alignment and address are not kept."""

class MemoryUSMDevice(_Memory):
    """USM device memory; no buffer protocol (BufferError; numpy.asarray raises TypeError)."""

    def __init__(
        self,
        other: Union[int, Any],
        *,
        alignment: int = 0,
        queue: Optional[Queue] = None,
        copy: bool = False,
    ) -> None:
        """`other` bytes (ValueError unless positive; USMAllocationError when refused), or a
        zero-copy view of an object with __sycl_usm_array_interface__ (with copy=True, a copy
        when its kind differs; ValueError otherwise)."""

class MemoryUSMShared(_Memory, Buffer):
    """USM shared memory; the buffer protocol exposes its bytes (numpy.asarray works)."""

    def __init__(
        self,
        other: Union[int, Any],
        *,
        alignment: int = 0,
        queue: Optional[Queue] = None,
        copy: bool = False,
    ) -> None: ...
    def __buffer__(self, flags: int) -> memoryview: ...

class MemoryUSMHost(_Memory, Buffer):
    """USM host memory; the buffer protocol exposes its bytes (numpy.asarray works)."""

    def __init__(
        self,
        other: Union[int, Any],
        *,
        alignment: int = 0,
        queue: Optional[Queue] = None,
        copy: bool = False,
    ) -> None: ...
    def __buffer__(self, flags: int) -> memoryview: ...

class MemoryIPCDevice(MemoryUSMDevice):
    """Device memory of another process, opened with IPCMemoryHandle.open; not constructed
    directly."""

    @property
    def is_closed(self) -> bool:
        """Whether IPCMemoryHandle.close_mapping closed the mapping."""

class IPCMemoryHandle:
    """The handle of a MemoryUSMDevice allocation for another process; keeps the
    allocation alive while it exists."""

    def __init__(self, usm_memory: MemoryUSMDevice) -> None:
        """TypeError for other kinds; ValueError when the object does not own its
        allocation; LevelZeroError when the driver refuses the export."""
    @staticmethod
    def is_available() -> bool: ...
    def to_bytes(self) -> bytes:
        """The handle's bytes (RuntimeError after close())."""
    @staticmethod
    def open(handle_bytes: bytes, device: Device, nbytes: int) -> MemoryIPCDevice:
        """The memory the bytes name, on `device` of the default context. ValueError for
        nbytes <= 0 or a device outside the default context; LevelZeroError (a
        RuntimeError) for bytes the driver refuses."""
    @staticmethod
    def close_mapping(usm_memory: MemoryIPCDevice) -> None:
        """Closes the mapping (RuntimeError for memory that is not an IPC mapping)."""
    def close(self) -> None: ...
    def __repr__(self) -> str: ...

def as_usm_memory(obj: Any) -> Union[MemoryUSMDevice, MemoryUSMShared, MemoryUSMHost]:
    """A view of the memory of `obj` (with __sycl_usm_array_interface__), of the class for
    its kind. ValueError when the interface is missing or malformed."""

def _to_memory(contents: Buffer, usm_kind: str) -> _Memory:
    """The pickle reconstructor."""
