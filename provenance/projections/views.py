"""Read models kept in the store's database, always rebuildable from the statements.

eventsourcing 9.5 has no subscriptions on SQLite, so the views follow the
notification log themselves: each catch-up reads a page of notifications after
the tracked position and applies it, together with the new position, in one
transaction. A writer that dies after appending leaves the views behind, never
wrong; the next command catches them up.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from provenance.errors import InputError, StoreError
from provenance.model import kinds
from provenance.model.kinds import SUBJECT_TYPES, entry_lists
from provenance.projections.history import summarise
from provenance.projections.subjects import State, apply, fold
from provenance.records import Recorded
from provenance.rules import strict_json
from provenance.store.failures import IntegrityError, PersistenceError, kind_of, unavailable
from provenance.store.store import Store
from provenance.store.tables import Tx, ddl

VIEW_TABLES = {
    "view_subjects": "subject_id TEXT PRIMARY KEY, subject_type TEXT NOT NULL, "
    "version INTEGER NOT NULL, state TEXT NOT NULL",
    "view_history": "position INTEGER PRIMARY KEY, statement_id TEXT NOT NULL, "
    "subject_id TEXT NOT NULL, version INTEGER NOT NULL, kind TEXT NOT NULL, "
    "author TEXT NOT NULL, key_id TEXT NOT NULL, issued_at TEXT NOT NULL, "
    "received_at TEXT NOT NULL, refs TEXT NOT NULL, summary TEXT NOT NULL",
    "view_links": "target_id TEXT NOT NULL, subject_id TEXT NOT NULL, "
    "statement_id TEXT NOT NULL, relation TEXT NOT NULL, "
    "PRIMARY KEY (target_id, statement_id)",
    "view_tracking": "id INTEGER PRIMARY KEY CHECK (id = 1), "
    "position INTEGER NOT NULL, notification_id INTEGER NOT NULL",
}
PAGE = 500
VIEWS_SHAPE = 2
"""Bump it when a fold changes what a state holds (2: withdrawals marked by one
``withdrawn`` record; every subject has its empty entry lists)."""


def _views_format() -> str:
    """The shape of the states the views hold (``prov_meta`` key ``views_format``; none is 1).

    Views of another format are never read or compared, but rebuilt by the
    next writer (and, for a reader that may not write, replayed in memory).
    It names :data:`VIEWS_SHAPE` and a digest of the entry lists every
    subject type starts with, read from the kind declarations: a new kind
    that adds entries changes every state of its type, and so the format.
    """
    lists = {t: entry_lists(t) for t in SUBJECT_TYPES}
    digest = hashlib.sha256(json.dumps(lists, sort_keys=True).encode()).hexdigest()[:16]
    return f"{VIEWS_SHAPE}-{digest}"


VIEWS_FORMAT = _views_format()


def _links(rec: Recorded) -> list[tuple[str, str]]:
    """(target, relation) pairs this statement adds to the link table.

    Its refs refer to earlier statements; each reference its kind declares
    with a relation links the subject or statement it names.
    """
    body = rec.statement.body.model_dump(mode="json", exclude_none=True)
    links = [(ref, "refers-to") for ref in rec.statement.payload.refs]
    for ref in rec.statement.spec.refs:
        if ref.relation is not None:
            for value in ref.values(body):
                links.append((value["id"] if ref.to == "target" else value, ref.relation))
    return links


def _refused_write(e: BaseException) -> bool:
    """Whether the database refused a write for lack of rights or of room (not for a fault).

    A read-only role or replica, a read-only copy, a full disk: the views stay
    as a writer left them, and the record can still be read.
    """
    return kind_of(e) in ("read-only", "full")


def _clashed(e: BaseException) -> bool:
    """Whether a view write failed on a key the views already hold."""
    current: BaseException | None = e
    while current is not None:
        if isinstance(current, IntegrityError) or type(current).__name__ == "IntegrityError":
            return True
        current = current.__cause__
    return False


OUT_OF_STEP = "run 'prov verify --rebuild-views'"


def history_row(rec: Recorded) -> tuple[Any, ...]:
    """The ``view_history`` row of a statement, as the views store it."""
    p = rec.statement.payload
    return (
        rec.position,
        rec.statement_id,
        rec.subject,
        rec.version,
        p.kind,
        p.author,
        rec.signer,
        p.issued_at,
        rec.received_at,
        json.dumps(list(p.refs)),
        summarise(rec),
    )


def link_rows(rec: Recorded) -> list[tuple[str, str, str, str]]:
    """The ``view_links`` rows a statement adds, one per target (the first relation wins)."""
    rows: dict[str, tuple[str, str, str, str]] = {}
    for target, relation in _links(rec):
        rows.setdefault(target, (target, rec.subject, rec.statement_id, relation))
    return [rows[t] for t in sorted(rows)]


def challenges_by_target(store: Store, as_of: int | None = None) -> dict[str, list[Recorded]]:
    """Every ``challenge.raised`` statement (to ``as_of``), by the id of what it challenges.

    Read from the signed statements (found by the statement index), never from
    the views, so a view row deleted or added cannot hide or invent a challenge.
    """
    found: dict[str, list[Recorded]] = {}
    for rec in store.statements_of_kind("challenge.raised", as_of):
        body = rec.statement.body
        assert isinstance(body, kinds.ChallengeRaised)
        found.setdefault(body.target.id, []).append(rec)
    return found


class Views:
    """The read models of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # Set when the database refused to write the views (a read-only role or
        # copy, a full disk): they stay as a writer left them.
        self.read_only = False
        # Why the views could not be written, in the database's words.
        self.refusal: str | None = None
        # The views copied into a private in-memory SQLite database and brought up
        # to date there, when the store's own may not be written (see catch_up).
        self._memory: Tx | None = None

    @staticmethod
    def fold(records: list[Recorded]) -> State | None:
        """A subject's state after its ``records`` (the views' own projection)."""
        return fold(records)

    # -- maintenance ---------------------------------------------------------

    def create_tables(self) -> None:
        """Create the view tables (done by init and by rebuild)."""
        with self.store.transaction(commit=True) as tx:
            for name, columns in VIEW_TABLES.items():
                tx.run(ddl(f"CREATE TABLE IF NOT EXISTS {name} ({columns})", tx.dialect))
            tx.run(
                "CREATE INDEX IF NOT EXISTS view_history_subject "
                "ON view_history (subject_id, version)"
            )
            tx.run("INSERT INTO view_tracking VALUES (1, -1, 0) ON CONFLICT DO NOTHING")
        if self.stale_format() is not None:
            self.store.set_meta("views_format", VIEWS_FORMAT)

    def stale_format(self) -> str | None:
        """The format of the stored views when it is not this version's, else None."""
        held = self.store.meta.get("views_format", "1")
        return None if held == VIEWS_FORMAT else held

    def rebuild(self) -> None:
        """Drop every view and replay all statements into fresh ones."""
        with self.store.transaction(commit=True) as tx:
            for name in VIEW_TABLES:
                tx.run(f"DROP TABLE IF EXISTS {name}")
            # Read as stale until the fresh tables are made: a crash in between
            # leaves them to be rebuilt again, never read in the old format.
            tx.run("DELETE FROM prov_meta WHERE key = 'views_format'")
        self.store.meta.pop("views_format", None)
        self.create_tables()
        self.catch_up()

    def tracking(self) -> tuple[int, int]:
        """The last (position, notification id) applied to the views."""
        try:
            with self._reader() as tx:
                row = tx.one("SELECT position, notification_id FROM view_tracking WHERE id = 1")
        except (StoreError, PersistenceError) as e:
            if kind_of(e) != "missing-table":
                raise  # the database failed: say so, not that the views are missing
            row = None
        if row is None:
            raise StoreError("the store's views are missing; run 'prov verify --rebuild-views'")
        return int(row[0]), int(row[1])

    def out_of_step(self) -> str | None:
        """Why the views' tracking row does not fit the record or the views, if it does not.

        The tracked position must be a position of the record (or -1), with that
        statement's notification id, and the last one ``view_history`` holds.
        """
        # One statement, so that it reads one snapshot even on PostgreSQL's READ
        # COMMITTED (a catch-up committing meanwhile cannot make it look wrong).
        try:
            with self.store.transaction(commit=False) as tx:
                row = tx.one(
                    "SELECT t.position, t.notification_id, "
                    "(SELECT MAX(position) FROM statement_index), "
                    "(SELECT MAX(position) FROM view_history), "
                    "(SELECT notification_id FROM statement_index WHERE position = t.position) "
                    "FROM view_tracking t WHERE t.id = 1"
                )
        except StoreError as e:
            if kind_of(e) != "missing-table":
                raise
            row = None
        if row is None:
            raise StoreError("the store's views are missing; run 'prov verify --rebuild-views'")
        position, nid = int(row[0]), int(row[1])
        size = 0 if row[2] is None else int(row[2]) + 1
        last = -1 if row[3] is None else int(row[3])
        found = row[4]
        where = f"view_tracking says position {position}, notification {nid}"
        if position >= size:
            return f"{where}, beyond the record's last position {size - 1}"
        if position < -1 or (position == -1 and nid != 0):
            return f"{where}, which is no position of the record"
        if position >= 0 and (found is None or int(found) != nid):
            return f"{where}, but that statement's notification id is {found}"
        if last != position:
            return f"{where}, but view_history reaches position {last}"
        return None

    def catch_up(self) -> int:
        """Apply, page by page, every statement recorded since the tracked position.

        Each page and the new position are written in one transaction, so a
        crash leaves the views behind but never wrong. Returns how many
        statements were applied.
        """
        applied = 0
        if self.store.in_snapshot:
            return 0  # a snapshot reads; the views are brought up to date outside it
        if self._memory is not None:
            return self._catch_up_in_memory()
        if not self.read_only and self.stale_format() is not None:
            self.store.refresh_meta()  # another writer may have rebuilt them since open
        if not self.read_only and self.stale_format() is not None:
            try:
                self.rebuild()
                return self.store.size()
            except (StoreError, PersistenceError) as e:
                if not _refused_write(e):
                    raise
                self.read_only = True
                self.refusal = str(e)
                return self._catch_up_in_memory()
        if not self.read_only and (why := self.out_of_step()) is not None:
            raise StoreError(
                f"the store's views are out of step with the record ({why}): {OUT_OF_STEP}"
            )
        while not self.read_only:
            position, nid = self.tracking()
            records = self.store.read_page(position + 1, nid, PAGE)
            if not records:
                return applied
            last = self.store.index_range(records[-1].position, 1)[0]
            try:
                done = self._apply_page(
                    (position, nid), (last.position, last.notification_id), records
                )
            except (StoreError, PersistenceError) as e:
                if _clashed(e):
                    raise StoreError(
                        "the store's views are out of step with the record (they already "
                        f"hold a statement after position {position}): {OUT_OF_STEP}"
                    ) from e
                if not _refused_write(e):
                    raise
                # A read-only role (an auditor), a read-only replica or copy, a full
                # disk: the views stay as a writer left them, and say how far they reach.
                self.read_only = True
                self.refusal = (
                    str(e)
                    if isinstance(e, StoreError)
                    else str(unavailable(self.store.location, e, writing=True))
                )
                return applied + self._catch_up_in_memory()
            if done:
                applied += len(records)
        return applied

    def _catch_up_in_memory(self) -> int:
        """Bring a copy of the views, in memory, up to date, when the store's may not be written.

        A read-only copy, role or replica, or a full disk: the stored views are
        copied (their tracking row must fit the record) into a private
        in-memory SQLite database, and what they lack is applied there. The
        reading commands then read that copy; nothing is written to the store.
        """
        if self._memory is None and self.stale_format() is not None:
            # Views of another format are not read: replay everything in memory.
            memory = Tx(sqlite3.connect(":memory:", isolation_level=None).cursor())
            for name, columns in VIEW_TABLES.items():
                memory.run(f"CREATE TABLE {name} ({columns})")
            memory.run("INSERT INTO view_tracking VALUES (1, -1, 0)")
            self._memory = memory
        if self._memory is None:
            why = self.out_of_step()
            if why is not None:
                raise StoreError(
                    f"the store's views are out of step with the record ({why}): {OUT_OF_STEP}"
                )
            memory = Tx(sqlite3.connect(":memory:", isolation_level=None).cursor())
            with self.store.transaction(commit=False) as tx:
                for name, columns in VIEW_TABLES.items():
                    memory.run(f"CREATE TABLE {name} ({columns})")
                    rows = tx.all(f"SELECT * FROM {name}")
                    if rows:
                        marks = ", ".join("?" * len(rows[0]))
                        memory.cursor.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)
            self._memory = memory
        applied = 0
        while True:
            position, nid = self.tracking()
            records = self.store.read_page(position + 1, nid, PAGE)
            if not records:
                return applied
            last = self.store.index_range(records[-1].position, 1)[0]
            self._apply(self._memory, records, (last.position, last.notification_id))
            applied += len(records)

    @property
    def in_memory(self) -> bool:
        """Whether the views are read from a copy in memory (the store's may not be written)."""
        return self._memory is not None

    def lag(self) -> int:
        """How many statements the views have not applied yet."""
        return self.store.size() - 1 - self.tracking()[0]

    def _apply_page(
        self, start: tuple[int, int], end: tuple[int, int], records: list[Recorded]
    ) -> bool:
        with self.store.transaction(commit=True) as tx:
            # FOR UPDATE: on PostgreSQL a second catch-up waits here, then sees the
            # new position; on SQLite the write lock is already held.
            lock = " FOR UPDATE" if tx.postgres else ""
            row = tx.one(f"SELECT position, notification_id FROM view_tracking WHERE id = 1{lock}")
            if row != start:
                return False  # another process applied this page first
            self._apply(tx, records, end)
        return True

    def _apply(self, tx: Tx, records: list[Recorded], end: tuple[int, int]) -> None:
        states: dict[str, State | None] = {}
        for rec in records:
            if rec.subject not in states:
                row = tx.one("SELECT state FROM view_subjects WHERE subject_id = ?", (rec.subject,))
                states[rec.subject] = _row_json(row[0]) if row else None
            states[rec.subject] = _fold(states[rec.subject], rec)
            self._write_history(tx, rec)
        for subject, final in states.items():
            assert final is not None
            tx.run(
                "INSERT INTO view_subjects VALUES (?, ?, ?, ?) ON CONFLICT (subject_id) DO UPDATE "
                "SET subject_type = excluded.subject_type, version = excluded.version, "
                "state = excluded.state",
                (subject, final["type"], final["version"], json.dumps(final, sort_keys=True)),
            )
        tx.run("UPDATE view_tracking SET position = ?, notification_id = ? WHERE id = 1", end)

    @staticmethod
    def _write_history(tx: Tx, rec: Recorded) -> None:
        try:
            history, links = history_row(rec), link_rows(rec)
        except Exception as e:  # pure code on a statement: it fails only on a damaged record
            raise _damaged(rec, e) from e
        tx.run("INSERT INTO view_history VALUES (?,?,?,?,?,?,?,?,?,?,?)", history)
        for row in links:
            tx.run("INSERT INTO view_links VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", row)

    # -- queries -------------------------------------------------------------

    @contextmanager
    def _reader(self) -> Iterator[Tx]:
        """Where the views are read: the store's tables, or their copy in memory."""
        if self._memory is not None:
            yield self._memory
            return
        with self.store.transaction(commit=False) as tx:
            yield tx

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        self.catch_up()
        with self._reader() as tx:
            return tx.dicts(sql, params)

    def subject(self, subject: str) -> State | None:
        """The current state of a subject, or None."""
        rows = self._query("SELECT state FROM view_subjects WHERE subject_id = ?", (subject,))
        return _row_json(rows[0]["state"]) if rows else None

    def subjects(self, subject_type: str | None = None) -> list[State]:
        """Every subject's current state, optionally of one type, in order of creation."""
        sql = "SELECT state FROM view_subjects"
        params: tuple[Any, ...] = ()
        if subject_type is not None:
            sql += " WHERE subject_type = ?"
            params = (subject_type,)
        states = [_row_json(r["state"]) for r in self._query(sql, params)]
        return sorted(states, key=lambda s: s["created"]["position"])

    def iter_states(self, page: int = 500) -> Any:
        """Every subject's state, by subject id, a page at a time (views as they are now)."""
        last = ""
        while True:
            with self._reader() as tx:
                rows = tx.all(
                    "SELECT subject_id, state FROM view_subjects WHERE subject_id > ? "
                    "ORDER BY subject_id LIMIT ?",
                    (last, page),
                )
            if not rows:
                return
            for subject, state in rows:
                yield str(subject), _row_json(state)
            last = str(rows[-1][0])

    def history(self, subject: str) -> list[dict[str, Any]]:
        """A subject's history: one entry per statement, in version order."""
        rows = self._query(
            "SELECT * FROM view_history WHERE subject_id = ? ORDER BY version", (subject,)
        )
        return [{**dict(r), "refs": _row_json(r["refs"])} for r in rows]

    def statement_row(self, statement_id: str) -> dict[str, Any] | None:
        """The history entry of one statement."""
        index = self.store.index_row(statement_id)
        if index is None:
            return None
        rows = self._query("SELECT * FROM view_history WHERE position = ?", (index.position,))
        return {**dict(rows[0]), "refs": _row_json(rows[0]["refs"])} if rows else None

    def links_to(self, target: str, relation: str | None = None) -> list[dict[str, Any]]:
        """Statements that point at a subject or statement id.

        The challenges of a target (``challenged-by``) are read from the signed
        statements, not from ``view_links``: what ``prov show`` and ``prov
        dispute`` say is challenged never rests on a view row.
        """
        if relation == "challenged-by":
            return [
                {
                    "target_id": target,
                    "subject_id": rec.subject,
                    "statement_id": rec.statement_id,
                    "relation": relation,
                }
                for rec in challenges_by_target(self.store).get(target, [])
            ]
        sql = "SELECT * FROM view_links WHERE target_id = ?"
        params: tuple[Any, ...] = (target,)
        if relation is not None:
            sql += " AND relation = ?"
            params = (target, relation)
        return [dict(r) for r in self._query(sql, params)]

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every view, sorted: two dumps are equal iff the views are."""
        return {
            name: sorted(tuple(r.values()) for r in self._query(f"SELECT * FROM {name}"))
            for name in VIEW_TABLES
        }


Store.use_views(Views)


def _fold(state: State | None, rec: Recorded) -> State:
    """Fold one statement into its subject's state; a history the fold cannot follow
    (only a record altered behind the store's back has one) is a StoreError."""
    try:
        return apply(state, rec)
    except Exception as e:  # the fold is pure: it fails only on a damaged record
        raise _damaged(rec, e) from e


def _damaged(rec: Recorded, e: Exception) -> StoreError:
    return StoreError(
        f"the views cannot follow the statement at position {rec.position} "
        f"({rec.statement_id[:16]}, {type(e).__name__}: {e}): the record is damaged; "
        "run 'prov verify' to see how"
    )


def _row_json(text: Any) -> Any:
    """A JSON column of a view row, parsed strictly: whoever can write the store can
    write the views, and a damaged row is one line pointing to the repair."""
    try:
        return strict_json.loads(text, "a view row")
    except (InputError, TypeError) as e:
        raise StoreError(
            f"the store's views are damaged ({e}): run 'prov verify --rebuild-views'"
        ) from None
