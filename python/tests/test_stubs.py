"""The type stubs (level_zero_usm.pyi) describe what the module has, and the module has
docstrings."""

import ast
import pathlib

import level_zero_usm as usm

STUBS = pathlib.Path(__file__).resolve().parent.parent / "level_zero_usm.pyi"


def stub_tree():
    return ast.parse(STUBS.read_text())


def test_every_stubbed_name_exists_and_every_public_name_is_stubbed():
    tree = stub_tree()
    names = {n.name for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))}
    names |= {t.id for n in tree.body if isinstance(n, ast.AnnAssign) for t in [n.target]}
    module = {n for n in dir(usm) if not n.startswith("__")} | {"__version__"}
    assert names - {"SyclObject"} <= module | {"_Memory"}, names - module
    # The package wraps the extension module of the same name.
    public = {n for n in module if not n.startswith("_")} - {"level_zero_usm"} | {"__version__"}
    assert public <= names, public - names
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        actual = getattr(usm, cls.name)
        for member in cls.body:
            if isinstance(member, ast.FunctionDef) and member.name not in ("__init__", "__buffer__"):
                assert hasattr(actual, member.name), f"{cls.name}.{member.name}"


def test_docstrings():
    for name in ["MemoryUSMDevice", "MemoryUSMShared", "MemoryUSMHost", "Queue", "Context",
                 "Device", "USMAllocationError", "LevelZeroError", "as_usm_memory"]:
        assert getattr(usm, name).__doc__, name
    for method in ["copy_to_host", "copy_from_host", "copy_from_device", "memset", "tobytes",
                   "get_usm_type", "nbytes", "reference_obj"]:
        assert getattr(usm.MemoryUSMShared, method).__doc__, method
