"""An event-sourced provenance store with signed statements and a verifiable audit trail.

The public API. Everything else is an implementation detail that may change.
"""

from provenance.audit import AuditReport, Problem, audit
from provenance.authoring import init_store, sign_statement
from provenance.envelope import (
    PAYLOAD_TYPE,
    Envelope,
    key_id,
    pae,
    parse_envelope,
    sign_payload,
    statement_id,
    verify_envelope,
)
from provenance.errors import (
    InputError,
    KeyFileError,
    ProvenanceError,
    SignatureError,
    StatementRejected,
    StoreError,
    VerificationError,
)
from provenance.keys import KeyRing, SigningKey
from provenance.model import KINDS, Statement, build_payload, parse_payload
from provenance.records import Recorded
from provenance.store import Receipt, Store

__all__ = [
    "KINDS",
    "PAYLOAD_TYPE",
    "AuditReport",
    "Envelope",
    "InputError",
    "KeyFileError",
    "KeyRing",
    "Problem",
    "ProvenanceError",
    "Receipt",
    "Recorded",
    "SignatureError",
    "SigningKey",
    "Statement",
    "StatementRejected",
    "Store",
    "StoreError",
    "VerificationError",
    "audit",
    "build_payload",
    "init_store",
    "key_id",
    "pae",
    "parse_envelope",
    "parse_payload",
    "sign_payload",
    "sign_statement",
    "statement_id",
    "verify_envelope",
]
