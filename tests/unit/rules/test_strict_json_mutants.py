"""Tests that kill mutmut's survivors in provenance.rules.strict_json (issue 10 §H).

The depth bound counts closing brackets too: a document that goes down,
comes back up one level and goes down again is as deep as its deepest point,
no shallower (``depth = 1`` on a close) and no deeper.
"""

from __future__ import annotations

import pytest

from provenance.errors import InputError
from provenance.rules.strict_json import MAX_DEPTH, loads
from tests.unit.exact import raises_exactly


def _down_up_down(first: int, second: int) -> str:
    """``first`` levels of arrays, one closed, then ``second`` more opened inside."""
    return "[" * first + "]," + "[" * second + "]" * (second + first - 1)


def test_depth_after_a_close_is_one_less_not_reset() -> None:
    # Down to MAX_DEPTH, up one, down two: MAX_DEPTH + 1 at the deepest.
    text = _down_up_down(MAX_DEPTH, 2)
    with raises_exactly(InputError, f"doc is nested deeper than {MAX_DEPTH} levels"):
        loads(text, "doc")


def test_depth_after_a_close_is_not_two_less() -> None:
    # Down to MAX_DEPTH, up one, down one: MAX_DEPTH again, which is allowed.
    assert loads(_down_up_down(MAX_DEPTH, 1), "doc") is not None
    # Down to MAX_DEPTH - 1, up one, down three: MAX_DEPTH + 1.
    with raises_exactly(InputError, f"doc is nested deeper than {MAX_DEPTH} levels"):
        loads(_down_up_down(MAX_DEPTH - 1, 3), "doc")


@pytest.mark.parametrize("siblings", [2, MAX_DEPTH + 5])
def test_siblings_do_not_add_depth(siblings: int) -> None:
    text = "[" * (MAX_DEPTH - 1) + ",".join(["{}"] * siblings) + "]" * (MAX_DEPTH - 1)
    assert loads(text, "doc") is not None


def test_brackets_inside_strings_do_not_count() -> None:
    text = '["' + "[" * (MAX_DEPTH + 5) + '"]'
    assert loads(text, "doc") == ["[" * (MAX_DEPTH + 5)]


@pytest.mark.parametrize(
    ("text", "shown"),
    [("1234567890123456789012345", "12345678901234567890"), ("9007199254740992", None)],
)
def test_a_long_integer_is_named_by_its_first_20_characters(text: str, shown: str | None) -> None:
    shown = text if shown is None else shown
    message = f"doc is not acceptable JSON: integer {shown} is outside ±(2^53 - 1)"
    with raises_exactly(InputError, message):
        loads(text, "doc")


def test_a_long_out_of_range_number_is_named_by_its_first_20_characters() -> None:
    text = "1" * 30 + "e400"
    with raises_exactly(
        InputError, f"doc is not acceptable JSON: number {'1' * 20} is out of range"
    ):
        loads(text, "doc")
