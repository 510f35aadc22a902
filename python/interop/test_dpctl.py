"""level_zero_usm and dpctl 0.22 (Intel's SYCL runtime) on the same Level Zero driver.

Run by ci/dpctl-interop, which installs dpctl from PyPI, puts a current Level Zero loader
first on LD_LIBRARY_PATH and points ZE_ENABLE_ALT_DRIVERS at the software driver, so that
the SYCL runtime and this package see the same one device. Memory objects of each accept
the other's `__sycl_usm_array_interface__`, without a copy, and copy from each other.
"""

import os

import numpy as np
import pytest

import dpctl
import dpctl.memory as dm
import level_zero_usm as usm

DPCTL = {"shared": dm.MemoryUSMShared, "device": dm.MemoryUSMDevice, "host": dm.MemoryUSMHost}
OURS = {"shared": usm.MemoryUSMShared, "device": usm.MemoryUSMDevice, "host": usm.MemoryUSMHost}


def test_both_see_the_software_driver():
    assert dpctl.__version__.startswith("0.22")
    assert "libze_soft" in os.environ["ZE_ENABLE_ALT_DRIVERS"]
    devices = dpctl.get_devices()
    assert len(devices) == len(usm.get_devices()) >= 1
    for theirs, ours in zip(devices, usm.get_devices()):
        assert theirs.backend == dpctl.backend_type.level_zero
        assert theirs.name == ours.name and "ze_soft" in ours.name
        assert dpctl.SyclDevice(ours.filter_string) == theirs


@pytest.fixture(params=list(DPCTL))
def kind(request):
    return request.param


def test_ours_views_dpctls_memory(kind):
    theirs = DPCTL[kind](256)
    theirs.copy_from_host(bytes(range(256)))
    ours = OURS[kind](theirs)
    assert ours._pointer == theirs._pointer and ours.nbytes == 256
    assert ours.reference_obj is theirs
    assert ours.get_usm_type() == kind
    assert ours.tobytes() == bytes(range(256))
    ours.copy_from_host(b"written by level_zero_usm")
    assert bytes(theirs)[:25] == b"written by level_zero_usm"
    assert type(usm.as_usm_memory(theirs)) is OURS[kind]


def test_dpctl_views_our_memory(kind):
    ours = OURS[kind](256)
    ours.copy_from_host(bytes(reversed(range(256))))
    theirs = dm.as_usm_memory(ours)
    assert type(theirs) is DPCTL[kind]
    assert theirs._pointer == ours._pointer and theirs.nbytes == 256
    assert theirs.get_usm_type() == kind
    assert theirs.reference_obj is ours
    assert bytes(theirs) == bytes(reversed(range(256)))
    theirs.copy_from_host(b"written by dpctl")
    assert ours.tobytes()[:16] == b"written by dpctl"
    assert DPCTL[kind](ours)._pointer == ours._pointer


def test_kind_mismatches_both_ways(kind):
    other = {"shared": "device", "device": "host", "host": "shared"}[kind]
    ours = OURS[kind](64)
    ours.memset(ord("o"))
    theirs = DPCTL[kind](64)
    theirs.memset(ord("t"))
    with pytest.raises(ValueError):
        DPCTL[other](ours)
    with pytest.raises(ValueError):
        OURS[other](theirs)
    assert bytes(DPCTL[other](ours, copy=True)) == b"o" * 64
    assert OURS[other](theirs, copy=True).tobytes() == b"t" * 64


def test_copies_between_them(kind):
    ours = OURS[kind](128)
    theirs = DPCTL[kind](128)
    ours.copy_from_host(np.arange(128, dtype=np.uint8))
    theirs.copy_from_device(ours)
    assert bytes(theirs) == bytes(range(128))
    theirs.memset(9)
    ours.copy_from_device(theirs)
    assert ours.tobytes() == b"\x09" * 128


def test_every_syclobj_dpctl_writes_is_accepted():
    theirs = dm.MemoryUSMShared(512)
    theirs.memset(4)
    q = theirs.sycl_queue
    ctx = q.sycl_context

    class Duck:
        def __init__(self, obj):
            self.obj = obj

        def _get_capsule(self):
            return self.obj._get_capsule()

    class View:
        def __init__(self, syclobj):
            self.syclobj = syclobj

        @property
        def __sycl_usm_array_interface__(self):
            iface = theirs.__sycl_usm_array_interface__
            iface["syclobj"] = self.syclobj
            return iface

    for syclobj in [q, ctx, q._get_capsule(), ctx._get_capsule(), Duck(q), Duck(ctx),
                    q.sycl_device.filter_string]:
        ours = usm.MemoryUSMShared(View(syclobj))
        assert ours._pointer == theirs._pointer
        assert ours.tobytes() == b"\x04" * 512
        with pytest.raises(ValueError):
            usm.MemoryUSMDevice(View(syclobj))


def test_our_queue_gives_dpctl_a_capsule():
    q = usm.default_queue()
    theirs = dpctl.SyclQueue(q._get_capsule())
    assert theirs.sycl_device == dpctl.SyclDevice(q.sycl_device.filter_string)
    m = dm.MemoryUSMDevice(64, queue=theirs)
    ours = usm.as_usm_memory(m)
    assert ours.sycl_device == q.sycl_device


def test_dpctls_tests_malformed_dicts_are_refused_by_both():
    ours = usm.MemoryUSMShared(64)
    for change in [{"version": 0}, {"data": ()}, {"shape": None}, {"typestr": "O"},
                   {"typestr": "invalid"}, {"strides": Ellipsis}, {"shape": (-64,)}]:
        class Bad:
            @property
            def __sycl_usm_array_interface__(self):
                return {**ours.__sycl_usm_array_interface__, **change}

        with pytest.raises(ValueError):
            usm.MemoryUSMShared(Bad())
        with pytest.raises(ValueError):
            dm.MemoryUSMShared(Bad())
