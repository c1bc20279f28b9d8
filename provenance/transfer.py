"""Export a store as JSON Lines, and import such a file into a store.

An export is the stored envelopes, byte for byte, one per line, in position
order. Stores keep envelopes in RFC 8785 form (``docs/spec/statements.md``
section 4.1), which has no line break, so one line is one statement and a
round trip gives the same bytes, hence the same statement ids, in every store.
Attached files travel as attachment lines, each file just before the first
statement that attaches it (``docs/spec/export.md``, which specifies the whole
format).

An import trusts nothing in the file: each statement line goes through
:meth:`Store.append`, which performs every acceptance check of section 6
(schema, signature, key ownership, refs, kinds), and each file is re-hashed
before it is stored. Only the root key cannot be learnt from the file, since
the genesis statement is self-signed; whoever creates a store from an export
must pin it out of band (:func:`create_from_export`). The order and
completeness of the statements can be proven against a signed checkpoint
(:func:`prove_export`). A new store is built aside and put in place only when
complete (:func:`import_new_store`).
"""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

from provenance import envelope as env
from provenance.attachment_lines import AttachmentReader, attachment_lines, is_attachment_line
from provenance.errors import InputError, StatementRejected, StoreError, VerificationError
from provenance.export_proof import check_export, check_store
from provenance.log.checkpoint import Checkpoint
from provenance.model import kinds
from provenance.model.statement import parse_payload
from provenance.store import Store
from provenance.store.location import Location, parse_location
from provenance.store.staging import staged

MAX_LINE_BYTES = env.MAX_ENVELOPE_BYTES
"""The longest line an import reads: one envelope at its size limit."""

_DRAIN_CHUNK = 64 * 1024

Outcome = Literal["accepted", "duplicate", "refused"]


@dataclass(frozen=True)
class LineResult:
    """What an import did with one line of the file.

    Attributes:
        line: the line number in the file, from 1.
        statement_id: the statement's id, or None if the envelope did not parse.
        outcome: ``accepted`` (newly written), ``duplicate`` (the store already
            held it) or ``refused``.
        reason: why it was refused (None otherwise).
        attachment: for an attachment line (export.md §3), the attachment's
            digest; ``accepted`` then means the file was newly stored.
    """

    line: int
    statement_id: str | None
    outcome: Outcome
    reason: str | None = None
    attachment: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form."""
        out: dict[str, Any] = {
            "line": self.line,
            "statement_id": self.statement_id,
            "outcome": self.outcome,
            "reason": self.reason,
        }
        if self.attachment is not None:
            out["attachment"] = self.attachment
        return out


@dataclass
class ImportReport:
    """What an import did, line by line (blank lines, and attachment lines that
    only carry a part, are not reported).

    Attributes:
        entries: one result per statement line, per stored attachment and per
            refused line, in file order.
        accepted: how many statements were newly written.
        duplicates: how many the store already held.
        refused: how many lines were refused.
        attachments: how many attachments were received whole (new or already held).
        proven: the size of the checkpoint the import was proven against, if any.
        unproven: statements of the file after the checkpoint's size (not covered).
    """

    entries: list[LineResult] = field(default_factory=list)
    accepted: int = 0
    duplicates: int = 0
    refused: int = 0
    attachments: int = 0
    proven: int | None = None
    unproven: int = 0

    def add(self, result: LineResult) -> None:
        """Record the result of one line and count it."""
        self.entries.append(result)
        if result.attachment is not None and result.outcome != "refused":
            self.attachments += 1
        elif result.outcome == "accepted":
            self.accepted += 1
        elif result.outcome == "duplicate":
            self.duplicates += 1
        else:
            self.refused += 1

    @property
    def ok(self) -> bool:
        """True when no line was refused."""
        return self.refused == 0

    @property
    def refusals(self) -> list[LineResult]:
        """The refused lines, in file order."""
        return [e for e in self.entries if e.outcome == "refused"]

    def summary(self) -> str:
        """One line: how many statements were new, already present and refused."""
        line = (
            f"imported {self.accepted} new, {self.duplicates} already present, "
            f"{self.refused} refused"
        )
        if self.attachments:
            line += f"; {self.attachments} attachments"
        if self.proven is not None:
            line += f"; the first {self.proven} statements proven against the checkpoint"
            if self.unproven:
                line += f" ({self.unproven} after it not covered)"
        return line

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "ok": self.ok,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "refused": self.refused,
            "attachments": self.attachments,
            "proven": self.proven,
            "unproven": self.unproven,
            "lines": [e.to_json() for e in self.entries],
        }


# -- export ---------------------------------------------------------------------


@dataclass(frozen=True)
class ExportCounts:
    """What an export wrote: statement lines and attachments (each once)."""

    statements: int
    attachments: int


def export(
    store: Store, out: BinaryIO, as_of: int | None = None, *, attachments: bool = True
) -> int:
    """Write every stored envelope, exactly as stored, one per line, in position order.

    With ``attachments`` (the default) each attached file the store holds is
    written too, as attachment lines just before the first statement that
    attaches it (``docs/spec/export.md``). Statements are read a page at a
    time and files a part at a time, so nothing is held in memory whole.

    Args:
        store: the store to export.
        out: a binary stream to write to.
        as_of: the last position to export (default: everything).
        attachments: write the attached files as well.

    Returns:
        How many statements were written.

    Raises:
        StoreError: a stored envelope holds a line break (the store is damaged:
            stored envelopes are RFC 8785 JSON, which has none); writing it
            would split one statement over two lines of the export.
    """
    return export_counted(store, out, as_of, attachments=attachments).statements


def export_counted(
    store: Store, out: BinaryIO, as_of: int | None = None, *, attachments: bool = True
) -> ExportCounts:
    """:func:`export`, returning how many statements and attachments were written."""
    count = 0
    files: set[str] = set()
    # Outside the store: an export reads, and a read-only store must export too.
    with tempfile.TemporaryDirectory(prefix="prov-export-") as tmp:
        for rec in store.iter_records():
            if as_of is not None and rec.position > as_of:
                break
            raw = rec.envelope.raw
            # Only a damaged row can hold one; the reader strips a trailing CR too.
            if b"\n" in raw or b"\r" in raw:
                raise StoreError(
                    f"stored statement at position {rec.position} holds a line break, "
                    "so it is not in RFC 8785 form: run 'prov verify'"
                )
            body = rec.statement.body
            # Each file once, before the first statement that attaches it; a blob
            # the store lacks stays missing (the importer's verify reports it).
            if (
                attachments
                and isinstance(body, kinds.EvidenceAttached)
                and body.digest not in files
                and store.blobs.exists(body.digest)
            ):
                _write_attachment(store, body.digest, Path(tmp), out)
                files.add(body.digest)
            out.write(raw)
            out.write(b"\n")
            count += 1
    return ExportCounts(count, len(files))


def _write_attachment(store: Store, digest: str, tmp: Path, out: BinaryIO) -> None:
    """Write one stored file as its attachment lines (export.md §3), re-hashed on the way."""
    path = tmp / digest
    info = store.blobs.extract(digest, path)  # VerificationError if the blob is altered
    try:
        with path.open("rb") as f:
            for line in attachment_lines(digest, f, info.size):
                out.write(line)
                out.write(b"\n")
    finally:
        path.unlink(missing_ok=True)


# -- import ---------------------------------------------------------------------


def read_lines(stream: BinaryIO, limit: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """The lines of a binary stream, without their terminators, each read within a bound.

    A line longer than ``limit`` bytes is not read into memory: its first
    ``limit + 1`` bytes are yielded (so :func:`import_lines` sees it is too
    long and refuses it) and the rest is skipped in small chunks.

    Args:
        stream: a binary stream, e.g. a file opened with ``"rb"``.
        limit: the longest line, in bytes without its terminator, read whole.

    Yields:
        One item per line, without ``\\n`` or ``\\r\\n``.
    """
    # Room for the content plus "\r\n", so a line at the limit is read whole.
    cap = limit + 2
    while True:
        line = stream.readline(cap)
        if not line:
            return
        if line.endswith(b"\n"):
            yield _strip_terminator(line)
            continue
        if len(line) < cap:  # the last line, with no terminator
            yield _strip_terminator(line)
            return
        # Too long: keep limit + 1 bytes as evidence and skip to the next line.
        while (rest := stream.readline(_DRAIN_CHUNK)) and not rest.endswith(b"\n"):
            pass
        yield line[: limit + 1]


def _strip_terminator(line: bytes) -> bytes:
    if line.endswith(b"\n"):
        line = line[:-1]
    if line.endswith(b"\r"):
        line = line[:-1]
    return line


def _statement_id(line: bytes) -> str | None:
    """The id of the statement on a line, if its envelope parses."""
    try:
        return env.parse_envelope(line).statement_id
    except InputError:
        return None


def import_line(store: Store, number: int, line: bytes) -> LineResult:
    """Append the statement on one line and say what happened; never raises InputError.

    Args:
        store: the store to append to.
        number: the line number, for the result.
        line: the line, without its terminator.

    Returns:
        The line's result: accepted, duplicate, or refused with the reason.

    Raises:
        StoreError: the store itself failed (not the line); the import should stop.
    """
    if len(line) > MAX_LINE_BYTES:
        return LineResult(
            number, None, "refused", f"line is over {MAX_LINE_BYTES} bytes, the envelope limit"
        )
    try:
        receipt = store.append(line)
    except InputError as e:  # StatementRejected included: every refusal of the store
        return LineResult(number, _statement_id(line), "refused", str(e))
    outcome: Outcome = "duplicate" if receipt.duplicate else "accepted"
    return LineResult(number, receipt.statement_id, outcome)


def import_lines(
    store: Store,
    lines: Iterable[bytes],
    *,
    start: int = 1,
    report: ImportReport | None = None,
) -> ImportReport:
    """Append each line's statement through every check of the store, going on after refusals.

    Each line is accepted (written), a duplicate (the store already held
    that statement: nothing is written, so importing twice is harmless) or
    refused with the store's one-line reason. A refused line does not stop
    the import; a later line that depends on it is then refused for its own
    reason (a missing ref, an unknown author). Blank lines are skipped.

    Args:
        store: the store to import into.
        lines: the lines, without terminators (see :func:`read_lines`); a
            line over :data:`MAX_LINE_BYTES` is refused without being parsed.
        start: the line number of the first line.
        report: a report to add to (a new one if None).

    Returns:
        The report, with one entry per non-blank line.

    Raises:
        StoreError: the store failed; lines before the failing one stay imported.
    """
    report = ImportReport() if report is None else report
    files = AttachmentReader(store.blobs.put_file, store.blobs.exists, store.directory)
    try:
        for number, line in enumerate(lines, start=start):
            if not line.strip():
                continue
            if is_attachment_line(line):
                result = _attachment_line(files, number, line)
                if result is not None:
                    report.add(result)
                continue
            unfinished = files.unfinished()
            if unfinished is not None:
                files.discard()
                report.add(
                    LineResult(
                        number - 1,
                        None,
                        "refused",
                        f"attachment {unfinished[:16]} ends before its last part",
                        unfinished,
                    )
                )
            report.add(import_line(store, number, line))
        unfinished = files.unfinished()
        if unfinished is not None:
            report.add(
                LineResult(
                    number,
                    None,
                    "refused",
                    f"attachment {unfinished[:16]} ends before its last part",
                    unfinished,
                )
            )
    finally:
        files.discard()
    return report


def _attachment_line(files: AttachmentReader, number: int, line: bytes) -> LineResult | None:
    """Feed one attachment line; a result when a file is stored or the line refused."""
    if len(line) > MAX_LINE_BYTES:
        return LineResult(
            number, None, "refused", f"line is over {MAX_LINE_BYTES} bytes, the envelope limit"
        )
    try:
        received = files.feed(line)
    except (InputError, VerificationError) as e:  # a blob of that name may differ
        return LineResult(number, None, "refused", str(e))
    if not received.complete:
        return None
    outcome: Outcome = "accepted" if received.new else "duplicate"
    return LineResult(number, None, outcome, None, received.digest)


def _check_key_id(root_key_id: str) -> str:
    key_id = root_key_id.lower()
    if len(key_id) != 64 or any(ch not in "0123456789abcdef" for ch in key_id):
        raise InputError(f"root key id {root_key_id!r} is not a key id (64 hex characters)")
    return key_id


def _genesis_key_id(first_line: bytes) -> str:
    """The key id the genesis statement on an export's first line registers."""
    if len(first_line) > MAX_LINE_BYTES:
        raise InputError(f"the first line is over {MAX_LINE_BYTES} bytes, the envelope limit")
    try:
        statement = parse_payload(env.parse_envelope(first_line).payload)
    except InputError as e:
        raise InputError(f"the first line is not a statement: {e}") from e
    body = statement.body
    registers_root = (
        isinstance(body, kinds.ActorRegistered)
        and statement.subject == statement.author
        and body.role == "organisation"
        and body.public_key is not None
    )
    if not registers_root:
        raise StatementRejected(
            f"the first line is {statement.kind} on {statement.subject}, not the "
            "organisation registering its root key: an export starts with the genesis"
        )
    assert isinstance(body, kinds.ActorRegistered) and body.public_key is not None
    return env.key_id(base64.b64decode(body.public_key))


def create_from_export(where: str | Path | Location, first_line: bytes, root_key_id: str) -> Store:
    """Create a store whose genesis is the first line of an export, pinned to a known root key.

    The genesis is self-signed: anyone can make one that verifies. So the
    importer names the root key it trusts (obtained out of band, e.g. from
    the organisation), and the store is created only if the genesis
    registers exactly that key. :meth:`Store.create` then checks the rest
    (organisation, admin, signature by that key).

    Args:
        where: where the store is to live (a directory or a PostgreSQL URL);
            must not hold a store.
        first_line: the export's first line, without its terminator.
        root_key_id: the key id (64 hex characters) of the trusted root key.

    Returns:
        The new store, holding the genesis only.

    Raises:
        InputError: the line or the key id is malformed.
        StatementRejected: the genesis registers another key, or is refused.
        StoreError: a store already exists there.

    On failure nothing is left behind: no database file, and no directory the
    call itself created.
    """
    key_id = _check_key_id(root_key_id)
    found = _genesis_key_id(first_line)
    if found != key_id:
        raise StatementRejected(
            f"the export's genesis registers root key {found}, not the pinned root key "
            f"{key_id}: refusing to create the store"
        )
    # Store.create makes the directory and its missing parents and, when the
    # genesis is refused, deletes only its database files; remove the
    # directories it made so that a refused import leaves no trace.
    location = parse_location(where)
    directory = location.path
    made = (
        [] if directory is None else [p for p in (directory, *directory.parents) if not p.exists()]
    )
    try:
        return Store.create(location, genesis=first_line, root_key_id=key_id)
    except BaseException:
        for path in made:  # deepest first; only empty directories go
            try:
                path.rmdir()
            except OSError:
                break
        raise


def import_new_store(
    where: str | Path | Location,
    lines: Iterable[bytes],
    root_key_id: str,
    *,
    checkpoint: Checkpoint | None = None,
) -> ImportReport:
    """Create a store from an export and import every line, all or nothing.

    The store is built aside (:mod:`provenance.store.staging`) and put at
    ``where`` in one atomic step once every line has been read: an import that
    fails, or is killed, leaves no store there, and can simply be run again.
    Refused lines are reported as by :func:`import_lines`; they do not stop
    the import.

    Args:
        where: where the store is to live; must not hold a store.
        lines: the export's lines, without terminators (see :func:`read_lines`).
        root_key_id: the key id of the trusted root key (see :func:`create_from_export`).
        checkpoint: a verified checkpoint the new store's log must match at its
            size (see :func:`prove_export`, which checks the file beforehand);
            if it does not, nothing is placed.

    Returns:
        The report, the genesis line included.

    Raises:
        InputError: the file holds no statement, or the key id is malformed.
        StatementRejected: the first line is not the genesis of that root key.
        StoreError: a store exists at ``where``, or the store failed.
        VerificationError: the new store's log is not the checkpoint's.
    """
    location = parse_location(where)
    if Store.exists(location):
        raise StoreError(f"a store already exists at {location}")
    items = iter(lines)
    number, line = 0, b""
    for number, line in enumerate(items, start=1):  # noqa: B007 (used after the loop)
        if line.strip():
            break
    if not line.strip():
        raise InputError("the file holds no statement to create the store from")
    _check_key_id(root_key_id)
    with staged(location) as staging:
        report = ImportReport()
        with create_from_export(staging.location, line, root_key_id) as store:
            genesis = next(store.iter_records())
            report.add(LineResult(number, genesis.statement_id, "accepted"))
            import_lines(store, items, start=number + 1, report=report)
            if checkpoint is not None:
                check_store(store, checkpoint, _first_refusal(report))
        staging.place()
    return report


def prove_export(
    lines: Iterable[bytes], checkpoint: Checkpoint, store: Store | None = None
) -> tuple[int, int]:
    """Check an export against a verified checkpoint before importing it (export.md §4).

    Args:
        lines: the export's lines (a first pass over the file).
        checkpoint: the checkpoint, already verified under the log's key.
        store: the existing store the export goes into, or None for a new store.

    Returns:
        The checkpoint's size (statements proven) and how many statements of
        the file come after it (not covered by the checkpoint).

    Raises:
        VerificationError: the file's first statements are not the checkpoint's
            log (swapped, duplicated, dropped, added or altered lines), or the
            store holds statements that are not the file's first ones.
    """
    count = check_export(lines, checkpoint, store)
    return checkpoint.size, count - checkpoint.size


def check_imported(store: Store, checkpoint: Checkpoint, report: ImportReport) -> None:
    """After importing into an existing store: its log at the checkpoint's size is the
    checkpoint's (VerificationError otherwise, naming the first refused line)."""
    check_store(store, checkpoint, _first_refusal(report))


def _first_refusal(report: ImportReport) -> str | None:
    refused = report.refusals
    return f"line {refused[0].line}: {refused[0].reason}" if refused else None
