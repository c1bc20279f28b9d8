"""What went wrong when the database failed: one line saying so, never "internal error".

A database that fails is not evidence about the record. A full disk, a
read-only copy, a PostgreSQL connection cut by the server: each is reported as
a :class:`StoreError` that names what happened (exit 2: the store cannot be
used or checked now), never as a missing table or as tampering.
"""

from __future__ import annotations

import errno
import os
import sqlite3

# The persistence library's errors, for the layers above that must tell them
# apart: this package is the only one that imports eventsourcing.
from eventsourcing.persistence import IntegrityError, PersistenceError

from provenance.errors import StoreError
from provenance.store.location import Location

__all__ = [
    "IntegrityError",
    "PersistenceError",
    "kind_of",
    "reason",
    "unavailable",
    "what_happened",
]

# PostgreSQL SQLSTATE codes (Appendix A of the PostgreSQL manual).
_PG_DISK_FULL = "53100"
_PG_READ_ONLY = "25006"
_PG_PRIVILEGE = "42501"
_PG_SHUTDOWN = ("57P01", "57P02", "57P03")  # admin_shutdown, crash_shutdown, cannot_connect_now
_PG_CONNECTION = "08"  # connection_exception class

_LOST_TEXT = (
    "terminating connection",
    "server closed the connection",
    "connection is closed",
    "connection already closed",
    "consuming input failed",
    "the connection is lost",
    "connection is lost",
    "no connection to the server",
    "could not receive data",
    "ssl syscall error",
)


def _chain(e: BaseException) -> list[BaseException]:
    """The exception and every cause or context behind it."""
    seen: list[BaseException] = []
    current: BaseException | None = e
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _sqlstate(e: BaseException) -> str:
    for link in _chain(e):
        state = getattr(link, "sqlstate", None)
        if isinstance(state, str):
            return state
    return ""


def _text(e: BaseException) -> str:
    return " ".join(" ".join(str(link) for link in _chain(e)).split()).lower()


def kind_of(e: BaseException) -> str:
    """``"full"``, ``"read-only"``, ``"lost"``, ``"missing-table"`` or ``"other"``."""
    state, text = _sqlstate(e), _text(e)
    for link in _chain(e):
        if isinstance(link, OSError) and link.errno in (errno.ENOSPC, errno.EDQUOT):
            return "full"
        if isinstance(link, OSError) and link.errno == errno.EROFS:
            return "read-only"
        if isinstance(link, sqlite3.Error) and getattr(link, "sqlite_errorcode", None) == 13:
            return "full"  # SQLITE_FULL
    if state == _PG_DISK_FULL or "database or disk is full" in text or "no space left" in text:
        return "full"
    if (
        state in (_PG_READ_ONLY, _PG_PRIVILEGE)
        or "readonly database" in text
        or "read-only file system" in text
        or "permission denied" in text
    ):
        return "read-only"
    if state in _PG_SHUTDOWN or state.startswith(_PG_CONNECTION):
        return "lost"
    if any(phrase in text for phrase in _LOST_TEXT):
        return "lost"
    if (
        "no such table" in text
        or state == "42P01"
        or ("relation" in text and "does not exist" in text)
    ):
        return "missing-table"
    return "other"


def reason(e: BaseException) -> str:
    """The database's own words, on one line."""
    return " ".join(str(e).split()) or type(e).__name__


def _disk_full(location: Location | None) -> bool:
    """Whether the file system holding an SQLite store has no byte left for this user."""
    if location is None or location.path is None:
        return False
    try:
        stat = os.statvfs(location.path)
    except OSError:
        return False
    return stat.f_bavail == 0 or stat.f_favail == 0


def what_happened(location: Location | None, e: BaseException) -> str:
    """What happened, in a few words, then the database's own words in brackets."""
    return f"{_what(location, e, writing=False)} ({reason(e)})"


def _what(location: Location | None, e: BaseException, *, writing: bool) -> str:
    kind = kind_of(e)
    if kind == "other" and "disk i/o error" in _text(e) and _disk_full(location):
        # SQLite says only SQLITE_IOERR when it cannot grow its -shm index on a
        # full file system; the file system itself tells why.
        kind = "full"
    if kind == "full":
        return "the disk holding the store is full"
    if kind == "read-only":
        return "the store may only be read here" if writing else "the store cannot be read here"
    if kind == "lost":
        return "the connection to the database was lost (cut by the server or the network)"
    if "couldn't get a connection" in _text(e):
        return "no connection to the database could be had"
    return "the database failed"


def unavailable(location: Location, e: BaseException, *, writing: bool) -> StoreError:
    """A StoreError that says what happened to the database at ``location``."""
    what, why = _what(location, e, writing=writing), reason(e)
    if writing:
        return StoreError(
            f"cannot write to the store at {location}: {what} ({why}); nothing was written"
        )
    return StoreError(f"cannot read the store at {location}: {what} ({why})")
