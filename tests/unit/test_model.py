"""Statement payloads: canonical form, strict schema, every kind's body."""

from __future__ import annotations

import json
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.envelope import MAX_PAYLOAD_BYTES
from provenance.errors import InputError
from provenance.model import KINDS, build_payload, kinds, parse_payload
from tests.unit.catalogue import ISSUED, SID, VALID_BODIES


def _payload(**changes: Any) -> bytes:
    """A valid evidence.registered payload with some arguments changed."""
    args: dict[str, Any] = {
        "kind": "evidence.registered",
        "subject": "item-1",
        "author": "alice",
        "body": {"item_kind": "other", "title": "A thing"},
        "issued_at": ISSUED,
        **changes,
    }
    return build_payload(**args)


def _canonical(obj: dict[str, Any]) -> bytes:
    return bytes(rfc8785.dumps(obj))


def _obj(**changes: Any) -> dict[str, Any]:
    """The object of a valid payload, with top-level members changed (None removes one)."""
    obj: dict[str, Any] = json.loads(_payload())
    for name, value in changes.items():
        if value is None:
            del obj[name]
        else:
            obj[name] = value
    return obj


def test_build_then_parse_round_trips() -> None:
    """A built payload parses back to the same kind, subject, author, time, refs and body."""
    body = VALID_BODIES["finding.reaffirmed"]
    payload = build_payload(
        kind="finding.reaffirmed",
        subject="finding-1",
        author="alice",
        body=body,
        refs=[SID],
        issued_at=ISSUED,
    )
    statement = parse_payload(payload)
    assert statement.kind == "finding.reaffirmed"
    assert statement.subject == "finding-1"
    assert statement.author == "alice"
    assert statement.payload.issued_at == ISSUED
    assert statement.payload.refs == [SID]
    assert isinstance(statement.body, kinds.FindingReaffirmed)
    assert statement.body.model_dump(exclude_none=True) == body
    assert json.loads(payload)["body"] == body


def test_build_accepts_a_body_model() -> None:
    """A pydantic body gives the same bytes as the equivalent dict (None fields omitted)."""
    model = kinds.EvidenceMarking(text="2024", meaning="production year")
    as_model = _payload(kind="evidence.marking", body=model)
    as_dict = _payload(kind="evidence.marking", body={"text": "2024", "meaning": "production year"})
    assert as_model == as_dict
    assert b"null" not in as_model


def test_built_payload_is_canonical() -> None:
    """build_payload emits exactly the RFC 8785 serialisation of its own parse."""
    payload = _payload()
    assert payload == _canonical(json.loads(payload))


def test_build_defaults_issued_at_to_now_in_utc() -> None:
    """Without issued_at the payload carries the current UTC time to the second."""
    issued = json.loads(_payload(issued_at=None))["issued_at"]
    assert parse_payload(_payload(issued_at=issued)).payload.issued_at == issued
    assert issued.endswith("Z") and len(issued) == len("2024-01-01T00:00:00Z")


@pytest.mark.parametrize(
    "spelling",
    ["indented", "spaced", "reordered", "escaped"],
)
def test_non_canonical_payload_is_refused(spelling: str) -> None:
    """The same object serialised any other way is refused, naming canonical form."""
    obj = json.loads(_payload())
    if spelling == "indented":
        raw = json.dumps(obj, indent=2, sort_keys=True).encode()
    elif spelling == "spaced":
        raw = json.dumps(obj, sort_keys=True).encode()
    elif spelling == "reordered":
        raw = json.dumps(dict(reversed(obj.items())), separators=(",", ":")).encode()
    else:
        raw = json.dumps(obj, sort_keys=True, separators=(",", ":")).replace("A", "\\u0041")
        raw = raw.encode()
    assert json.loads(raw) == obj
    with pytest.raises(InputError, match="canonical"):
        parse_payload(raw)


def test_unknown_kind_is_refused_by_name() -> None:
    """A kind that is not in KINDS is refused, and the message names it."""
    with pytest.raises(InputError, match=r"'evidence\.destroyed'"):
        _payload(kind="evidence.destroyed")
    raw = _canonical(_obj(kind="evidence.destroyed"))
    with pytest.raises(InputError, match=r"'evidence\.destroyed'"):
        parse_payload(raw)


def test_unknown_body_field_is_refused() -> None:
    """Body models forbid members they do not define, and say which one."""
    with pytest.raises(InputError, match="colour"):
        _payload(body={"item_kind": "other", "title": "A thing", "colour": "red"})


def test_unknown_top_level_member_is_refused() -> None:
    """The payload object has exactly its seven members."""
    with pytest.raises(InputError, match="note"):
        parse_payload(_canonical(_obj(note="x")))


@pytest.mark.parametrize(
    "member", ["format", "kind", "subject", "author", "issued_at", "refs", "body"]
)
def test_missing_top_level_member_is_refused(member: str) -> None:
    """Each of the payload's members is required."""
    with pytest.raises(InputError, match=member):
        parse_payload(_canonical(_obj(**{member: None})))


@pytest.mark.parametrize(
    "kind, body, field",
    [
        ("actor.registered", {"name": "A", "role": "researcher", "admin": "true"}, "admin"),
        ("actor.registered", {"name": "A", "role": "researcher", "admin": 1}, "admin"),
        (
            "finding.asserted",
            {"claim": "c", "evidence": "item-1", "confidence": "high"},
            "evidence",
        ),
        ("evidence.registered", {"item_kind": "other", "title": 5}, "title"),
    ],
)
def test_body_types_are_strict(kind: str, body: dict[str, Any], field: str) -> None:
    """No coercion: a string "true" is not a boolean, a string is not a list."""
    with pytest.raises(InputError, match=field):
        _payload(kind=kind, body=body)


@pytest.mark.parametrize("value", ["1", 2, 0, True])
def test_format_must_be_the_integer_1(value: Any) -> None:
    """Only format 1 is read; no string or boolean stands in for it."""
    with pytest.raises(InputError, match="format"):
        parse_payload(_canonical(_obj(format=value)))


@pytest.mark.parametrize(
    "issued_at",
    [
        "2024-07-15",
        "2024-07-15 09:30:00Z",
        "2024-07-15T09:30:00",
        "2024-07-15T09:30:00+00:00",
        "2024-07-15T09:30Z",
        "2024-07-15T09:30:00.1234567Z",
        "2024-07-15t09:30:00z",
        "yesterday",
    ],
)
def test_issued_at_format_is_enforced(issued_at: str) -> None:
    """issued_at is UTC YYYY-MM-DDTHH:MM:SS[.ffffff]Z and nothing else."""
    with pytest.raises(InputError, match="issued_at"):
        _payload(issued_at=issued_at)


@pytest.mark.parametrize("issued_at", ["2024-07-15T09:30:00Z", "2024-07-15T09:30:00.123456Z"])
def test_issued_at_accepts_seconds_and_fractions(issued_at: str) -> None:
    """Whole seconds and 1 to 6 fractional digits are both fine."""
    assert parse_payload(_payload(issued_at=issued_at)).payload.issued_at == issued_at


@pytest.mark.parametrize(
    "subject", ["", "-item", ".item", "item one", "item/1", "ïtem", "x" * 129, "item\n"]
)
def test_bad_subject_id_is_refused(subject: str) -> None:
    """Subject ids match ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$."""
    with pytest.raises(InputError, match="subject"):
        _payload(subject=subject)


def test_longest_subject_id_is_accepted() -> None:
    """128 characters is the limit, inclusive."""
    assert parse_payload(_payload(subject="x" * 128)).subject == "x" * 128


def test_bad_author_id_is_refused() -> None:
    """The author is an actor id, with the same rule as subject ids."""
    with pytest.raises(InputError, match="author"):
        _payload(author="no spaces please")


@pytest.mark.parametrize("ref", ["AB" * 32, "ab" * 31, "zz" * 32, "ab" * 32 + "a"])
def test_malformed_ref_is_refused(ref: str) -> None:
    """A ref is a full lower-case hex statement id."""
    with pytest.raises(InputError, match="refs"):
        _payload(kind="finding.reaffirmed", body={"statement": "s"}, refs=[ref])


def test_duplicate_ref_is_refused() -> None:
    """The spec says no id appears twice in refs."""
    with pytest.raises(InputError, match="refs"):
        _payload(kind="finding.reaffirmed", body={"statement": "s"}, refs=[SID, SID])


@pytest.mark.parametrize("raw", [b"[]", b'"x"', b"1", b"\xff\xfe", b"{"])
def test_payload_that_is_not_a_json_object_is_refused(raw: bytes) -> None:
    """Non-UTF-8, non-JSON and non-object payloads are InputErrors."""
    with pytest.raises(InputError):
        parse_payload(raw)


def test_payload_over_1_mib_is_refused_before_parsing() -> None:
    """The size limit is checked first."""
    with pytest.raises(InputError, match="limit"):
        parse_payload(b"{" + b" " * MAX_PAYLOAD_BYTES + b"}")


@pytest.mark.parametrize(
    "raw",
    [b"[" * 100_000, b'{"a":' + b"1" * 5000 + b"}"],
    ids=["deeply nested", "5000-digit integer"],
)
def test_pathological_payload_json_is_an_input_error(raw: bytes) -> None:
    """JSON that makes Python's parser raise RecursionError or ValueError is an InputError."""
    with pytest.raises(InputError):
        parse_payload(raw)


def test_float_in_payload_is_refused() -> None:
    """Format 1 has no floats; a float where the integer format goes is refused."""
    raw = _payload().replace(b'"format":1', b'"format":1.5')
    with pytest.raises(InputError):
        parse_payload(raw)


def test_every_kind_has_a_valid_body_here() -> None:
    """This module covers every kind the model knows (add a body when a kind is added)."""
    assert set(VALID_BODIES) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_builds_with_a_valid_body(kind: str) -> None:
    """Every kind builds, parses to its own body model, and keeps every field given."""
    payload = _payload(kind=kind, body=VALID_BODIES[kind])
    statement = parse_payload(payload)
    assert statement.kind == kind
    assert isinstance(statement.body, KINDS[kind].body)
    dumped = statement.body.model_dump(mode="json", exclude_none=True)
    for name, value in VALID_BODIES[kind].items():
        assert dumped[name] == value


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_refuses_an_empty_body(kind: str) -> None:
    """Every kind has at least one required body member."""
    with pytest.raises(InputError, match=kind):
        _payload(kind=kind, body={})


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "A", "role": "king"}, "role"),
        ({"name": "", "role": "researcher"}, "name"),
        ({"name": "A" * 501, "role": "researcher"}, "name"),
        ({"name": "A", "role": "researcher", "public_key": "A" * 44}, "public_key"),
        ({"name": "A", "role": "researcher", "public_key": "A" * 42 + "=="}, "public_key"),
    ],
)
def test_actor_body_constraints(body: dict[str, Any], field: str) -> None:
    """Roles are an enumeration, names 1 to 500 characters, keys base64 of 32 bytes."""
    with pytest.raises(InputError, match=field):
        _payload(kind="actor.registered", body=body)


@pytest.mark.parametrize("when", ["2024", "2024-07", "2024-07-15", "2024-07-15T09:30Z"])
def test_recovered_at_accepts_each_precision(when: str) -> None:
    """recovered_at is a date or time of the precision known."""
    body = {"item_kind": "other", "title": "t", "recovered_at": when}
    assert parse_payload(_payload(body=body)).body.model_dump()["recovered_at"] == when


@pytest.mark.parametrize("when", ["24", "2024-7", "July 2024", "2024-07-15T09Z"])
def test_recovered_at_refuses_other_forms(when: str) -> None:
    """Anything else is refused."""
    with pytest.raises(InputError, match="recovered_at"):
        _payload(body={"item_kind": "other", "title": "t", "recovered_at": when})


def test_challenge_target_type_is_an_enumeration() -> None:
    """A challenge targets a finding, an assessment, an actor or the organisation."""
    body = {**VALID_BODIES["challenge.raised"], "target": {"type": "planet", "id": "x"}}
    with pytest.raises(InputError, match="target"):
        _payload(kind="challenge.raised", body=body)


SAFE_INT = st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
JSON_VALUES = st.recursive(
    st.one_of(st.text(), SAFE_INT, st.booleans(), st.none()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(), inner, max_size=4)
    ),
    max_leaves=8,
)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(), JSON_VALUES, max_size=6))
def test_canonicalisation_is_idempotent(obj: dict[str, Any]) -> None:
    """Canonicalising, parsing and canonicalising again gives the same bytes and object."""
    once = _canonical(obj)
    assert json.loads(once) == obj
    assert _canonical(json.loads(once)) == once


# Text a body may hold: anything but controls (Cc: C0, DEL, C1), surrogates and bidi controls.
TEXT_CHARS = st.characters(
    exclude_categories=("Cc", "Cs"),
    exclude_characters="\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
)


@settings(max_examples=100, deadline=None)
@given(
    title=st.text(TEXT_CHARS, min_size=1, max_size=500),
    identifiers=st.dictionaries(
        st.text(TEXT_CHARS, min_size=1, max_size=64),
        st.text(TEXT_CHARS, min_size=1, max_size=500),
        max_size=3,
    ),
)
def test_any_text_round_trips_through_a_payload(title: str, identifiers: dict[str, str]) -> None:
    """Arbitrary Unicode text (controls aside) in a body survives build and parse exactly."""
    body = {"item_kind": "other", "title": title, "identifiers": identifiers}
    statement = parse_payload(_payload(body=body))
    dumped = statement.body.model_dump()
    assert dumped["title"] == title
    assert dumped["identifiers"] == identifiers


def test_every_body_class_is_named_after_its_kind() -> None:
    """One lookup key per kind: ``evidence.marking`` has the body ``EvidenceMarking``."""

    def camel(kind: str) -> str:
        return "".join(part.capitalize() for part in kind.replace("_", ".").split("."))

    assert {name: spec.body.__name__ for name, spec in KINDS.items()} == {
        name: camel(name) for name in KINDS
    }
