"""Read a bundle back into recorded statements, and rebuild the dispute view from it alone.

Reading does not verify: :mod:`provenance.bundle.offline_verify` does that.
It only parses what the bundle holds into the same :class:`Recorded` values a
store yields, so :func:`provenance.projections.dispute.dispute_from` gives
the same view from either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from provenance import envelope as env
from provenance.errors import InputError, ProvenanceError
from provenance.ids import StatementId
from provenance.model.statement import parse_payload
from provenance.projections.dispute import dispute_from
from provenance.records import Recorded
from provenance.rules import strict_json

from .offline_verify import FORMAT


@dataclass(frozen=True)
class Bundle:
    """A parsed bundle: its header and its statements in position order."""

    subject: str
    position: int
    received_at: str
    origin: str
    records: tuple[Recorded, ...]
    raw: dict[str, Any]


def _count(value: Any, what: str) -> int:
    """A non-negative JSON integer (``true`` is not 1, ``"3"`` is not 3)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"not a bundle: {what} is {_show(value)}, not a non-negative integer")
    return value


def _text(value: Any, what: str) -> str:
    """A JSON string."""
    if not isinstance(value, str):
        raise InputError(f"not a bundle: {what} is {_show(value)}, not a string")
    return value


def _member(obj: Any, name: str, what: str) -> Any:
    if not isinstance(obj, dict):
        raise InputError(f"not a bundle: {what} is not a JSON object")
    if name not in obj:
        raise InputError(f'not a bundle: {what} has no member "{name}"')
    return obj[name]


def _show(value: Any) -> str:
    """A short, printable rendering of a hostile value for an error message."""
    text = ascii(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _record(number: int, st: Any) -> Recorded:
    what = f"statement {number}"
    entry = _text(_member(st, "entry", what), f"{what} entry")
    try:
        envelope = env.parse_envelope(entry.encode("utf-8"))
        statement = parse_payload(envelope.payload)
    except ProvenanceError as e:
        raise InputError(f"bundle statement {number} is malformed: {e}") from None
    subject = _text(_member(st, "subject", what), f"{what} subject")
    if subject != statement.subject:
        raise InputError(
            f"bundle statement {number} is listed under subject {_show(subject)} "
            f"but is about {_show(statement.subject)}"
        )
    return Recorded(
        StatementId(envelope.statement_id),
        _count(_member(st, "position", what), f"{what} position"),
        _count(_member(st, "version", what), f"{what} version"),
        _text(_member(st, "received_at", what), f"{what} received_at"),
        envelope,
        statement,
    )


def _check_records(records: list[Recorded]) -> None:
    """Each position once; each subject's record whole: versions 1..n, begun by its creation.

    docs/spec/bundle.md §3: a bundle holds complete subject records. A bundle
    missing a statement is refused here, so that nothing downstream folds a
    history that does not start where every history starts.
    """
    positions: set[int] = set()
    versions: dict[str, list[Recorded]] = {}
    for rec in records:
        if rec.position in positions:
            raise InputError(f"bundle holds two statements at position {rec.position}")
        positions.add(rec.position)
        versions.setdefault(rec.subject, []).append(rec)
    for subject, recs in versions.items():
        for expected, rec in enumerate(recs, start=1):
            if rec.version != expected:
                raise InputError(
                    f"bundle is incomplete: the record of {_show(subject)} has version "
                    f"{rec.version} at position {rec.position} where version {expected} is due"
                )
        first = recs[0].statement
        if first.spec.creates is None:
            raise InputError(
                f"bundle is incomplete: the record of {_show(subject)} begins with "
                f"{first.kind}, which does not create a subject"
            )


def read_bundle(data: bytes) -> Bundle:
    """Parse a bundle's bytes, as strict JSON (duplicate members, deep nesting refused).

    Reading checks the bundle's shape, not its signatures or proofs: every
    member has its JSON type, each statement's envelope and payload parse,
    and each subject's record is whole (versions 1 to n from its creation).

    Raises:
        InputError: naming what is not a bundle or which statement is malformed.
    """
    try:
        obj = strict_json.loads(data, "the file")
    except InputError as e:
        raise InputError(f"not a bundle: {e}") from None
    if not isinstance(obj, dict) or obj.get("bundle") != FORMAT:
        raise InputError(f'not a bundle: no member "bundle": "{FORMAT}"')
    statements = _member(obj, "statements", "the bundle")
    if not isinstance(statements, list):
        raise InputError("not a bundle: statements is not an array")
    records = [_record(number, st) for number, st in enumerate(statements)]
    records.sort(key=lambda r: r.position)
    _check_records(records)
    as_of = _member(obj, "as_of", "the bundle")
    return Bundle(
        _text(_member(obj, "subject", "the bundle"), "subject"),
        _count(_member(as_of, "position", "as_of"), "as_of position"),
        _text(_member(as_of, "received_at", "as_of"), "as_of received_at"),
        _text(_member(_member(obj, "log", "the bundle"), "origin", "log"), "log origin"),
        tuple(records),
        obj,
    )


class BundleSource:
    """A bundle as a :class:`provenance.projections.dispute.Source`."""

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        self.by_subject: dict[str, list[Recorded]] = {}
        self.by_id: dict[str, Recorded] = {}
        for rec in bundle.records:
            self.by_subject.setdefault(rec.subject, []).append(rec)
            self.by_id[rec.statement_id] = rec

    def records(self, subject: str, as_of: int) -> list[Recorded]:
        return [r for r in self.by_subject.get(subject, []) if r.position <= as_of]

    def organisations(self) -> list[str]:
        return [
            r.subject
            for r in self.bundle.records
            if r.statement.kind == "actor.registered"
            and r.statement.body.model_dump().get("role") == "organisation"
        ]

    def challenges_of(self, target: str) -> list[str]:
        return [
            r.subject
            for r in self.bundle.records
            if r.statement.kind == "challenge.raised"
            and r.statement.body.model_dump()["target"]["id"] == target
        ]

    def kind_and_subject(self, statement_id: str) -> tuple[str, str] | None:
        rec = self.by_id.get(statement_id)
        return None if rec is None else (rec.statement.kind, rec.subject)

    def received_at(self, position: int) -> str:
        for rec in self.bundle.records:
            if rec.position == position:
                return rec.received_at
        return self.bundle.received_at


def bundle_dispute(bundle: Bundle) -> dict[str, Any]:
    """The dispute view of the bundle's finding, as of the bundle's position."""
    return dispute_from(BundleSource(bundle), bundle.subject, bundle.position)
