"""The store: validates signed statements, then appends them through eventsourcing.

Nothing is written until a statement has passed every check: envelope and
payload schema, signature, key ownership, refs, and that its kind fits its
subject. See ``docs/spec/statements.md`` for the rules.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eventsourcing.persistence import IntegrityError, PersistenceError

from provenance import envelope as env
from provenance.errors import StatementRejected, StoreError
from provenance.ids import StatementId
from provenance.model.kinds import SubjectType
from provenance.model.statement import Statement, parse_payload
from provenance.projections.subjects import State, fold
from provenance.records import Recorded
from provenance.store.app import ProvenanceApplication
from provenance.store.events import StatementRecorded
from provenance.store.rules import check_statement
from provenance.store.sqlite import SCHEMA_VERSION, IndexEntry, StatementRecorder

DB_NAME = "prov.sqlite"
STORE_FORMAT = "prov-store"


@dataclass(frozen=True)
class Receipt:
    """What appending a statement did.

    Attributes:
        statement_id: the statement's id.
        subject: its subject.
        position: its position in the store's global order.
        version: its position in the subject's history.
        duplicate: True when the store already held this exact statement.
    """

    statement_id: StatementId
    subject: str
    position: int
    version: int
    duplicate: bool = False


def utc_now_precise() -> str:
    """The store's receipt time: UTC, microseconds, RFC 3339 with ``Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Store:
    """A provenance store in a directory, on SQLite."""

    def __init__(self, directory: Path, app: ProvenanceApplication) -> None:
        self.directory = directory
        self.app = app
        recorder = app.recorder
        assert isinstance(recorder, StatementRecorder)
        self.recorder = recorder
        self.meta = self._read_meta()
        from provenance.projections.views import Views  # views import the store's types

        self.views = Views(self)

    # -- opening -------------------------------------------------------------

    @staticmethod
    def _app(directory: Path, *, create: bool) -> ProvenanceApplication:
        env_vars = {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(directory / DB_NAME),
            "SQLITE_LOCK_TIMEOUT": "30",
            "ORIGINATOR_ID_TYPE": "text",
            "APPLICATION_RECORDER_TOPIC": "provenance.store.sqlite:StatementRecorder",
            "CREATE_TABLE": "y" if create else "n",
        }
        return ProvenanceApplication(env=env_vars)

    @classmethod
    def create(cls, directory: Path, *, genesis: bytes, root_key_id: str) -> Store:
        """Create a store whose first statement is the organisation's self-registration.

        Args:
            directory: where the store lives; must not hold a store already.
            genesis: the envelope of the ``actor.registered`` statement of the
                organisation, signed by the root key.
            root_key_id: the key id of the root key, pinned in the store.
        """
        if (directory / DB_NAME).exists():
            raise StoreError(f"a store already exists at {directory}")
        directory.mkdir(parents=True, exist_ok=True)
        app = cls._app(directory, create=True)
        with app.recorder.datastore.transaction(commit=True) as c:  # type: ignore[attr-defined]
            c.executemany(
                "INSERT INTO prov_meta VALUES (?, ?)",
                [
                    ("format", STORE_FORMAT),
                    ("schema_version", str(SCHEMA_VERSION)),
                    ("root_key_id", root_key_id),
                    ("created_at", utc_now_precise()),
                ],
            )
        store = cls(directory, app)
        try:
            store.views.create_tables()
            store.append(genesis)
        except Exception:
            app.close()
            (directory / DB_NAME).unlink(missing_ok=True)
            for suffix in ("-wal", "-shm"):
                (directory / f"{DB_NAME}{suffix}").unlink(missing_ok=True)
            raise
        return store

    @classmethod
    def open(cls, directory: Path) -> Store:
        """Open an existing store; raise StoreError if there is none or it is foreign."""
        db = directory / DB_NAME
        if not db.is_file():
            raise StoreError(f"no store at {directory} (run 'prov init' first)")
        try:
            return cls(directory, cls._app(directory, create=False))
        except (PersistenceError, sqlite3.Error) as e:
            raise StoreError(f"cannot open store at {directory}: {e}") from e

    def _read_meta(self) -> dict[str, str]:
        try:
            with self.recorder.datastore.transaction(commit=False) as c:
                c.execute("SELECT key, value FROM prov_meta")
                meta = {row[0]: row[1] for row in c.fetchall()}
        except PersistenceError as e:
            raise StoreError(f"{self.directory} is not a provenance store ({e})") from e
        if meta.get("format") != STORE_FORMAT:
            raise StoreError(f"{self.directory} is not a provenance store")
        found = meta.get("schema_version")
        if found != str(SCHEMA_VERSION):
            raise StoreError(
                f"store schema version is {found}; this program reads version {SCHEMA_VERSION}"
            )
        return meta

    def close(self) -> None:
        """Release the database connections."""
        self.app.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -------------------------------------------------------------

    @property
    def root_key_id(self) -> str:
        """The key id of the organisation's root key, pinned at init."""
        return self.meta["root_key_id"]

    def size(self) -> int:
        """How many statements the store holds (positions are dense from 0)."""
        with self.recorder.datastore.transaction(commit=False) as c:
            c.execute("SELECT MAX(position) FROM statement_index")
            last = c.fetchone()[0]
        return 0 if last is None else int(last) + 1

    def is_empty(self) -> bool:
        """True before the genesis statement is recorded."""
        return self.size() == 0

    def subject_type(self, subject: str) -> SubjectType | None:
        """The type of a subject, from the statement that created it (None if none did)."""
        events = self.recorder.select_events(subject, lte=1)
        if not events:
            return None
        return parse_payload(env.parse_envelope(bytes(events[0].state)).payload).spec.subject_type

    def _index_rows(self, where: str, params: tuple[object, ...]) -> list[sqlite3.Row]:
        with self.recorder.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT position, statement_id, subject_id, version, notification_id, "
                f"received_at FROM statement_index WHERE {where}",
                params,
            )
            return list(c.fetchall())

    def has_statement(self, statement_id: str) -> bool:
        """Tell whether the store holds the statement."""
        return bool(self._index_rows("statement_id = ?", (statement_id,)))

    def subject_version(self, subject: str) -> int:
        """The number of statements in a subject's history (0 if it has none)."""
        rows = self.recorder.select_events(subject, desc=True, limit=1)
        return int(rows[0].originator_version) if rows else 0

    def subject_records(self, subject: str, *, up_to_version: int | None = None) -> list[Recorded]:
        """A subject's history, in version order, read from the event store."""
        events = self.app.events.get(subject, lte=up_to_version)
        index = {(row["version"]): row for row in self._index_rows("subject_id = ?", (subject,))}
        records = []
        for event in events:
            assert isinstance(event, StatementRecorded)
            row = index.get(event.originator_version)
            if row is None:
                raise StoreError(
                    f"subject {subject} version {event.originator_version} has no index row: "
                    "run 'prov verify'"
                )
            records.append(self._record(event.envelope, row))
        return records

    def subject_state(self, subject: str, *, up_to_version: int | None = None) -> State | None:
        """A subject's state replayed from its statements (None if it does not exist)."""
        return fold(self.subject_records(subject, up_to_version=up_to_version))

    def statement(self, statement_id: str) -> Recorded:
        """One recorded statement by its full id."""
        rows = self._index_rows("statement_id = ?", (statement_id,))
        if not rows:
            raise StoreError(f"no statement {statement_id}")
        row = rows[0]
        events = self.recorder.select_events(
            row["subject_id"], gt=row["version"] - 1, lte=row["version"]
        )
        if not events:
            raise StoreError(f"statement {statement_id} is indexed but missing: run 'prov verify'")
        return self._record(bytes(events[0].state), row)

    def resolve_statement(self, prefix: str) -> StatementId:
        """Expand a unique prefix (8 hex characters or more) to a full statement id."""
        p = prefix.lower()
        if len(p) < 8 or any(ch not in "0123456789abcdef" for ch in p):
            raise StoreError(f"{prefix!r} is not a statement id (8 to 64 hex characters)")
        rows = self._index_rows("statement_id >= ? AND statement_id < ?", (p, p + "g"))
        if not rows:
            raise StoreError(f"no statement with id {prefix}")
        if len(rows) > 1:
            raise StoreError(f"statement id prefix {prefix} is ambiguous; give more characters")
        return StatementId(rows[0]["statement_id"])

    @staticmethod
    def _record(raw: bytes, row: sqlite3.Row) -> Recorded:
        envelope = env.parse_envelope(raw)
        return Recorded(
            statement_id=StatementId(row["statement_id"]),
            position=int(row["position"]),
            version=int(row["version"]),
            received_at=str(row["received_at"]),
            envelope=envelope,
            statement=parse_payload(envelope.payload),
        )

    def index_by_notification(self, first: int, last: int) -> dict[int, sqlite3.Row]:
        """Index rows of the notifications ``first..last`` (inclusive), by notification id."""
        rows = self._index_rows("notification_id BETWEEN ? AND ?", (first, last))
        return {int(row["notification_id"]): row for row in rows}

    def iter_records(self, *, page: int = 500) -> Iterator[Recorded]:
        """Every statement in the store's order (position 0 upwards)."""
        start = 1
        while True:
            notes = self.recorder.select_notifications(start, page)
            if not notes:
                return
            index = self.index_by_notification(notes[0].id, notes[-1].id)
            for n in notes:
                yield self._record(bytes(n.state), index[n.id])
            start = notes[-1].id + 1

    # -- writing -------------------------------------------------------------

    def append(self, raw: bytes) -> Receipt:
        """Check a signed statement and append it; idempotent for an identical statement.

        Raises:
            InputError: the envelope or payload is malformed.
            StatementRejected: it is well formed but breaks a rule of the store.
        """
        envelope = env.parse_envelope(raw)
        statement = parse_payload(envelope.payload)
        sid = envelope.statement_id
        for attempt in range(20):
            existing = self._index_rows("statement_id = ?", (sid,))
            if existing:
                row = existing[0]
                return Receipt(sid, row["subject_id"], row["position"], row["version"], True)
            check_statement(self, envelope, statement)
            try:
                return self._insert(raw, envelope, statement)
            except IntegrityError:
                # Another writer appended to this subject, or stored this very
                # statement, between our check and our insert: look again.
                time.sleep(0.001 * (attempt + 1))
        raise StatementRejected(f"statement {sid[:12]} could not be appended: too much contention")

    def _insert(self, raw: bytes, envelope: env.Envelope, statement: Statement) -> Receipt:
        """Write the event, its index row and the views' update in one transaction."""
        sid = envelope.statement_id
        version = self.subject_version(statement.subject) + 1
        event = StatementRecorded(statement.subject, version, raw)
        entry = IndexEntry(sid, statement.subject, version, utc_now_precise())
        placed: list[int] = []
        views_current: list[bool] = []

        def after_insert(c: Any, rows: list[tuple[int, int]]) -> None:
            ((position, nid),) = rows
            placed.append(position)
            rec = Recorded(sid, position, version, entry.received_at, envelope, statement)
            views_current.append(self.views.apply_in_transaction(c, [rec], nid, nid))

        self.app.save(event, index_entries=[entry], after_insert=after_insert)
        if not all(views_current):
            self.views.catch_up()
        return Receipt(sid, statement.subject, placed[0], version)
