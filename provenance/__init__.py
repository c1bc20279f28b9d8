"""An event-sourced provenance store with signed statements and a verifiable audit trail.

The public API. Everything else is an implementation detail that may change.
The public surface is this module plus these documented modules (see
``docs/api.md``):

- :mod:`provenance.log`: the transparency-log primitives (Merkle proofs,
  signed notes, checkpoints); pure, no I/O.
- :mod:`provenance.trust`: trust files and the pins they hold.
- :mod:`provenance.transfer`: a store exported as statement lines, and imported.
- the modules of :mod:`provenance.bundle` (``export``, ``reader``,
  ``offline_verify``, ``standalone``): dispute bundles. The package itself
  imports nothing, so that the offline verifier runs as a module.
- :mod:`provenance.demo`: the worked example case behind ``prov demo``.

The command line (``provenance_cli``) uses the library through these only;
``.importlinter`` holds the contract.
"""

from provenance.audit import AuditReport, Problem, Trusted, audit
from provenance.authoring import default_origin, init_store, sign_statement
from provenance.blobs import BlobInfo, BlobStore, check_media_type, guess_media_type
from provenance.envelope import (
    MAX_ENVELOPE_BYTES,
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
    NoteError,
    ProvenanceError,
    SignatureError,
    StatementRejected,
    StoreError,
    VerificationError,
)
from provenance.ids import is_subject_id
from provenance.keys import KeyRing, SigningKey, default_keys_dir, is_encrypted
from provenance.log.note import MAX_NOTE_SIZE, decode_base64, is_valid_key_name
from provenance.model import KINDS, KindSpec, Statement, build_payload, parse_payload
from provenance.model.fields import (
    ActorRole,
    ChallengeKind,
    Confidence,
    CustodyAction,
    ItemKind,
    Likelihood,
    Reliability,
    TraceStatus,
)
from provenance.model.kinds import EvidenceAttached
from provenance.projections import fold
from provenance.projections.custody import custody_chain
from provenance.projections.dispute import dispute as dispute_view
from provenance.projections.history import entries as history_entries
from provenance.records import Recorded
from provenance.rules.strict_json import loads as strict_json_loads
from provenance.rules.text import printable
from provenance.store import Receipt, Store
from provenance.store.attached import attachments
from provenance.store.checkpoints import (
    StoredCheckpoint,
    add_cosignature,
    find_checkpoint,
    log_identity,
    log_vkey,
    rotate_log_key,
    set_witness_policy,
    sign_checkpoint,
    verified_cosignatures,
    witness_policy,
)
from provenance.store.checkpoints import checkpoints as stored_checkpoints
from provenance.store.copy import copy_store
from provenance.store.location import SCHEMES as STORE_SCHEMES
from provenance.store.location import Location, parse_location
from provenance.witness_state import Seen as WitnessSeen
from provenance.witness_state import locked_state as locked_witness_state

__all__ = [
    "KINDS",
    "MAX_ENVELOPE_BYTES",
    "MAX_NOTE_SIZE",
    "PAYLOAD_TYPE",
    "STORE_SCHEMES",
    "ActorRole",
    "AuditReport",
    "BlobInfo",
    "BlobStore",
    "ChallengeKind",
    "Confidence",
    "CustodyAction",
    "Envelope",
    "EvidenceAttached",
    "InputError",
    "ItemKind",
    "KeyFileError",
    "KeyRing",
    "KindSpec",
    "Likelihood",
    "Location",
    "NoteError",
    "Problem",
    "ProvenanceError",
    "Receipt",
    "Recorded",
    "Reliability",
    "SignatureError",
    "SigningKey",
    "Statement",
    "StatementRejected",
    "Store",
    "StoreError",
    "StoredCheckpoint",
    "TraceStatus",
    "Trusted",
    "VerificationError",
    "WitnessSeen",
    "add_cosignature",
    "attachments",
    "audit",
    "build_payload",
    "check_media_type",
    "copy_store",
    "custody_chain",
    "decode_base64",
    "default_keys_dir",
    "default_origin",
    "dispute_view",
    "find_checkpoint",
    "fold",
    "guess_media_type",
    "history_entries",
    "init_store",
    "is_encrypted",
    "is_subject_id",
    "is_valid_key_name",
    "key_id",
    "locked_witness_state",
    "log_identity",
    "log_vkey",
    "pae",
    "parse_envelope",
    "parse_location",
    "parse_payload",
    "printable",
    "rotate_log_key",
    "set_witness_policy",
    "sign_checkpoint",
    "sign_payload",
    "sign_statement",
    "statement_id",
    "stored_checkpoints",
    "strict_json_loads",
    "verified_cosignatures",
    "verify_envelope",
    "witness_policy",
]
