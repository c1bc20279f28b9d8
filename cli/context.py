"""What every command shares: locating the store and keys, errors and exit codes."""

from __future__ import annotations

import functools
import json
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from provenance import (
    KeyRing,
    Location,
    ProvenanceError,
    SigningKey,
    Store,
    VerificationError,
    default_keys_dir,
    is_encrypted,
    parse_location,
    printable,
)

EXIT_OK = 0
EXIT_VERIFY_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE: what a shell reports for a program whose reader went away (``| head``)."""

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print one line to stderr and exit.

    The message is made :func:`~provenance_cli.output.printable` first: it
    may quote hostile text (a name, a file's content), whose control
    characters must not break the line or rewrite the terminal.
    """
    click.echo(f"error: {printable(message)}", err=True)
    sys.exit(code)


def exit_broken_pipe() -> NoReturn:
    """Exit quietly with 141 because the reader of standard output went away.

    Standard output is pointed at /dev/null first, so that the interpreter's
    final flush does not fail a second time (Python's signal module
    documentation, "Note on SIGPIPE").
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except Exception:  # no file descriptor (CliRunner): nothing to flush there
        pass
    sys.exit(EXIT_BROKEN_PIPE)


def hostile_input_message(e: BaseException) -> str | None:
    """The one line for an error that only hostile or pathological input causes, else None.

    The parsers refuse such input with an InputError before it gets this far
    (provenance/rules/strict_json.py); this is the net under every command.
    """
    if isinstance(e, RecursionError):
        return "the input is nested too deeply to be processed"
    if isinstance(e, OverflowError):
        return f"a number in the input is out of range ({e})"
    if isinstance(e, UnicodeError):
        return f"the input holds text that is not valid Unicode ({type(e).__name__})"
    return None


def handle_errors(func: F) -> F:
    """Turn library errors into a one-line message and an exit code; no traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except VerificationError as e:
            fail(str(e), EXIT_VERIFY_FAILED)
        except ProvenanceError as e:
            fail(str(e), EXIT_BAD_INPUT)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except BrokenPipeError:
            exit_broken_pipe()
        except (RecursionError, OverflowError, UnicodeError) as e:
            fail(hostile_input_message(e) or str(e), EXIT_BAD_INPUT)
        except OSError as e:
            fail(f"{e.strerror or e}: {e.filename}" if e.filename else str(e), EXIT_BAD_INPUT)
        except Exception as e:
            if os.environ.get("PROV_DEBUG"):
                traceback.print_exc()
            fail(
                f"internal error ({type(e).__name__}: {e}); set PROV_DEBUG=1 for a traceback",
                EXIT_INTERNAL,
            )

    return wrapper  # type: ignore[return-value]


class StoreLocation(click.ParamType):  # type: ignore[type-arg]
    """A store directory or a ``postgresql://`` URL, checked as the command line is read."""

    name = "STORE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, Location):
            return value
        try:
            location = parse_location(str(value))
        except ProvenanceError as e:
            self.fail(str(e), param, ctx)
        if location.path is not None and location.path.exists() and not location.path.is_dir():
            self.fail(f"store directory {location.path} is a file", param, ctx)
        return location


def store_option(func: F) -> F:
    """``--store DIR|URL`` (or ``PROV_STORE``), default ``./prov-store``."""
    return click.option(
        "--store",
        "store_dir",
        envvar="PROV_STORE",
        default="prov-store",
        show_default=True,
        type=StoreLocation(),
        help="Store directory, or postgresql://USER@HOST:PORT/DB[?schema=NAME] (env PROV_STORE).",
    )(func)


def keys_option(func: F) -> F:
    """``--keys DIR`` (or ``PROV_KEYS``)."""
    return click.option(
        "--keys",
        "keys_dir",
        envvar="PROV_KEYS",
        default=None,
        type=click.Path(file_okay=False, path_type=Path),
        help=f"Keys directory (env PROV_KEYS; default {default_keys_dir()}).",
    )(func)


def json_option(func: F) -> F:
    """``--json``: machine-readable output on stdout."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(func)


def keyring(keys_dir: Path | None) -> KeyRing:
    """The key ring in the chosen directory."""
    return KeyRing(keys_dir or default_keys_dir())


def new_passphrase(encrypt: bool) -> str | None:
    """The passphrase for a new key: PROV_PASSPHRASE, a prompt with --encrypt, or none."""
    env = os.environ.get("PROV_PASSPHRASE")
    if env:
        return env
    if encrypt:
        value: str = click.prompt(
            "Passphrase for the new key", hide_input=True, confirmation_prompt=True
        )
        return value
    return None


def load_key(keys_dir: Path | None, key: str | None) -> SigningKey:
    """Load the signing key named by ``--key``/``PROV_KEY``, asking for a passphrase if needed."""
    if not key:
        fail("no signing key: pass --key NAME or set PROV_KEY")
    ring = keyring(keys_dir)
    path = ring.path_of(key)
    passphrase = os.environ.get("PROV_PASSPHRASE")
    if passphrase is None and is_encrypted(path):
        if not sys.stdin.isatty():
            fail(f"key file {path} is encrypted: set PROV_PASSPHRASE")
        passphrase = click.prompt(f"Passphrase for {path.name}", hide_input=True)
    return ring.load(key, passphrase)


def open_store(store_dir: Location | Path | str) -> Store:
    """Open the store and bring its views up to date."""
    store = Store.open(store_dir)
    store.views.catch_up()
    if store.views.read_only:
        lag = store.views.lag()
        if lag:
            click.echo(
                f"warning: the views lag {lag} statement(s) behind the record and this "
                "connection may not update them; a writer's next command will",
                err=True,
            )
    store.catch_up_on_close = True
    return store


def echo_json(obj: Any) -> None:
    """Print an object as indented JSON."""
    click.echo(json.dumps(obj, indent=2, ensure_ascii=False))
