"""Dates and times in statements: their forms, and that they are real.

A pattern alone accepts 2025-02-30, month 13 and 25:61. Every date or time
in a payload is therefore also read as a calendar value (proleptic Gregorian,
UTC, years 0001 to 9999, no leap second) and refused when it is not one
(docs/spec/statements.md §9). Digits are ASCII only: ``[0-9]``, never
``\\d``, which matches other scripts' digits in Python and in Rust's regex.
"""

from __future__ import annotations

import re
from datetime import datetime

DATE_OR_TIME_PATTERN = (
    r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?Z)?)?)?$"
)
"""A UTC date or time of the precision known: ``2024``, ``2024-07``,
``2024-07-15``, ``2024-07-15T09:30Z``, ``2024-07-15T09:30:00[.ffffff]Z``."""

TIMESTAMP_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z$"
"""A UTC time to the second or finer, as ``issued_at`` is written."""

_PARTS = re.compile(
    r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2})"
    r"(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]{1,6})?)?Z)?)?)?",
    re.ASCII,
)


def calendar_flaw(value: str) -> str | None:
    """What is wrong with ``value`` as a calendar date or time, or None.

    ``value`` is expected to match :data:`DATE_OR_TIME_PATTERN` (which
    :data:`TIMESTAMP_PATTERN` implies); one that does not is reported too.
    Missing parts (a month, a day, the seconds) are read as their first value.

    Returns:
        A phrase such as ``is not a real date or time (day is out of range
        for month)``, or None.
    """
    match = _PARTS.fullmatch(value)
    if match is None:
        return "is not a date or time of the form YYYY[-MM[-DD[THH:MM[:SS[.ffffff]]Z]]]"
    year, month, day, hour, minute, second = (
        int(part) if part is not None else None for part in match.groups()
    )
    assert year is not None  # the pattern requires it

    def part(value: int | None, missing: int) -> int:
        # Not "value or missing": month 00 and day 00 are written, and refused.
        return missing if value is None else value

    try:
        datetime(
            year, part(month, 1), part(day, 1), part(hour, 0), part(minute, 0), part(second, 0)
        )
    except ValueError as e:
        return f"is not a real date or time ({e})"
    return None
