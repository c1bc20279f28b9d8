"""The command line is laid out one module per command group (issue 11 §4).

Each module of ``provenance_cli`` that holds commands exports them in
``COMMANDS``; ``main`` lists those modules by name, and no command is added
to a group from another module.
"""

from __future__ import annotations

import click

from provenance_cli import main


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
