"""What the import contracts cannot say about the layers.

The layers themselves (issue 11 §6; docs/adr/0010-layers.md) are import-linter
contracts in ``.importlinter``, which CI checks with ``lint-imports`` and
``tests/unit/test_import_contracts.py`` runs and breaks on purpose. A
contract can forbid an import but not require one, and it can forbid only
the third-party packages it names; the tests here cover those two gaps.
"""

from __future__ import annotations

import ast
import configparser
import sys
from pathlib import Path

import provenance
from provenance.records import Recorded

PACKAGE = Path(provenance.__file__).parent
ROOT = PACKAGE.parent


def _imports(path: Path) -> set[str]:
    """The absolute module names a file imports, at any depth (relative imports left out)."""
    tree = ast.parse(path.read_text(), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_the_pure_contract_names_every_other_third_party_package_the_code_imports() -> None:
    # import-linter forbids listed packages; it cannot allow only cryptography.
    # So the pure layer's list must be every third-party package imported by
    # the library or the command line, cryptography aside: a new dependency
    # fails here until the pure contract forbids it too.
    imported = {
        name.split(".")[0]
        for source in (PACKAGE, ROOT / "cli")
        for path in source.rglob("*.py")
        for name in _imports(path)
    }
    third_party = imported - set(sys.stdlib_module_names) - {"provenance", "provenance_cli"}
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    forbidden = set(config["importlinter:contract:pure"]["forbidden_modules"].split())
    assert "cryptography" in third_party
    assert forbidden == third_party - {"cryptography"}


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
