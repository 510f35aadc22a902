"""IPCMemoryHandle and MemoryIPCDevice: device memory shared with another process through
plain bytes, as dpctl's IPC classes do, on the software driver."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import level_zero_usm as usm

CHILD = textwrap.dedent(
    """
    import sys
    import numpy as np
    import level_zero_usm as usm

    handle = bytes.fromhex(sys.argv[1])
    nbytes = int(sys.argv[2])
    mem = usm.IPCMemoryHandle.open(handle, usm.Device(), nbytes)
    assert isinstance(mem, usm.MemoryIPCDevice) and isinstance(mem, usm.MemoryUSMDevice)
    assert mem.nbytes == nbytes and mem.get_usm_type() == "device" and not mem.is_closed
    seen = mem.copy_to_host()
    assert (seen == np.arange(nbytes, dtype=np.uint64).astype(np.uint8)).all(), seen[:8]
    mem.copy_from_host(np.full(nbytes, 0x5A, dtype=np.uint8))
    usm.IPCMemoryHandle.close_mapping(mem)
    assert mem.is_closed
    usm.IPCMemoryHandle.close_mapping(mem)  # a second close does nothing
    try:
        mem.tobytes()
    except ValueError as e:
        assert "closed" in str(e), e
    else:
        raise AssertionError("a closed mapping was read")
    print("child ok")
    """
)


def run_child(handle: bytes, nbytes: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", CHILD, handle.hex(), str(nbytes)],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_child_process_reads_and_writes_exported_device_memory():
    nbytes = 4096
    mem = usm.MemoryUSMDevice(nbytes)
    mem.copy_from_host(np.arange(nbytes, dtype=np.uint64).astype(np.uint8))
    handle = usm.IPCMemoryHandle(mem)
    raw = handle.to_bytes()
    assert isinstance(raw, bytes) and len(raw) == 64
    assert repr(handle) == "IPCMemoryHandle(size=64, closed=False)"
    out = run_child(raw, nbytes)
    assert out.returncode == 0 and "child ok" in out.stdout, out.stdout + out.stderr
    # What the child wrote is seen here.
    assert (mem.copy_to_host() == 0x5A).all()
    handle.close()
    assert repr(handle) == "IPCMemoryHandle(size=64, closed=True)"
    with pytest.raises(RuntimeError, match="closed"):
        handle.to_bytes()


def test_a_handle_keeps_its_allocation_alive():
    mem = usm.MemoryUSMDevice(256)
    mem.memset(7)
    handle = usm.IPCMemoryHandle(mem)
    raw = handle.to_bytes()
    del mem
    # The handle holds the allocation: it still opens (in this process: its own address).
    opened = usm.IPCMemoryHandle.open(raw, usm.Device(), 256)
    assert opened.tobytes() == b"\x07" * 256
    usm.IPCMemoryHandle.close_mapping(opened)


@pytest.mark.parametrize("ctor", [usm.MemoryUSMShared, usm.MemoryUSMHost])
def test_only_device_memory_is_exported(ctor):
    with pytest.raises(TypeError, match="only supported for USM device"):
        usm.IPCMemoryHandle(ctor(64))
    with pytest.raises(TypeError):
        usm.IPCMemoryHandle(b"not memory")


def test_a_view_that_does_not_own_its_memory_is_refused():
    owner = usm.MemoryUSMDevice(64)

    class Holder:
        """Another object exposing the memory's interface dict."""

        def __init__(self, memory):
            self.memory = memory
            self.__sycl_usm_array_interface__ = memory.__sycl_usm_array_interface__

    view = usm.MemoryUSMDevice(Holder(owner))  # a zero-copy view borrowing the memory
    assert view.reference_obj is not None
    with pytest.raises(ValueError, match="does not own"):
        usm.IPCMemoryHandle(view)


def test_bad_handles_and_sizes_are_refused():
    device = usm.Device()
    with pytest.raises(ValueError, match="nbytes"):
        usm.IPCMemoryHandle.open(b"\0" * 64, device, 0)
    with pytest.raises(RuntimeError):
        usm.IPCMemoryHandle.open(b"\0" * 10, device, 64)  # wrong length
    with pytest.raises(RuntimeError):
        usm.IPCMemoryHandle.open(os.urandom(64), device, 64)  # forged
    mem = usm.MemoryUSMDevice(64)
    raw = usm.IPCMemoryHandle(mem).to_bytes()
    with pytest.raises(RuntimeError):
        usm.IPCMemoryHandle.open(raw, device, 1 << 20)  # longer than the memory
    with pytest.raises(RuntimeError, match="non-IPC"):
        usm.IPCMemoryHandle.close_mapping(mem)


def test_is_available():
    assert usm.IPCMemoryHandle.is_available() is True
