"""Names for byte and string roles, so one cannot be passed where another is meant."""

from __future__ import annotations

from typing import NewType

# The forms live with the other pure rules; Python code matches them only with
# these functions (fullmatch), never re.match, so "item\n" is no id.
from provenance.rules.identifiers import (
    STATEMENT_ID_PATTERN,
    SUBJECT_ID_PATTERN,
    is_statement_id,
    is_subject_id,
)

StatementId = NewType("StatementId", str)
"""Lower-case hex SHA-256 of a statement's payload bytes (64 characters)."""

KeyId = NewType("KeyId", str)
"""Lower-case hex SHA-256 of a raw 32-byte Ed25519 public key (64 characters)."""

SubjectId = NewType("SubjectId", str)
"""Name of a subject (actor, evidence item, finding, challenge), chosen by its creator."""

__all__ = [
    "STATEMENT_ID_PATTERN",
    "SUBJECT_ID_PATTERN",
    "KeyId",
    "StatementId",
    "SubjectId",
    "is_statement_id",
    "is_subject_id",
]
