"""The forms of subject, statement and key ids (docs/spec/statements.md §3).

The patterns are written for JSON Schema (ECMA-262) and pydantic (Rust's
regex), where ``$`` matches only at the very end. Python's ``re`` lets
``$`` match before a final newline, so Python code never uses them with
``re.match`` or ``re.search``: it calls :func:`is_subject_id` and
:func:`is_statement_id`, which match the whole string, ASCII only.
"""

from __future__ import annotations

import re

SUBJECT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
"""A subject id (an actor id is the subject id of an actor)."""

STATEMENT_ID_PATTERN = r"^[0-9a-f]{64}$"
"""A statement id or a key id: lower-case hex SHA-256."""

_SUBJECT_RE = re.compile(SUBJECT_ID_PATTERN, re.ASCII)
_STATEMENT_RE = re.compile(STATEMENT_ID_PATTERN, re.ASCII)


def is_subject_id(text: str) -> bool:
    """Tell whether all of ``text`` is a well-formed subject id (no trailing newline)."""
    return _SUBJECT_RE.fullmatch(text) is not None


def is_statement_id(text: str) -> bool:
    """Tell whether all of ``text`` is a well-formed, full-length statement id."""
    return _STATEMENT_RE.fullmatch(text) is not None
