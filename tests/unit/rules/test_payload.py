"""check_payload: the one payload check every verifier calls, with only the standard library."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.envelope import MAX_PAYLOAD_BYTES as ENVELOPE_LIMIT
from provenance.errors import InputError, PayloadError
from provenance.model.table import generate
from provenance.rules.jcs import canonical_bytes, is_canonical
from provenance.rules.payload import MAX_PAYLOAD_BYTES, check_payload
from tests.golden import generate as golden
from tests.unit.catalogue import ISSUED, SID, VALID_BODIES

ROOT = Path(__file__).resolve().parents[3]


def _obj(kind: str = "evidence.registered", **changes: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "format": 1,
        "kind": kind,
        "subject": "item-1",
        "author": "alice",
        "issued_at": ISSUED,
        "refs": [SID] if kind == "finding.revised" else [],
        "body": dict(VALID_BODIES[kind]),
    }
    obj.update(changes)
    return obj


def _body(kind: str, **changes: Any) -> bytes:
    """A payload of ``kind`` whose valid body has members changed (None: removed)."""
    body = dict(VALID_BODIES[kind])
    for name, value in changes.items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    return canonical_bytes(_obj(kind, body=body))


def _refused(raw: bytes, *needles: str) -> str:
    with pytest.raises(PayloadError) as info:
        check_payload(raw)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message
    for needle in needles:
        assert needle in message, (needle, message)
    return message


def test_the_generated_table_is_committed() -> None:
    """Fails when a model changes and 'python -m provenance.model.table' was not run."""
    on_disk = (ROOT / "provenance" / "rules" / "kinds_table.py").read_text()
    assert on_disk == generate(), "provenance/rules/kinds_table.py is stale"


def test_the_size_limit_is_the_envelopes() -> None:
    """One limit, in two places that must agree (the envelope module is not pure)."""
    assert MAX_PAYLOAD_BYTES == ENVELOPE_LIMIT == 1024 * 1024


@pytest.mark.parametrize("vector", golden.build(), ids=lambda v: v["name"])
def test_golden_payloads_are_accepted(vector: dict[str, Any]) -> None:
    """The golden statements pass and come back as their JSON object."""
    raw = vector["payload"].encode()
    assert check_payload(raw) == json.loads(raw)


@pytest.mark.parametrize("kind", sorted(VALID_BODIES))
def test_a_valid_body_of_every_kind_is_accepted(kind: str) -> None:
    """Every kind's catalogue body passes."""
    assert check_payload(canonical_bytes(_obj(kind)))["kind"] == kind


def test_size_is_checked_before_parsing() -> None:
    """Over 1 MiB is refused whatever the bytes are."""
    _refused(b"{" + b" " * MAX_PAYLOAD_BYTES + b"}", "the limit is 1048576")


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        (b'{"a":1,"a":2}', "duplicate member name 'a'"),
        (b"[" * 40 + b"]" * 40, "nested deeper than 32"),
        (b'{"a":9007199254740992}', "outside"),
        (b'{"a":1e400}', "out of range"),
        (b'{"a":"\\ud800"}', "lone surrogate"),
        (b"\xff", "not UTF-8"),
    ],
)
def test_strict_json_is_applied(raw: bytes, needle: str) -> None:
    """The strict parser's refusals surface as InputErrors naming the flaw."""
    with pytest.raises(InputError, match=needle):
        check_payload(raw)


@pytest.mark.parametrize("raw", [b"[]", b'"x"', b"1", b"null"])
def test_a_payload_is_an_object(raw: bytes) -> None:
    """Anything but a JSON object is refused."""
    _refused(raw, "payload must be a JSON object")


@pytest.mark.parametrize(
    "raw",
    [
        json.dumps(_obj(), sort_keys=True).encode(),
        json.dumps(_obj(), separators=(",", ":")).encode(),
        canonical_bytes(_obj()).replace(b'"Remains"', b'"Rem\\u0061ins"'),
        canonical_bytes(_obj()).replace(b'"format":1', b'"format":-0'),
    ],
    ids=["spaced", "unsorted", "escaped", "minus-zero"],
)
def test_non_canonical_bytes_are_refused(raw: bytes) -> None:
    """Anything but the RFC 8785 form of its own parse is refused."""
    _refused(raw, "canonical")


CASES: list[tuple[bytes, tuple[str, ...]]] = [
    # unknown, missing and null members (issue 10 §D)
    (_body("evidence.registered", colour="red"), ("body.colour", "unknown member")),
    (_body("evidence.registered", title=None), ("body.title", "is required")),
    (canonical_bytes({**_obj(), "note": "x"}), ("payload.note", "unknown member")),
    (
        canonical_bytes(_obj(body={**VALID_BODIES["evidence.registered"], "description": None})),
        ("body.description", "null is not allowed"),
    ),
    (canonical_bytes(_obj(refs=None)), ("payload.refs", "null is not allowed")),
    # exact types: true is not 1, 1 is not true
    (_body("evidence.graded", credibility=True), ("body.credibility", "not a boolean")),
    (_body("evidence.attached", size=True), ("body.size", "not a boolean")),
    (_body("actor.registered", admin=1), ("body.admin", "must be a boolean, not an integer")),
    (canonical_bytes(_obj(format=True)), ("payload.format", "not a boolean")),
    (
        canonical_bytes(_obj()).replace(b'"format":1', b'"format":1.0'),
        ("payload.format", "must be an integer, not a number with a fraction"),
    ),
    (
        _body("evidence.attached", size=1024).replace(b'"size":1024', b'"size":1.5'),
        ("body.size", "not a number with a fraction"),
    ),
    (canonical_bytes(_obj(format=2)), ("payload.format", "2 is above the maximum 1")),
    (
        _body("evidence.graded", credibility=7),
        ("body.credibility", "7 is not allowed; it should be 1, 2, 3, 4, 5 or 6"),
    ),
    (_body("evidence.attached", size=-1), ("body.size", "below the minimum 0")),
    (_body("finding.asserted", evidence="item-1"), ("body.evidence", "must be an array")),
    # lengths
    (_body("evidence.registered", title="x" * 501), ("body.title", "501 characters", "500")),
    (_body("evidence.registered", title=""), ("body.title", "at least 1")),
    (_body("finding.asserted", claim="x" * 20_001), ("body.claim", "20001 characters")),
    (_body("finding.asserted", limitations=["x"] * 101), ("body.limitations", "limit is 100")),
    (canonical_bytes(_obj(refs=[SID, SID])), ("payload.refs[1]", "appears twice")),
    # patterns: ASCII, the whole string
    (canonical_bytes(_obj(subject="item-1\n")), ("payload.subject",)),
    (canonical_bytes(_obj(author="alice\n")), ("payload.author",)),
    (canonical_bytes(_obj(refs=[SID + "\n"])), ("payload.refs[0]",)),
    (_body("finding.asserted", evidence=["item-1\n"]), ("body.evidence[0]",)),
    (_body("statement.retracted", statement=SID + "\n"), ("body.statement",)),
    (
        _body("evidence.registered", recovered_at="２０２４"),
        ("body.recovered_at", "does not match"),
    ),
    (_body("evidence.registered", recovered_at="2024\n"), ("body.recovered_at",)),
    (_body("evidence.graded", reliability="B\n"), ("body.reliability",)),
    (_body("actor.registered", public_key="A" * 43 + "=\n"), ("body.public_key",)),
    (canonical_bytes(_obj(issued_at="２０２４-07-15T09:30:00Z")), ("payload.issued_at",)),
    # real calendar values
    (_body("evidence.registered", recovered_at="2025-02-30"), ("body.recovered_at", "real date")),
    (_body("evidence.registered", recovered_at="2024-13"), ("body.recovered_at", "month")),
    (_body("evidence.custody", at="9999-12-31T25:61Z"), ("body.at", "hour")),
    (_body("evidence.custody", at="2023-02-29"), ("body.at", "day is out of range")),
    (_body("trace.updated", at="2024-10-01T10:60Z"), ("body.at", "minute")),
    (_body("trace.requested", sent_at="0000"), ("body.sent_at", "year 0")),
    (canonical_bytes(_obj(issued_at="2024-02-30T00:00:00Z")), ("payload.issued_at", "real")),
    (canonical_bytes(_obj(issued_at="2024-07-15T09:30:60Z")), ("payload.issued_at", "second")),
    # control and bidi characters (issue 10 §E)
    (_body("finding.asserted", claim="A\x00B"), ("body.claim", "control character U+0000")),
    (_body("evidence.marking", text="2024\r"), ("body.text", "control character U+000D")),
    (_body("finding.asserted", claim="A\rB"), ("body.claim", "U+000D")),
    (_body("finding.asserted", claim="A\tB"), ("body.claim", "U+0009")),
    (_body("finding.asserted", claim="A\x1b[2KB"), ("body.claim", "U+001B")),
    (_body("finding.asserted", claim="A\x7fB"), ("body.claim", "U+007F")),
    (_body("finding.asserted", claim="A\x85B"), ("body.claim", "U+0085")),
    (_body("finding.asserted", claim="A\u202eB"), ("body.claim", "bidirectional", "U+202E")),
    (_body("finding.asserted", claim="A\u2066B"), ("body.claim", "U+2066")),
    (_body("finding.asserted", claim="A\u200fB"), ("body.claim", "U+200F")),
    (_body("finding.asserted", claim="A\u061cB"), ("body.claim", "U+061C")),
    (_body("evidence.registered", title="A\nB"), ("body.title", "line feed")),
    (
        _body("finding.asserted", limitations=["ok", "bad\x00"]),
        ("body.limitations[1]", "U+0000"),
    ),
    (
        _body("evidence.registered", identifiers={"serial\r": "x"}),
        ("body.identifiers['serial\\r'] (the name)", "U+000D"),
    ),
    (
        _body("evidence.registered", identifiers={"serial": "x\u202e"}),
        ("body.identifiers['serial']", "U+202E"),
    ),
    (
        _body(
            "evidence.custody",
            changes=[{"description": "d", "made_by": "m\x00", "reason": "r"}],
        ),
        ("evidence.custody: body.changes[0].made_by: contains a control character U+0000",),
    ),
    (
        _body("challenge.raised", target={"type": "finding", "id": "f\x00"}),
        ("body.target.id", "U+0000"),
    ),
    (
        _body("challenge.raised", target={"type": "finding", "id": "f", "x": 1}),
        ("body.target.x", "unknown member"),
    ),
    # kinds
    (canonical_bytes({**_obj(), "kind": "evidence.destroyed"}), ("'evidence.destroyed'",)),
    (canonical_bytes({**_obj(), "kind": "x\x1b[2J"}), ("'x\\x1b[2J'",)),
    (canonical_bytes({**_obj(), "kind": 1}), ("payload.kind", "must be a string")),
]


@pytest.mark.parametrize(("raw", "needles"), CASES)
def test_refused_with_field_and_flaw(raw: bytes, needles: tuple[str, ...]) -> None:
    """Each near-valid payload is refused, the message naming the field path and flaw."""
    _refused(raw, *needles)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("recovered_at", "2024"),
        ("recovered_at", "2024-08"),
        ("recovered_at", "2024-02-29"),
        ("recovered_at", "2024-07-15T09:30Z"),
        ("recovered_at", "2024-07-15T23:59:59.999999Z"),
        ("description", "Two lines:\nthe second."),
        ("title", "Ünïcödé, 日本語 and 😀 are text"),
    ],
)
def test_partial_dates_and_multiline_text_are_kept(field: str, value: str) -> None:
    """The partial forms the model always allowed stay valid; LF is fine in long text."""
    check_payload(_body("evidence.registered", **{field: value}))


def test_messages_never_echo_control_characters() -> None:
    """A hostile value shown in a message is escaped, and cut short."""
    message = _refused(_body("evidence.graded", reliability="\x1b[2J" + "x" * 100))
    assert "\x1b" not in message and len(message) < 200


def test_the_rules_import_nothing_but_the_standard_library() -> None:
    """provenance.rules.payload loads with pydantic, rfc8785, eventsourcing and click blocked."""
    code = f"""
import sys, types
for name in ("pydantic", "pydantic_core", "rfc8785", "eventsourcing", "click", "nacl"):
    sys.modules[name] = None
package = types.ModuleType("provenance")  # skip provenance/__init__.py, which loads the model
package.__path__ = [{str(ROOT / "provenance")!r}]
sys.modules["provenance"] = package
from provenance.rules.payload import check_payload
raw = {canonical_bytes(_obj("finding.asserted"))!r}
assert check_payload(raw)["kind"] == "finding.asserted"
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "ok", done.stderr


KEYS = st.text(max_size=6)
VALUES = st.recursive(
    st.one_of(st.text(max_size=8), st.integers(-(2**53) + 1, 2**53 - 1), st.booleans()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(VALUES, st.none()))
def test_pure_encoder_equals_rfc8785(value: Any) -> None:
    """The pure encoder gives the reference implementation's bytes (non-BMP names included)."""
    assert canonical_bytes(value) == bytes(rfc8785.dumps(value))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, VALUES, max_size=5), st.sampled_from(["plain", "spaced"]))
def test_is_canonical_agrees_with_rfc8785(value: dict[str, Any], spelling: str) -> None:
    """The fast check says canonical exactly when the bytes are the reference's."""
    raw = (
        bytes(rfc8785.dumps(value))
        if spelling == "plain"
        else json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    )
    assert is_canonical(raw, value) is (raw == bytes(rfc8785.dumps(value)))


def test_names_sort_by_utf16_code_units() -> None:
    """U+FB01 sorts after U+1F600 in UTF-16 (0xD83D < 0xFB01), unlike code point order."""
    value = {"\U0001f600": 1, "\ufb01": 2}
    assert canonical_bytes(value) == '{"\U0001f600":1,"\ufb01":2}'.encode()
    assert not is_canonical('{"\ufb01":2,"\U0001f600":1}'.encode(), value)
