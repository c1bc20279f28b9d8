"""Tests that kill mutmut's survivors in provenance.canonical (issue 10 §H).

The issue's case: the C-encoder fast path must not take integers beyond
±(2^53 - 1), which JCS cannot represent (RFC 8785 §3.2.2.3, I-JSON). Such a
value is refused, never serialised. ``_fast_path_applies`` is tested directly
because several of its mutants only move a value from the fast path to the
reference one, which gives the same bytes more slowly.
"""

from __future__ import annotations

from typing import Any

import pytest

from provenance.canonical import _fast_path_applies, canonical_json, is_canonical
from provenance.errors import InputError
from tests.unit.exact import raises_exactly

SAFE = 2**53 - 1


@pytest.mark.parametrize("value", [SAFE + 1, -(SAFE + 1), 2**64, -(2**70)])
def test_integers_beyond_two_to_the_53_are_refused(value: int) -> None:
    message = f"value cannot be canonicalised: {value} exceeds safe integer domain for JSON floats"
    for obj in (value, [value], {"a": {"b": [1, value]}}):
        assert not _fast_path_applies(obj)
        with raises_exactly(InputError, message):
            canonical_json(obj)
        with raises_exactly(InputError, message):
            is_canonical(str(value).encode(), obj)


@pytest.mark.parametrize("value", [SAFE, -SAFE, 0, 1, -1])
def test_integers_within_the_safe_range_take_the_fast_path(value: int) -> None:
    assert _fast_path_applies(value)
    assert _fast_path_applies({"k": [value]})
    assert canonical_json(value) == str(value).encode()
    assert is_canonical(str(value).encode(), value)
    assert not is_canonical(str(value).encode() + b" ", value)


@pytest.mark.parametrize(
    "obj",
    [
        None,
        True,
        False,
        "text",
        "",
        [],
        {},
        {"": 1},
        {"é": "ü", "\uffff": None, "\u4e2d": [True, None, "x"]},
        [[[{"a": [1, 2, {"b": None}]}]]],
    ],
)
def test_what_the_fast_path_takes(obj: Any) -> None:
    assert _fast_path_applies(obj)


@pytest.mark.parametrize(
    "obj",
    [
        1.5,
        [1.0],
        {"a": {"b": 2.5}},
        (1, 2),
        {"\U0001f600": 1},
        {"a": 1, "b\U0001f600c": 2},
        [None, {"x": [b"bytes"]}],
        {"k": object()},
    ],
)
def test_what_the_fast_path_leaves_to_the_reference(obj: Any) -> None:
    assert not _fast_path_applies(obj)


def test_keys_beyond_the_bmp_are_sorted_in_utf16_order() -> None:
    # RFC 8785 §3.2.3 sorts by UTF-16 code units: U+1F600 (D83D DE00) before U+FFFF.
    obj = {"\uffff": 1, "\U0001f600": 2}
    expected = '{"\U0001f600":2,"\uffff":1}'.encode()
    assert canonical_json(obj) == expected
    assert is_canonical(expected, obj)
    assert not is_canonical('{"\uffff":1,"\U0001f600":2}'.encode(), obj)


def test_floats_go_to_the_reference() -> None:
    assert canonical_json({"a": 1.5, "b": 1.0, "c": 1e21}) == b'{"a":1.5,"b":1,"c":1e+21}'
    assert is_canonical(b"1", 1.0)
    assert not is_canonical(b"1.0", 1.0)


def test_a_lone_surrogate_is_refused() -> None:
    message = "value cannot be canonicalised: input contains non-UTF-8 codepoints"
    for obj in ("\ud800", {"k": "a\udfffb"}, ["\ud800"]):
        assert _fast_path_applies(obj)  # the C encoder takes it, UTF-8 does not
        with raises_exactly(InputError, message):
            canonical_json(obj)
        with raises_exactly(InputError, message):
            is_canonical(b'"\\ud800"', obj)


def test_non_finite_numbers_are_refused() -> None:
    with raises_exactly(
        InputError, "value cannot be canonicalised: nan is not representable in JCS"
    ):
        canonical_json(float("nan"))


def test_the_fast_path_output_is_jcs() -> None:
    obj = {"b": [1, "two", None, True], "a": {"é": '\n"\\\x01'}, "": False}
    expected = '{"":false,"a":{"é":"\\n\\"\\\\\\u0001"},"b":[1,"two",null,true]}'.encode()
    assert canonical_json(obj) == expected
    assert is_canonical(expected, obj)
    assert not is_canonical(expected[:-1], obj)
