"""Hostile text and values in statements (issue 10 §D, §E): refused on both backends and
by every authoring command, in one line with exit 2, and nothing is written."""

from __future__ import annotations

import re
from typing import Any

import pytest
import rfc8785
from click.testing import Result
from conftest import Prov, World, listing, raw_count

from provenance.envelope import sign_payload
from provenance.errors import InputError

BACKENDS = ("sqlite", "postgres")
ISSUED = "2024-09-02T10:00:00Z"


def _raw(world: World, kind: str, subject: str, body: dict[str, Any], **top: Any) -> bytes:
    """A canonical payload signed by alice, with no check on the way (as an attacker signs)."""
    payload = {
        "author": "alice",
        "body": body,
        "format": 1,
        "issued_at": ISSUED,
        "kind": kind,
        "refs": [],
        "subject": subject,
        **top,
    }
    return sign_payload(bytes(rfc8785.dumps(payload)), world.keys["alice"].private_key)


ITEM = {"item_kind": "other", "title": "T"}


@pytest.mark.parametrize(
    ("kind", "subject", "body", "top", "message"),
    [
        (
            "evidence.registered",
            "item-9",
            {**ITEM, "description": "before\x00after"},
            {},
            "body.description: contains a control character U+0000",
        ),
        (
            "evidence.marking",
            "item-1",
            {"text": "verified intact\r"},
            {},
            "body.text: contains a control character U+000D",
        ),
        (
            "evidence.registered",
            "item-9",
            {**ITEM, "title": "abc\u202edcba"},
            {},
            "body.title: contains a bidirectional formatting character U+202E",
        ),
        (
            "evidence.graded",
            "item-1",
            {"reliability": "B", "credibility": True, "rationale": "r"},
            {},
            "body.credibility: must be an integer",
        ),
        (
            "evidence.registered",
            "item-9",
            {**ITEM, "recovered_at": "2025-02-30"},
            {},
            "body.recovered_at: '2025-02-30' is not a real date",
        ),
        (
            "evidence.registered",
            "item-9",
            {**ITEM, "recovered_at": "\uff12\uff10\uff12\uff14"},
            {},
            "body.recovered_at",
        ),
        ("evidence.registered", "item-9\n", ITEM, {}, "payload.subject"),
        (
            "evidence.registered",
            "item-9",
            ITEM,
            {"issued_at": "9999-12-31T25:61:00Z"},
            "payload.issued_at",
        ),
    ],
    ids=["NUL", "CR", "RLO", "true-for-1", "30-February", "full-width", "id-newline", "25:61"],
)
def test_the_store_refuses_hostile_values(
    world: World, kind: str, subject: str, body: dict[str, Any], top: Any, message: str
) -> None:
    """Each is refused before anything is written: a NUL no longer reaches PostgreSQL."""
    world.evidence("item-1")
    raw = _raw(world, kind, subject, body, **top)
    with world.refuses(re.escape(message), InputError) as info:
        world.store.append(raw)
    assert "\r" not in str(info.value) and "\x00" not in str(info.value)


# -- authoring commands -----------------------------------------------------------------


def _refused(world: World, prov: Prov, args: list[str], *needles: str) -> str:
    """Exit 2, one 'error:' line on stderr naming the flaw, no traceback, nothing written."""
    before = (
        raw_count(world.store_dir, "stored_events"),
        raw_count(world.store_dir, "statement_index"),
        listing(world.keys_dir),
    )
    result: Result = prov(*args, "--store", str(prov.store_dir), "--key", "alice")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert "Traceback" not in result.output and result.stdout == ""
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    after = (
        raw_count(world.store_dir, "stored_events"),
        raw_count(world.store_dir, "statement_index"),
        listing(world.keys_dir),
    )
    assert after == before
    return lines[0]


ADD = ["evidence", "add", "--kind", "other"]

CLI_CASES = [
    (
        [*ADD, "--title", "Remains\rverified intact"],
        ("body.title", "control character U+000D"),
    ),
    ([*ADD, "--title", "T", "--description", "a\x00b"], ("body.description", "U+0000")),
    ([*ADD, "--title", "T\u2067"], ("body.title", "bidirectional", "U+2067")),
    ([*ADD, "--title", "Two\nlines"], ("body.title", "line feed")),
    ([*ADD, "--title", "T", "--identifier", "serial=AB\x1b[2J"], ("identifiers", "U+001B")),
    ([*ADD, "--title", "T", "--recovered-at", "2025-02-30"], ("recovered_at", "real date")),
    ([*ADD, "--title", "T", "--recovered-at", "2024-13"], ("recovered_at", "month")),
    ([*ADD, "--title", "T", "--recovered-at", "\uff12\uff10\uff12\uff14"], ("recovered_at",)),
    ([*ADD, "--title", "T", "--id", "item-9\n"], ("subject",)),
    (["evidence", "mark", "item-1", "--text", "2024\r"], ("body.text", "U+000D")),
    (
        [
            "finding",
            "assert",
            "--claim",
            "A\u202eB",
            "--evidence",
            "item-1",
            "--confidence",
            "high",
        ],
        ("body.claim", "U+202E"),
    ),
]


@pytest.mark.sqlite_only
@pytest.mark.parametrize(("args", "needles"), CLI_CASES)
def test_authoring_commands_refuse_bad_text(
    world: World, prov: Prov, args: list[str], needles: tuple[str, ...]
) -> None:
    """prov evidence add / mark / finding assert refuse in one line, exit 2, nothing written."""
    world.evidence("item-1")
    _refused(world, prov, args, *needles)


@pytest.mark.sqlite_only
def test_multiline_text_is_accepted_where_allowed(world: World, prov: Prov) -> None:
    """A description over two lines is fine (the cases above are fair)."""
    world.evidence("item-1")
    args = [*ADD, "--title", "T", "--description", "one\ntwo", "--recovered-at", "2024-02-29"]
    prov.ok(*args, "--store", str(prov.store_dir), "--key", "alice")
