"""The store: checks signed statements and appends them through eventsourcing.

One append is one database transaction: the event row (eventsourcing), the
statement index row, every rule check and the actors table. A rule that fails
rolls the whole transaction back, so nothing is ever half-written. The views
are a projection that follows the statements in their own transactions
(``Views.catch_up``), and every view query catches up first. See
``docs/spec/statements.md`` for the rules.

The store does not import the projections: the views depend on the store,
never the other way round. A Store is given its views by whoever opens it
(``views=``), or by the factory that ``provenance.projections.views``
registers with :meth:`Store.use_views` when it is imported.

:meth:`Store.snapshot` pins every read of the store to one consistent view of
the database (one SQLite read transaction on one connection, or one
PostgreSQL REPEATABLE READ READ ONLY transaction): ``prov verify`` reads the
index, the events, the log and the views through it, so writers appending
meanwhile are simply not seen.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Protocol

from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    Notification,
    OperationalError,
    PersistenceError,
    StoredEvent,
)

from provenance import envelope as env
from provenance.blobs import BlobStore
from provenance.errors import InputError, ProvenanceError, StatementRejected, StoreError
from provenance.ids import StatementId
from provenance.log.merkle import CompactRange, RootHash
from provenance.model.kinds import KINDS, SubjectType
from provenance.model.statement import Statement, parse_payload
from provenance.records import Recorded
from provenance.store.app import ProvenanceApplication
from provenance.store.events import StatementRecorded
from provenance.store.failures import kind_of, unavailable, what_happened
from provenance.store.location import Location, parse_location
from provenance.store.logtable import LogTree
from provenance.store.rules import apply_effects, check_statement
from provenance.store.sqlite import SCHEMA_VERSION
from provenance.store.tables import INDEX_COLUMNS, IndexRow, Tables, Tx

DB_NAME = "prov.sqlite"
SQLITE_LOCK_TIMEOUT = 30
"""Seconds an SQLite writer waits for another process's write to finish."""
STORE_FORMAT = "prov-store"
MAX_ATTEMPTS = 50
_LAST_VERSION = "SELECT MAX(originator_version) FROM stored_events WHERE originator_id = ?"
"""A subject's last version, read before an append or, after a lost race, inside it."""


State = dict[str, Any]
"""A subject's state, as the projections fold it (a JSON-ready dict)."""


class ViewsLike(Protocol):
    """What the store asks of its views (``provenance.projections.views.Views``)."""

    read_only: bool

    def create_tables(self) -> None:
        """Create the view tables."""

    def catch_up(self) -> int:
        """Apply the statements recorded since the views were last brought up to date."""

    def fold(self, records: list[Recorded]) -> State | None:
        """A subject's state after ``records``."""


ViewsFactory = Callable[["Store"], ViewsLike]


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


_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?Z)?$")


def utc_bound(when: str) -> str:
    """A UTC date or time as the latest receipt time it includes, in the stored form."""
    if not _TIME.fullmatch(when):
        raise InputError(
            f"{when!r} is not a position or a UTC time such as 2024-12-10 or 2024-12-10T15:00:00Z"
        )
    try:
        if "T" not in when:
            day = datetime.strptime(when, "%Y-%m-%d")
            return day.strftime("%Y-%m-%dT23:59:59.999999Z")
        base, _, fraction = when.removesuffix("Z").partition(".")
        fmt = "%Y-%m-%dT%H:%M:%S" if base.count(":") == 2 else "%Y-%m-%dT%H:%M"
        moment = datetime.strptime(base, fmt)
    except ValueError as e:
        raise InputError(f"{when!r} is not a valid UTC time ({e})") from e
    # Everything within the named second (or minute) is at or before it.
    micro = fraction.ljust(6, "0") if fraction else ("999999" if fmt.endswith("S") else "")
    if fmt.endswith("M"):
        return moment.strftime("%Y-%m-%dT%H:%M:59.999999Z")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + micro + "Z"


def utc_now_precise() -> str:
    """The store's receipt time: UTC, microseconds, RFC 3339 with ``Z``."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class Store:
    """A provenance store: SQLite in a directory, or a PostgreSQL database."""

    default_views: ClassVar[ViewsFactory | None] = None
    """The views of a store opened without ``views=`` (set by :meth:`use_views`)."""

    def __init__(
        self,
        location: Location,
        app: ProvenanceApplication,
        views: ViewsFactory | None = None,
    ) -> None:
        self.location = location
        # The directory of an SQLite store (None on PostgreSQL).
        self.directory = location.path
        self.app = app
        self.recorder: Any = app.recorder
        # The transaction every read joins while a read or a snapshot is open.
        # Per thread: a read in one thread never joins another thread's transaction.
        self._local = threading.local()
        self.meta = self._read_meta()
        # The next version of recently written subjects. A stale entry (another
        # process appended meanwhile) fails the event table's primary key and
        # is then dropped, so the cache can only save reads, never mislead.
        # The store's clock for receipt times. Only the demo replaces it, to
        # replay a dated history; receipt times never go back regardless.
        self.clock: Callable[[], str] = utc_now_precise
        self._next_version: dict[str, int] = {}
        self._kinds: dict[str, str] = {}
        # The log's right border after the last append by this process; used
        # only while no other writer has appended since (checked by size).
        self._frontier: CompactRange | None = None
        self._blobs: Any = None
        self.catch_up_on_close = False
        factory = views or Store.default_views
        self._views: ViewsLike | None = None if factory is None else factory(self)

    @classmethod
    def use_views(cls, factory: ViewsFactory) -> None:
        """Give every store opened without ``views=`` the views that ``factory`` builds."""
        cls.default_views = factory

    @property
    def views(self) -> Any:
        """The store's read models (see ``provenance.projections.views``)."""
        if self._views is None:
            raise StoreError(
                "this store was opened without views: import provenance.projections.views "
                "or pass views= to Store.open"
            )
        return self._views

    # -- opening -------------------------------------------------------------

    @staticmethod
    def _app(location: Location, *, create: bool) -> ProvenanceApplication:
        if location.pg is not None:
            pg = _postgres()
            return ProvenanceApplication(env=pg.env_for(location.pg, create=create))
        assert location.path is not None
        env_vars = {
            "PERSISTENCE_MODULE": "provenance.store.sqlite:StoreFactory",
            "SQLITE_DBNAME": _sqlite_name(location.path / DB_NAME, create=create),
            "SQLITE_LOCK_TIMEOUT": str(SQLITE_LOCK_TIMEOUT),
            "ORIGINATOR_ID_TYPE": "text",
            "APPLICATION_RECORDER_TOPIC": "provenance.store.sqlite:StatementRecorder",
            "CREATE_TABLE": "y" if create else "n",
        }
        return ProvenanceApplication(env=env_vars)

    @staticmethod
    def exists(where: str | Path | Location) -> bool:
        """Tell whether a store exists at a location (a PostgreSQL one is asked)."""
        location = parse_location(where)
        if location.pg is not None:
            return bool(_postgres().has_store(location.pg))
        assert location.path is not None
        return (location.path / DB_NAME).exists()

    @classmethod
    def create(
        cls,
        where: str | Path | Location,
        *,
        genesis: bytes,
        root_key_id: str,
        clock: Callable[[], str] | None = None,
        log: tuple[str, str] | None = None,
        views: ViewsFactory | None = None,
    ) -> Store:
        """Create a store whose first statement is the organisation's self-registration.

        Args:
            where: a directory (SQLite) or a PostgreSQL URL; must not hold a store already.
            genesis: the envelope of the ``actor.registered`` statement of the
                organisation, signed by the root key.
            root_key_id: the key id of the root key, pinned in the store.
            clock: the store's receipt clock (only the demo replaces it).
            log: the log's origin and signed-note verifier key, if known now.
            views: the store's views (default: those given to :meth:`use_views`).
        """
        location = parse_location(where)
        if cls.exists(location):
            raise StoreError(f"a store already exists at {location}")
        if location.pg is not None:
            _postgres().create_schema(location.pg)
        else:
            assert location.path is not None
            # Only the owner may read a new store (docs/files.md). SQLite gives
            # its -wal and -shm files the mode of the database file.
            location.path.mkdir(parents=True, exist_ok=True, mode=0o700)
            (location.path / DB_NAME).touch(mode=0o600, exist_ok=False)
        app: ProvenanceApplication | None = None
        try:
            app = cls._app(location, create=True)
            with app.recorder.transaction(commit=True) as tx:  # type: ignore[attr-defined]
                for row in (
                    ("format", STORE_FORMAT),
                    ("schema_version", str(SCHEMA_VERSION)),
                    ("root_key_id", root_key_id),
                    ("created_at", utc_now_precise()),
                    *((("log_origin", log[0]), ("log_vkey", log[1])) if log else ()),
                ):
                    tx.run("INSERT INTO prov_meta VALUES (?, ?)", row)
            store = cls(location, app, views)
            if clock is not None:
                store.clock = clock
            store.views.create_tables()
            store.append(genesis)
        except BaseException as e:
            if app is not None:
                app.close()
            cls._remove(location)
            if isinstance(e, PersistenceError | sqlite3.Error):
                reason = " ".join(str(e).split())
                raise StoreError(f"cannot create the store at {location}: {reason}") from e
            raise
        return store

    @staticmethod
    def _remove(location: Location) -> None:
        """Undo a failed create: nothing of the store is left behind."""
        if location.pg is not None:
            _postgres().drop_store(location.pg)
            return
        assert location.path is not None
        for suffix in ("", "-wal", "-shm"):
            (location.path / f"{DB_NAME}{suffix}").unlink(missing_ok=True)

    @classmethod
    def open(cls, where: str | Path | Location, *, views: ViewsFactory | None = None) -> Store:
        """Open an existing store; raise StoreError if there is none or it is foreign.

        An SQLite store whose file or directory may not be written (a read-only
        mount, a copy an auditor may only read) is opened read-only.
        """
        location = parse_location(where)
        if location.pg is not None:
            if not cls.exists(location):
                raise StoreError(f"no store at {location} (run 'prov init' first)")
        else:
            assert location.path is not None
            if not (location.path / DB_NAME).is_file():
                raise StoreError(f"no store at {location} (run 'prov init' first)")
        try:
            app = cls._app(location, create=False)
        except (PersistenceError, sqlite3.Error) as e:
            raise StoreError(
                f"cannot open store at {location}: {what_happened(location, e)}"
            ) from e
        try:
            return cls(location, app, views)
        except (PersistenceError, sqlite3.Error) as e:
            app.close()
            raise StoreError(
                f"cannot open store at {location}: {what_happened(location, e)}"
            ) from e
        except BaseException:
            app.close()
            raise

    def _read_meta(self) -> dict[str, str]:
        try:
            rows = self._read("SELECT key, value FROM prov_meta")
        except StoreError as e:
            if kind_of(e) != "missing-table":
                raise  # the database failed (a lost connection, a full disk): say so
            raise StoreError(f"{self.location} is not a provenance store") from e
        meta = {str(k): str(v) for k, v in rows}
        if meta.get("format") != STORE_FORMAT:
            raise StoreError(f"{self.location} is not a provenance store")
        found = meta.get("schema_version")
        if found != str(SCHEMA_VERSION):
            newer = found is not None and found.isdigit() and int(found) > SCHEMA_VERSION
            raise StoreError(
                f"the store at {self.location} has schema version {found}; this program "
                f"reads version {SCHEMA_VERSION}: "
                + ("upgrade this program" if newer else "it predates this program's format")
            )
        return meta

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgres"``."""
        return self.location.backend

    @property
    def blobs(self) -> Any:
        """The store's attachments: files beside an SQLite store, a table in PostgreSQL."""
        if self._blobs is None:
            if self.location.pg is not None:
                from provenance.store.pg_blobs import PgBlobStore

                self._blobs = PgBlobStore(self)
            else:
                assert self.location.path is not None
                self._blobs = BlobStore(self.location.path)
        return self._blobs

    def close(self) -> None:
        """Bring the views up to date if asked (``catch_up_on_close``), then disconnect."""
        if self.catch_up_on_close:
            self.catch_up_on_close = False
            # The next reader would do it anyway; doing it now lets a read-only
            # auditor find the views current. A failure here changes nothing.
            with contextlib.suppress(ProvenanceError, PersistenceError):
                self.views.catch_up()
        self.app.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -------------------------------------------------------------

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[Tx]:
        """A transaction on the store's database; rolled back unless ``commit`` is True.

        A transaction that commits holds the store's write lock on SQLite. Inside
        :meth:`snapshot`, a reading transaction is the snapshot's own, and one
        that commits is refused (it would not see what it writes).

        Raises:
            StoreError: the database failed (full, read-only, connection lost),
                saying which.
        """
        if self._pinned is not None and (not commit or self._snapshot):
            if commit:
                raise StoreError("the store cannot be written while a snapshot is being read")
            try:
                yield self._pinned
            except (PersistenceError, sqlite3.Error) as e:
                raise unavailable(self.location, e, writing=False) from e
            return
        try:
            with self.recorder.transaction(commit=commit) as tx:
                if commit:
                    yield tx
                    return
                # Reads nested in this one (index rows of the events it read, say)
                # join it, so that they see the same state of the database.
                self._pinned = tx
                try:
                    yield tx
                finally:
                    self._pinned = None
        except StoreError:
            raise
        except (PersistenceError, sqlite3.Error, OSError) as e:
            raise unavailable(self.location, e, writing=commit) from e

    @property
    def _pinned(self) -> Tx | None:
        pinned: Tx | None = getattr(self._local, "pinned", None)
        return pinned

    @_pinned.setter
    def _pinned(self, tx: Tx | None) -> None:
        self._local.pinned = tx

    @property
    def _snapshot(self) -> bool:
        return bool(getattr(self._local, "snapshot", False))

    @_snapshot.setter
    def _snapshot(self, value: bool) -> None:
        self._local.snapshot = value

    @property
    def in_snapshot(self) -> bool:
        """Whether reads are pinned to a :meth:`snapshot` now."""
        return self._snapshot

    @contextmanager
    def snapshot(self) -> Iterator[Tx]:
        """Pin every read of this store, until the block ends, to one consistent snapshot.

        On SQLite this is one read transaction on one connection (in WAL mode it
        sees the database as of its first read, whatever writers commit
        meanwhile); on PostgreSQL one REPEATABLE READ, READ ONLY transaction.
        Nested calls join the open snapshot.
        """
        if self._snapshot:
            assert self._pinned is not None
            yield self._pinned
            return
        if self._pinned is not None:
            raise StoreError("a snapshot cannot begin inside another read of the store")
        try:
            with self.recorder.snapshot() as tx:
                self._pinned, self._snapshot = tx, True
                try:
                    yield tx
                finally:
                    self._pinned, self._snapshot = None, False
        except StoreError:
            raise
        except (PersistenceError, sqlite3.Error, OSError) as e:
            raise unavailable(self.location, e, writing=False) from e

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.transaction(commit=False) as tx:
            return tx.all(sql, params)

    def notifications(self, start: int, limit: int) -> list[Notification]:
        """Event rows by notification id from ``start``, read in the current snapshot if any.

        eventsourcing's ``select_notifications`` takes a connection of its own,
        so it would read outside :meth:`snapshot`; this reads the same rows with
        the store's transaction.
        """
        with self.transaction(commit=False) as tx:
            nid = "notification_id" if tx.postgres else "rowid"
            rows = tx.all(
                f"SELECT {nid}, originator_id, originator_version, topic, state "
                f"FROM stored_events WHERE {nid} >= ? ORDER BY {nid} LIMIT ?",
                (start, limit),
            )
        return [
            Notification(
                id=int(r[0]),
                originator_id=str(r[1]),
                originator_version=int(r[2]),
                topic=str(r[3]),
                state=bytes(r[4]),
            )
            for r in rows
        ]

    def _event_state(self, subject: str, version: int) -> bytes | None:
        rows = self._read(
            "SELECT state FROM stored_events WHERE originator_id = ? AND originator_version = ?",
            (subject, version),
        )
        return bytes(rows[0][0]) if rows else None

    @property
    def root_key_id(self) -> str:
        """The key id of the organisation's root key, pinned at init."""
        return self.meta["root_key_id"]

    def size(self) -> int:
        """How many statements the store holds (positions are dense from 0)."""
        with self.transaction(commit=False) as tx:
            return Tables(tx).next_position()

    def index_row(self, statement_id: str) -> IndexRow | None:
        """The index row of a statement (None if the store does not hold it)."""
        with self.transaction(commit=False) as tx:
            return Tables(tx).index_row(statement_id)

    def has_statement(self, statement_id: str) -> bool:
        """Tell whether the store holds the statement."""
        return self.index_row(statement_id) is not None

    def actor_for_key(self, key_id: str) -> str | None:
        """The actor a key is registered to, if any."""
        with self.transaction(commit=False) as tx:
            return Tables(tx).actor_for_key(key_id)

    def subject_type(self, subject: str) -> SubjectType | None:
        """The type of a subject, from the statement that created it (None if none did)."""
        with self.transaction(commit=False) as tx:
            kind = Tables(tx).creating_kind(subject)
        return None if kind is None else KINDS[kind].subject_type

    def subject_version(self, subject: str) -> int:
        """The number of statements in a subject's history (0 if it has none)."""
        rows = self._read(_LAST_VERSION, (subject,))
        return int(rows[0][0]) if rows and rows[0][0] is not None else 0

    def position_at(self, when: str) -> int:
        """The position of the last statement recorded at or before a UTC time.

        ``when`` is ``YYYY-MM-DD`` (the end of that day) or an RFC 3339 UTC time
        (``2024-12-10T15:30:00Z``, seconds and fraction optional). Receipt times
        never decrease along positions, so this is a binary search: O(log n).

        Raises:
            InputError: ``when`` is not such a time.
            StoreError: the store had recorded nothing by then.
        """
        bound = utc_bound(when)
        lo, hi = 0, self.size() - 1
        if hi < 0 or self.index_range(0, 1)[0].received_at > bound:
            raise StoreError(f"the store had recorded nothing by {when}")
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.index_range(mid, 1)[0].received_at <= bound:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def resolve_as_of(self, when: str) -> int:
        """A position given as a number, or the position a UTC time maps to."""
        text = when.strip()
        if text.isascii() and text.isdigit():
            position = int(text)
            size = self.size()
            if position >= size:
                raise StoreError(f"position {position} is beyond the store (size {size})")
            return position
        return self.position_at(text)

    def subject_records(
        self,
        subject: str,
        *,
        up_to_version: int | None = None,
        as_of: int | None = None,
    ) -> list[Recorded]:
        """A subject's history in version order, read from the event store.

        ``as_of`` keeps only statements at or before that position: the cost
        grows with this subject's history, not with the store.
        """
        bound = up_to_version if up_to_version is not None else 2**62
        with self.transaction(commit=False) as tx:
            events = tx.all(
                "SELECT originator_version, state FROM stored_events WHERE originator_id = ? "
                "AND originator_version <= ? ORDER BY originator_version",
                (subject, bound),
            )
            envelopes = [env.parse_envelope(bytes(state)) for _, state in events]
            index = self.index_rows([e.statement_id for e in envelopes])
        records = []
        for (version, _), envelope in zip(events, envelopes, strict=True):
            row = index.get(envelope.statement_id)
            if row is None or row.version != int(version):
                raise StoreError(
                    f"subject {subject} version {version} does not match "
                    "the statement index: run 'prov verify'"
                )
            if as_of is not None and row.position > as_of:
                break
            records.append(
                Recorded(
                    StatementId(row.statement_id),
                    row.position,
                    row.version,
                    row.received_at,
                    envelope,
                    parse_payload(envelope.payload),
                )
            )
        return records

    def statements_of_kind(self, kind: str, as_of: int | None = None) -> list[Recorded]:
        """Every statement of one kind (at or before ``as_of``), in position order.

        Found by the statement index and read from the signed payloads, not from
        the views: each payload must hash to its indexed id and be of that kind,
        or StoreError says the index does not match the record.
        """
        bound = 2**62 if as_of is None else as_of
        with self.transaction(commit=False) as tx:
            rows = [
                IndexRow.of(r)
                for r in tx.all(
                    f"SELECT {INDEX_COLUMNS} FROM statement_index WHERE kind = ? "
                    "AND position <= ? ORDER BY position",
                    (kind, bound),
                )
            ]
            found = []
            for row in rows:
                state = self._event_state(row.subject_id, row.version)
                rec = None if state is None else self.record(state, row)
                if (
                    rec is None
                    or rec.envelope.statement_id != row.statement_id
                    or rec.statement.kind != kind
                ):
                    raise StoreError(
                        f"position {row.position} does not match the statement index: "
                        "run 'prov verify'"
                    )
                found.append(rec)
        return found

    def index_rows(self, statement_ids: list[str]) -> dict[str, IndexRow]:
        """Index rows of the given statements, by statement id (missing ones left out)."""
        found: dict[str, IndexRow] = {}
        for i in range(0, len(statement_ids), 500):
            chunk = statement_ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._read(
                f"SELECT {INDEX_COLUMNS} FROM statement_index WHERE statement_id IN ({marks})",
                tuple(chunk),
            )
            found.update((r.statement_id, r) for r in map(IndexRow.of, rows))
        return found

    def subject_state(
        self, subject: str, *, up_to_version: int | None = None, as_of: int | None = None
    ) -> State | None:
        """A subject's state replayed from its statements (None if it did not exist)."""
        records = self.subject_records(subject, up_to_version=up_to_version, as_of=as_of)
        return self.views.fold(records)  # type: ignore[no-any-return]

    def statement(self, statement_id: str) -> Recorded:
        """One recorded statement by its full id."""
        row = self.index_row(statement_id)
        if row is None:
            raise StoreError(f"no statement {statement_id}")
        state = self._event_state(row.subject_id, row.version)
        if state is None:
            raise StoreError(f"statement {statement_id} is indexed but missing: run 'prov verify'")
        return self.record(state, row)

    def resolve_statement(self, prefix: str) -> StatementId:
        """Expand a unique prefix (8 hex characters or more) to a full statement id."""
        p = prefix.lower()
        if not 8 <= len(p) <= 64 or any(ch not in "0123456789abcdef" for ch in p):
            raise StoreError(f"{prefix!r} is not a statement id (8 to 64 hex characters)")
        rows = self._read(
            "SELECT statement_id FROM statement_index WHERE statement_id >= ? "
            "AND statement_id < ? LIMIT 2",
            (p, p + "g"),
        )
        if not rows:
            raise StoreError(f"no statement with id {prefix}")
        if len(rows) > 1:
            raise StoreError(f"statement id prefix {prefix} is ambiguous; give more characters")
        return StatementId(rows[0][0])

    @staticmethod
    def record(raw: bytes, row: IndexRow) -> Recorded:
        """A recorded statement from its stored bytes and index row."""
        envelope = env.parse_envelope(raw)
        return Recorded(
            statement_id=StatementId(row.statement_id),
            position=row.position,
            version=row.version,
            received_at=row.received_at,
            envelope=envelope,
            statement=parse_payload(envelope.payload),
        )

    def index_range(self, first: int, count: int) -> list[IndexRow]:
        """Index rows of positions ``first`` to ``first + count - 1``, in order."""
        rows = self._read(
            f"SELECT {INDEX_COLUMNS} FROM statement_index "
            "WHERE position >= ? AND position < ? ORDER BY position",
            (first, first + count),
        )
        return [IndexRow.of(r) for r in rows]

    def read_page(self, position: int, after_notification: int, limit: int) -> list[Recorded]:
        """Statements from ``position`` on, reading the notification log after a given id.

        Notifications and positions both follow commit order, so the n-th
        notification read is the statement at ``position + n``; a mismatch
        means the stored rows were damaged.
        """
        with self.transaction(commit=False) as tx:
            notes = self.notifications(after_notification + 1, limit)
            rows = [
                IndexRow.of(r)
                for r in tx.all(
                    f"SELECT {INDEX_COLUMNS} FROM statement_index "
                    "WHERE position >= ? AND position < ? ORDER BY position",
                    (position, position + len(notes)),
                )
            ]
        records = []
        for note, row in zip(notes, rows, strict=False):
            if (str(note.originator_id), note.originator_version, note.id) != (
                row.subject_id,
                row.version,
                row.notification_id,
            ):
                raise StoreError(
                    f"position {row.position} does not match the event log: run 'prov verify'"
                )
            try:
                records.append(self.record(bytes(note.state), row))
            except ProvenanceError as e:
                raise StoreError(
                    f"stored statement at position {row.position} is damaged ({e}): "
                    "run 'prov verify'"
                ) from e
        if len(rows) != len(notes):
            raise StoreError(
                f"the statement index ends at {position + len(rows)}: run 'prov verify'"
            )
        return records

    def iter_records(self, *, page: int = 500) -> Iterator[Recorded]:
        """Every statement in the store's order (position 0 upwards)."""
        position, nid = 0, 0
        while records := self.read_page(position, nid, page):
            yield from records
            position += len(records)
            nid = self.index_range(position - 1, 1)[0].notification_id

    # -- the log ---------------------------------------------------------------

    def log_root(self, size: int | None = None) -> RootHash:
        """The Merkle root of the first ``size`` statements (default: all)."""
        stored = self.size()
        size = stored if size is None else size
        if not 0 <= size <= stored:
            raise StoreError(f"no log root of size {size}: the log has {stored} leaves")
        with self.transaction(commit=False) as tx:
            return LogTree(tx).root(size)

    def log_inclusion(self, position: int, size: int) -> list[bytes]:
        """The inclusion proof of the statement at ``position`` in the tree of ``size``."""
        if not 0 <= position < size <= self.size():
            raise StoreError(f"no leaf {position} in a log of size {size}")
        with self.transaction(commit=False) as tx:
            return LogTree(tx).inclusion(position, size)

    def log_inclusions(self, positions: list[int], size: int) -> dict[int, list[bytes]]:
        """Inclusion proofs of many statements in the tree of ``size``, read in one transaction."""
        if not 0 < size <= self.size():
            raise StoreError(f"no log of size {size}: the log has {self.size()} leaves")
        bad = [p for p in positions if not 0 <= p < size]
        if bad:
            raise StoreError(f"no leaf {bad[0]} in a log of size {size}")
        with self.transaction(commit=False) as tx:
            tree = LogTree(tx, cache={})
            return {p: tree.inclusion(p, size) for p in positions}

    def log_consistency(self, old: int, new: int) -> list[bytes]:
        """The consistency proof between the trees of sizes ``old`` and ``new``."""
        if not 0 < old <= new <= self.size():
            raise StoreError(f"no consistency proof from size {old} to {new} in this log")
        with self.transaction(commit=False) as tx:
            return LogTree(tx).consistency(old, new)

    def configure_log(self, origin: str, vkey: str) -> None:
        """Record the log's origin and verifier key (once: a log keeps its identity)."""
        if "log_origin" in self.meta:
            raise StoreError(f"this store's log is already {self.meta['log_origin']}")
        with self.transaction(commit=True) as tx:
            tx.run("INSERT INTO prov_meta VALUES ('log_origin', ?)", (origin,))
            tx.run("INSERT INTO prov_meta VALUES ('log_vkey', ?)", (vkey,))
        self.refresh_meta()

    def set_meta(self, key: str, value: str) -> None:
        """Set one of the store's settings (replacing it), and re-read them all."""
        with self.transaction(commit=True) as tx:
            tx.run(
                "INSERT INTO prov_meta VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
        self.refresh_meta()

    def refresh_meta(self) -> None:
        """Read the store's settings again (another process may have changed them)."""
        self.meta = self._read_meta()

    # -- writing -------------------------------------------------------------

    def append(self, raw: bytes) -> Receipt:
        """Check a signed statement and append it; idempotent for an identical statement.

        Raises:
            InputError: the envelope or payload is malformed.
            StatementRejected: it is well formed but breaks a rule of the store.
        """
        envelope = env.parse_envelope(raw)
        statement = parse_payload(envelope.payload)
        # The store keeps envelopes in their RFC 8785 form. The signature covers
        # only PAE(type, payload), so this changes no signed byte, and the same
        # statement has the same stored bytes (and log leaf) in every store.
        canonical = env.encode_envelope(envelope.payload, list(envelope.signatures))
        if canonical != raw:
            envelope = env.parse_envelope(canonical)
            raw = canonical
        sid = envelope.statement_id
        for attempt in range(MAX_ATTEMPTS):
            try:
                # After a lost race the version is read under the write lock,
                # where no other writer can move it: the next try cannot lose again.
                return self._insert(raw, envelope, statement, under_lock=attempt > 0)
            except (OperationalError, InterfaceError) as e:
                self._frontier = None
                if kind_of(e) in ("full", "read-only"):
                    raise unavailable(self.location, e, writing=True) from None
                raise StoreError(_lost(self.location, e)) from None
            except IntegrityError:
                # The statement is already stored, or another writer appended
                # to this subject between our version read and our insert.
                self._next_version.pop(statement.subject, None)
                row = self.index_row(sid)
                if row is not None:
                    return Receipt(sid, row.subject_id, row.position, row.version, True)
                if statement.spec.creates is not None and self.subject_version(statement.subject):
                    raise StatementRejected(
                        f"{statement.kind} on {statement.subject}: "
                        f"subject {statement.subject} already exists"
                    ) from None
                time.sleep(0.001 * (attempt + 1))
            except PersistenceError as e:
                kind = kind_of(e)
                if kind == "read-only" and "permission denied" in str(e):
                    raise StoreError(
                        f"this connection may not append to the store at {self.location} "
                        f"({' '.join(str(e).split())}): nothing was written"
                    ) from None
                if kind in ("other", "missing-table"):
                    raise
                raise unavailable(self.location, e, writing=True) from None
        raise StatementRejected(f"statement {sid[:12]} could not be appended: too much contention")

    def _insert(
        self, raw: bytes, envelope: env.Envelope, statement: Statement, *, under_lock: bool
    ) -> Receipt:
        """Write the event and its index row, checking every rule, in one transaction.

        The subject's next version comes from a cache or a read before the
        transaction; with ``under_lock`` it is read inside it, once the write
        lock is held, so that no other writer can take it first.
        """
        sid = envelope.statement_id
        creates = statement.spec.creates is not None
        if creates:
            # A creating statement opens its subject's history; if the subject
            # exists, the event table's primary key refuses version 1.
            version = 1
        elif under_lock:
            version = 0  # read in versioned(), below
        else:
            version = self._next_version.get(statement.subject) or (
                self.subject_version(statement.subject) + 1
            )
        event = StatementRecorded(statement.subject, version, raw)
        settled = [version]

        def versioned(tx: Tx, stored: Sequence[StoredEvent]) -> list[StoredEvent]:
            row = tx.one(_LAST_VERSION, (statement.subject,))
            settled[0] = int(row[0]) + 1 if row and row[0] is not None else 1
            return [dataclasses.replace(e, originator_version=settled[0]) for e in stored]

        received_at = self.clock()
        placed: list[int] = []
        grown: list[CompactRange] = []

        def in_transaction(tx: Tx, notification_ids: list[int]) -> None:
            (nid,) = notification_ids
            tables = Tables(tx, self._kinds)
            version = settled[0]
            # A duplicate statement id fails here, before any rule is checked.
            position = tables.append_index(
                sid, statement.subject, version, statement.kind, nid, received_at
            )
            check_statement(
                tables,
                root_key_id=self.root_key_id,
                position=position,
                version=version,
                envelope=envelope,
                statement=statement,
            )
            apply_effects(tables, statement, position)
            tree = LogTree(tables.tx)
            known = self._frontier
            frontier = known if known is not None and known.size == position else None
            grown.append(tree.append(frontier or tree.frontier(position), raw))
            placed.append(position)

        # The event store (mapper + recorder) directly: Application.save would only
        # add snapshot and notification machinery that the store does not use.
        if under_lock and not creates:
            self.app.events.put([event], in_transaction=in_transaction, versioned=versioned)
        else:
            self.app.events.put([event], in_transaction=in_transaction)
        version = settled[0]
        self._frontier = grown[0]
        if len(self._next_version) >= 65536:
            self._next_version.clear()
        self._next_version[statement.subject] = version + 1
        return Receipt(sid, statement.subject, placed[0], version)


def _sqlite_name(path: Path, *, create: bool) -> str:
    """The SQLite database name of a store: the file, or a read-only URI for a read-only copy.

    A store on a read-only mount, or in files this user may not write, cannot
    be opened the usual way: WAL mode needs to write its ``-shm`` index beside
    the database. Such a copy is opened ``immutable=1`` (SQLite, "URI
    Filenames": read-only, no locking, no WAL), which is what an auditor's copy
    is; if a write-ahead log was copied with it, ``mode=ro`` reads it first.
    """
    if create or (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        return str(path)
    uri = "file:" + urllib.parse.quote(str(path.resolve()))
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return uri + "?mode=ro"
    return uri + "?immutable=1"


def _postgres() -> Any:
    """The PostgreSQL backend module, or StoreError saying how to install its driver."""
    try:
        from provenance.store import postgres
    except ImportError as e:
        raise StoreError(
            f"PostgreSQL support is not installed ({e.name} is missing): "
            "pip install 'provenance-store[postgres]'"
        ) from None
    return postgres


def _lost(location: Location, e: Exception) -> str:
    """One line for an append that the database did not finish."""
    reason = " ".join(str(e).split()) or type(e).__name__
    if "lock" in reason and "timeout" in reason:
        return f"the store at {location} is busy: another writer held it too long ({reason})"
    return (
        f"the append to {location} did not complete ({reason}); nothing was half-written: "
        "send the statement again (a statement already stored is not stored twice)"
    )
