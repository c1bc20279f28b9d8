"""The command line is laid out one module per command group (issue 11 §4).

Each module of ``provenance_cli`` that holds commands exports them in
``COMMANDS``; ``main`` lists those modules by name, and no command is added
to a group from another module. The command line uses the library only
through its public surface, which docs/api.md lists.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click

import provenance
from provenance_cli import main

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_MODULES = {
    "provenance",
    "provenance.log",
    "provenance.trust",
    "provenance.transfer",
    "provenance.demo",
    "provenance.bundle.export",
    "provenance.bundle.reader",
    "provenance.bundle.offline_verify",
    "provenance.bundle.standalone",
}


def _leaves(command: click.Command) -> list[click.Command]:
    if isinstance(command, click.Group):
        return [leaf for sub in command.commands.values() for leaf in _leaves(sub)]
    return [command]


def _module_of(command: click.Command) -> str:
    assert command.callback is not None, command.name
    return str(command.callback.__module__)


def test_prov_is_exactly_the_commands_of_the_listed_modules() -> None:
    listed = [command for module in main.MODULES for command in module.COMMANDS]
    names = [command.name for command in listed]
    assert len(names) == len(set(names))
    assert dict(zip(names, listed, strict=True)) == main.cli.commands


def test_each_command_lives_in_the_module_that_exports_it() -> None:
    misplaced = {
        f"{group.name} {leaf.name}": _module_of(leaf)
        for module in main.MODULES
        for group in module.COMMANDS
        for leaf in _leaves(group)
        if _module_of(leaf) != module.__name__
    }
    assert misplaced == {}


def test_every_group_has_its_own_module() -> None:
    groups = {
        name: module.__name__
        for module in main.MODULES
        for command in module.COMMANDS
        if isinstance(command, click.Group)
        for name in [command.name]
    }
    assert groups == {name: f"provenance_cli.{name}" for name in groups}
    assert sorted(groups) == [
        "actor",
        "bundle",
        "evidence",
        "finding",
        "key",
        "log",
        "trace",
        "trust",
        "witness",
    ]


def _library_imports(path: Path) -> set[str]:
    """The library modules a file imports from (``from provenance import x``: x if a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "provenance"}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != "provenance":
                continue
            found.add(node.module)
            if node.module == "provenance":
                found |= {
                    f"provenance.{a.name}" for a in node.names if a.name not in provenance.__all__
                }
    return found


def test_the_command_line_uses_only_the_public_surface() -> None:
    private = {
        path.name: sorted(_library_imports(path) - PUBLIC_MODULES)
        for path in sorted((ROOT / "cli").glob("*.py"))
    }
    assert {name: found for name, found in private.items() if found} == {}


def test_docs_api_lists_every_public_name_once() -> None:
    text = (ROOT / "docs" / "api.md").read_text()
    front_door = text.split("## The documented modules")[0]
    items = front_door.split("\n- ")[1:]
    names = [name for item in items for name in re.findall(r"`(\w+)`", item.split(":")[0])]
    assert sorted(names) == sorted(provenance.__all__)
    for module in PUBLIC_MODULES - {"provenance"}:
        assert module.rsplit(".", 1)[-1] in text, module
