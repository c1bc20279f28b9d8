"""``prov verify``: an audit of every stored row, from the raw bytes up.

The audit reads the event rows and the statement index as stored, without the
eventsourcing mapper or the views, so that damage of any kind is reported as a
finding about a named statement rather than an exception. Checks, in order:

1. the index positions are dense from 0 and each names exactly one event row;
2. each row's topic is the statement topic and its state parses as an envelope;
3. the payload hashes to the statement id the index holds (rows not altered);
4. the payload parses, and its subject and version match the row;
5. the first statement is the organisation registering the pinned root key;
6. each signature verifies against its author's key as registered earlier;
7. each ref names an earlier statement; each kind fits its subject's type;
8. each subject's versions are contiguous from 1;
9. every view table (subjects, history, links, tracking) equals a fresh
   replay of the statements, up to the position the views reach.

Every read of the audit is made in one snapshot of the database
(:meth:`Store.snapshot`), so writers appending meanwhile are not seen and
cannot make an intact store look damaged. The views are brought up to date
before the snapshot is taken (if this connection may write them), never
during it. A database that fails (a full disk, a lost connection) is not
evidence: the audit raises StoreError saying what happened.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

from provenance import envelope as env
from provenance.audit.blobs import check_blobs
from provenance.audit.log import LogAudit
from provenance.audit.report import AuditReport, Problem, Trusted
from provenance.errors import InputError, ProvenanceError, StatementRejected, StoreError
from provenance.model import kinds
from provenance.model.kinds import KINDS
from provenance.model.statement import Statement, parse_payload
from provenance.projections.subjects import State, apply
from provenance.projections.views import history_row, link_rows
from provenance.records import Recorded
from provenance.rules import acceptance, strict_json
from provenance.rules.acceptance import ActorFact, KeyFact
from provenance.rules.ledger import Ledger
from provenance.store.events import TOPIC
from provenance.store.failures import PersistenceError, kind_of
from provenance.store.tables import INDEX_COLUMNS, IndexRow

if TYPE_CHECKING:
    from provenance.store.store import Store
    from provenance.trust import Pins


_Actor = ActorFact
_Key = KeyFact


KINDS_CREATING = {name: spec.creates for name, spec in KINDS.items() if spec.creates}


REBUILD = "run 'prov verify --rebuild-views'"


class _ViewCheck:
    """The view tables compared, row by row, with a fresh replay, as the pass goes.

    Stored ``view_history`` rows are read by position and ``view_links`` rows
    by (position of their statement, target), in the audit's snapshot, beside
    the statements of the pass; ``view_subjects`` is compared at the end with
    the subjects' states as of the position the views reach (``upto``).
    """

    def __init__(self, store: Store, upto: int) -> None:
        self.store = store
        self.upto = upto
        self.problems: list[Problem] = []
        self.states: dict[str, str] = {}
        self._history: Generator[tuple[Any, ...]] = self._stream(
            "SELECT * FROM view_history WHERE position <= ? ORDER BY position"
        )
        self._links = self._stream(
            "SELECT i.position, l.target_id, l.subject_id, l.statement_id, l.relation "
            "FROM view_links l JOIN statement_index i ON i.statement_id = l.statement_id "
            "WHERE i.position <= ? ORDER BY i.position, l.target_id"
        )
        self._link_ahead: tuple[Any, ...] | None = None

    def close(self) -> None:
        """Close the streams (before the snapshot ends, whether or not they were read)."""
        self._history.close()
        self._links.close()

    def _stream(self, sql: str) -> Generator[tuple[Any, ...]]:
        """One ordered query, streamed in the audit's snapshot (see :meth:`Tx.stream`)."""
        with self.store.transaction(commit=False) as tx:
            yield from tx.stream(sql, (self.upto,))

    def differ(self, table: str, what: str, **where: Any) -> None:
        self.problems.append(
            Problem(
                f"view table {table} disagrees with a fresh replay: {what} ({REBUILD})", **where
            )
        )

    def step(self, rec: Recorded, states: dict[str, State]) -> None:
        """Compare the view rows of one statement (the pass's next, in position order)."""
        if rec.position > self.upto:
            return
        where = {
            "position": rec.position,
            "statement_id": rec.statement_id,
            "subject": rec.subject,
            "version": rec.version,
        }
        stored = next(self._history, None)
        while stored is not None and int(stored[0]) < rec.position:
            self.differ(
                "view_history",
                f"it has a row for position {stored[0]}, which the record does not have there",
                **where,
            )
            stored = next(self._history, None)
        if stored is None or int(stored[0]) != rec.position:
            self.differ("view_history", "this statement's row is missing", **where)
            if stored is not None:
                self._history = _push_back(stored, self._history)
        elif tuple(stored) != history_row(rec):
            self.differ("view_history", "this statement's row was altered", **where)
        found: list[tuple[Any, ...]] = []
        while True:
            link = self._link_ahead if self._link_ahead is not None else next(self._links, None)
            self._link_ahead = None
            if link is None:
                break
            if int(link[0]) > rec.position:
                self._link_ahead = link
                break
            found.append(tuple(link[1:]))
        expected = [tuple(r) for r in link_rows(rec)]
        if found != expected:
            missing = [r for r in expected if r not in found]
            extra = [r for r in found if r not in expected]
            parts = [f"its link to {r[0]} ({r[3]}) is missing" for r in missing]
            parts += [f"it has a link to {r[0]} ({r[3]}) no statement makes" for r in extra]
            self.differ("view_links", "; ".join(parts) or "its links differ", **where)
        if rec.position == self.upto:
            self.freeze(states)

    def freeze(self, states: dict[str, State]) -> None:
        """Keep the subjects' states as of the position the views reach."""
        self.states = {k: json.dumps(v, sort_keys=True) for k, v in states.items()}

    def finish(self) -> None:
        """Rows the replay did not reach, and ``view_subjects`` against the states."""
        for stored in self._history:
            self.differ(
                "view_history",
                f"it has a row for position {stored[0]}, which no statement explains",
            )
        for link in [*([self._link_ahead] if self._link_ahead else []), *self._links]:
            self.differ(
                "view_links",
                f"it has a link from position {link[0]} to {link[1]} that no statement makes",
            )
        with self.store.transaction(commit=False) as tx:
            orphans = tx.one(
                "SELECT COUNT(*) FROM view_links l LEFT JOIN statement_index i "
                "ON i.statement_id = l.statement_id WHERE i.position IS NULL OR i.position > ?",
                (self.upto,),
            )
        if orphans is not None and int(orphans[0]):
            self.differ(
                "view_links",
                f"{orphans[0]} link(s) name a statement the views "
                "have not applied or the record does not hold",
            )
        expected = dict(self.states)
        last = ""
        while True:
            with self.store.transaction(commit=False) as tx:
                rows = tx.all(
                    "SELECT subject_id, subject_type, version, state FROM view_subjects "
                    "WHERE subject_id > ? ORDER BY subject_id LIMIT 500",
                    (last,),
                )
            for subject, typ, version, state in rows:
                replayed = expected.pop(str(subject), None)
                if replayed is None:
                    self.differ(
                        "view_subjects", "no statement creates this subject", subject=str(subject)
                    )
                    continue
                fresh = json.loads(replayed)
                try:
                    held = strict_json.loads(state, "a view_subjects state")
                except (InputError, TypeError):  # a row no replay could have written
                    held = None
                if held != fresh or (typ, int(version)) != (fresh["type"], fresh["version"]):
                    self.differ(
                        "view_subjects", "the subject's state differs", subject=str(subject)
                    )
            if not rows:
                break
            last = str(rows[-1][0])
        for subject in sorted(expected):
            self.differ("view_subjects", "the subject is missing", subject=subject)


def _push_back(item: Any, rest: Generator[Any]) -> Generator[Any]:
    try:
        yield item
        yield from rest
    finally:
        rest.close()


class _Auditor:
    def __init__(
        self,
        store: Store,
        progress: Callable[[int], None] | None,
        since: Trusted | None = None,
        pins: Pins | None = None,
    ) -> None:
        self.store = store
        self.progress = progress
        self.since = since
        self.pins = pins
        self.start = since.size if since else 0
        self.report = AuditReport()
        # The record replayed so far: what the acceptance rules ask about.
        self.ledger = _AuditLedger(self)
        self.actors: dict[str, _Actor] = self.ledger.actors
        self.keys: dict[str, _Key] = self.ledger.keys
        # Subject states replayed from scratch, to compare with the views.
        self.states: dict[str, State] = {}
        # With --since: subjects whose trusted prefix has been replayed.
        self.primed: set[str] = set()
        # Attached files named by the statements: (digest, size, where).
        self.blobs: list[tuple[str, int, dict[str, Any]]] = []
        self.subjects: dict[str, tuple[str, list[int]]] = {}  # id -> (type, versions)
        self.view_check: _ViewCheck | None = None
        self.view_problems: list[Problem] = []

    def problem(self, message: str, **where: Any) -> None:
        self.report.problems.append(Problem(message, **where))

    def run(self) -> AuditReport:
        pinned_root = self.pins.root_key_id if self.pins else None
        stored_root = self.store.meta.get("root_key_id")
        if pinned_root is not None and pinned_root != stored_root:
            # The first statement is checked against the store's root key id, so
            # the pin holds when that id is the pinned one.
            self.problem(f"the pinned root key id {pinned_root} is not the store's {stored_root}")
        self.view_check = self._start_views() if self.since is None else None
        try:
            return self._run()
        finally:
            if self.view_check is not None:
                self.view_check.close()

    def _run(self) -> AuditReport:
        self.log = LogAudit(self.store, self.problem, self.since, self.pins, self.report.notes)
        if self.since is not None:
            self._prime()
        self._pass()
        self._check_versions()
        self.log.finish()
        if self.since is None:
            # Tables and views summarise the whole history: checked on a full audit.
            self._check_actors_table()
            self._check_views()
        # Attached files can be altered on disk at any time: always re-hashed.
        self.report.problems.extend(check_blobs(self.store.blobs, self.blobs))
        self.report.subjects = len(self.subjects)
        self.report.problems.sort(key=lambda p: (p.position is None, p.position or 0))
        return self.report

    def _pass(self) -> None:
        """One pass: index rows in position order, joined with event rows by notification id.

        Both normally come in the same order; rows a tamper has put out of
        order are held until their partner arrives, so memory stays small.
        """
        expected, previous = self.start, self._received_before(self.start)
        notes = self._notifications(self._first_notification())
        waiting: dict[int, Any] = {}
        ahead: Any = None
        for row in self._index_rows(self.start):
            if row.position != expected:
                self.problem(f"index positions are not dense: {expected} is missing")
            expected = row.position + 1
            if row.received_at < previous:
                self.problem(
                    f"receipt time {row.received_at} is earlier than the previous "
                    f"statement's {previous}: the order was changed",
                    **_where(row),
                )
            previous = max(previous, row.received_at)
            note = waiting.pop(row.notification_id, None)
            while note is None:
                candidate = ahead if ahead is not None else next(notes, None)
                ahead = None
                if candidate is None:
                    break
                if candidate.id == row.notification_id:
                    note = candidate
                elif candidate.id > row.notification_id:
                    ahead = candidate
                    break
                else:
                    waiting[candidate.id] = candidate
            if note is None:
                self.problem(
                    "indexed statement is missing from the event store (deleted?)", **_where(row)
                )
                continue
            self._check_one(row, note)
        rest = [*waiting.values(), *([ahead] if ahead is not None else []), *notes]
        for note in rest:
            self.problem(
                "stored event has no index entry",
                subject=str(note.originator_id),
                version=note.originator_version,
            )

    def _check_one(self, row: IndexRow, note: Any) -> None:
        try:
            self._check_row(row, note)
        except Exception as e:  # damaged bytes must be reported, never crash the audit
            self.problem(
                f"stored row could not be checked ({type(e).__name__}: {e})", **_where(row)
            )
        self.report.statements += 1
        if self.progress:
            self.progress(1)

    def _index_rows(self, start: int, stop: int | None = None) -> Iterator[IndexRow]:
        """Index rows from ``start`` (to ``stop``, exclusive), in pages, by position."""
        last = start - 1
        while True:
            with self.store.transaction(commit=False) as tx:
                rows = tx.all(
                    f"SELECT {INDEX_COLUMNS} FROM statement_index WHERE position > ? "
                    "ORDER BY position LIMIT 1000",
                    (last,),
                )
            for row in map(IndexRow.of, rows):
                if stop is not None and row.position >= stop:
                    return
                yield row
            if not rows:
                return
            last = int(rows[-1][0])

    def _first_notification(self) -> int:
        """The notification id to read from: all of them, or from the first audited row."""
        if self.start > 0:
            for row in self._index_rows(self.start):
                return row.notification_id
            # Nothing after the trusted checkpoint: any event after its last
            # statement's is one the index does not know.
            last = self.store.index_range(self.start - 1, 1)
            if last:
                return last[0].notification_id + 1
        return 1

    def _received_before(self, position: int) -> str:
        if position == 0:
            return ""
        rows = self.store.index_range(position - 1, 1)
        return rows[0].received_at if rows else ""

    def _prime(self) -> None:
        """Learn the keys and actors of the trusted part without re-checking it all.

        Every statement before the trusted size that changes who may sign is
        read, proved to be in the trusted tree by an inclusion proof from the
        stored nodes, and applied. The rest of the trusted part is not read.
        """
        for row in self._index_rows(0, self.start):
            self._record_version(row.subject_id, row.version, KINDS_CREATING.get(row.kind))
            self.ledger.note(row.statement_id, row.kind, row.subject_id, row.position)
            if not row.kind.startswith("actor."):
                continue
            try:
                rec = self.store.statement(row.statement_id)
                self.log.prove_trusted(row.position, rec.envelope.raw)
            except ProvenanceError as e:
                self.problem(f"cannot be proved in the trusted checkpoint: {e}", **_where(row))
                continue
            self._apply_key_effects(
                rec.statement.payload.model_dump(), row.statement_id, row.position
            )

    def _replay_trusted_prefix(self, subject: str) -> None:
        """With --since: fold the subject's statements before the trusted size, once.

        A statement after the checkpoint continues its subject's history, so
        the fold (and the rules that ask about the subject: trace status,
        withdrawals) needs what came before. Each earlier statement is read,
        proved to be in the trusted tree by an inclusion proof from the
        stored nodes, and applied; the cost grows with the subjects touched
        after the checkpoint, not with the store.
        """
        if subject in self.primed:
            return
        self.primed.add(subject)
        for rec in self.store.subject_records(subject, as_of=self.start - 1):
            where = {
                "position": rec.position,
                "statement_id": rec.statement_id,
                "subject": rec.subject,
                "version": rec.version,
            }
            try:
                self.log.prove_trusted(rec.position, rec.envelope.raw)
            except ProvenanceError as e:
                self.problem(f"cannot be proved in the trusted checkpoint: {e}", **where)
                return
            if not rec.statement.kind.startswith("actor."):  # those _prime applied
                self.ledger.apply(
                    rec.statement.payload.model_dump(), rec.statement_id, rec.position
                )
            try:
                self.states[subject] = apply(self.states.get(subject), rec)
            except Exception as e:  # a history the fold cannot follow is itself a finding
                self.problem(f"the subject's history cannot be replayed: {e}", **where)
                return

    def _earlier(self, statement_id: str, position: int) -> IndexRow | None:
        """The index row of a statement recorded before ``position``, if there is one."""
        row = self.store.index_row(statement_id)
        return row if row is not None and row.position < position else None

    def _author_of(self, row: IndexRow) -> str | None:
        """The author of an earlier statement, read from its signed payload."""
        try:
            rec = self.store.statement(row.statement_id)
            if row.position < self.start:
                self.log.prove_trusted(row.position, rec.envelope.raw)
        except ProvenanceError:
            return None
        return rec.statement.author

    def _notifications(self, start: int = 1) -> Any:
        while True:
            notes = self.store.notifications(start, 1000)
            if not notes:
                return
            yield from notes
            start = notes[-1].id + 1

    def _check_row(self, row: IndexRow, note: Any) -> None:
        where = {
            "position": row.position,
            "statement_id": row.statement_id,
            "subject": row.subject_id,
            "version": row.version,
        }
        if note.topic != TOPIC:
            self.problem(f"event topic is {note.topic!r}, expected {TOPIC!r}", **where)
        if (str(note.originator_id), note.originator_version) != (
            row.subject_id,
            row.version,
        ):
            self.problem(
                f"event row is {note.originator_id} v{note.originator_version}, "
                f"index says {row.subject_id} v{row.version}",
                **where,
            )
        self._record_version(row.subject_id, row.version, None)
        self.log.leaf(row.position, bytes(note.state), where)
        try:
            envelope = env.parse_envelope(bytes(note.state))
        except ProvenanceError as e:
            self.problem(f"stored envelope is damaged: {e}", **where)
            return
        sid = envelope.statement_id
        if sid != row.statement_id:
            self.problem(f"payload altered: it hashes to {sid[:16]}, not the indexed id", **where)
            return
        try:
            statement = parse_payload(envelope.payload)
        except ProvenanceError as e:
            self.problem(f"payload does not parse: {e}", **where)
            return
        if statement.subject != row.subject_id:
            self.problem(f"payload names subject {statement.subject}", **where)
        if row.position >= self.start > 0:
            self._replay_trusted_prefix(row.subject_id)
        if statement.kind != row.kind:
            self.problem(f"index says kind {row.kind}, payload says {statement.kind}", **where)
        self._check_signature(envelope, statement, where)
        if isinstance(statement.body, kinds.EvidenceAttached):
            self.blobs.append((statement.body.digest, statement.body.size, where))
        rec = Recorded(sid, row.position, row.version, row.received_at, envelope, statement)
        try:
            self.states[row.subject_id] = apply(self.states.get(row.subject_id), rec)
        except Exception as e:  # a history the fold cannot follow is itself a finding
            self.problem(f"the subject's history cannot be replayed: {e}", **where)
            return
        if self.view_check is not None:
            self.view_check.step(rec, self.states)

    def _check_signature(
        self, envelope: env.Envelope, statement: Statement, where: dict[str, Any]
    ) -> None:
        """Every acceptance rule (provenance.rules.acceptance), as of this position."""

        def verify(public: bytes) -> bool:
            try:
                env.verify_envelope(envelope, public)
            except ProvenanceError:
                return False
            return True

        payload = statement.payload.model_dump()
        sid, position = envelope.statement_id, where["position"]
        try:
            acceptance.check_statement(
                self.ledger,
                payload,
                statement_id=sid,
                signing_key_id=envelope.signatures[0].keyid,
                position=position,
                verify=verify,
            )
        except StatementRejected as e:
            self.problem(str(e), **where)
        self._apply_key_effects(payload, sid, position)

    def _apply_key_effects(self, payload: dict[str, Any], sid: str, position: int) -> None:
        """Take a stored statement into the replayed record, accepted or not."""
        self.ledger.apply(payload, sid, position)

    def _record_version(self, subject: str, version: int | None, kind: str | None) -> None:
        typ, versions = self.subjects.get(subject, ("", []))
        if version is not None:
            versions.append(version)
        self.subjects[subject] = (kind or typ, versions)

    def _start_views(self) -> _ViewCheck | None:
        """The comparison of the views, if their tracking row fits the record."""
        views = self.store.views
        old = views.stale_format()
        if old is not None:
            # Views of another format are never read (a reader replays them in
            # memory, a writer rebuilds them), so there is nothing to compare.
            self.report.notes.append(
                f"the stored views are of format {old}, written by another version: "
                f"not compared, and not read ({REBUILD} rebuilds them)"
            )
            return None
        try:
            why = views.out_of_step()
            # The stored views' own tracking row (not a copy in memory): it is the
            # stored tables that are compared.
            with self.store.transaction(commit=False) as tx:
                row = tx.one("SELECT position FROM view_tracking WHERE id = 1")
            upto = -1 if row is None else int(row[0])
        except StoreError as e:
            if kind_of(e) != "missing-table" and "views are missing" not in str(e):
                raise
            self.view_problems = [Problem(f"the views are missing: {REBUILD}", views=True)]
            return None
        if why is not None:
            self.view_problems = [
                Problem(f"the views are out of step with the record: {why} ({REBUILD})", views=True)
            ]
            return None
        check = _ViewCheck(self.store, upto)
        if upto == -1:
            check.freeze({})
        return check

    def _check_views(self) -> None:
        if self.report.problems:
            return  # the views follow the statements: check them once those are sound
        self.report.problems.extend(self.view_problems)
        check = self.view_check
        if check is None:
            return
        check.finish()
        self.report.problems.extend(check.problems)
        last = self.store.size() - 1
        if check.upto < last:
            refusal = getattr(self.store.views, "refusal", None)
            why = f" ({refusal})" if refusal else ""
            self.report.notes.append(
                f"the views reach position {check.upto} of {last} and were compared up to "
                f"there: this connection could not bring them up to date{why}"
            )

    def _check_actors_table(self) -> None:
        with self.store.transaction(commit=False) as tx:
            actor_rows = tx.all("SELECT actor_id, role, admin, position FROM actors")
            key_rows = tx.all(
                "SELECT key_id, actor_id, public_key, added_position, retired_position, "
                "revoked_position FROM actor_keys"
            )
        actors = {r[0]: _Actor(r[1], bool(r[2]), int(r[3])) for r in actor_rows}
        keys = {r[0]: _Key(r[1], bytes(r[2]), int(r[3]), r[4], r[5]) for r in key_rows}
        for actor_id in sorted(set(actors) | set(self.actors)):
            if actors.get(actor_id) != self.actors.get(actor_id):
                self.problem(
                    f"actors table disagrees with the statements about actor {actor_id}",
                    subject=actor_id,
                )
        for key_id in sorted(set(keys) | set(self.keys)):
            if keys.get(key_id) != self.keys.get(key_id):
                owner = (keys.get(key_id) or self.keys[key_id]).actor
                self.problem(
                    f"actor_keys table disagrees with the statements about key {key_id[:16]}",
                    subject=owner,
                )

    def _check_versions(self) -> None:
        for subject, (_, versions) in self.subjects.items():
            expected = 1
            for v in sorted(versions):
                if v != expected:
                    self.problem(
                        f"history has a gap: version {expected} is missing (next present is {v})",
                        subject=subject,
                    )
                expected = v + 1


class _AuditLedger(Ledger):
    """The replayed record; with ``--since``, the trusted prefix is read from the store.

    The prefix's statements are noted (kind, subject, position) without their
    payloads; what the rules need of one of them (its author, a trace status)
    is read and proved in the trusted tree when asked.
    """

    def __init__(self, auditor: _Auditor) -> None:
        super().__init__(auditor.store.root_key_id)
        self.auditor = auditor

    def author_of(self, statement_id: str) -> str | None:
        known = super().author_of(statement_id)
        found = self.statements.get(statement_id)
        if known is not None or found is None or found.position >= self.auditor.start:
            return known
        row = self.auditor.store.index_row(statement_id)
        return None if row is None else self.auditor._author_of(row)

    def trace_status(self, subject: str) -> str:
        if subject in self.traces or self.auditor.start == 0:
            return super().trace_status(subject)
        state = self.auditor.store.subject_state(subject, as_of=self.auditor.start - 1)
        return str(state.get("status", "sent")) if state else "sent"


def _where(row: IndexRow) -> dict[str, Any]:
    return {
        "position": row.position,
        "statement_id": row.statement_id,
        "subject": row.subject_id,
        "version": row.version,
    }


def audit(
    store: Store,
    progress: Callable[[int], None] | None = None,
    since: Trusted | None = None,
    pins: Pins | None = None,
) -> AuditReport:
    """Audit the store; never raises for damaged data, reports it.

    With ``pins`` (anchors the auditor holds outside the store), each pin is
    compared with the store and one that disagrees is a problem naming it.

    Raises:
        StoreError: if a pinned log key cannot be checked (no checkpoint).

    With ``since`` (a checkpoint the auditor trusts), the audit is incremental:
    the stored log must extend that checkpoint (its nodes fold into the trusted
    root), and only the statements after it are checked in full.

    Every read is made in one snapshot (:meth:`Store.snapshot`). Before it is
    taken, the views are brought up to date if this connection may write
    them; views it may not write are compared up to where they reach.

    Raises:
        StoreError: the store could not be read to the end (a full disk, a
            connection lost, a read-only copy that cannot be opened): nothing is
            known about the record, which is not the same as damage.
    """
    notes: list[str] = []
    if since is None:
        try:
            store.views.catch_up()
        except StoreError as e:
            # Damaged rows, views out of step or missing, a full disk: the audit
            # itself reports what is wrong with the record, in its snapshot, and
            # a database that cannot be read fails the snapshot too.
            if kind_of(e) in ("full", "read-only"):
                notes.append(f"the views could not be brought up to date first: {e}")
    auditor = _Auditor(store, progress, since, pins)
    try:
        with store.snapshot():
            report = auditor.run()
    except (StoreError, PersistenceError) as e:
        if kind_of(e) != "missing-table":
            raise _cannot_check(e) from e
        auditor.problem(f"a table of the store is missing: {' '.join(str(e).split())}")
        return auditor.report
    report.notes[:0] = notes
    return report


def _cannot_check(e: BaseException) -> StoreError:
    text = " ".join(str(e).split())
    return StoreError(f"the store could not be checked: {text}")
