"""Shared set-up of the level_zero_usm tests: the driver they run on, and fixtures.

The tests run through the Level Zero loader onto the software driver (ci/test points
ZE_ENABLE_ALT_DRIVERS at libze_soft.so); with USM_TEST_DRIVER=system they run on the
installed drivers instead. On any other set-up the session stops with the reason, instead
of testing a driver nobody asked for.
"""

import os

import pytest

import level_zero_usm as usm


def pytest_sessionstart(session):
    if os.environ.get("USM_TEST_DRIVER") == "system":
        return
    if "libze_soft" not in os.environ.get("ZE_ENABLE_ALT_DRIVERS", ""):
        raise pytest.UsageError(
            "the tests run on the software driver: set ZE_ENABLE_ALT_DRIVERS to the path of "
            "libze_soft.so (ci/test does), or USM_TEST_DRIVER=system for the installed drivers"
        )
    name = usm.Device().name
    if "ze_soft" not in name:
        raise pytest.UsageError(f"expected the software driver's device, got {name!r}")


KINDS = {
    usm.MemoryUSMShared: "shared",
    usm.MemoryUSMDevice: "device",
    usm.MemoryUSMHost: "host",
}
ENUMS = {usm.MemoryUSMShared: 2, usm.MemoryUSMDevice: 1, usm.MemoryUSMHost: 3}


@pytest.fixture(params=list(KINDS), ids=list(KINDS.values()))
def memory_ctor(request):
    """Each of the three memory classes."""
    return request.param


@pytest.fixture(
    params=[usm.MemoryUSMShared, usm.MemoryUSMHost], ids=["shared", "host"]
)
def host_accessible_ctor(request):
    """The two classes whose memory the host reads (buffer protocol)."""
    return request.param
