"""The ``prov`` entry point."""

from __future__ import annotations

import click

from . import read, write
from .demo import demo


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="provenance-store")
def cli() -> None:
    """An event-sourced provenance store with signed statements.

    Every finding, assessment, challenge and response is an Ed25519-signed
    statement; 'prov verify' proves the record was not altered.

    Exit codes: 0 ok, 1 verification failed, 2 usage or bad input.
    Start with 'prov demo'.
    """


for command in [*read.COMMANDS, *write.COMMANDS, demo]:
    cli.add_command(command)


def main() -> None:
    """Run the CLI."""
    cli(prog_name="prov")
