"""What an audit reports: located problems, notes, and the checkpoint it trusted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the stored record, located."""

    message: str
    position: int | None = None
    statement_id: str | None = None
    subject: str | None = None
    version: int | None = None
    views: bool = False
    """Whether the problem is in the views alone (``prov verify --rebuild-views`` repairs it)."""

    def describe(self) -> str:
        """One line naming where the problem is and what it is."""
        where = []
        if self.position is not None:
            where.append(f"position {self.position}")
        if self.statement_id:
            where.append(f"statement {self.statement_id[:16]}")
        if self.subject is not None:
            where.append(f"subject {self.subject}")
        if self.version is not None:
            where.append(f"version {self.version}")
        return f"{', '.join(where) or 'store'}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "position": self.position,
            "statement_id": self.statement_id,
            "subject": self.subject,
            "version": self.version,
            "message": self.message,
        }


@dataclass
class AuditReport:
    """What an audit found."""

    statements: int = 0
    subjects: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What could not be checked and why (not problems with the record)."""

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems

    @property
    def only_views(self) -> bool:
        """True when something is wrong, and all of it in the views (a rebuild repairs it)."""
        return bool(self.problems) and all(p.views for p in self.problems)


@dataclass(frozen=True)
class Trusted:
    """A checkpoint the auditor already trusts: its size and root."""

    size: int
    root: bytes
