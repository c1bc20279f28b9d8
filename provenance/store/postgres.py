"""The PostgreSQL backend: eventsourcing's PostgreSQL recorder with the store's tables.

It needs the optional driver (``pip install 'provenance-store[postgres]'``);
:func:`require_driver` says so when it is missing.

An append is one transaction, as on SQLite: eventsourcing takes its EXCLUSIVE
lock on the events table (so notification ids follow commit order), inserts
the event, and then the store's ``in_transaction`` callback writes the index
row, checks every rule and writes the log's nodes with the same connection.
If anything fails the transaction rolls back whole. Unlike eventsourcing's own
``insert_events``, a failed append is not retried here: the store decides
(a version clash is retried by :meth:`Store.append`; a lost connection is
reported, since only a fresh look at the store can tell whether it committed).

A rolled-back insert leaves a gap in the notification ids; positions, and so
the log's leaf indexes, are computed from the statement index instead and
stay dense.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresFactory,
)
from psycopg.rows import tuple_row
from psycopg.sql import SQL

from provenance.errors import StoreError
from provenance.store.failures import what_happened
from provenance.store.location import PgAddress
from provenance.store.tables import Tx, ddl

CONNECT_TIMEOUT = 5
"""Seconds to wait for the server before saying it cannot be reached."""

LOCK_TIMEOUT = 60
"""Seconds a writer waits for another's append to finish before giving up."""


def env_for(address: PgAddress, *, create: bool) -> dict[str, str]:
    """The eventsourcing settings of a store at ``address``."""
    return {
        "PERSISTENCE_MODULE": "provenance.store.postgres:PgStoreFactory",
        "APPLICATION_RECORDER_TOPIC": "provenance.store.postgres:PgStatementRecorder",
        "POSTGRES_DBNAME": address.dbname,
        "POSTGRES_HOST": address.host,
        "POSTGRES_PORT": str(address.port),
        "POSTGRES_USER": address.user,
        "POSTGRES_PASSWORD": address.password,
        "POSTGRES_SCHEMA": address.schema,
        "POSTGRES_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT),
        "POSTGRES_LOCK_TIMEOUT": str(LOCK_TIMEOUT),
        "POSTGRES_POOL_SIZE": "1",
        "POSTGRES_MAX_OVERFLOW": "4",
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "300",
        "POSTGRES_PRE_PING": "y",
        "ORIGINATOR_ID_TYPE": "text",
        "CREATE_TABLE": "y" if create else "n",
    }


def connect(address: PgAddress) -> psycopg.Connection[Any]:
    """A plain connection (autocommit), or StoreError naming the server if it cannot be had."""
    try:
        return psycopg.connect(
            host=address.host,
            port=address.port,
            user=address.user,
            dbname=address.dbname,
            password=address.password or None,
            connect_timeout=CONNECT_TIMEOUT,
            autocommit=True,
            options=f"-c search_path={address.schema}",
        )
    except psycopg.Error as e:
        reason = " ".join(str(e).split()) or type(e).__name__
        raise StoreError(
            f"cannot connect to PostgreSQL at {address.host}:{address.port} "
            f"(database {address.dbname}, user {address.user}): {reason}"
        ) from None


def has_store(address: PgAddress) -> bool:
    """Tell whether the schema at ``address`` holds a store (its ``prov_meta`` table)."""
    with connect(address) as conn:
        try:
            row = conn.execute(
                "SELECT to_regclass(%s)", (f"{address.schema}.prov_meta",)
            ).fetchone()
        except psycopg.Error as e:
            raise StoreError(f"cannot use {address}: {what_happened(None, e)}") from None
    return row is not None and row[0] is not None


def create_schema(address: PgAddress) -> None:
    """Create the store's schema if it does not exist."""
    with connect(address) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_namespace WHERE nspname = %s", (address.schema,)
        ).fetchone()
        if found is not None:
            return
        try:
            conn.execute(
                SQL("CREATE SCHEMA IF NOT EXISTS {}").format(psycopg.sql.Identifier(address.schema))
            )
        except psycopg.Error as e:
            raise StoreError(f"cannot create schema {address.schema} in {address}: {e}") from None


STORE_RELATIONS = (
    "stored_events",
    "statement_index",
    "actors",
    "actor_keys",
    "prov_meta",
    "log_nodes",
    "checkpoints",
    "cosignatures",
    "blob_chunks",
    "blobs",
    "view_subjects",
    "view_history",
    "view_links",
    "view_tracking",
)
"""Every table of a store (``log_tree`` is a view on ``log_nodes``)."""


def drop_store(address: PgAddress) -> None:
    """Drop every table of the store at ``address`` (undoing a failed ``prov init``)."""
    ident = psycopg.sql.Identifier
    with connect(address) as conn, conn.transaction():
        for name in STORE_RELATIONS:
            conn.execute(
                SQL("DROP TABLE IF EXISTS {}.{} CASCADE").format(ident(address.schema), ident(name))
            )
        conn.execute(
            SQL("DROP FUNCTION IF EXISTS {}.es_insert_events_text").format(ident(address.schema))
        )
        conn.execute(SQL("DROP TYPE IF EXISTS {}.stored_event_text").format(ident(address.schema)))


class PgStatementRecorder(PostgresApplicationRecorder):
    """eventsourcing's PostgreSQL application recorder with the store's tables."""

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        from provenance.store.logtable import LOG_TABLES  # the log imports tables
        from provenance.store.pg_blobs import BLOB_TABLES
        from provenance.store.tables import STORE_TABLES

        for statement in (*STORE_TABLES, *LOG_TABLES, *BLOB_TABLES):
            self.sql_create_statements.append(SQL(ddl(statement, "postgres")))  # type: ignore[arg-type]

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[Tx]:
        """A transaction whose rows are tuples; rolled back unless ``commit``."""
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(force_rollback=not commit),
            conn.cursor(row_factory=tuple_row) as cursor,
        ):
            yield Tx(cursor, "%s", "postgres")

    @contextmanager
    def snapshot(self) -> Iterator[Tx]:
        """One REPEATABLE READ, READ ONLY transaction: every query sees one snapshot.

        PostgreSQL takes the snapshot at the transaction's first query and keeps
        it to the end (PostgreSQL manual §13.2.2 "Repeatable Read Isolation
        Level"); it is fixed here, before the caller reads anything.
        """
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(force_rollback=True),
            conn.cursor(row_factory=tuple_row) as cursor,
        ):
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT 1")
            yield Tx(cursor, "%s", "postgres")

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Insert the events and run ``in_transaction`` in the same transaction; no retry.

        ``versioned``, if given, is called first, under the table lock, and
        returns the events to insert in place of ``stored_events`` (a writer
        that lost a race reads its subject's version where no one can move it).
        """
        in_transaction = kwargs.get("in_transaction")
        versioned = kwargs.get("versioned")
        with self.datastore.get_connection() as conn, conn.transaction():
            with conn.cursor() as curs:
                # eventsourcing's lock_timeout setting and its EXCLUSIVE table lock,
                # sent together: one round trip.
                curs.execute(SQL("; ").join(self.lock_table_statements))
            if versioned is not None:
                with conn.cursor(row_factory=tuple_row) as cursor:
                    stored_events = versioned(Tx(cursor, "%s", "postgres"), stored_events)
            with conn.cursor() as curs:
                PostgresAggregateRecorder._insert_stored_events(self, curs, stored_events)
                ids = [int(row["notification_id"]) for row in curs.fetchall()]
            if in_transaction is not None:
                with conn.cursor(row_factory=tuple_row) as cursor:
                    in_transaction(Tx(cursor, "%s", "postgres"), ids)
        return ids


class PgStoreFactory(PostgresFactory):
    """eventsourcing's PostgreSQL factory; every connection sees the store's schema first."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        pool = self.datastore.pool
        assert isinstance(pool.kwargs, dict)
        pool.kwargs["options"] = f"-c search_path={self.datastore.schema}"
        pool.kwargs["connect_timeout"] = CONNECT_TIMEOUT
        if not pool.kwargs.get("password"):
            pool.kwargs.pop("password", None)  # let libpq use PGPASSWORD or ~/.pgpass

    def application_recorder(self) -> Any:
        """The store's recorder, on the table ``stored_events`` as on SQLite."""
        recorder = PgStatementRecorder(datastore=self.datastore, events_table_name="stored_events")
        if self.env_create_table():
            recorder.create_table()
        return recorder
