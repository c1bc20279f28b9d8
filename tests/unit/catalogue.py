"""A valid body of every statement kind, shared by the model and payload-rule tests."""

from __future__ import annotations

from typing import Any

ISSUED = "2024-07-15T09:30:00Z"
SID = "ab" * 32
KEY_B64 = "A" * 43 + "="

VALID_BODIES: dict[str, dict[str, Any]] = {
    "actor.registered": {"name": "Alice", "role": "researcher", "public_key": KEY_B64},
    "evidence.registered": {
        "item_kind": "missile-remains",
        "title": "Remains",
        "description": "Fragments.",
        "recovered_at": "2024-07",
        "recovered_where": "Site A",
        "custodian": "Authorities",
        "identifiers": {"field-ref": "M1"},
    },
    "evidence.marking": {"text": "2024", "meaning": "production year", "value": "2024"},
    "evidence.custody": {
        "action": "transferred",
        "at": "2024-08-02T10:00Z",
        "performed_by": "Field team",
        "from_party": "Authorities",
        "to_party": "Laboratory",
        "changes": [{"description": "Swab taken.", "made_by": "Lab", "reason": "Residue test."}],
    },
    "evidence.attached": {
        "digest": "ab" * 32,
        "size": 1024,
        "media_type": "image/jpeg",
        "caption": "Marking, close-up.",
    },
    "evidence.component": {
        "part": "Voltage regulator",
        "manufacturer": "Maker Co",
        "country": "Elsewhere",
        "date_code": "2312",
        "date_code_meaning": "week 12 of 2023",
    },
    "evidence.graded": {"reliability": "B", "credibility": 2, "rationale": "Usually reliable."},
    "evidence.derived": {
        "source": "item-1",
        "relation": "part-of",
        "how": "Removed from the wreck at the site.",
        "at": "2024-08-21",
        "performed_by": "Field team",
    },
    "trace.requested": {
        "target": {"type": "item", "id": "item-1"},
        "addressee": "Maker Co",
        "addressee_type": "manufacturer",
        "question": "To whom was this lot shipped?",
        "sent_at": "2024-09-01",
    },
    "trace.updated": {"status": "answered", "at": "2024-10-01", "answer": "To a distributor."},
    "statement.retracted": {"statement": "ab" * 32, "reason": "Misread."},
    "statement.superseded": {
        "statement": "ab" * 32,
        "superseded_by": "cd" * 32,
        "reason": "Better.",
    },
    "actor.key_rotated": {"public_key": KEY_B64, "reason": "Scheduled."},
    "actor.key_revoked": {"key_id": "ab" * 32, "reason": "Laptop lost."},
    "finding.asserted": {
        "claim": "A claim.",
        "evidence": ["item-1"],
        "limitations": ["One item."],
        "confidence": "high",
    },
    "finding.assessed": {"stance": "qualifies", "confidence": "low", "rationale": "Because."},
    "finding.reaffirmed": {"statement": "It stands.", "observations": ["Still true."]},
    "finding.revised": {
        "claim": "A narrower claim.",
        "evidence": ["item-1"],
        "confidence": "moderate",
        "reason": "A challenge.",
    },
    "challenge.raised": {
        "target": {"type": "finding", "id": "finding-1"},
        "challenge_kind": "impartiality",
        "attributed_to": "Delegation X",
        "claim": "Not impartial.",
        "source": "Meeting record",
    },
    "challenge.responded": {"stance": "rebuts", "attributed_to": "The org", "text": "It is."},
}
