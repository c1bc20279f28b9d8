"""The SQLite recorder: eventsourcing's, with the store tables and an in-transaction hook.

``insert_events`` accepts an ``in_transaction`` callable (passed through
``Application.save``); it runs after the event rows are inserted, with the same
cursor, before the commit. The store uses it to write the statement index, to
check every rule, and to update the views: if it raises, nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteFactory,
)

from provenance.store.logtable import LOG_TABLES
from provenance.store.tables import STORE_TABLES

SCHEMA_VERSION = 3


class StatementRecorder(SQLiteApplicationRecorder):
    """eventsourcing's SQLite application recorder with the store's tables."""

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *STORE_TABLES, *LOG_TABLES]

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> Sequence[int] | None:
        notification_ids = super()._insert_events(c, stored_events, **kwargs)
        in_transaction = kwargs.get("in_transaction")
        if in_transaction is not None:
            assert notification_ids is not None
            in_transaction(c, list(notification_ids))
        return notification_ids


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
