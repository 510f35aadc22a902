"""`__sycl_usm_array_interface__`: the dict the memory objects write, zero-copy views made
from any object's dict, and every malformed dict dpctl's tests try (and more)."""

import numpy as np
import pytest

import level_zero_usm as usm
from conftest import KINDS


class Dummy(usm.MemoryUSMShared):
    """A subclass naming its context, instead of its queue, as `syclobj`."""

    @property
    def __sycl_usm_array_interface__(self):
        iface = super().__sycl_usm_array_interface__
        iface["syclobj"] = iface["syclobj"].sycl_context
        return iface


class View:
    """An object exposing part of `buf` through an edited copy of its dict."""

    def __init__(self, buf, shape, strides, offset, syclobj=None, transf_fn=None):
        self.buffer_ = buf
        self.shape_ = shape
        self.strides_ = strides
        self.offset_ = offset
        self.syclobj_ = syclobj
        self.transf_fn_ = transf_fn

    @property
    def __sycl_usm_array_interface__(self):
        iface = self.buffer_.__sycl_usm_array_interface__
        iface["offset"] = self.offset_
        iface["shape"] = self.shape_
        iface["strides"] = self.strides_
        if self.syclobj_ is not None:
            iface["syclobj"] = self.syclobj_
        if self.transf_fn_:
            iface = self.transf_fn_(iface)
        return iface


class Raw:
    """An object exposing exactly the dict it is given."""

    def __init__(self, iface):
        self.iface = iface

    @property
    def __sycl_usm_array_interface__(self):
        return self.iface


def test_the_dict_written(memory_ctor):
    m = memory_ctor(96)
    d = m.__sycl_usm_array_interface__
    assert d == {
        "data": (m._pointer, True),
        "shape": (96,),
        "strides": None,
        "typestr": "|u1",
        "version": 1,
        "syclobj": m.sycl_queue,
    }
    assert d["syclobj"] is not None and isinstance(d["syclobj"], usm.Queue)


def test_sycl_usm_array_interface_with_a_context_as_syclobj(memory_ctor):
    m = memory_ctor(256)
    m2 = Dummy(m.nbytes)
    assert isinstance(m2.__sycl_usm_array_interface__["syclobj"], usm.Context)
    hb = np.random.default_rng(1).integers(0, 256, size=256, dtype=np.uint8)
    m2.copy_from_host(hb)
    m.copy_from_device(m2)
    assert np.array_equal(m.copy_to_host(), hb)
    v = usm.MemoryUSMShared(m2)
    assert v.reference_obj is None or v.reference_obj is m2
    assert v._pointer == m2._pointer


def test_suai_non_contig_1D(memory_ctor):
    buf = memory_ctor(32)
    canary = np.full((buf.nbytes,), 77, dtype="|u1")
    buf.copy_from_host(canary)
    n1d, step, offset = 10, 2, 8
    v = View(buf, shape=(n1d,), strides=(step,), offset=offset)
    buf2 = memory_ctor(v)
    assert buf2.reference_obj is v
    assert buf2._pointer == buf._pointer + offset
    assert buf2.nbytes == (n1d - 1) * step + 1
    inset = np.arange(0, buf2.nbytes, dtype="|u1")
    buf2.copy_from_host(inset)
    res = buf.copy_to_host()
    del buf, buf2
    expected = canary.copy()
    expected[offset : offset + (n1d - 1) * step + 1] = inset
    assert np.array_equal(res, expected)


def test_suai_non_contig_2D(memory_ctor):
    buf = memory_ctor(20)
    canary = np.arange(20, dtype="|u1")
    buf.copy_from_host(canary)
    shape, strides, offset = (2, 2), (10, -2), 9
    idx = sorted(
        offset + i0 * strides[0] + i1 * strides[1]
        for i0 in range(shape[0])
        for i1 in range(shape[1])
    )
    v = View(buf, shape=shape, strides=strides, offset=offset)
    buf2 = memory_ctor(v)
    assert buf2.nbytes == idx[-1] - idx[0] + 1
    inset = np.full((buf2.nbytes,), 255, dtype="|u1")
    buf2.copy_from_host(inset)
    res = buf.copy_to_host()
    del buf, buf2
    expected = canary.copy()
    expected[idx[0] : idx[-1] + 1] = inset
    assert np.array_equal(res, expected)


def test_a_view_keeps_its_owner_alive(memory_ctor):
    buf = memory_ctor(64)
    buf.memset(3)
    view = memory_ctor(View(buf, shape=(16,), strides=None, offset=16))
    del buf
    assert view.tobytes() == b"\x03" * 16
    assert view.reference_obj.buffer_.nbytes == 64


def test_suai_typed_elements_and_offsets():
    buf = usm.MemoryUSMShared(64)
    a = np.asarray(buf)
    a[:] = np.arange(64)
    # Eight float64 elements from element 2: bytes 16..63.
    v = View(buf, shape=(6,), strides=None, offset=2, transf_fn=lambda d: {**d, "typestr": "<f8"})
    m = usm.MemoryUSMShared(v)
    assert (m._pointer - buf._pointer, m.nbytes) == (16, 48)
    assert m.tobytes() == bytes(range(16, 64))


def test_valid_syclobj_values():
    buf = usm.MemoryUSMShared(2 * 3 * 5 * 128)
    q, ctx = buf.sycl_queue, buf.sycl_context
    for syclobj in [q, ctx]:
        v = View(buf, shape=(buf.nbytes,), strides=(1,), offset=0, syclobj=syclobj)
        m = usm.MemoryUSMShared(v)
        assert m._pointer == buf._pointer and m.sycl_context == ctx
        with pytest.raises(ValueError):
            usm.MemoryUSMDevice(v)
        with pytest.raises(ValueError):
            usm.MemoryUSMHost(v)


def test_the_named_queue_is_kept_when_it_fits():
    q = usm.Queue()
    buf = usm.MemoryUSMDevice(64, queue=q)
    assert usm.as_usm_memory(View(buf, (64,), None, 0)).sycl_queue == q
    # A context names no queue: the package's queue for the device is used.
    m = usm.as_usm_memory(View(buf, (64,), None, 0, syclobj=q.sycl_context))
    assert m.sycl_queue == usm.default_queue()


def test_memory_of_another_context_is_refused_under_the_wrong_syclobj():
    other = usm.Queue(usm.Context([usm.Device()]))
    buf = usm.MemoryUSMShared(64, queue=other)
    v = View(buf, (64,), None, 0, syclobj=usm.Context())
    with pytest.raises(ValueError, match="malformed"):
        usm.MemoryUSMShared(v)
    # Under its own context it is found.
    assert usm.MemoryUSMShared(View(buf, (64,), None, 0))._pointer == buf._pointer


def malformed(buf, **changes):
    def transform(d):
        for key, value in changes.items():
            if value is KeyError:
                d.pop(key, None)
            else:
                d[key] = value
        return d

    return View(buf, shape=(buf.nbytes,), strides=(1,), offset=0, transf_fn=transform)


MALFORMED = {
    "version 0": dict(version=0),
    "version 2": dict(version=2),
    "version missing": dict(version=KeyError),
    "version a string": dict(version="1"),
    "data empty": dict(data=tuple()),
    "data one entry": dict(data=(1,)),
    "data three entries": dict(data=(1, True, 0)),
    "data missing": dict(data=KeyError),
    "data None": dict(data=None),
    "data pointer negative": dict(data=(-4096, True)),
    "data pointer a float": dict(data=(4096.0, True)),
    "data pointer 2**64": dict(data=(2**64, True)),
    "data pointer null": dict(data=(0, True)),
    "shape None": dict(shape=None),
    "shape missing": dict(shape=KeyError),
    "shape negative": dict(shape=(-1,)),
    "shape of strings": dict(shape=("4",)),
    "shape an int": dict(shape=4),
    "typestr invalid": dict(typestr="invalid"),
    "typestr O": dict(typestr="O"),
    "typestr |O8": dict(typestr="|O8"),
    "typestr <U4": dict(typestr="<U4"),
    "typestr <f3": dict(typestr="<f3"),
    "typestr missing": dict(typestr=KeyError),
    "typestr None": dict(typestr=None),
    "strides Ellipsis": dict(strides=Ellipsis),
    "strides too long": dict(strides=(1, 1)),
    "strides of floats": dict(strides=(1.0,)),
    "offset a string": dict(offset="0"),
    "offset a float": dict(offset=0.5),
    "syclobj None": dict(syclobj=None),
    "syclobj missing": dict(syclobj=KeyError),
    "syclobj an int": dict(syclobj=7),
    "syclobj a device": dict(syclobj=usm.Device()),
    "syclobj a capsule of another name": dict(syclobj=None),  # replaced below
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_interfaces_are_value_errors(case):
    buf = usm.MemoryUSMShared(2 * 3 * 5 * 128)
    changes = dict(MALFORMED[case])
    if case == "syclobj a capsule of another name":
        import ctypes

        make = ctypes.pythonapi.PyCapsule_New
        make.restype = ctypes.py_object
        make.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
        changes["syclobj"] = make(ctypes.c_void_p(buf._pointer), b"SomethingElse", None)
    v = malformed(buf, **changes)
    for ctor in (usm.MemoryUSMShared, usm.MemoryUSMDevice, usm.MemoryUSMHost):
        with pytest.raises(ValueError):
            ctor(v)
    with pytest.raises(ValueError):
        usm.as_usm_memory(v)
    with pytest.raises(ValueError):
        usm.MemoryUSMShared(8).copy_from_device(v)


def test_shape_negative_with_and_without_strides():
    buf = usm.MemoryUSMShared(256)
    for strides in [(2,), None]:
        with pytest.raises(ValueError):
            usm.MemoryUSMShared(View(buf, shape=(-256,), strides=strides, offset=0))


def test_the_span_must_stay_inside_the_allocation(memory_ctor):
    buf = memory_ctor(64)
    for shape, strides, offset in [((65,), None, 0), ((1,), None, 64), ((2,), (-1,), 0), ((4,), (30,), 0)]:
        with pytest.raises(ValueError, match="malformed"):
            memory_ctor(View(buf, shape=shape, strides=strides, offset=offset))
    # The last byte is still inside.
    assert memory_ctor(View(buf, (1,), None, 63))._pointer == buf._pointer + 63


def test_pointers_that_are_not_usm_are_refused():
    host = np.zeros(64, dtype=np.uint8)
    q = usm.default_queue()
    base = {"shape": (64,), "strides": None, "typestr": "|u1", "version": 1, "syclobj": q}
    for pointer in [host.ctypes.data, 8, 2**47]:
        with pytest.raises(ValueError, match="malformed"):
            usm.as_usm_memory(Raw({**base, "data": (pointer, True)}))


def test_freed_memory_is_refused():
    buf = usm.MemoryUSMDevice(4096)
    iface = buf.__sycl_usm_array_interface__
    del buf
    with pytest.raises(ValueError, match="malformed"):
        usm.as_usm_memory(Raw(iface))


def test_interface_that_is_not_a_dict_or_raises():
    with pytest.raises(ValueError, match="does not correctly expose"):
        usm.as_usm_memory(Raw([1, 2, 3]))

    class Raising:
        @property
        def __sycl_usm_array_interface__(self):
            raise KeyError("no interface today")

    with pytest.raises(KeyError, match="no interface today"):
        usm.as_usm_memory(Raising())


def test_deeply_nested_values_are_refused():
    buf = usm.MemoryUSMShared(64)
    deep = 1
    for _ in range(100):
        deep = [deep]
    with pytest.raises(ValueError):
        usm.MemoryUSMShared(malformed(buf, shape=deep))


def test_numpy_integers_and_bools_in_the_dict():
    buf = usm.MemoryUSMShared(64)
    iface = buf.__sycl_usm_array_interface__
    iface["data"] = (np.uint64(buf._pointer), np.True_)
    iface["shape"] = (np.int32(8),)
    iface["offset"] = np.int64(8)
    m = usm.MemoryUSMShared(Raw(iface))
    assert (m._pointer - buf._pointer, m.nbytes) == (8, 8)


def test_check_view_consistency(memory_ctor):
    buf = memory_ctor(64)
    for syclobj in [None, buf.sycl_context, buf.sycl_queue]:
        v = View(buf, shape=(64,), strides=(1,), offset=0, syclobj=syclobj)
        m = usm.as_usm_memory(v)
        assert type(m) is memory_ctor
        assert m.get_usm_type() == KINDS[memory_ctor]
        assert m._pointer == buf._pointer
        assert m.sycl_context == buf.sycl_context
        assert m.sycl_device == buf.sycl_device
