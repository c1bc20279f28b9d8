"""Frozen pydantic models of statements and their bodies; pure, no I/O."""

from provenance.model.kinds import KINDS, KindSpec, SubjectType
from provenance.model.statement import Payload, Statement, build_payload, parse_payload

__all__ = [
    "KINDS",
    "KindSpec",
    "Payload",
    "Statement",
    "SubjectType",
    "build_payload",
    "parse_payload",
]
