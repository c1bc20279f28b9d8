"""Each shape constraint of the payload check, at its boundary, both ways, with its exact message.

The checkers of provenance/rules/payload.py are compiled from small synthetic
shapes here, so that every branch (enumerations, patterns, text, lengths,
calendars, integer bounds, array sizes and uniqueness, unknown and missing
members, maps) is reached alone and a mutant of any of them is noticed. The
refusals use ``raises_exactly``: the class itself and the whole message.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from provenance.errors import InputError, PayloadError
from provenance.rules.dates import DATE_OR_TIME_PATTERN
from provenance.rules.jcs import canonical_bytes
from provenance.rules.payload import (
    _PATTERNS,
    KIND_NAMES,
    MAX_PAYLOAD_BYTES,
    _allowed,
    _compile,
    _member,
    _pattern,
    _show,
    _type_name,
    check_payload,
)
from tests.unit.catalogue import ISSUED, VALID_BODIES
from tests.unit.exact import raises_exactly


def ok(shape: dict[str, Any], value: Any) -> None:
    _compile(shape)(value, "p")


def refused(shape: dict[str, Any], value: Any, message: str) -> None:
    with raises_exactly(PayloadError, message):
        _compile(shape)(value, "p")


STRING = {"type": "string"}
INTEGER = {"type": "integer"}


# --- JSON types -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("x", "a string"),
        (1, "an integer"),
        (True, "a boolean"),
        (False, "a boolean"),
        ([], "an array"),
        ({}, "an object"),
        (1.5, "a number with a fraction or exponent"),
        (None, "null"),
        (b"x", "bytes"),
        ((), "tuple"),
    ],
)
def test_every_type_name(value: Any, shown: str) -> None:
    assert _type_name(value) == shown


@pytest.mark.parametrize(
    ("shape", "good", "expected"),
    [
        ({"type": "string"}, "x", "a string"),
        ({"type": "integer"}, 0, "an integer"),
        ({"type": "boolean"}, True, "a boolean"),
        ({"type": "array", "items": STRING}, [], "an array"),
        ({"type": "object", "members": {}, "required": []}, {}, "an object"),
        ({"type": "map", "keys": STRING, "values": STRING}, {}, "an object"),
        ({"type": "body"}, {}, "an object"),
    ],
)
def test_each_type_takes_its_own_json_type_only(
    shape: dict[str, Any], good: Any, expected: str
) -> None:
    ok(shape, good)
    for bad in ("x", 1, True, [], {}, 1.5):
        if type(bad) is type(good):
            continue
        refused(shape, bad, f"p: must be {expected}, not {_type_name(bad)}")
    refused(shape, None, "p: null is not allowed; omit the member instead")


def test_true_is_not_one_and_one_is_not_true() -> None:
    refused(INTEGER, True, "p: must be an integer, not a boolean")
    refused({"type": "boolean"}, 1, "p: must be a boolean, not an integer")
    refused({"type": "boolean"}, 0, "p: must be a boolean, not an integer")
    ok({"type": "boolean"}, False)


def test_a_wrong_type_names_the_allowed_values() -> None:
    refused(
        {"type": "string", "enum": ["a", "b"]},
        1,
        "p: must be a string ('a' or 'b'), not an integer",
    )
    refused({"type": "integer", "enum": [1]}, "1", "p: must be an integer (1), not a string")


def test_allowed_values_are_listed() -> None:
    assert _allowed({"enum": ["a"]}) == "'a'"
    assert _allowed({"enum": ["a", "b"]}) == "'a' or 'b'"
    assert _allowed({"enum": ["a", "b", "c"]}) == "'a', 'b' or 'c'"
    assert _allowed({"enum": [1, 2, 3, 4]}) == "1, 2, 3 or 4"


# --- strings --------------------------------------------------------------------------------


def test_a_string_enumeration() -> None:
    shape = {"type": "string", "enum": ["a", "b", "c"]}
    for good in ("a", "b", "c"):
        ok(shape, good)
    refused(shape, "d", "p: 'd' is not allowed; it should be 'a', 'b' or 'c'")
    refused(shape, "A", "p: 'A' is not allowed; it should be 'a', 'b' or 'c'")
    refused(shape, "", "p: '' is not allowed; it should be 'a', 'b' or 'c'")


def test_an_enumeration_is_checked_before_text() -> None:
    refused({"type": "string", "enum": ["a"]}, "\r", "p: '\\r' is not allowed; it should be 'a'")


def test_a_pattern_matches_the_whole_string_in_ascii() -> None:
    shape = {"type": "string", "pattern": "^[a-z]+$"}
    ok(shape, "abc")
    refused(shape, "abc\n", "p: 'abc\\n' does not match ^[a-z]+$")
    refused(shape, "Abc", "p: 'Abc' does not match ^[a-z]+$")
    refused(shape, "", "p: '' does not match ^[a-z]+$")
    digits = {"type": "string", "pattern": "^\\d+$"}
    ok(digits, "123")
    refused(digits, "\uff11\uff12", "p: '１２' does not match ^\\d+$")
    refused(digits, "\u0661", "p: '١' does not match ^\\d+$")


def test_a_pattern_is_checked_before_text_and_length() -> None:
    shape = {"type": "string", "pattern": "^[a-z]*$", "minLength": 2}
    refused(shape, "\t", "p: '\\t' does not match ^[a-z]*$")
    refused(shape, "a", "p: must hold at least 2 character(s)")


def test_patterns_are_compiled_once_in_ascii() -> None:
    # A source never seen before, so the cache cannot answer in place of the compiler
    # (mutmut runs each mutant in a process that already ran these tests once).
    tag = uuid.uuid4().hex
    source = f"^\\d+x{tag}$"
    assert source not in _PATTERNS
    first = _pattern(source)
    assert first.pattern == source
    assert first.flags & re.ASCII
    assert first.fullmatch(f"12x{tag}") is not None
    assert first.fullmatch(f"\u0661x{tag}") is None
    assert _PATTERNS[source] is first
    assert _pattern(source) is first


def test_text_refuses_controls_and_line_feeds_unless_multiline() -> None:
    ok(STRING, "a b")
    refused(STRING, "a\nb", "p: contains a line feed (U+000A); only multi-line text fields may")
    refused(
        {"type": "string", "text": "line"},
        "a\nb",
        "p: contains a line feed (U+000A); only multi-line text fields may",
    )
    ok({"type": "string", "text": "lines"}, "a\nb")
    refused({"type": "string", "text": "lines"}, "a\rb", "p: contains a control character U+000D")
    refused(STRING, "a\x00", "p: contains a control character U+0000")
    refused(
        {"type": "string", "pattern": "^.*$"},
        "\u202e",
        "p: contains a bidirectional formatting character U+202E",
    )


def test_text_is_checked_before_length() -> None:
    refused({"type": "string", "minLength": 5}, "\x01", "p: contains a control character U+0001")
    refused({"type": "string", "maxLength": 1}, "ab\x01", "p: contains a control character U+0001")


def test_without_a_minimum_length_the_empty_string_passes() -> None:
    ok(STRING, "")
    ok({"type": "string", "maxLength": 3}, "")


def test_minimum_length_at_and_below() -> None:
    shape = {"type": "string", "minLength": 2}
    ok(shape, "ab")
    ok(shape, "abc")
    refused(shape, "a", "p: must hold at least 2 character(s)")
    refused(shape, "", "p: must hold at least 2 character(s)")
    refused({"type": "string", "minLength": 1}, "", "p: must hold at least 1 character(s)")


def test_maximum_length_at_and_over() -> None:
    shape = {"type": "string", "maxLength": 3}
    ok(shape, "abc")
    ok(shape, "\U0001f600" * 3)  # characters, not UTF-8 bytes
    refused(shape, "abcd", "p: is 4 characters; the limit is 3")
    refused(shape, "abcdefgh", "p: is 8 characters; the limit is 3")
    ok(STRING, "x" * 100_000)


def test_length_is_checked_before_the_calendar() -> None:
    shape = {"type": "string", "maxLength": 4, "calendar": True}
    refused(shape, "2024-13", "p: is 7 characters; the limit is 4")


@pytest.mark.parametrize(
    ("value", "flaw"),
    [
        ("2025-02-30", "is not a real date or time (day is out of range for month)"),
        ("2023-02-29", "is not a real date or time (day is out of range for month)"),
        ("2024-04-31", "is not a real date or time (day is out of range for month)"),
        ("2024-13", "is not a real date or time (month must be in 1..12)"),
        ("2024-00", "is not a real date or time (month must be in 1..12)"),
        ("2024-01-00", "is not a real date or time (day is out of range for month)"),
        ("0000", "is not a real date or time (year 0 is out of range)"),
        ("9999-12-31T25:61Z", "is not a real date or time (hour must be in 0..23)"),
        ("2024-07-15T24:00Z", "is not a real date or time (hour must be in 0..23)"),
        ("2024-07-15T23:60Z", "is not a real date or time (minute must be in 0..59)"),
        ("2024-07-15T23:59:60Z", "is not a real date or time (second must be in 0..59)"),
        ("24-07-15", "is not a date or time of the form YYYY[-MM[-DD[THH:MM[:SS[.ffffff]]Z]]]"),
        (
            "2024-07-15T09:30",
            "is not a date or time of the form YYYY[-MM[-DD[THH:MM[:SS[.ffffff]]Z]]]",
        ),
        ("\uff12024", "is not a date or time of the form YYYY[-MM[-DD[THH:MM[:SS[.ffffff]]Z]]]"),
    ],
)
def test_a_calendar_string_is_a_real_date(value: str, flaw: str) -> None:
    shape = {"type": "string", "calendar": True}
    refused(shape, value, f"p: {value!r} {flaw}")
    ok(STRING, value)  # without "calendar", only the other constraints apply


@pytest.mark.parametrize(
    "value",
    [
        "2024",
        "2024-02",
        "2024-02-29",
        "2000-02-29",
        "2024-12-31",
        "0001-01-01",
        "9999-12-31T23:59:59.999999Z",
        "2024-07-15T00:00Z",
        "2024-07-15T23:59Z",
        "2024-07-15T23:59:59Z",
    ],
)
def test_real_dates_at_the_boundaries_pass(value: str) -> None:
    ok({"type": "string", "calendar": True, "pattern": DATE_OR_TIME_PATTERN}, value)


# --- integers -------------------------------------------------------------------------------


def test_integer_enumeration() -> None:
    shape = {"type": "integer", "enum": [1, 2, 3]}
    ok(shape, 1)
    ok(shape, 3)
    refused(shape, 4, "p: 4 is not allowed; it should be 1, 2 or 3")
    refused(shape, 0, "p: 0 is not allowed; it should be 1, 2 or 3")


def test_integer_bounds_both_ways() -> None:
    shape = {"type": "integer", "minimum": 1, "maximum": 6}
    for good in (1, 2, 5, 6):
        ok(shape, good)
    refused(shape, 0, "p: 0 is below the minimum 1")
    refused(shape, -5, "p: -5 is below the minimum 1")
    refused(shape, 7, "p: 7 is above the maximum 6")
    refused(shape, 100, "p: 100 is above the maximum 6")
    refused({"type": "integer", "enum": [1, 9], "maximum": 6}, 9, "p: 9 is above the maximum 6")


def test_integers_without_bounds() -> None:
    for value in (-(2**53) + 1, -1, 0, 1, 2**53 - 1):
        ok(INTEGER, value)
    ok({"type": "integer", "minimum": 0}, 2**53 - 1)
    ok({"type": "integer", "maximum": 0}, -(2**53) + 1)


# --- arrays ---------------------------------------------------------------------------------


def test_array_sizes() -> None:
    plain = {"type": "array", "items": STRING}
    ok(plain, [])
    ok(plain, ["a"] * 50)
    shape = {"type": "array", "items": STRING, "minItems": 1, "maxItems": 2}
    ok(shape, ["a"])
    ok(shape, ["a", "b"])
    refused(shape, [], "p: must hold at least 1 item(s)")
    refused(shape, ["a", "b", "c"], "p: holds 3 items; the limit is 2")
    refused(
        {"type": "array", "items": STRING, "minItems": 2}, ["a"], "p: must hold at least 2 item(s)"
    )


def test_array_items_are_checked_with_their_index() -> None:
    shape = {"type": "array", "items": STRING}
    refused(shape, ["a", 1], "p[1]: must be a string, not an integer")
    refused(shape, [None], "p[0]: null is not allowed; omit the member instead")
    refused(
        {"type": "array", "items": STRING, "maxItems": 1},
        [1, 2],
        "p: holds 2 items; the limit is 1",
    )


def test_unique_items() -> None:
    shape = {"type": "array", "items": STRING, "uniqueItems": True}
    ok(shape, ["a", "b"])
    refused(shape, ["a", "b", "a"], "p[2]: the same value appears twice")
    refused(shape, ["a", "a", "b"], "p[1]: the same value appears twice")
    refused(
        {"type": "array", "items": STRING, "uniqueItems": True},
        ["a", "a", 1],
        "p[2]: must be a string, not an integer",
    )
    ok({"type": "array", "items": STRING}, ["a", "a"])


def test_unique_items_that_are_not_strings() -> None:
    ints = {"type": "array", "items": INTEGER, "uniqueItems": True}
    ok(ints, [1, 2])
    refused(ints, [1, 2, 1], "p[2]: the same value appears twice")
    mixed = {"type": "array", "items": {"type": "body"}, "uniqueItems": True}
    ok(mixed, [{"a": 1}, {"a": 2}])
    refused(mixed, [{"a": 1, "b": 2}, {"b": 2, "a": 1}], "p[1]: the same value appears twice")
    strings = {"type": "array", "items": {"type": "string"}, "uniqueItems": True}
    ok(strings, ["1", '"1"'])
    # a string and the JSON text of another value are not the same value
    any_items = {"type": "array", "items": {"type": "body"}, "uniqueItems": True}
    ok(any_items, [{}, {"": {}}])


# --- objects --------------------------------------------------------------------------------

OBJECT = {
    "type": "object",
    "members": {"a": STRING, "b": INTEGER, "c": STRING},
    "required": ["a", "c"],
}


def test_an_object_with_its_members() -> None:
    ok(OBJECT, {"a": "x", "c": "y"})
    ok(OBJECT, {"a": "x", "b": 1, "c": "y"})


def test_unknown_members_name_the_first_in_order() -> None:
    refused(OBJECT, {"a": "x", "c": "y", "z": 1, "y": 2}, "p.y: unknown member; allowed: a, b, c")
    refused(OBJECT, {"A B": 1}, "p['A B']: unknown member; allowed: a, b, c")
    refused(OBJECT, {"\n": 1}, "p['\\n']: unknown member; allowed: a, b, c")
    refused(OBJECT, {"_x9": 1}, "p._x9: unknown member; allowed: a, b, c")
    refused(OBJECT, {"9x": 1}, "p['9x']: unknown member; allowed: a, b, c")


def test_unknown_members_before_missing_ones() -> None:
    refused(OBJECT, {"z": 1}, "p.z: unknown member; allowed: a, b, c")


def test_missing_members_in_required_order() -> None:
    refused(OBJECT, {}, "p.a: is required")
    refused(OBJECT, {"a": "x"}, "p.c: is required")
    refused(OBJECT, {"c": "x", "b": 1}, "p.a: is required")


def test_member_values_are_checked_with_their_path() -> None:
    refused(OBJECT, {"a": 1, "c": "y"}, "p.a: must be a string, not an integer")
    refused(OBJECT, {"a": "x", "b": "1", "c": "y"}, "p.b: must be an integer, not a string")
    refused(OBJECT, {"a": "x", "c": None}, "p.c: null is not allowed; omit the member instead")
    refused(
        OBJECT, {"a": "x", "b": None, "c": 2}, "p.b: null is not allowed; omit the member instead"
    )


def test_member_paths() -> None:
    assert _member("p", "abc_1") == "p.abc_1"
    assert _member("p", "Abc") == "p['Abc']"
    assert _member("p", "") == "p['']"
    assert _member("p", "a-b") == "p['a-b']"


def test_shown_strings_are_cut_at_forty_characters() -> None:
    assert _show("x" * 40) == repr("x" * 40)
    assert _show("x" * 41) == repr("x" * 40 + "...")
    assert _show("ab\r", 2) == repr("ab...")
    assert _show("ab", 2) == "'ab'"


# --- maps -----------------------------------------------------------------------------------

MAP = {
    "type": "map",
    "keys": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 3},
    "values": INTEGER,
}


def test_a_map_checks_its_names_and_values_in_order() -> None:
    ok(MAP, {})
    ok(MAP, {"abc": 1, "b": 2})
    refused(MAP, {"A": 1}, "p['A'] (the name): 'A' does not match ^[a-z]+$")
    refused(MAP, {"abcd": 1}, "p['abcd'] (the name): is 4 characters; the limit is 3")
    refused(MAP, {"b": "x", "a": "y"}, "p['a']: must be an integer, not a string")
    refused(MAP, {"b": 1, "a": "y"}, "p['a']: must be an integer, not a string")
    refused(MAP, {"a": 1, "b": None}, "p['b']: null is not allowed; omit the member instead")


def test_a_map_name_is_checked_before_its_value() -> None:
    refused(MAP, {"Z": "x"}, "p['Z'] (the name): 'Z' does not match ^[a-z]+$")


# --- check_payload --------------------------------------------------------------------------


def _payload(**changes: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "format": 1,
        "kind": "evidence.registered",
        "subject": "item-1",
        "author": "alice",
        "issued_at": ISSUED,
        "refs": [],
        "body": dict(VALID_BODIES["evidence.registered"]),
    }
    obj.update(changes)
    return obj


def test_a_valid_payload_is_returned_parsed() -> None:
    obj = _payload()
    assert check_payload(canonical_bytes(obj)) == obj


def test_the_size_limit_at_and_over() -> None:
    over = b" " * (MAX_PAYLOAD_BYTES + 1)
    with raises_exactly(
        PayloadError, f"payload is {MAX_PAYLOAD_BYTES + 1} bytes; the limit is 1048576"
    ):
        check_payload(over)
    # exactly at the limit, the bytes are parsed (and refused for what they are)
    at = b"[" + b"0," * ((MAX_PAYLOAD_BYTES - 3) // 2) + b"0]"
    at = at + b" " * (MAX_PAYLOAD_BYTES - len(at))
    assert len(at) == MAX_PAYLOAD_BYTES
    with raises_exactly(PayloadError, "payload must be a JSON object, not an array"):
        check_payload(at)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[]", "payload must be a JSON object, not an array"),
        (b'"x"', "payload must be a JSON object, not a string"),
        (b"1", "payload must be a JSON object, not an integer"),
        (b"null", "payload must be a JSON object, not null"),
        (b"true", "payload must be a JSON object, not a boolean"),
    ],
)
def test_a_payload_is_an_object(raw: bytes, message: str) -> None:
    with raises_exactly(PayloadError, message):
        check_payload(raw)


def test_non_canonical_bytes_are_refused() -> None:
    raw = canonical_bytes(_payload())
    with raises_exactly(PayloadError, "payload is not in RFC 8785 canonical form"):
        check_payload(raw + b" ")


def test_an_unknown_kind_lists_the_known_ones() -> None:
    known = ", ".join(KIND_NAMES)
    with raises_exactly(PayloadError, f"unknown statement kind 'x.y'; known: {known}"):
        check_payload(canonical_bytes(_payload(kind="x.y")))
    kinds = list(KIND_NAMES)
    with raises_exactly(
        PayloadError,
        f"payload.kind: must be a string ({_allowed({'enum': kinds})}), not an integer",
    ):
        check_payload(canonical_bytes(_payload(kind=1)))


def test_the_top_level_and_body_are_checked_with_their_paths() -> None:
    with raises_exactly(PayloadError, "payload.format: 2 is above the maximum 1"):
        check_payload(canonical_bytes(_payload(format=2)))
    with raises_exactly(PayloadError, "payload.subject: is required"):
        obj = _payload()
        del obj["subject"]
        check_payload(canonical_bytes(obj))
    body = dict(VALID_BODIES["evidence.registered"], extra=1)
    with raises_exactly(
        PayloadError,
        "evidence.registered: body.extra: unknown member; allowed: custodian, description, "
        "identifiers, item_kind, recovered_at, recovered_where, title",
    ):
        check_payload(canonical_bytes(_payload(body=body)))
    body = dict(VALID_BODIES["evidence.registered"], recovered_at="2025-02-30")
    with raises_exactly(
        PayloadError,
        "evidence.registered: body.recovered_at: '2025-02-30' "
        "is not a real date or time (day is out of range for month)",
    ):
        check_payload(canonical_bytes(_payload(body=body)))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"a":', "payload is not valid JSON (Expecting value at line 1)"),
        (b'{"a":1,"a":2}', "payload is not acceptable JSON: duplicate member name 'a'"),
        (b"\xff", "payload is not UTF-8 (byte 0)"),
    ],
)
def test_strict_json_flaws_are_named_as_the_payloads(raw: bytes, message: str) -> None:
    with raises_exactly(InputError, message):
        check_payload(raw)
