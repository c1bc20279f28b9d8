"""Property tests: every hostile parser returns a value or raises its documented error.

For each parser (bundle, envelope, import line, signed note, tlog-proof):
arbitrary bytes, and near-valid mutations of a genuine input. Anything else
escaping (KeyError, RecursionError, OverflowError, UnicodeError,
AssertionError...) fails the test with the input hypothesis shrank it to.
The contract and the mutations live in ``hostile.py``, which the atheris
harness ``bench/fuzz.py`` shares.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .hostile import HOSTILE_TOKENS, SEEDS, TARGETS, check, json_mutate, mutate

PROPERTY = settings(
    max_examples=150,
    deadline=None,  # tests never assert timings
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

NAMES = sorted(TARGETS)


@pytest.mark.parametrize("name", NAMES)
def test_each_seed_is_accepted(name: str) -> None:
    """The seeds are genuine: each parser accepts its own without error."""
    TARGETS[name].run(SEEDS[name]())


@pytest.mark.parametrize("name", NAMES)
@PROPERTY
@given(data=st.binary(max_size=4096))
def test_arbitrary_bytes(name: str, data: bytes) -> None:
    check(TARGETS[name], data)


@st.composite
def _hostile_soup(draw: st.DrawFn) -> bytes:
    """Bytes made of the tokens that break parsers, glued with JSON punctuation."""
    parts = draw(st.lists(st.sampled_from(HOSTILE_TOKENS), max_size=30))
    return b"".join(parts)


@pytest.mark.parametrize("name", NAMES)
@PROPERTY
@given(data=_hostile_soup())
def test_hostile_tokens(name: str, data: bytes) -> None:
    check(TARGETS[name], data)


@pytest.mark.parametrize("name", NAMES)
@PROPERTY
@given(data=st.data(), rounds=st.integers(min_value=1, max_value=4))
def test_near_valid_mutations(name: str, data: st.DataObject, rounds: int) -> None:
    """A genuine input with a few edits: decoys, overflows, cuts, duplicated spans."""
    seed = SEEDS[name]()
    mutated = mutate(
        seed, lambda n: data.draw(st.integers(min_value=0, max_value=max(n - 1, 0))), rounds
    )
    check(TARGETS[name], mutated)


JSON_NAMES = sorted(name for name, target in TARGETS.items() if target.json)


@pytest.mark.parametrize("name", JSON_NAMES)
@PROPERTY
@given(data=st.data(), rounds=st.integers(min_value=1, max_value=3))
def test_structural_mutations(name: str, data: st.DataObject, rounds: int) -> None:
    """Members dropped, duplicated with a decoy first, replaced by hostile values.

    On the old parsers this found the decoy payload accepted (envelope, import
    line), the tampered statements array accepted, and the AssertionError of
    a bundle missing a statement.
    """
    seed = SEEDS[name]()
    mutated = json_mutate(
        seed, lambda n: data.draw(st.integers(min_value=0, max_value=max(n - 1, 0))), rounds
    )
    check(TARGETS[name], mutated)
