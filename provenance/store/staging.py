"""Building a new store aside and putting it in place only once it is complete.

``prov copy`` and ``prov import`` into a new store write many statements, each
in its own transaction. Killed halfway, they would leave a store that holds a
prefix of the record, opens and verifies as if it were whole, and blocks the
next attempt. So they build the new store at a *staging* location and move it
to the target in one atomic step at the end:

- SQLite: the store is built in a hidden sibling directory
  ``.<name>.prov-staging`` and renamed onto the target (``rename(2)`` is atomic,
  and replaces the target only if it is an empty directory).
- PostgreSQL: the store is built in the schema ``prov_staging_<schema>`` of the
  same database; one transaction then moves every table, view and type into
  the target schema and drops the staging schema (PostgreSQL's DDL is
  transactional, so the move happens whole or not at all).

Only one build per target runs at a time: an ``flock`` on
``.<name>.prov-staging.lock`` (SQLite) or a session advisory lock (PostgreSQL)
is held for the whole build. Both locks end with the process that holds them,
so a build killed by ``SIGKILL`` leaves its staging area unlocked, and the next
build of the same target removes it before it starts: an interrupted copy or
import never blocks a second one.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from provenance.errors import StoreError
from provenance.store.location import Location, PgAddress
from provenance.store.store import DB_NAME

STAGING_SUFFIX = ".prov-staging"
"""The suffix of an SQLite staging directory (``.<name>.prov-staging``)."""

PG_STAGING_PREFIX = "prov_staging_"
"""The prefix of a PostgreSQL staging schema."""

_PG_MAX_IDENTIFIER = 63


class Staging:
    """A store being built aside; :meth:`place` moves it to the target.

    Attributes:
        target: where the finished store goes.
        location: where it is built meanwhile.
    """

    def __init__(self, target: Location, location: Location) -> None:
        self.target = target
        self.location = location
        self.placed = False

    def place(self) -> None:
        """Move the finished (and closed) store to the target in one atomic step.

        Raises:
            StoreError: the target now holds something (a store, or files).
        """
        if self.target.pg is not None:
            assert self.location.pg is not None
            _pg_place(self.location.pg, self.target.pg)
        else:
            assert self.location.path is not None and self.target.path is not None
            _dir_place(self.location.path, self.target.path)
        self.placed = True


@contextlib.contextmanager
def staged(target: Location) -> Iterator[Staging]:
    """Lock the target's staging area, clear what a killed build left, and yield it.

    The caller builds a store at ``staging.location``, closes it and calls
    :meth:`Staging.place`. If the block raises (or never places the store),
    the staging area is removed: nothing is left behind.

    Args:
        target: where the new store is to live; must not hold a store, and
            (SQLite) must be absent or an empty directory.

    Raises:
        StoreError: the target is taken, or another build of it is running.
    """
    if target.pg is not None:
        with _pg_staged(target.pg) as staging:
            yield staging
    else:
        assert target.path is not None
        with _dir_staged(target.path) as staging:
            yield staging


# -- SQLite: a sibling directory --------------------------------------------------------


def _dir_check_free(path: Path) -> None:
    if (path / DB_NAME).exists():
        raise StoreError(f"a store already exists at {path}")
    if path.exists() and (not path.is_dir() or not _is_empty(path)):
        raise StoreError(f"{path} exists and is not an empty directory; choose another place")


def _is_empty(directory: Path) -> bool:
    with os.scandir(directory) as entries:  # closed at once, not when collected
        return next(entries, None) is None


@contextlib.contextmanager
def _dir_staged(path: Path) -> Iterator[Staging]:
    _dir_check_free(path)
    path = Path(os.path.abspath(path))
    # Directories made here go again if nothing is placed: a failure leaves no trace.
    made = [p for p in path.parents if not p.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.parent / f".{path.name}{STAGING_SUFFIX}.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    work = path.parent / f".{path.name}{STAGING_SUFFIX}"
    staging = Staging(Location(path=path), Location(path=work))
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(f"another copy or import into {path} is running") from None
        # Ours now: whatever is there was left by a build that was killed.
        if work.exists():
            shutil.rmtree(work)
        try:
            yield staging
        finally:
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)
    finally:
        if made and not staging.placed:
            # Nobody else can be waiting on a lock file in a directory made just now.
            lock_path.unlink(missing_ok=True)
            for directory in made:  # deepest first; only empty directories go
                try:
                    directory.rmdir()
                except OSError:
                    break
        # Otherwise the lock file stays: removing it would let two builds lock two files.
        os.close(fd)


def _dir_place(work: Path, path: Path) -> None:
    _dir_check_free(path)
    # rename(2) replaces an empty directory atomically, and refuses a full one.
    try:
        os.rename(work, path)
    except OSError as e:
        raise StoreError(f"cannot put the new store in place at {path}: {e.strerror}") from e
    parent = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(parent)  # the rename itself survives a power cut
    finally:
        os.close(parent)


# -- PostgreSQL: a schema of the same database -----------------------------------------


def pg_staging_schema(schema: str) -> str:
    """The staging schema of a target schema (a digest if the name would be too long)."""
    name = PG_STAGING_PREFIX + schema
    if len(name) <= _PG_MAX_IDENTIFIER:
        return name
    return PG_STAGING_PREFIX + hashlib.sha256(schema.encode()).hexdigest()[:32]


def _lock_key(schema: str) -> int:
    """A signed 64-bit advisory lock key for one target schema."""
    digest = hashlib.sha256(f"prov-staging:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextlib.contextmanager
def _pg_staged(address: PgAddress) -> Iterator[Staging]:
    from psycopg import Error
    from psycopg.sql import SQL, Identifier

    from provenance.store import postgres

    if postgres.has_store(address):
        raise StoreError(f"a store already exists at {address}")
    work = replace(address, schema=pg_staging_schema(address.schema))
    # A session lock: released when this connection ends, however the process ends.
    with postgres.connect(address) as conn:
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (_lock_key(address.schema),))
        locked = row.fetchone()
        if not locked or not locked[0]:
            raise StoreError(f"another copy or import into {address} is running")
        drop = SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(work.schema))
        conn.execute(drop)  # left by a build that was killed
        staging = Staging(Location(pg=address), Location(pg=work))
        try:
            yield staging
        finally:
            if not staging.placed:
                with contextlib.suppress(Error):
                    conn.execute(drop)


def _pg_place(work: PgAddress, address: PgAddress) -> None:
    """Move every object of the staging schema into the target schema, in one transaction."""
    from psycopg.sql import SQL, Identifier

    from provenance.store import postgres

    src, dst = Identifier(work.schema), Identifier(address.schema)
    with postgres.connect(address) as conn, conn.transaction():
        conn.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(dst))
        taken = conn.execute("SELECT to_regclass(%s)", (f"{address.schema}.prov_meta",))
        found = taken.fetchone()
        if found is not None and found[0] is not None:
            raise StoreError(f"a store already exists at {address}")
        # Function bodies are text that names the staging schema: rewrite them.
        functions = _pg_functions(conn, work.schema)
        for signature, _ in functions:
            conn.execute(SQL("DROP FUNCTION {}.{}").format(src, SQL(signature)))
        for name, kind in _pg_relations(conn, work.schema):
            what = {"v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE", "c": "TYPE"}
            statement = "ALTER {} {}.{} SET SCHEMA {}"
            kind_sql = SQL(what.get(kind, "TABLE"))
            conn.execute(SQL(statement).format(kind_sql, src, Identifier(name), dst))
        for _, definition in functions:
            conn.execute(_retarget(conn, definition, work.schema, address.schema))
        # RESTRICT: anything not moved fails the move, which then rolls back whole.
        conn.execute(SQL("DROP SCHEMA {} RESTRICT").format(src))


def _pg_relations(conn: Any, schema: str) -> list[tuple[str, str]]:
    """Tables, views, free sequences and composite types (indexes and owned sequences
    move with their tables)."""
    rows = conn.execute(
        "SELECT c.relname, c.relkind FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'c', 'f') "
        "AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d "
        "  WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))) "
        "AND NOT (c.relkind = 'c' AND EXISTS (SELECT 1 FROM pg_type t "
        "  WHERE t.typrelid = c.oid AND t.typtype <> 'c')) "
        "ORDER BY c.relkind, c.relname",
        (schema,),
    ).fetchall()
    return [(str(name), str(kind)) for name, kind in rows]


def _pg_functions(conn: Any, schema: str) -> list[tuple[str, str]]:
    """Each function's ``name(argument types)`` and its full definition."""
    rows = conn.execute(
        "SELECT quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) "
        "|| ')', pg_get_functiondef(p.oid) FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %s",
        (schema,),
    ).fetchall()
    return [(str(signature), str(definition)) for signature, definition in rows]


def _retarget(conn: Any, definition: str, old: str, new: str) -> Any:
    """A function definition with every mention of the staging schema replaced."""
    from psycopg.sql import SQL, Identifier

    quoted = Identifier(new).as_string(conn)
    text = definition.replace(f'"{old}"', quoted).replace(old, quoted)
    return SQL(text)  # our own catalogue's text, not input
