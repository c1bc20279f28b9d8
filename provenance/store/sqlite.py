"""The SQLite recorder: eventsourcing's, with the store tables and an in-transaction hook.

``insert_events`` accepts an ``in_transaction`` callable (passed through
``EventStore.put``); it runs after the event rows are inserted, with the same
cursor, before the commit. The store uses it to write the statement index, to
check every rule and to write the log: if it raises, nothing is written.

A transaction that writes begins with ``BEGIN IMMEDIATE``: it takes the
database's one write lock before it reads anything, so a read can never go
stale before the write (which SQLite would refuse at once, busy handler or
not). Writers from other processes wait their turn for up to
``SQLITE_LOCK_TIMEOUT`` seconds; past that the store says it is busy, in one
line, instead of "database is locked".
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import (
    DatabaseError,
    IntegrityError,
    OperationalError,
    PersistenceError,
    StoredEvent,
)
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteFactory,
)

from provenance.errors import StoreError
from provenance.store.logtable import LOG_TABLES
from provenance.store.tables import STORE_TABLES, Tx

SCHEMA_VERSION = 3


class StatementRecorder(SQLiteApplicationRecorder):
    """eventsourcing's SQLite application recorder with the store's tables."""

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *STORE_TABLES, *LOG_TABLES]

    @contextmanager
    def _begin(self, *, commit: bool) -> Iterator[SQLiteCursor]:
        with self.datastore.get_connection(commit=commit) as conn:
            cursor = conn.cursor()
            try:
                cursor.execute("BEGIN IMMEDIATE" if commit else "BEGIN")
                yield cursor
            except sqlite3.Error as e:
                conn.rollback()
                raise _translate(e, self.datastore) from e
            except BaseException:
                conn.rollback()
                raise
            else:
                try:
                    conn.commit() if commit else conn.rollback()
                except sqlite3.Error as e:
                    raise _translate(e, self.datastore) from e
            finally:
                cursor.sqlite_cursor.close()

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[Tx]:
        """A transaction (rolled back unless ``commit``); a writing one holds the write lock."""
        with self._begin(commit=commit) as cursor:
            yield Tx(cursor.sqlite_cursor)

    @contextmanager
    def snapshot(self) -> Iterator[Tx]:
        """One read transaction whose every query sees the database as of its first read.

        In WAL mode a read transaction keeps the snapshot it began with until it
        ends, whatever other connections commit meanwhile (SQLite, "Write-Ahead
        Logging" §2.2 "Concurrency"). The first read is made here, so the
        snapshot is fixed before the caller reads anything.
        """
        with self._begin(commit=False) as cursor:
            cursor.sqlite_cursor.execute("SELECT COUNT(*) FROM sqlite_master")
            cursor.sqlite_cursor.fetchall()
            yield Tx(cursor.sqlite_cursor)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Insert the events and run ``in_transaction`` in the same transaction.

        ``versioned``, if given, is called first, under the write lock, and
        returns the events to insert in place of ``stored_events`` (a writer
        that lost a race reads its subject's version where no one can move it).
        """
        with self._begin(commit=True) as cursor:
            versioned = kwargs.get("versioned")
            if versioned is not None:
                stored_events = versioned(Tx(cursor.sqlite_cursor), stored_events)
            notification_ids = super()._insert_events(cursor, stored_events, **kwargs)
            in_transaction = kwargs.get("in_transaction")
            if in_transaction is not None:
                assert notification_ids is not None
                in_transaction(Tx(cursor.sqlite_cursor), list(notification_ids))
        return notification_ids


def _translate(e: sqlite3.Error, datastore: SQLiteDatastore) -> Exception:
    """eventsourcing's exception for an sqlite3 error; a lock held too long is StoreError."""
    if isinstance(e, sqlite3.OperationalError) and "locked" in str(e):
        return StoreError(
            f"the store is busy: another writer held it for over {datastore.pool.lock_timeout} s; "
            "try again"
        )
    if isinstance(e, sqlite3.IntegrityError):
        return IntegrityError(e)
    if isinstance(e, sqlite3.OperationalError):
        return OperationalError(e)
    if isinstance(e, sqlite3.DatabaseError):
        return DatabaseError(e)
    return PersistenceError(e)


class StoreFactory(SQLiteFactory):
    """eventsourcing's SQLite factory, with a pool that keeps one connection warm.

    The default pool hands out its five connections in turn, so each
    transaction runs on a connection whose page cache another connection's
    commit has invalidated; reads then go back to the file for every page.
    One pooled connection (more are opened on demand and closed after use)
    keeps the cache valid between one writer's transactions.
    """

    POOL_SIZE = 1

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        default = self.datastore
        self.datastore = SQLiteDatastore(
            db_name=default.pool.db_name,
            lock_timeout=default.pool.lock_timeout,
            pool_size=self.POOL_SIZE,
            single_row_tracking=default.single_row_tracking,
            originator_id_type=default.originator_id_type,
        )
        default.close()
