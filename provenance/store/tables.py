"""The store's own tables, read and written inside a transaction.

Besides eventsourcing's event table, a store keeps two tables that are written
in the same transaction as each event, so they can never disagree with it:

- ``statement_index``: one row per statement with its dense position, id,
  subject, version, kind, notification id and time of receipt;
- ``actors``: one row per registered actor with its role and admin flag;
- ``actor_keys``: every key an actor has held, with the positions at which it
  was added, retired (replaced by rotation) and revoked. A key may sign a
  statement at position p only if it was added before p and neither retired
  nor revoked before p: validity follows the store's order, never a claimed
  time.

They exist so that every rule can be checked with a few indexed reads inside
the inserting transaction. ``prov verify`` recomputes both from the envelopes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from provenance.envelope import parse_envelope, statement_id
from provenance.model.statement import Statement, parse_payload

STORE_TABLES = [
    "CREATE TABLE IF NOT EXISTS statement_index ("
    "position INTEGER PRIMARY KEY, "
    "statement_id TEXT NOT NULL UNIQUE, "
    "subject_id TEXT NOT NULL, "
    "version INTEGER NOT NULL, "
    "kind TEXT NOT NULL, "
    "notification_id INTEGER NOT NULL, "
    "received_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS actors ("
    "actor_id TEXT PRIMARY KEY, "
    "role TEXT NOT NULL, "
    "admin INTEGER NOT NULL, "
    "position INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS actor_keys ("
    "key_id TEXT PRIMARY KEY, "
    "actor_id TEXT NOT NULL, "
    "public_key BLOB NOT NULL, "
    "added_position INTEGER NOT NULL, "
    "retired_position INTEGER, "
    "revoked_position INTEGER)",
    "CREATE TABLE IF NOT EXISTS prov_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
]

INDEX_COLUMNS = "position, statement_id, subject_id, version, kind, notification_id, received_at"


class Stream:
    """Names for the server-side cursors of :meth:`Tx.stream` (unique in a process)."""

    counter = 0


class Tx:
    """A cursor inside a transaction, with one placeholder style for every backend.

    SQL is written once, for SQLite, with ``?`` placeholders; on PostgreSQL
    (``dialect`` "postgres") the placeholders become ``%s``. The few places
    where the two dialects differ ask :attr:`dialect`.
    """

    def __init__(self, cursor: Any, placeholder: str = "?", dialect: str = "sqlite") -> None:
        self.cursor = cursor
        self.placeholder = placeholder
        self.dialect = dialect

    @property
    def postgres(self) -> bool:
        """Whether the transaction runs on PostgreSQL."""
        return self.dialect == "postgres"

    def _sql(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    def run(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        """Execute a statement."""
        self.cursor.execute(self._sql(sql), params)

    def one(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        """Execute a query and return its first row as a tuple (or None)."""
        self.cursor.execute(self._sql(sql), params)
        row = self.cursor.fetchone()
        return None if row is None else tuple(row)

    def all(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Execute a query and return every row as a tuple."""
        self.cursor.execute(self._sql(sql), params)
        return [tuple(r) for r in self.cursor.fetchall()]

    def dicts(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Execute a query and return every row as a dict by column name."""
        self.cursor.execute(self._sql(sql), params)
        names = [d[0] for d in self.cursor.description]
        return [dict(zip(names, r, strict=True)) for r in self.cursor.fetchall()]

    def stream(
        self, sql: str, params: tuple[Any, ...] = (), size: int = 1000
    ) -> Iterator[tuple[Any, ...]]:
        """The rows of one query, fetched ``size`` at a time on a cursor of their own.

        The cursor belongs to the same connection and transaction (so to the same
        snapshot), and other queries may run on this Tx while the rows stream:
        one ordered query over a large table instead of a page query per chunk.
        On PostgreSQL it is a server-side (named) cursor, so rows are not all
        held in memory.
        """
        connection = self.cursor.connection
        if self.postgres:
            Stream.counter += 1
            cursor = connection.cursor(
                name=f"prov_stream_{Stream.counter}", row_factory=self.cursor.row_factory
            )
        else:
            cursor = connection.cursor()
        try:
            cursor.execute(self._sql(sql), params)
            while rows := cursor.fetchmany(size):
                yield from (tuple(r) for r in rows)
        finally:
            cursor.close()

    def insert_returning(self, sql: str, params: tuple[Any, ...], column: str) -> int:
        """Execute an INSERT and return the integer ``column`` of the new row."""
        if self.postgres:
            row = self.one(f"{sql} RETURNING {column}", params)
            assert row is not None
            return int(row[0])
        self.run(sql, params)
        # Only ever used for an INTEGER PRIMARY KEY column, that is the rowid.
        return int(self.cursor.lastrowid)


def ddl(statement: str, dialect: str) -> str:
    """A CREATE statement written for SQLite, in the given dialect.

    On PostgreSQL integers are 64-bit, byte strings are ``bytea``, text
    compares byte by byte (``COLLATE "C"``, as SQLite's default does, so that
    ranges and orderings of ids are the same on both backends), and an
    ``INTEGER PRIMARY KEY`` that SQLite numbers itself is an identity column.
    """
    if dialect == "sqlite":
        return statement
    out = statement.replace("CREATE VIEW IF NOT EXISTS", "CREATE OR REPLACE VIEW")
    # The one table whose key the database assigns: the checkpoints.
    out = out.replace(
        "(id INTEGER PRIMARY KEY, size", "(id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, size"
    )
    out = out.replace("INTEGER", "BIGINT").replace("BLOB", "BYTEA")
    out = out.replace(">> (id & 63)", ">> (id & 63)::integer")  # bigint >> integer only
    return out.replace("TEXT", 'TEXT COLLATE "C"')


@dataclass(frozen=True)
class IndexRow:
    """One row of the statement index."""

    position: int
    statement_id: str
    subject_id: str
    version: int
    kind: str
    notification_id: int
    received_at: str

    @classmethod
    def of(cls, row: tuple[Any, ...]) -> IndexRow:
        """Build from a row selected as ``INDEX_COLUMNS``."""
        return cls(int(row[0]), row[1], row[2], int(row[3]), row[4], int(row[5]), row[6])


@dataclass(frozen=True)
class ActorRow:
    """What the store knows of an actor."""

    actor_id: str
    role: str
    admin: bool
    key_id: str | None
    public_key: bytes | None

    @property
    def may_register(self) -> bool:
        """Whether the actor may register other actors."""
        return self.admin or self.role == "organisation"


@dataclass(frozen=True)
class KeyRow:
    """One key an actor holds or held, with the positions that bound its validity."""

    key_id: str
    actor_id: str
    public_key: bytes
    added_position: int
    retired_position: int | None
    revoked_position: int | None


class Tables:
    """Reads and writes of the store tables through one transaction.

    ``kinds`` may be a dict shared between transactions: the kind that created
    a subject never changes, so remembering it can never be wrong.
    """

    def __init__(self, tx: Tx, kinds: dict[str, str] | None = None) -> None:
        self.tx = tx
        self.kinds = {} if kinds is None else kinds

    def next_position(self) -> int:
        """The position the next statement gets (dense from 0)."""
        row = self.tx.one("SELECT MAX(position) FROM statement_index")
        return 0 if row is None or row[0] is None else int(row[0]) + 1

    def append_index(
        self,
        statement_id: str,
        subject_id: str,
        version: int,
        kind: str,
        notification_id: int,
        received_at: str,
    ) -> int:
        """Add a statement's index row at the next position and return that position.

        The position is computed by the INSERT itself, so no other writer can
        take it (the event INSERT before it already holds the write lock).
        Raises the database's integrity error on a duplicate statement id.
        """
        # The receipt time never goes back along the positions, even if the
        # clock does, so a time maps to a position by binary search.
        greatest = "GREATEST" if self.tx.postgres else "MAX"
        return self.tx.insert_returning(
            f"INSERT INTO statement_index ({INDEX_COLUMNS}) VALUES ("
            "(SELECT COALESCE(MAX(position), -1) + 1 FROM statement_index), ?, ?, ?, ?, ?, "
            f"{greatest}(?, COALESCE((SELECT received_at FROM statement_index "
            "ORDER BY position DESC LIMIT 1), '')))",
            (statement_id, subject_id, version, kind, notification_id, received_at),
            "position",
        )

    def insert_index(self, row: IndexRow) -> None:
        """Add an index row at a given position (used when copying a store)."""
        self.tx.run(
            f"INSERT INTO statement_index ({INDEX_COLUMNS}) VALUES (?,?,?,?,?,?,?)",
            (
                row.position,
                row.statement_id,
                row.subject_id,
                row.version,
                row.kind,
                row.notification_id,
                row.received_at,
            ),
        )

    def index_row(self, statement_id: str) -> IndexRow | None:
        """The index row of a statement."""
        row = self.tx.one(
            f"SELECT {INDEX_COLUMNS} FROM statement_index WHERE statement_id = ?", (statement_id,)
        )
        return None if row is None else IndexRow.of(row)

    def creating_kind(self, subject: str) -> str | None:
        """The kind of the statement that created a subject, if any."""
        known = self.kinds.get(subject)
        if known is not None:
            return known
        # The event table's primary key finds version 1; the index row of that
        # statement (by its id) holds its kind.
        row = self.tx.one(
            "SELECT state FROM stored_events WHERE originator_id = ? AND originator_version = 1",
            (subject,),
        )
        if row is None:
            return None
        payload = parse_envelope(bytes(row[0])).payload
        found = self.index_row(statement_id(payload))
        if found is None:
            return None
        if len(self.kinds) >= 65536:
            self.kinds.clear()
        self.kinds[subject] = found.kind
        return found.kind

    def actor(self, actor_id: str) -> ActorRow | None:
        """A registered actor, with the key it may sign with now (if any)."""
        row = self.tx.one(
            "SELECT a.actor_id, a.role, a.admin, k.key_id, k.public_key FROM actors a "
            "LEFT JOIN actor_keys k ON k.actor_id = a.actor_id "
            "AND k.retired_position IS NULL AND k.revoked_position IS NULL "
            "WHERE a.actor_id = ?",
            (actor_id,),
        )
        if row is None:
            return None
        public = None if row[4] is None else bytes(row[4])
        return ActorRow(row[0], row[1], bool(row[2]), row[3], public)

    def actor_for_key(self, key_id: str) -> str | None:
        """The actor a key is (or was) registered to."""
        row = self.tx.one("SELECT actor_id FROM actor_keys WHERE key_id = ?", (key_id,))
        return None if row is None else str(row[0])

    def key(self, key_id: str) -> KeyRow | None:
        """Everything the store knows of one key."""
        row = self.tx.one(
            "SELECT key_id, actor_id, public_key, added_position, retired_position, "
            "revoked_position FROM actor_keys WHERE key_id = ?",
            (key_id,),
        )
        if row is None:
            return None
        return KeyRow(row[0], row[1], bytes(row[2]), int(row[3]), row[4], row[5])

    def subject_statements(self, subject: str, before: int) -> list[tuple[str, Statement]]:
        """A subject's statements before version ``before`` (id and payload), in order.

        Inside the inserting transaction the new statement's own row is already
        there; rules pass its version so that they see only what came earlier.
        """
        rows = self.tx.all(
            "SELECT state FROM stored_events WHERE originator_id = ? AND originator_version < ? "
            "ORDER BY originator_version",
            (subject, before),
        )
        out: list[tuple[str, Statement]] = []
        for (state,) in rows:
            payload = parse_envelope(bytes(state)).payload
            out.append((statement_id(payload), parse_payload(payload)))
        return out

    def insert_actor(self, actor: ActorRow, position: int) -> None:
        """Record a newly registered actor and its first key."""
        self.tx.run(
            "INSERT INTO actors VALUES (?,?,?,?)",
            (actor.actor_id, actor.role, int(actor.admin), position),
        )
        if actor.key_id is not None and actor.public_key is not None:
            self.add_key(actor.actor_id, actor.key_id, actor.public_key, position)

    def add_key(self, actor_id: str, key_id: str, public_key: bytes, position: int) -> None:
        """Give an actor a new key from ``position`` on, retiring the key it had."""
        self.tx.run(
            "UPDATE actor_keys SET retired_position = ? WHERE actor_id = ? "
            "AND retired_position IS NULL AND revoked_position IS NULL",
            (position, actor_id),
        )
        self.tx.run(
            "INSERT INTO actor_keys VALUES (?,?,?,?,NULL,NULL)",
            (key_id, actor_id, public_key, position),
        )

    def revoke_key(self, key_id: str, position: int) -> None:
        """Revoke a key from ``position`` on."""
        self.tx.run(
            "UPDATE actor_keys SET revoked_position = ? WHERE key_id = ?", (position, key_id)
        )
