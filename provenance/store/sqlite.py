"""The SQLite recorder: eventsourcing's, plus a statement index in the same transaction.

The index gives every statement a dense position (0, 1, 2, ...) in the store's
global order and records the store's own time of receipt. It is written inside
the transaction that inserts the event rows, so a statement is never stored
without its index row, nor the other way round, even if the writer dies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

SCHEMA_VERSION = 1

INDEX_TABLE = (
    "CREATE TABLE IF NOT EXISTS statement_index ("
    "position INTEGER PRIMARY KEY, "
    "statement_id TEXT NOT NULL UNIQUE, "
    "subject_id TEXT NOT NULL, "
    "version INTEGER NOT NULL, "
    "notification_id INTEGER NOT NULL UNIQUE, "
    "received_at TEXT NOT NULL)"
)
META_TABLE = "CREATE TABLE IF NOT EXISTS prov_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"


@dataclass(frozen=True)
class IndexEntry:
    """What the index records of one statement, known before it is written."""

    statement_id: str
    subject_id: str
    version: int
    received_at: str


class StatementRecorder(SQLiteApplicationRecorder):
    """eventsourcing's SQLite application recorder with the statement index."""

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), INDEX_TABLE, META_TABLE]

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> Sequence[int] | None:
        notification_ids = super()._insert_events(c, stored_events, **kwargs)
        entries: Sequence[IndexEntry] = kwargs.get("index_entries", ())
        assert notification_ids is not None and len(entries) == len(notification_ids)
        # The INSERT above took SQLite's write lock, so no other writer can
        # read the same maximum position until this transaction ends.
        c.execute("SELECT COALESCE(MAX(position), -1) FROM statement_index")
        position = int(c.fetchone()[0])
        placed: list[tuple[int, int]] = []
        for entry, nid in zip(entries, notification_ids, strict=True):
            position += 1
            placed.append((position, nid))
            c.execute(
                "INSERT INTO statement_index VALUES (?,?,?,?,?,?)",
                (
                    position,
                    entry.statement_id,
                    entry.subject_id,
                    entry.version,
                    nid,
                    entry.received_at,
                ),
            )
        after_insert = kwargs.get("after_insert")
        if after_insert is not None:
            # Derived state (the views) is written in the same transaction,
            # so it can never be out of step with the statements.
            after_insert(c, placed)
        return notification_ids
