"""The memory classes: construction, attributes, copies, fills, buffers, pickling.

Each case dpctl's own tests (dpctl/tests/test_sycl_usm.py) make of dpctl.memory is made
here of level_zero_usm, with this package's Queue/Context standing for SyclQueue and
SyclContext; more cases follow the bad inputs an adversary would try.
"""

import pickle
import sys
import threading
import time

import numpy as np
import pytest

import level_zero_usm as usm
from conftest import ENUMS, KINDS


def pattern(n, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=n, dtype=np.uint8)


# --- construction ---------------------------------------------------------------------


def test_memory_create(memory_ctor):
    queue = usm.Queue()
    m = memory_ctor(1024, alignment=64, queue=queue)
    assert m.nbytes == 1024
    assert len(m) == 1024
    assert m.size == 1024
    assert hasattr(m, "__sycl_usm_array_interface__")
    assert m._context == queue.sycl_context
    assert m._queue == queue
    assert m.sycl_queue == queue
    assert m.sycl_context == queue.sycl_context
    assert m.sycl_device == queue.sycl_device
    assert m._pointer % 64 == 0
    assert type(repr(m)) is str
    assert repr(m) == (
        f"<Level Zero USM-{KINDS[memory_ctor]} allocation of 1024 bytes at {hex(m._pointer)}>"
    )
    assert type(bytes(m)) is bytes and len(bytes(m)) == 1024
    assert sys.getsizeof(m) > 1024
    assert m.reference_obj is None
    assert m.get_usm_type() == KINDS[memory_ctor]
    assert m.get_usm_type_enum() == ENUMS[memory_ctor]


def test_memory_create_with_numpy_integer(memory_ctor):
    m = memory_ctor(np.int64(16384))
    assert m.nbytes == 16384


def test_default_queue_is_shared_and_on_the_first_device(memory_ctor):
    m = memory_ctor(64)
    assert m.sycl_queue == usm.default_queue()
    assert m.sycl_device == usm.Device(0) == usm.get_devices()[0]


@pytest.mark.parametrize("nbytes", [0, -1, -(2**40)])
def test_sizes_of_zero_and_below_are_value_errors(memory_ctor, nbytes):
    with pytest.raises(ValueError, match="must be positive"):
        memory_ctor(nbytes)


def test_size_beyond_a_signed_64_bit_int_is_an_overflow_error(memory_ctor):
    with pytest.raises(OverflowError):
        memory_ctor(2**64)


def test_driver_refusal_is_a_usm_allocation_error_with_its_code(memory_ctor):
    with pytest.raises(usm.USMAllocationError) as info:
        memory_ctor(2**62, alignment=256)
    e = info.value
    assert (e.kind, e.size, e.alignment) == (KINDS[memory_ctor], 2**62, 256)
    assert isinstance(e.code, int) and e.code != 0
    assert e.code_name.startswith("ZE_RESULT_ERROR_")
    assert e.code_name in str(e)
    assert str(2**62) in str(e)


@pytest.mark.parametrize("alignment", [3, 12, 100, 2**40 + 1])
def test_alignment_not_a_power_of_two_is_a_usm_allocation_error(memory_ctor, alignment):
    with pytest.raises(usm.USMAllocationError) as info:
        memory_ctor(128, alignment=alignment)
    e = info.value
    assert (e.kind, e.size, e.alignment, e.code) == (KINDS[memory_ctor], 128, alignment, None)
    assert "power of two" in str(e)


@pytest.mark.parametrize("alignment", [0, -1, -4096])
def test_non_positive_alignment_is_the_drivers_choice(memory_ctor, alignment):
    m = memory_ctor(128, alignment=alignment)
    assert m.nbytes == 128


@pytest.mark.parametrize("alignment", [1, 8, 4096, 65536])
def test_power_of_two_alignments_hold(memory_ctor, alignment):
    m = memory_ctor(100, alignment=alignment)
    assert m._pointer % alignment == 0


@pytest.mark.parametrize("bad", [1.5, "64", None, b"abc", [64], object()])
def test_objects_that_are_neither_sizes_nor_usm_are_value_errors(memory_ctor, bad):
    with pytest.raises(ValueError, match="does not expose `__sycl_usm_array_interface__`"):
        memory_ctor(bad)


@pytest.mark.parametrize("bad", [1, "queue", usm.Context(), usm.Device()])
def test_queue_must_be_a_queue(memory_ctor, bad):
    with pytest.raises(TypeError):
        memory_ctor(64, queue=bad)


def test_alignment_and_queue_are_keyword_only(memory_ctor):
    with pytest.raises(TypeError):
        memory_ctor(64, 8)


def test_memory_on_another_context_and_queue(memory_ctor):
    ctx = usm.Context([usm.Device()])
    assert ctx != usm.Context()
    q = usm.Queue(ctx)
    m = memory_ctor(256, queue=q)
    assert m.sycl_context == ctx
    assert m.get_usm_type() == KINDS[memory_ctor]
    # The default context does not see it as its own.
    assert m.get_usm_type(syclobj=usm.Context()) == "unknown"
    assert m.get_usm_type_enum(syclobj=usm.Context()) == 0
    assert m.get_usm_type(syclobj=q) == KINDS[memory_ctor]


def test_usm_type_exceptions():
    m = usm.MemoryUSMDevice(64)
    assert m.get_usm_type(syclobj=m.sycl_queue) == "device"
    assert m.get_usm_type(syclobj=m.sycl_context) == "device"
    assert m.get_usm_type_enum(syclobj=m.sycl_context) == 1
    with pytest.raises(TypeError):
        m.get_usm_type(syclobj=Ellipsis)
    with pytest.raises(TypeError):
        m.get_usm_type_enum(syclobj=list())


# --- copies and fills -------------------------------------------------------------------


def test_copy_host_roundtrip(memory_ctor):
    m = memory_ctor(4096)
    src = pattern(4096).tobytes()
    m.copy_from_host(src)
    out = m.copy_to_host()
    assert isinstance(out, np.ndarray) and out.dtype == np.uint8 and out.shape == (4096,)
    assert out.tobytes() == src
    assert m.tobytes() == src and bytes(m) == src


def test_copy_to_host_into_a_given_buffer(memory_ctor):
    m = memory_ctor(256)
    m.copy_from_host(bytes(range(256)))
    dest = bytearray(300)
    assert m.copy_to_host(dest) is dest
    assert dest[:256] == bytes(range(256)) and dest[256:] == bytes(44)
    wide = np.zeros(64, dtype=np.float32)  # any item format; 256 bytes
    m.copy_to_host(wide)
    assert wide.tobytes() == bytes(range(256))


def test_copy_to_host_refuses_small_read_only_and_strided_buffers(memory_ctor):
    m = memory_ctor(256)
    with pytest.raises(ValueError, match="too small to accommodate 256 bytes"):
        m.copy_to_host(bytearray(255))
    with pytest.raises(BufferError):
        m.copy_to_host(bytes(256))
    with pytest.raises(ValueError, match="not C-contiguous"):
        m.copy_to_host(np.zeros(512, dtype=np.uint8)[::2])
    with pytest.raises(TypeError):
        m.copy_to_host(12)


def test_copy_from_host_prefix_and_refusals(memory_ctor):
    m = memory_ctor(16)
    m.copy_from_host(b"\xff" * 16)
    m.copy_from_host(b"abc")
    assert m.tobytes() == b"abc" + b"\xff" * 13
    m.copy_from_host(b"")
    assert m.tobytes() == b"abc" + b"\xff" * 13
    with pytest.raises(ValueError, match="too large to be accommodated in 16 bytes"):
        m.copy_from_host(b"x" * 17)
    with pytest.raises(ValueError, match="not C-contiguous"):
        m.copy_from_host(np.zeros(32, dtype=np.uint8)[::2])
    with pytest.raises(TypeError):
        m.copy_from_host("not bytes")
    assert m.tobytes() == b"abc" + b"\xff" * 13


def test_numpy_round_trips(memory_ctor):
    for dtype in (np.float64, np.int32, np.complex64, np.uint16):
        a = (np.arange(1000) * 3 - 7).astype(dtype)
        m = memory_ctor(a.nbytes)
        m.copy_from_host(a)
        back = np.empty_like(a)
        m.copy_to_host(back)
        np.testing.assert_array_equal(back, a)
        np.testing.assert_array_equal(np.frombuffer(m.tobytes(), dtype=dtype), a)
        c = memory_ctor(m, copy=True)
        np.testing.assert_array_equal(c.copy_to_host().view(dtype), a)


def test_memset(memory_ctor):
    n = 4086
    m = memory_ctor(n)
    host = bytearray(n)
    m.memset(ord("z"))
    m.memset()
    m.copy_to_host(host)
    assert host == b"\x00" * n
    m.memset(ord("j"))
    m.copy_to_host(host)
    assert host == b"j" * n
    m.memset(256 + ord("7"))  # the low byte, as SYCL's memset takes an int
    assert m.tobytes() == b"7" * n
    for bad in (-1, 65536):
        with pytest.raises(OverflowError):
            m.memset(bad)
    with pytest.raises(TypeError):
        m.memset("j")
    assert m.tobytes() == b"7" * n


def test_copy_from_device_between_kinds(memory_ctor):
    src = usm.MemoryUSMDevice(128)
    src.copy_from_host(pattern(128, 5))
    dst = memory_ctor(200)
    dst.memset(1)
    dst.copy_from_device(src)
    assert dst.tobytes() == pattern(128, 5).tobytes() + b"\x01" * 72
    with pytest.raises(ValueError, match="too large to be accommodated in 128 bytes"):
        src.copy_from_device(dst)
    with pytest.raises(ValueError, match="does not implement"):
        dst.copy_from_device(b"bytes are not USM")


def test_memory_copy_between_contexts():
    dev = usm.Device()
    q0 = usm.Queue(usm.Context([dev]))
    q1 = usm.Queue(usm.Context([dev]))
    assert q0.sycl_context != q1.sycl_context
    m0 = usm.MemoryUSMDevice(256, queue=q0)
    m1 = usm.MemoryUSMDevice(256, queue=q1)
    host = b"abcd" * 64
    m0.copy_from_host(host)
    m1.copy_from_device(m0)
    out = bytearray(256)
    m1.copy_to_host(out)
    assert out == host


def test_memory_construction_from_other_memory_objects():
    m_sh = usm.MemoryUSMShared(256)
    m_de = usm.MemoryUSMDevice(256)
    m_ho = usm.MemoryUSMHost(256)
    m_sh.copy_from_host(pattern(256, 1))
    m_de.copy_from_host(pattern(256, 2))
    with pytest.raises(ValueError, match="not a USM device pointer"):
        usm.MemoryUSMDevice(m_sh)
    with pytest.raises(ValueError, match="not a USM host pointer"):
        usm.MemoryUSMHost(m_de)
    with pytest.raises(ValueError, match="not a USM shared pointer"):
        usm.MemoryUSMShared(m_ho)
    m1 = usm.MemoryUSMDevice(m_sh, copy=True)
    m2 = usm.MemoryUSMHost(m_de, copy=True)
    m3 = usm.MemoryUSMShared(m_de, copy=True)
    assert bytes(m1) == bytes(m_sh)
    assert bytes(m2) == bytes(m3) == bytes(m_de)
    assert m1._pointer != m_sh._pointer and m1.reference_obj is None


def test_zero_copy(memory_ctor):
    m = memory_ctor(64)
    m2 = memory_ctor(m)
    assert m2.reference_obj is None
    assert m.__sycl_usm_array_interface__["data"] == m2.__sycl_usm_array_interface__["data"]
    m2.copy_from_host(b"shared bytes")
    assert m.tobytes()[:12] == b"shared bytes"
    del m
    assert m2.tobytes()[:12] == b"shared bytes"  # the allocation is shared, not freed


def test_as_usm_memory_gives_the_class_of_the_kind(memory_ctor):
    m = memory_ctor(64)
    got = usm.as_usm_memory(m)
    assert type(got) is memory_ctor
    assert got._pointer == m._pointer
    with pytest.raises(ValueError):
        usm.as_usm_memory(42)
    with pytest.raises(ValueError):
        usm.as_usm_memory(np.zeros(4))


# --- buffer protocol --------------------------------------------------------------------


def test_buffer_protocol(host_accessible_ctor):
    m = host_accessible_ctor(64)
    m.copy_from_host(bytes(range(64)))
    mv1 = memoryview(m)
    mv2 = memoryview(m)
    assert mv1 == mv2
    assert (mv1.format, mv1.itemsize, mv1.nbytes, mv1.readonly) == ("B", 1, 64, False)
    a = np.asarray(m)
    assert a.dtype == np.uint8 and a.shape == (64,)
    assert a.tobytes() == bytes(range(64))
    a[:4] = [9, 8, 7, 6]  # writes through to the memory
    assert m.tobytes()[:4] == bytes([9, 8, 7, 6])
    f = np.frombuffer(m, dtype=np.float64)
    assert f.shape == (8,)
    del mv1, mv2, a, f


def test_buffer_keeps_memory_alive(host_accessible_ctor):
    m = host_accessible_ctor(32)
    m.memset(5)
    a = np.asarray(m)
    del m
    assert a.tobytes() == b"\x05" * 32


def test_device_memory_refuses_the_buffer_protocol():
    m = usm.MemoryUSMDevice(64)
    with pytest.raises(BufferError, match="not host accessible"):
        memoryview(m)
    with pytest.raises(TypeError, match="not host accessible"):
        np.asarray(m)
    with pytest.raises(TypeError, match="not host accessible"):
        np.array(m, dtype=np.uint8)


# --- pickling ---------------------------------------------------------------------------


def test_pickling(memory_ctor):
    m = memory_ctor(1024, alignment=64)
    m.copy_from_host(pattern(1024, 3))
    r = pickle.loads(pickle.dumps(m))
    assert type(r) is type(m), "pickling keeps the class"
    assert r.tobytes() == m.tobytes(), "pickling keeps the contents"
    assert r._pointer != m._pointer, "unpickling allocates anew"
    assert r.sycl_queue == usm.default_queue()


def test_pickling_reconstructor_invalid_type(memory_ctor):
    m = memory_ctor(1024, alignment=64)
    good = pickle.dumps(m)
    kind = KINDS[memory_ctor].encode()
    i = good.rfind(kind)
    bad = good[:i] + b"u" + good[i + 1 :]
    with pytest.raises(ValueError, match="Unrecognized usm_kind"):
        pickle.loads(bad)


# --- the GIL ----------------------------------------------------------------------------


def test_the_gil_is_released_during_copies():
    """Another Python thread runs while copies are in flight.

    The main thread counts its turns while the other thread is inside a copy. A copy that
    kept the GIL would allow none (a call into the extension is not preempted), apart from
    a turn or two at its start; released, the main thread runs all through it.
    """
    m = usm.MemoryUSMDevice(64 << 20)
    src = np.ones(64 << 20, dtype=np.uint8)
    copying = threading.Event()
    done = threading.Event()

    def copy():
        for _ in range(4):
            copying.set()
            m.copy_from_host(src)
            m.copy_to_host(src)
            copying.clear()
        done.set()

    t = threading.Thread(target=copy)
    t.start()
    turns = 0
    while not done.is_set():
        time.sleep(0.0001)
        if copying.is_set():
            turns += 1
    t.join()
    assert turns > 40, turns


# --- threads ----------------------------------------------------------------------------


def run_threads(targets, timeout=120):
    errors = []

    def wrap(fn):
        def run():
            try:
                fn()
            except BaseException as e:  # reported below
                errors.append(e)

        return run

    threads = [threading.Thread(target=wrap(fn)) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "threads still running: a deadlock?"
    assert not errors, errors


def test_copies_between_two_objects_both_ways_at_once():
    a = usm.MemoryUSMDevice(1 << 20)
    b = usm.MemoryUSMShared(1 << 20)
    a.memset(1)
    b.memset(2)

    def a_from_b():
        for _ in range(30):
            a.copy_from_device(b)

    def b_from_a():
        for _ in range(30):
            b.copy_from_device(a)

    run_threads([a_from_b, b_from_a, a_from_b, b_from_a])
    for m in (a, b):
        data = m.tobytes()
        # Copies of whole objects, never a byte of anything else.
        assert set(data) <= {1, 2}


def test_writes_to_one_object_from_many_threads_are_whole(memory_ctor):
    m = memory_ctor(4 << 20)

    def fill(value):
        def run():
            for _ in range(10):
                m.memset(value)
                m.copy_from_host(np.full(4 << 20, value, dtype=np.uint8))

        return run

    run_threads([fill(v) for v in (3, 5, 7, 9)])
    data = m.copy_to_host()
    assert len(set(data.tolist())) == 1 and data[0] in (3, 5, 7, 9)


# --- panics -----------------------------------------------------------------------------


def test_a_panic_is_a_runtime_error_not_a_panic_exception():
    with pytest.raises(RuntimeError, match="internal error in level_zero_usm: a panic raised on purpose"):
        usm._panic_inside_guard()
    # The module still works afterwards.
    assert usm.MemoryUSMHost(8).nbytes == 8
