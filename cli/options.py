"""Options and helpers shared by the command modules: the signing options, ``--as-of``."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from provenance import Likelihood, Location, Receipt, SigningKey, Store, sign_statement

from .context import echo_json, fail, json_option, keys_option, load_key, open_store, store_option

F = TypeVar("F", bound=Callable[..., Any])


def choices(literal: Any) -> click.Choice[str]:
    """A click choice of the values of a ``Literal`` type, e.g. ``Confidence``."""
    return click.Choice(list(literal.__args__))


@dataclass(frozen=True)
class Writer:
    """The options every signing command takes, and the append they lead to."""

    store_dir: Location
    keys_dir: Path | None
    key: str | None
    issued_at: str | None
    refs: tuple[str, ...]
    as_json: bool

    def append(self, *, kind: str, subject: str, body: dict[str, Any]) -> Receipt:
        """Sign ``body`` as the key's actor and append it, then say what was recorded."""
        return append(
            self.store_dir,
            self.keys_dir,
            self.key,
            kind=kind,
            subject=subject,
            body=body,
            refs=self.refs,
            issued_at=self.issued_at,
            as_json=self.as_json,
        )


def write_options(func: F) -> F:
    """Options every signing command takes, handed to it as one ``writer``."""

    @functools.wraps(func)
    def collect(
        *args: Any,
        store_dir: Location,
        keys_dir: Path | None,
        key: str | None,
        issued_at: str | None,
        refs: tuple[str, ...],
        as_json: bool,
        **kwargs: Any,
    ) -> Any:
        writer = Writer(store_dir, keys_dir, key, issued_at, refs, as_json)
        return func(*args, writer=writer, **kwargs)

    wrapped: Any = collect
    for option in reversed(
        [
            store_option,
            keys_option,
            click.option(
                "--key",
                envvar="PROV_KEY",
                help="Signing key: a name in the keys directory "
                "or a path to a PEM file (env PROV_KEY).",
            ),
            click.option(
                "--issued-at",
                help="The author's claimed UTC time, e.g. 2024-12-10T15:00:00Z (default: now).",
            ),
            click.option(
                "--ref",
                "refs",
                multiple=True,
                help="Id (or unique prefix) of an earlier statement this one answers or rests on.",
            ),
            json_option,
        ]
    ):
        wrapped = option(wrapped)
    return cast(F, wrapped)


def new_id(prefix: str) -> str:
    """A fresh subject id such as ``finding-3f9a0c1b2d4e``."""
    return f"{prefix}-{secrets.token_hex(6)}"


def clean(body: dict[str, Any]) -> dict[str, Any]:
    """Drop options that were not given, so the payload holds only what was said."""
    return {k: v for k, v in body.items() if v is not None and v != () and v != {}}


def append(
    store_dir: Location,
    keys_dir: Path | None,
    key_name: str | None,
    *,
    kind: str,
    subject: str,
    body: dict[str, Any],
    refs: tuple[str, ...],
    issued_at: str | None,
    as_json: bool,
) -> Receipt:
    """Sign a statement with the chosen key, as the actor that key belongs to, and append it."""
    with open_store(store_dir) as store:
        key = load_key(keys_dir, key_name)
        author = author_of(store, key)
        envelope = sign_statement(
            key,
            kind=kind,
            subject=subject,
            author=author,
            body=clean(body),
            refs=[store.resolve_statement(r) for r in refs],
            issued_at=issued_at,
        )
        receipt = store.append(envelope)
    print_receipt(receipt, kind, as_json)
    return receipt


def author_of(store: Store, key: SigningKey) -> str:
    """The actor a key is registered to in this store."""
    author = store.actor_for_key(key.key_id)
    if author is None:
        fail(
            f"key {key.name} ({key.key_id[:16]}…) is not registered to any actor in this store; "
            "register it first with 'prov actor add'"
        )
    return author


def print_receipt(receipt: Receipt, kind: str, as_json: bool) -> None:
    """Say what was recorded."""
    if as_json:
        echo_json(
            {
                "statement_id": receipt.statement_id,
                "subject": receipt.subject,
                "kind": kind,
                "position": receipt.position,
                "version": receipt.version,
                "duplicate": receipt.duplicate,
            }
        )
        return
    verb = "already recorded" if receipt.duplicate else "recorded"
    click.echo(
        f"{verb} {kind} on {receipt.subject} (version {receipt.version}, "
        f"position {receipt.position})\nstatement {receipt.statement_id}"
    )


likelihood_option = click.option(
    "--likelihood",
    type=choices(Likelihood),
    help="ICD 203 likelihood term (almost no chance ... almost certain).",
)


def as_of_option(func: Any) -> Any:
    """``--as-of WHEN``: a position in the store's order, or a UTC time."""
    return click.option(
        "--as-of",
        "as_of",
        help="Show the record as it stood then: a position (e.g. 12) or a UTC time "
        "(2024-12-10, 2024-12-10T15:00:00Z), mapped to the last statement recorded by then.",
    )(func)


def resolve(store: Store, as_of: str | None) -> int | None:
    """The position an ``--as-of`` value names (None for now)."""
    return None if as_of is None else store.resolve_as_of(as_of)


def say_position(store: Store, position: int | None) -> str:
    """One line saying which point of the record a view shows."""
    if position is None:
        position = store.size() - 1
        prefix = "now"
    else:
        prefix = "as of"
    row = store.index_range(position, 1)[0]
    return f"({prefix} position {position}, recorded {row.received_at})"
