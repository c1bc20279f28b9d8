"""docs/cli.md documents every command the CLI has, and no command it lacks."""

from __future__ import annotations

import re
from pathlib import Path

import click

from provenance_cli.main import cli

DOC = (Path(__file__).resolve().parent.parent / "docs" / "cli.md").read_text()


def _commands(group: click.Group, prefix: str = "prov") -> list[str]:
    names = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            names.extend(_commands(command, f"{prefix} {name}"))
        else:
            names.append(f"{prefix} {name}")
    return names


def test_every_command_has_a_section() -> None:
    documented = set(re.findall(r"^### `(prov[^`]*)`$", DOC, re.M))
    assert documented == set(_commands(cli))


def test_exit_codes_documented() -> None:
    for code in ("| 0 |", "| 1 |", "| 2 |"):
        assert code in DOC
