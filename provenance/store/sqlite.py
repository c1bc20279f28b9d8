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
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from provenance.store.tables import STORE_TABLES

SCHEMA_VERSION = 1


class StatementRecorder(SQLiteApplicationRecorder):
    """eventsourcing's SQLite application recorder with the store's tables."""

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *STORE_TABLES]

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
