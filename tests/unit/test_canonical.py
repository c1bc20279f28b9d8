"""The fast canonical-form check agrees with the RFC 8785 reference implementation."""

from __future__ import annotations

import json
from typing import Any

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.canonical import canonical_json, is_canonical

SAFE = 2**53 - 1
scalars = (
    st.none() | st.booleans() | st.integers(min_value=-SAFE, max_value=SAFE) | st.text(max_size=20)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=400)
@given(values)
def test_fast_check_accepts_exactly_the_reference_bytes(obj: Any) -> None:
    reference = bytes(rfc8785.dumps(obj))
    assert is_canonical(reference, obj)
    assert canonical_json(obj) == reference


@settings(max_examples=200)
@given(st.dictionaries(st.text(max_size=8), scalars, min_size=2, max_size=5))
def test_fast_check_rejects_other_serialisations(obj: dict[str, Any]) -> None:
    reference = bytes(rfc8785.dumps(obj))
    spaced = json.dumps(obj, sort_keys=True, ensure_ascii=False).encode()
    if spaced != reference:
        assert not is_canonical(spaced, obj)
    reversed_keys = json.dumps(
        dict(sorted(obj.items(), reverse=True)), separators=(",", ":"), ensure_ascii=False
    ).encode()
    if reversed_keys != reference:
        assert not is_canonical(reversed_keys, obj)


def test_non_bmp_keys_and_floats_take_the_reference_path() -> None:
    obj = {"\U0001f600": 1, "\ue000": 2}  # UTF-16 order differs from code-point order
    reference = bytes(rfc8785.dumps(obj))
    assert reference.index("\U0001f600".encode()) < reference.index("\ue000".encode())
    assert is_canonical(reference, obj)
    assert not is_canonical(
        json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(), obj
    )
    assert is_canonical(b'{"a":1}', {"a": 1.0})
    assert not is_canonical(b'{"a":1.0}', {"a": 1.0})


def test_escapes_match_jcs() -> None:
    obj = {"k": 'quote" backslash\\ nl\n tab\t bell\x07 del\x7f ls\u2028 é'}
    assert is_canonical(bytes(rfc8785.dumps(obj)), obj)
