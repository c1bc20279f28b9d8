"""Names for byte and string roles, so one cannot be passed where another is meant."""

from __future__ import annotations

import re
from typing import NewType

StatementId = NewType("StatementId", str)
"""Lower-case hex SHA-256 of a statement's payload bytes (64 characters)."""

KeyId = NewType("KeyId", str)
"""Lower-case hex SHA-256 of a raw 32-byte Ed25519 public key (64 characters)."""

SubjectId = NewType("SubjectId", str)
"""Name of a subject (actor, evidence item, finding, challenge), chosen by its creator."""

SUBJECT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
STATEMENT_ID_PATTERN = r"^[0-9a-f]{64}$"

_SUBJECT_RE = re.compile(SUBJECT_ID_PATTERN)
_STATEMENT_RE = re.compile(STATEMENT_ID_PATTERN)


def is_subject_id(text: str) -> bool:
    """Tell whether ``text`` is a well-formed subject id."""
    return _SUBJECT_RE.fullmatch(text) is not None


def is_statement_id(text: str) -> bool:
    """Tell whether ``text`` is a well-formed (full-length) statement id."""
    return _STATEMENT_RE.fullmatch(text) is not None
