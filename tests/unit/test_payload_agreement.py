"""The pure check and the pydantic models agree: each accepts exactly what the other does.

``check_payload`` (provenance.rules.payload, standard library only) is what the
standalone verifier runs; the models are what the store folds. Hypothesis applies
near-valid mutations from a catalogue to a valid payload of every kind and holds the
two to the same verdict. ``statement_from_obj`` is the models alone (no byte check),
so the agreement is not the trivial one ``parse_payload`` would give.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from provenance.errors import InputError
from provenance.model.statement import parse_payload, statement_from_obj
from provenance.rules.jcs import canonical_bytes
from provenance.rules.payload import check_payload
from tests.unit.catalogue import ISSUED, SID, VALID_BODIES
from tests.unit.rules.test_payload import CASES

HOSTILE: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    2,
    -1,
    7,
    2**53 - 1,
    "",
    "x",
    "x" * 501,
    "x" * 20_001,
    "A\x00B",
    "A\rB",
    "A\nB",
    "A\tB",
    "A\x7fB",
    "A\x9bB",
    "A\u202eB",
    "A\u2069B",
    "A\u200eB",
    "A\u061cB",
    "A\u2028B",
    "\uff12\uff10\uff12\uff14",
    "2024",
    "2024\n",
    "2024-08",
    "2024-02-29",
    "2023-02-29",
    "2025-02-30",
    "2024-13",
    "0000",
    "2024-07-15T09:30Z",
    "9999-12-31T25:61Z",
    "2024-07-15T09:30:00Z",
    "2024-07-15T09:30:60Z",
    "2024-07-15T09:30:00.123456Z",
    "item-1",
    "item-1\n",
    SID,
    SID + "\n",
    SID.upper(),
    "A" * 43 + "=",
    "high",
    "B",
    "image/jpeg",
    "answered",
    [],
    {},
    ["item-1"],
    ["item-1", "item-1"],
    [SID, SID],
    ["x", None],
    {"type": "finding", "id": "f"},
    {"type": "item", "id": "i\x00"},
    {"description": "d", "made_by": "m", "reason": "r"},
    [{"description": "d", "made_by": "m", "reason": "r"}],
    [{"description": "d", "made_by": "m\r", "reason": "r"}],
    {"k": "v"},
    {"": "v"},
    {"k\n": "v"},
]
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
VALUE = st.one_of(
    st.sampled_from(HOSTILE).map(copy.deepcopy), TEXT, st.integers(-(2**53) + 1, 2**53 - 1)
)
TOP = ["format", "kind", "subject", "author", "issued_at", "refs", "body"]


def _valid(kind: str) -> dict[str, Any]:
    return {
        "format": 1,
        "kind": kind,
        "subject": "item-1",
        "author": "alice",
        "issued_at": ISSUED,
        "refs": [SID],
        "body": copy.deepcopy(VALID_BODIES[kind]),
    }


def _containers(value: Any, out: list[Any]) -> list[Any]:
    """Every object and array inside ``value``, itself included."""
    if isinstance(value, dict | list):
        out.append(value)
        for item in value.values() if isinstance(value, dict) else value:
            _containers(item, out)
    return out


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """A valid payload of some kind with one to three mutations from the catalogue."""
    obj = _valid(draw(st.sampled_from(sorted(VALID_BODIES))))
    for _ in range(draw(st.integers(1, 3))):
        target = draw(st.sampled_from(_containers(obj, [])))
        action = draw(st.sampled_from(["replace", "add", "delete"]))
        if isinstance(target, list):
            if action == "delete" and target:
                target.pop(draw(st.integers(0, len(target) - 1)))
            elif action == "add" or not target:
                target.append(draw(VALUE))
            else:
                target[draw(st.integers(0, len(target) - 1))] = draw(VALUE)
        elif action == "add" or not target:
            name = draw(st.one_of(st.sampled_from(["colour", "note", "Title", *TOP]), TEXT))
            target[name] = draw(VALUE)
        elif action == "delete":
            target.pop(draw(st.sampled_from(sorted(target))))
        else:
            target[draw(st.sampled_from(sorted(target)))] = draw(VALUE)
    return obj


def _verdicts(raw: bytes) -> tuple[bool, bool]:
    try:
        check_payload(raw)
        pure = True
    except InputError:
        pure = False
    try:
        statement_from_obj(json.loads(raw))
        models = True
    except InputError:
        models = False
    return pure, models


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_pure_check_and_models_agree(obj: dict[str, Any]) -> None:
    """Any payload check_payload accepts the models accept, and vice versa."""
    raw = canonical_bytes(obj)
    pure, models = _verdicts(raw)
    event("accepted" if pure else "refused")
    assert pure == models, (pure, models, raw)
    if pure:
        assert parse_payload(raw).kind == obj["kind"]


@pytest.mark.parametrize(("raw", "needles"), CASES)
def test_the_models_alone_refuse_every_catalogue_case(raw: bytes, needles: Any) -> None:
    """Every hostile case the pure check refuses, the pydantic models refuse too."""
    assert _verdicts(raw) == (False, False)


@pytest.mark.parametrize("kind", sorted(VALID_BODIES))
def test_both_accept_each_valid_body(kind: str) -> None:
    """The fair case: a valid body of every kind passes both."""
    assert _verdicts(canonical_bytes(_valid(kind))) == (True, True)
