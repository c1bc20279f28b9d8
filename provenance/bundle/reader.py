"""Read a bundle back into recorded statements, and rebuild the dispute view from it alone.

Reading does not verify: :mod:`provenance.bundle.offline_verify` does that.
It only parses what the bundle holds into the same :class:`Recorded` values a
store yields, so :func:`provenance.projections.dispute.dispute_from` gives
the same view from either.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from provenance import envelope as env
from provenance.errors import InputError, ProvenanceError
from provenance.ids import StatementId
from provenance.model.statement import parse_payload
from provenance.projections.dispute import dispute_from
from provenance.records import Recorded

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


def read_bundle(data: bytes) -> Bundle:
    """Parse a bundle's bytes.

    Raises:
        InputError: naming what is not a bundle or which statement is malformed.
    """
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise InputError(f"not a bundle: not UTF-8 JSON ({e})") from None
    if not isinstance(obj, dict) or obj.get("bundle") != FORMAT:
        raise InputError(f'not a bundle: no member "bundle": "{FORMAT}"')
    records = []
    try:
        for st in obj["statements"]:
            envelope = env.parse_envelope(st["entry"].encode("ascii"))
            records.append(
                Recorded(
                    StatementId(envelope.statement_id),
                    int(st["position"]),
                    int(st["version"]),
                    str(st["received_at"]),
                    envelope,
                    parse_payload(envelope.payload),
                )
            )
        return Bundle(
            str(obj["subject"]),
            int(obj["as_of"]["position"]),
            str(obj["as_of"]["received_at"]),
            str(obj["log"]["origin"]),
            tuple(sorted(records, key=lambda r: r.position)),
            obj,
        )
    except ProvenanceError as e:
        raise InputError(f"bundle statement {len(records)} is malformed: {e}") from None
    except (KeyError, TypeError, ValueError, AttributeError, UnicodeEncodeError) as e:
        raise InputError(f"not a bundle: {type(e).__name__} {e}") from None


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
