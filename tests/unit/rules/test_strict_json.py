"""Strict JSON: what json.loads lets through is refused, and nothing else changes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provenance.errors import InputError
from provenance.rules.strict_json import MAX_DEPTH, MAX_SAFE_INTEGER, loads


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"a": 1, "a": 2}', "duplicate member name 'a'"),
        ('{"x": {"b": 1, "b": 1}}', "duplicate member name 'b'"),
        ("[1e400]", "out of range"),
        ("[-1e400]", "out of range"),
        ("[NaN]", "NaN is not JSON"),
        ("[Infinity]", "Infinity is not JSON"),
        (f"[{MAX_SAFE_INTEGER + 1}]", "outside"),
        (f"[-{MAX_SAFE_INTEGER + 1}]", "outside"),
        ("[" + "9" * 5000 + "]", "ValueError"),
        ('"\\ud800"', "lone surrogate"),
        ('{"\\udfff": 1}', "lone surrogate"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "nested deeper"),
        ("[" * 100_000, "nested deeper"),
        ('{"a": 1', "not valid JSON"),
    ],
)
def test_refused(text: str, reason: str) -> None:
    with pytest.raises(InputError, match=r"^thing ") as caught:
        loads(text.encode(), "thing")
    assert reason in str(caught.value)
    assert "\n" not in str(caught.value)


def test_not_utf8() -> None:
    with pytest.raises(InputError, match=r"^thing is not UTF-8 \(byte 1\)$"):
        loads(b'"\xff"', "thing")


def test_limits_themselves_are_accepted() -> None:
    assert loads(f"[{MAX_SAFE_INTEGER}, -{MAX_SAFE_INTEGER}]", "x") == [
        MAX_SAFE_INTEGER,
        -MAX_SAFE_INTEGER,
    ]
    deep = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert loads(deep, "x") == json.loads(deep)
    # Brackets inside strings do not count towards the depth.
    assert loads('{"k": "' + "[" * 100 + '"}', "x") == {"k": "[" * 100}
    # An escaped quote does not end a string early.
    assert loads('["a\\"[[[", 1]', "x") == ['a"[[[', 1]
    # A surrogate pair written as escapes is one valid character.
    assert loads('"\\ud83d\\ude00"', "x") == "\U0001f600"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_agrees_with_json_on_acceptable_input(value: object) -> None:
    text = json.dumps(value)
    assert loads(text.encode(), "x") == json.loads(text)


@given(st.binary(max_size=200))
def test_arbitrary_bytes_give_input_error_or_a_value(data: bytes) -> None:
    try:
        loads(data, "x")
    except InputError as e:
        assert str(e).startswith("x ")
