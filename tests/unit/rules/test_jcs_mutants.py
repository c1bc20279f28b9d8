"""The RFC 8785 encoder's refusals word for word, depth of objects alone, raw surrogates in text.

For provenance/rules/jcs.py, strict_json.py and ledger.py: what the other
rule tests reach only through a phrase, or only through arrays, or only
through bytes.
"""

from __future__ import annotations

import pytest

from provenance.errors import InputError
from provenance.rules.jcs import canonical_bytes, is_canonical
from provenance.rules.ledger import Ledger
from provenance.rules.strict_json import MAX_DEPTH, loads
from tests.unit.exact import raises_exactly
from tests.unit.rules.test_acceptance import _pub, payload


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (2**53, "integer 9007199254740992 is outside ±(2^53 - 1)"),
        (-(2**53), "integer -9007199254740992 is outside ±(2^53 - 1)"),
        ({"a": [2**60]}, f"integer {2**60} is outside ±(2^53 - 1)"),
        (1.5, "number 1.5 is not an integer; format 1 has no other numbers"),
        ([1.0], "number 1.0 is not an integer; format 1 has no other numbers"),
        (b"x", "a bytes is not a JSON value"),
        ({"a": (1,)}, "a tuple is not a JSON value"),
        ("\ud800", "text holds a lone surrogate U+D800"),
        (["ok", "x\udfff"], "text holds a lone surrogate U+DFFF"),
    ],
)
def test_what_the_encoder_refuses(value: object, message: str) -> None:
    with raises_exactly(InputError, message):
        canonical_bytes(value)


def test_a_lone_surrogate_in_a_member_name_is_refused_not_a_crash() -> None:
    # Sorting by UTF-16 code units must survive the surrogate; encoding then refuses it.
    with raises_exactly(InputError, "text holds a lone surrogate U+D800"):
        canonical_bytes({"\ud800": 1, "a": 2})
    with raises_exactly(InputError, "text holds a lone surrogate U+DC00"):
        is_canonical(b'{"a":2}', {"\udc00": 1, "a": 2})


def test_safe_integers_at_the_limit() -> None:
    assert canonical_bytes([2**53 - 1, -(2**53) + 1]) == b"[9007199254740991,-9007199254740991]"


@pytest.mark.parametrize("opener", ["{", "["])
def test_depth_of_one_kind_of_bracket(opener: str) -> None:
    close = "}" if opener == "{" else "]"
    inner = '{"a":' if opener == "{" else "["
    deep = inner * (MAX_DEPTH + 1) + "1" + close * (MAX_DEPTH + 1)
    with raises_exactly(InputError, f"doc is nested deeper than {MAX_DEPTH} levels"):
        loads(deep, "doc")
    at = inner * MAX_DEPTH + "1" + close * MAX_DEPTH
    assert loads(at, "doc") is not None


def test_depth_of_objects_inside_one_array() -> None:
    deep = "[" + '{"a":' * MAX_DEPTH + "1" + "}" * MAX_DEPTH + "]"
    with raises_exactly(InputError, f"doc is nested deeper than {MAX_DEPTH} levels"):
        loads(deep, "doc")


def test_a_raw_surrogate_in_text_is_refused() -> None:
    with raises_exactly(InputError, "doc is not acceptable JSON: it holds a lone surrogate"):
        loads('["\ud800"]', "doc")
    with raises_exactly(InputError, "doc is not acceptable JSON: it holds a lone surrogate"):
        loads('{"\udfff": 1}', "doc")
    with raises_exactly(InputError, "doc is not acceptable JSON: it holds a lone surrogate"):
        loads(b'["\\ud800"]', "doc")
    assert loads('["\U0001f600"]', "doc") == ["\U0001f600"]
    assert loads(b'["\\ud83d\\ude00"]', "doc") == ["\U0001f600"]


def test_the_ledger_records_the_position_that_registered_an_actor() -> None:
    ledger = Ledger("00" * 32)
    body = {"name": "A", "role": "researcher", "public_key": _pub("a")}
    ledger.apply(payload("actor.registered", "a", "org", body), "11" * 32, 17)
    fact = ledger.actor("a")
    assert fact is not None
    assert (fact.role, fact.admin, fact.position) == ("researcher", False, 17)
