"""The whole exception tree of the library, in one place.

Every error the library raises on purpose derives from :class:`ProvenanceError`.
The CLI maps the branches below to exit codes: :class:`VerificationError` to 1,
everything else to 2 (bad input or usage).
"""

from __future__ import annotations


class ProvenanceError(Exception):
    """Root of every error this library raises on purpose."""


class InputError(ProvenanceError):
    """The caller gave something malformed: bad JSON, bad base64, a bad field."""


class StatementRejected(InputError):
    """A well-formed statement that the store refuses to record.

    Raised before anything is written: unknown key, wrong author, missing ref,
    a kind that does not fit its subject, and so on.
    """


class KeyFileError(InputError):
    """A key file is missing, unreadable, or its passphrase is wrong."""


class StoreError(ProvenanceError):
    """The store does not exist, is of another format, or cannot be opened."""


class VerificationError(ProvenanceError):
    """A signature, digest, proof or stored record failed verification."""


class SignatureError(VerificationError):
    """An Ed25519 signature does not verify against the expected key."""


class ProofError(VerificationError):
    """A Merkle inclusion or consistency proof does not verify."""


class RootMismatchError(ProofError):
    """A recomputed root differs from the expected one.

    Attributes:
        expected: the root that was expected.
        found: the root that was computed.
    """

    def __init__(self, message: str, *, expected: bytes, found: bytes) -> None:
        super().__init__(f"{message}: expected {expected.hex()}, found {found.hex()}")
        self.expected = expected
        self.found = found


class NoteError(VerificationError):
    """A signed note or checkpoint is malformed or carries no valid signature."""


class PayloadError(InputError):
    """A statement payload that no verifier accepts (docs/spec/statements.md §9).

    Raised by :func:`provenance.rules.payload.check_payload`; the one-line
    message names the field path and the flaw, e.g. ``evidence.marking:
    body.text: contains a control character U+000D``.
    """
