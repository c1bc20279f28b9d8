"""The ``prov`` entry point."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from typing import Any

import click

from provenance import printable

from . import (
    actor,
    bundle,
    challenge,
    demo,
    evidence,
    finding,
    key,
    log,
    store,
    trace,
    transfer,
    trust,
    views,
    withdraw,
    witness,
)
from .context import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    exit_broken_pipe,
    fail,
    hostile_input_message,
)


class ProvGroup(click.Group):
    """A group whose usage errors are one line, like every other error of ``prov``."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        _escape_unencodable_output()
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except BrokenPipeError:
            exit_broken_pipe()
        except click.UsageError as e:
            hint = f" (see '{e.ctx.command_path} --help')" if e.ctx is not None else ""
            click.echo(f"error: {printable(e.format_message())}{hint}", err=True)
            sys.exit(e.exit_code)
        except click.ClickException as e:
            click.echo(f"error: {printable(e.format_message())}", err=True)
            sys.exit(e.exit_code)
        except click.Abort:
            click.echo("error: aborted", err=True)
            sys.exit(1)
        except Exception as e:  # raised outside a command's handle_errors
            hostile = hostile_input_message(e)
            if hostile is not None:
                fail(hostile, EXIT_BAD_INPUT)
            fail(f"internal error ({type(e).__name__}: {e})", EXIT_INTERNAL)
        sys.exit(result if isinstance(result, int) else 0)


def _escape_unencodable_output() -> None:
    """Print what cannot be encoded (a lone surrogate from argv or a file) as an escape.

    Without this, text holding ``\\udcff`` (a non-UTF-8 byte of a file name,
    decoded with surrogateescape) raises UnicodeEncodeError when printed.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            # A closed or foreign stream is left as it is.
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="backslashreplace")


@click.group(
    cls=ProvGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="provenance-store")
def cli() -> None:
    """An event-sourced provenance store with signed statements.

    Every finding, assessment, challenge and response is an Ed25519-signed
    statement; 'prov verify' proves the record was not altered.

    Exit codes: 0 ok, 1 verification failed, 2 usage or bad input, 3 internal
    error; 141 when the reader of the output went away (as in 'prov export | head').

    \b
    Example:
      prov demo                       # build and tell the case in ./prov-demo
      prov verify --store prov-demo/store
    """


MODULES = [
    store,
    key,
    actor,
    evidence,
    finding,
    challenge,
    trace,
    withdraw,
    views,
    transfer,
    log,
    witness,
    bundle,
    trust,
    demo,
]
"""The command modules; each exports its commands in ``COMMANDS``."""

for module in MODULES:
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    """Run the CLI."""
    cli(prog_name="prov")
