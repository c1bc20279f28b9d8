"""The layers of the library, enforced: each package imports only those below it.

Issue 10 §G; docs/adr/0010-layers.md. Before, ``store/store.py`` imported
``projections/views.py``, which imported ``store/store.py``, and the audit
lived inside the store. The check reads the import statements of every module
(including imports inside functions), so a lazy import inside a method counts
too.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import provenance
from provenance.records import Recorded

PACKAGE = Path(provenance.__file__).parent
LAYERS = ["rules", "log", "model", "store", "projections", "audit", "bundle"]
"""Bottom to top: a package may import the ones before it, never one after it."""

PURE = {"rules", "log"}
"""Packages that need nothing but the standard library and ``cryptography``."""


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def _package_imports(package: str) -> dict[str, set[str]]:
    return {
        str(path.relative_to(PACKAGE)): _imports(path)
        for path in sorted((PACKAGE / package).rglob("*.py"))
    }


def test_no_package_imports_a_layer_above_it() -> None:
    offenders = {}
    for n, package in enumerate(LAYERS):
        above = tuple(f"provenance.{p}" for p in LAYERS[n + 1 :])
        for module, found in _package_imports(package).items():
            bad = sorted(m for m in found if m.startswith(above))
            if bad:
                offenders[module] = bad
    assert offenders == {}


def test_the_pure_packages_import_nothing_but_the_standard_library_and_cryptography() -> None:
    allowed = ("provenance.errors", *(f"provenance.{p}" for p in PURE))
    offenders = {}
    for package in PURE:
        for module, found in _package_imports(package).items():
            bad = sorted(
                m
                for m in found
                if m.split(".")[0] not in sys.stdlib_module_names
                and not m.startswith(("cryptography", *allowed))
            )
            if bad:
                offenders[module] = bad
    assert offenders == {}


def test_only_the_store_imports_eventsourcing() -> None:
    offenders = {
        module: sorted(m for m in found if m.startswith("eventsourcing"))
        for package in [p for p in LAYERS if p != "store"] + ["."]
        for module, found in _package_imports(package).items()
        if not module.startswith("store/")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_library_never_imports_the_command_line() -> None:
    offenders = {
        module: sorted(m for m in found if m.startswith(("click", "provenance_cli")))
        for package in [*LAYERS, "."]
        for module, found in _package_imports(package).items()
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_views_depend_on_the_store() -> None:
    assert "provenance.store.store" in _imports(PACKAGE / "projections" / "views.py")


def test_a_store_takes_its_views_from_the_caller(tmp_path: Path) -> None:
    from conftest import make_world

    from provenance.store import Store

    world = make_world(tmp_path)
    world.store.close()
    made: list[Store] = []

    class Counting:
        read_only = False

        def __init__(self, store: Store) -> None:
            made.append(store)

        def create_tables(self) -> None: ...

        def catch_up(self) -> int:
            return 0

        def fold(self, records: list[Recorded]) -> None:
            return None

    with Store.open(world.store_dir, views=Counting) as store:
        assert isinstance(store.views, Counting) and made == [store]
    with Store.open(world.store_dir) as store:  # the views the projections registered
        assert store.views.subject("alice")["role"] == "researcher"
