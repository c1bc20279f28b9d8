"""The store does not import the projections: the views depend on the store, not back.

Issue 10 §G. Before, ``store/store.py`` imported ``projections/views.py``,
which imported ``store/store.py``. The check reads the import statements of
every module (including imports inside functions), so a lazy import inside a
method counts too. ``store/audit.py`` is the audit, which uses the projections
by design (issue 10 §G gives it a package of its own).
"""

from __future__ import annotations

import ast
from pathlib import Path

import provenance
from provenance.records import Recorded

PACKAGE = Path(provenance.__file__).parent
AUDIT_MODULES = {"audit.py"}
"""Modules of ``provenance/store`` that are the audit, not persistence."""


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_no_store_module_imports_the_projections() -> None:
    offenders = {
        path.name: sorted(m for m in _imports(path) if m.startswith("provenance.projections"))
        for path in sorted((PACKAGE / "store").glob("*.py"))
        if path.name not in AUDIT_MODULES
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
