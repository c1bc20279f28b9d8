"""Where a store lives: a directory (SQLite) or a PostgreSQL URL.

``--store`` and ``PROV_STORE`` take either. A value that starts with
``postgresql://`` or ``postgres://`` names a PostgreSQL database::

    postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME[?schema=NAME]

``schema`` (default ``public``) lets several stores share one database, one
schema each. Any other value is a directory holding an SQLite store.
A password is better given in ``PGPASSWORD`` or ``~/.pgpass`` than in the URL,
where it would show in the process list; it is never printed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from provenance.errors import InputError

SCHEMES = ("postgresql://", "postgres://")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
PG_PORT = 5432


@dataclass(frozen=True)
class PgAddress:
    """The parts of a PostgreSQL store URL."""

    host: str
    port: int
    user: str
    dbname: str
    schema: str = "public"
    password: str = field(default="", repr=False)

    def __str__(self) -> str:
        schema = "" if self.schema == "public" else f"?schema={self.schema}"
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}{schema}"


@dataclass(frozen=True)
class Location:
    """A store's place: exactly one of ``path`` (SQLite) and ``pg`` (PostgreSQL) is set."""

    path: Path | None = None
    pg: PgAddress | None = None

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgres"``."""
        return "sqlite" if self.pg is None else "postgres"

    def __str__(self) -> str:
        return str(self.pg) if self.pg is not None else str(self.path)


def parse_location(value: str | Path | Location) -> Location:
    """A store location from ``--store``; InputError if a PostgreSQL URL is malformed."""
    if isinstance(value, Location):
        return value
    if isinstance(value, Path):
        return Location(path=value)
    text = value.strip()
    if not text.lower().startswith(SCHEMES):
        return Location(path=Path(text))
    return Location(pg=parse_pg_url(text))


def _split_userinfo(text: str) -> tuple[str, str, str, str]:
    """Split ``scheme://USER[:PASSWORD]@REST`` without trusting the password's characters.

    The password ends at the last ``@`` of the URL and starts after the first
    ``:`` of the user information, so a ``/``, ``@``, ``:``, ``?`` or ``#`` in it
    (percent-encoded or not) stays inside it. A ``@`` in the database name
    must therefore be written ``%40``.

    Returns:
        ``(scheme, user, password, rest)``, user and password still quoted;
        password is ``""`` and user is ``""`` when the URL holds no ``@``.
    """
    scheme, _, after = text.partition("://")
    userinfo, at, rest = after.rpartition("@")
    if not at:
        return scheme, "", "", after
    user, _, password = userinfo.partition(":")
    return scheme, user, password, rest


def redact_url(text: str) -> str:
    """``text`` with the password of a PostgreSQL URL replaced by ``***``, if it has one."""
    if not text.lower().startswith(SCHEMES):
        return text
    scheme, _, after = text.partition("://")
    userinfo, at, rest = after.rpartition("@")
    if not at or ":" not in userinfo:
        return text
    return f"{scheme}://{userinfo.partition(':')[0]}:***@{rest}"


def parse_pg_url(text: str) -> PgAddress:
    """The parts of ``postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME[?schema=NAME]``.

    The password is never part of an error message, whatever characters it
    holds (see :func:`redact_url`).
    """
    shown = redact_url(text)
    scheme, user, password, rest = _split_userinfo(text)
    try:
        # The user information is parsed apart, so urlsplit sees no password.
        url = urlsplit(f"{scheme}://{'x@' if user else ''}{rest}")
        port = url.port or PG_PORT
    except ValueError:
        # The message of urlsplit's error may quote the netloc: name the flaw only.
        raise InputError(f"store URL {shown} is malformed (bad host or port)") from None
    if not url.hostname:
        raise InputError(f"store URL {shown} names no host (postgresql://USER@HOST:PORT/DB)")
    if not user:
        raise InputError(f"store URL {shown} names no user (postgresql://USER@HOST:PORT/DB)")
    dbname = unquote(url.path.lstrip("/"))
    if not dbname or "/" in dbname:
        raise InputError(f"store URL {shown} names no database (postgresql://USER@HOST:PORT/DB)")
    query = parse_qs(url.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"schema"})
    if unknown:
        raise InputError(f"store URL {shown}: unknown parameter {unknown[0]!r} (only 'schema')")
    schema = query.get("schema", ["public"])[-1]
    if not _IDENTIFIER.fullmatch(schema):
        raise InputError(
            f"store URL {shown}: schema {schema!r} must be a lower-case SQL identifier"
        )
    return PgAddress(
        host=url.hostname,
        port=port,
        user=unquote(user),
        dbname=dbname,
        schema=schema,
        password=unquote(password),
    )
