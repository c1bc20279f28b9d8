"""Refused and escaped text, ids and dates: each character class at its first and last code point.

For provenance/rules/text.py, identifiers.py and dates.py: every range in a
character class is tried at both ends and just outside them, every message
word for word, and printable()'s escapes exactly.
"""

from __future__ import annotations

import re

import pytest

from provenance.rules.dates import DATE_OR_TIME_PATTERN, TIMESTAMP_PATTERN, calendar_flaw
from provenance.rules.identifiers import (
    STATEMENT_ID_PATTERN,
    SUBJECT_ID_PATTERN,
    is_statement_id,
    is_subject_id,
)
from provenance.rules.text import LINE_PATTERN, LINES_PATTERN, printable, text_flaw

CONTROLS = [0x00, 0x01, 0x09, 0x0B, 0x0D, 0x1F, 0x7F, 0x80, 0x9F]
BIDI = [0x061C, 0x200E, 0x200F, 0x202A, 0x202C, 0x202E, 0x2066, 0x2068, 0x2069]
SURROGATES = [0xD800, 0xDBFF, 0xDC00, 0xDFFF]
ALLOWED = [0x20, 0x7E, 0xA0, 0x061B, 0x061D, 0x200D, 0x2010, 0x2029, 0x202F, 0x2065, 0x206A, 0xFFFD]


@pytest.mark.parametrize("code", CONTROLS)
@pytest.mark.parametrize("multiline", [False, True])
def test_every_control_is_refused(code: int, multiline: bool) -> None:
    text = f"ab{chr(code)}c{chr(0x01)}"
    assert text_flaw(text, multiline=multiline) == f"contains a control character U+{code:04X}"


@pytest.mark.parametrize("code", BIDI)
@pytest.mark.parametrize("multiline", [False, True])
def test_every_bidi_control_is_refused(code: int, multiline: bool) -> None:
    expected = f"contains a bidirectional formatting character U+{code:04X}"
    assert text_flaw(f"x{chr(code)}", multiline=multiline) == expected


@pytest.mark.parametrize("code", SURROGATES)
@pytest.mark.parametrize("multiline", [False, True])
def test_every_lone_surrogate_is_refused(code: int, multiline: bool) -> None:
    expected = f"contains a lone surrogate U+{code:04X}"
    assert text_flaw(f"x{chr(code)}", multiline=multiline) == expected


@pytest.mark.parametrize("code", ALLOWED)
@pytest.mark.parametrize("multiline", [False, True])
def test_the_neighbours_of_each_range_pass(code: int, multiline: bool) -> None:
    assert text_flaw(f"a{chr(code)}b", multiline=multiline) is None


def test_line_feed_only_in_multiline_text() -> None:
    line_feed = "contains a line feed (U+000A); only multi-line text fields may"
    assert text_flaw("a\nb") == line_feed
    assert text_flaw("a\nb", multiline=False) == line_feed
    assert text_flaw("a\nb", multiline=True) is None
    assert text_flaw("a\nb\r", multiline=True) == "contains a control character U+000D"
    assert text_flaw("") is None
    assert text_flaw("", multiline=True) is None


def test_the_first_refused_character_is_named() -> None:
    assert text_flaw("a\u202e\x00") == "contains a bidirectional formatting character U+202E"
    assert text_flaw("a\x00\u202e") == "contains a control character U+0000"


@pytest.mark.parametrize("code", CONTROLS + BIDI)
def test_the_schema_patterns_refuse_the_same_characters(code: int) -> None:
    assert re.fullmatch(LINE_PATTERN, f"a{chr(code)}") is None
    assert re.fullmatch(LINES_PATTERN, f"a{chr(code)}") is None


def test_the_schema_patterns_on_line_feeds() -> None:
    assert re.fullmatch(LINE_PATTERN, "a b") is not None
    assert re.fullmatch(LINE_PATTERN, "a\nb") is None
    assert re.fullmatch(LINES_PATTERN, "a\nb") is not None


# --- printable ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain text, é 漢字 😀", "plain text, é 漢字 😀"),
        ("", ""),
        ("\x00", "\\x00"),
        ("a\rb", "a\\x0db"),
        ("\n", "\\x0a"),
        ("\t", "\\x09"),
        ("\x1f\x20", "\\x1f "),
        ("\x7e\x7f", "~\\x7f"),
        ("\x80", "\\x80"),
        ("\x9f\xa0", "\\x9f\xa0"),
        ("\u061b\u061c\u061d", "\u061b\\u061c\u061d"),
        ("\u200d\u200e\u200f\u2010", "\u200d\\u200e\\u200f\u2010"),
        ("\u2027\u2028\u2029\u202a\u202e\u202f", "\u2027\\u2028\\u2029\\u202a\\u202e\u202f"),
        ("\u2065\u2066\u2069\u206a", "\u2065\\u2066\\u2069\u206a"),
        ("\ud7ff\ud800\udfff\ue000", "\ud7ff\\ud800\\udfff\ue000"),
    ],
)
def test_printable_escapes_exactly_what_a_terminal_would_obey(text: str, shown: str) -> None:
    assert printable(text) == shown
    printable(text).encode("utf-8")  # never a UnicodeEncodeError


# --- identifiers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["a", "A", "0", "9", "z", "Z", "a.b_c:d-e", "a" * 128, "item-1", "0" + "-" * 127]
)
def test_subject_ids_that_pass(text: str) -> None:
    assert is_subject_id(text) is True
    assert re.fullmatch(SUBJECT_ID_PATTERN, text) is not None


@pytest.mark.parametrize(
    "text",
    ["", "a" * 129, "-a", ".a", "_a", ":a", "a\n", "a b", "a/b", "\uff11", "é", "a\u0661", "a\x00"],
)
def test_subject_ids_that_are_refused(text: str) -> None:
    assert is_subject_id(text) is False


def test_statement_ids() -> None:
    good = "0123456789abcdef" * 4
    assert is_statement_id(good) is True
    assert re.fullmatch(STATEMENT_ID_PATTERN, good) is not None
    for bad in (
        "",
        good[:-1],
        good + "0",
        good + "\n",
        good.upper(),
        "g" + good[1:],
        "\uff10" + good[1:],
    ):
        assert is_statement_id(bad) is False, bad


# --- dates ----------------------------------------------------------------------------------

FORM = "is not a date or time of the form YYYY[-MM[-DD[THH:MM[:SS[.ffffff]]Z]]]"


@pytest.mark.parametrize(
    ("value", "flaw"),
    [
        ("2024", None),
        ("2024-02", None),
        ("2024-02-29", None),
        ("2024-07-15T09:30Z", None),
        ("2024-07-15T09:30:59Z", None),
        ("2024-07-15T09:30:59.123456Z", None),
        ("0001-01-01T00:00:00Z", None),
        ("9999-12-31T23:59:59.999999Z", None),
        ("2023-02-29", "is not a real date or time (day is out of range for month)"),
        ("1900-02-29", "is not a real date or time (day is out of range for month)"),
        ("2024-00", "is not a real date or time (month must be in 1..12)"),
        ("2024-01-00", "is not a real date or time (day is out of range for month)"),
        ("2024-13-01", "is not a real date or time (month must be in 1..12)"),
        ("2024-06-31", "is not a real date or time (day is out of range for month)"),
        ("0000-01-01", "is not a real date or time (year 0 is out of range)"),
        ("2024-01-01T24:00Z", "is not a real date or time (hour must be in 0..23)"),
        ("2024-01-01T00:60Z", "is not a real date or time (minute must be in 0..59)"),
        ("2024-01-01T00:00:60Z", "is not a real date or time (second must be in 0..59)"),
        ("2024-01-01T00:00:00.1234567Z", FORM),
        ("2024-01-01T00:00:00", FORM),
        ("2024-01-01T00Z", FORM),
        ("2024-01-01 00:00Z", FORM),
        ("2024-1-01", FORM),
        ("20240", FORM),
        ("2024\n", FORM),
        ("\uff12\uff10\uff12\uff14", FORM),
        ("٢٠٢٤", FORM),
        ("", FORM),
    ],
)
def test_calendar_flaws(value: str, flaw: str | None) -> None:
    assert calendar_flaw(value) == flaw


def test_the_date_patterns() -> None:
    assert re.fullmatch(DATE_OR_TIME_PATTERN, "2024-07-15T09:30Z") is not None
    assert re.fullmatch(DATE_OR_TIME_PATTERN, "2024-07-15T09:30") is None
    assert re.fullmatch(TIMESTAMP_PATTERN, "2024-07-15T09:30:00Z") is not None
    assert re.fullmatch(TIMESTAMP_PATTERN, "2024-07-15T09:30Z") is None
