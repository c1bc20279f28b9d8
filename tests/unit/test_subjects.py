"""The subject projection: pure folds of recorded statements into current state."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from provenance.authoring import sign_statement
from provenance.envelope import key_id, parse_envelope
from provenance.keys import SigningKey
from provenance.model.statement import parse_payload
from provenance.projections.subjects import State, apply, fold
from provenance.records import Recorded

KEY = SigningKey("alice", Ed25519PrivateKey.from_private_bytes(bytes(range(32))))


class History:
    """Builds Recorded statements as a store would, with positions and versions."""

    def __init__(self) -> None:
        self.position = 0
        self.versions: dict[str, int] = {}

    def record(
        self, kind: str, subject: str, body: dict[str, Any], refs: list[str] | None = None
    ) -> Recorded:
        raw = sign_statement(
            KEY,
            kind=kind,
            subject=subject,
            author="alice",
            body=body,
            refs=refs,
            issued_at=f"2024-01-01T00:00:{self.position:02d}Z",
        )
        envelope = parse_envelope(raw)
        version = self.versions.get(subject, 0) + 1
        self.versions[subject] = version
        rec = Recorded(
            statement_id=envelope.statement_id,
            position=self.position,
            version=version,
            received_at=f"2024-06-01T00:00:{self.position:02d}.000000Z",
            envelope=envelope,
            statement=parse_payload(envelope.payload),
        )
        self.position += 1
        return rec


@pytest.fixture
def history() -> History:
    return History()


def _finding(h: History, **extra: Any) -> Recorded:
    body = {"claim": "C1", "evidence": ["item-1"], "confidence": "high", **extra}
    return h.record("finding.asserted", "finding-1", body)


def _challenge(h: History) -> Recorded:
    body = {
        "target": {"type": "finding", "id": "finding-1"},
        "challenge_kind": "methodology",
        "attributed_to": "Delegation X",
        "claim": "Unsound.",
    }
    return h.record("challenge.raised", "challenge-1", body)


def _respond(h: History, stance: str) -> Recorded:
    body = {"stance": stance, "attributed_to": "The org", "text": stance}
    return h.record("challenge.responded", "challenge-1", body)


def test_fold_of_nothing_is_none() -> None:
    """A subject with no statements has no state."""
    assert fold([]) is None


def test_actor_state_carries_role_admin_and_key_id(history: History) -> None:
    """Registering an actor with a key records its key id (SHA-256 of the raw key)."""
    rec = history.record(
        "actor.registered", "bob", {"name": "Bob", "role": "auditor", "public_key": KEY.public_b64}
    )
    state = fold([rec])
    assert state is not None
    assert state["type"] == "actor"
    assert state["subject"] == "bob"
    assert state["version"] == 1
    assert (state["name"], state["role"], state["admin"]) == ("Bob", "auditor", False)
    assert state["key_id"] == key_id(KEY.public_bytes)
    assert state["created"] == state["updated"]
    assert state["created"]["statement_id"] == rec.statement_id
    assert state["created"]["issued_at"] == rec.statement.payload.issued_at
    assert state["created"]["received_at"] == rec.received_at
    assert state["created"]["position"] == 0


def test_keyless_actor_has_no_key_id(history: History) -> None:
    """An actor registered without a key has neither public_key nor key_id."""
    state = fold([history.record("actor.registered", "x", {"name": "X", "role": "observer"})])
    assert state is not None
    assert "public_key" not in state and "key_id" not in state


def test_markings_accumulate_in_order(history: History) -> None:
    """Each marking is appended with its own stamp; created stays, updated moves."""
    records = [
        history.record("evidence.registered", "item-1", {"item_kind": "other", "title": "T"}),
        history.record("evidence.marking", "item-1", {"text": "A1"}),
        history.record("evidence.marking", "item-1", {"text": "B2", "meaning": "lot"}),
    ]
    state = fold(records)
    assert state is not None
    assert state["version"] == 3
    assert [m["text"] for m in state["markings"]] == ["A1", "B2"]
    assert state["markings"][1]["meaning"] == "lot"
    assert state["markings"][1]["statement_id"] == records[2].statement_id
    assert state["created"]["statement_id"] == records[0].statement_id
    assert state["updated"]["statement_id"] == records[2].statement_id


def test_finding_thread_assess_reaffirm_revise(history: History) -> None:
    """Assessments and reaffirmations accumulate; a revision replaces the claim and keeps
    the earlier version in ``versions`` with what prompted it."""
    asserted = _finding(history, limitations=["L1"])
    assessed = history.record(
        "finding.assessed",
        "finding-1",
        {"stance": "contests", "confidence": "low", "rationale": "R"},
    )
    reaffirmed = history.record(
        "finding.reaffirmed", "finding-1", {"statement": "Stands."}, refs=[assessed.statement_id]
    )
    state = fold([asserted, assessed, reaffirmed])
    assert state is not None
    assert state["status"] == "reaffirmed"
    assert [a["stance"] for a in state["assessments"]] == ["contests"]
    assert state["reaffirmations"][0]["refs"] == [assessed.statement_id]

    revised = history.record(
        "finding.revised",
        "finding-1",
        {"claim": "C2", "evidence": [], "confidence": "moderate", "reason": "Contested."},
        refs=[assessed.statement_id],
    )
    after = apply(state, revised)
    assert after["status"] == "revised"
    assert after["revision"] == 2
    assert (after["claim"], after["confidence"], after["evidence"]) == ("C2", "moderate", [])
    assert after["limitations"] == []
    assert [v["claim"] for v in after["versions"]] == ["C1", "C2"]
    assert after["versions"][0]["limitations"] == ["L1"]
    assert after["versions"][1]["prompted_by"] == [assessed.statement_id]
    assert after["versions"][1]["reason"] == "Contested."
    assert after["version"] == 4


@pytest.mark.parametrize(
    "stances, status",
    [
        ([], "open"),
        (["rebuts"], "answered"),
        (["clarifies", "rebuts"], "answered"),
        (["concedes"], "conceded"),
        (["concedes", "rebuts"], "conceded"),
    ],
)
def test_challenge_status_follows_responses(
    history: History, stances: list[str], status: str
) -> None:
    """A challenge is open until answered, and conceded once any response concedes."""
    state = fold([_challenge(history), *(_respond(history, s) for s in stances)])
    assert state is not None
    assert state["status"] == status
    assert [r["stance"] for r in state["responses"]] == stances


def test_apply_does_not_mutate_its_input(history: History) -> None:
    """apply returns a new state and leaves the old one (and its lists) untouched."""
    states: list[State] = []
    state: State | None = None
    for rec in [
        _finding(history),
        history.record(
            "finding.assessed",
            "finding-1",
            {"stance": "supports", "confidence": "high", "rationale": "R"},
        ),
        history.record(
            "finding.revised",
            "finding-1",
            {"claim": "C2", "evidence": ["item-2"], "confidence": "low", "reason": "R"},
            refs=["ab" * 32],
        ),
    ]:
        snapshot = copy.deepcopy(state)
        new = apply(state, rec)
        assert state == snapshot
        states.append(new)
        state = new
    assert [s["version"] for s in states] == [1, 2, 3]
    assert states[0]["claim"] == "C1" and states[0]["assessments"] == []


def test_state_survives_json_round_trip(history: History) -> None:
    """The views store states as JSON, so a state must come back from JSON unchanged."""
    records = [
        _finding(history),
        history.record(
            "finding.reaffirmed", "finding-1", {"statement": "S", "observations": ["o"]}
        ),
    ]
    state = fold(records)
    assert json.loads(json.dumps(state)) == state


def test_fold_equals_successive_applies(history: History) -> None:
    """fold is apply repeated from None, so views and replays cannot disagree."""
    records = [_challenge(history), _respond(history, "rebuts"), _respond(history, "concedes")]
    state: State | None = None
    for rec in records:
        state = apply(state, rec)
    assert fold(records) == state
