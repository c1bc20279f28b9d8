"""Trust anchors an auditor holds outside the store: pins and the trust file.

Everything ``prov verify`` trusts would otherwise come from the store it
checks: the root key id, the log's verifier key (whose name is the log's
origin), the witness policy. Someone who can write the store can replace all
of them. A :class:`Pins` holds the ones an auditor kept elsewhere; each one
given is compared with the store, and one that disagrees is a failure that
names it.

The trust file (``prov-trust/v1``, docs/spec/trust.md) holds a set of pins in
strict JSON. This module is pure: it parses and formats, and never reads a
store.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from provenance.errors import InputError, ProvenanceError
from provenance.log.checkpoint import open_checkpoint
from provenance.log.note import (
    COSIGNATURE_V1,
    ED25519,
    Verifier,
    parse_note,
    parse_verifier_key,
)
from provenance.rules.strict_json import loads

TRUST_FORMAT = "prov-trust/v1"
"""The value of the trust file's ``format`` member."""

MAX_TRUST_FILE = 1 << 20
"""A trust file larger than this (bytes) is refused before it is parsed."""

MAX_WITNESSES = 64
"""More witness keys than this in one trust file or command line are refused."""

_ROOT_KEY_ID = re.compile(r"[0-9a-f]{64}")
_MEMBERS = ("format", "root_key_id", "log_vkey", "witnesses", "quorum", "checkpoint")


@dataclass(frozen=True)
class Pins:
    """What an auditor trusts from outside the store; every field is optional.

    Attributes:
        root_key_id: the organisation's root key id (hex SHA-256 of the key).
        log: the log's verifier key; its name is the log's origin.
        witnesses: witness cosigner keys (type 0x04), distinct.
        quorum: how many of ``witnesses`` must have cosigned a checkpoint.
        checkpoint: a signed checkpoint note the auditor saw, verbatim.
    """

    root_key_id: str | None = None
    log: Verifier | None = None
    witnesses: tuple[Verifier, ...] = ()
    quorum: int | None = None
    checkpoint: str | None = None

    @property
    def empty(self) -> bool:
        """True when nothing is pinned."""
        return (
            self.root_key_id is None
            and self.log is None
            and not self.witnesses
            and self.checkpoint is None
        )

    def names(self) -> list[str]:
        """The pins given, by name, for messages."""
        given = [
            ("root key id", self.root_key_id is not None),
            ("log key", self.log is not None),
            ("witnesses", bool(self.witnesses)),
            ("checkpoint", self.checkpoint is not None),
        ]
        return [name for name, present in given if present]


def parse_root_key_id(text: str, what: str = "root key id") -> str:
    """A root key id: 64 lowercase hex digits.

    Raises:
        InputError: naming ``what`` if it is not one.
    """
    if not isinstance(text, str) or not _ROOT_KEY_ID.fullmatch(text):
        raise InputError(f"{what} {text!r} is not a key id (64 lowercase hex digits)")
    return text


def parse_log_vkey(text: str, what: str = "log key") -> Verifier:
    """A log verifier key: a signed-note vkey of type 0x01 (Ed25519).

    Raises:
        InputError: naming ``what`` if it is malformed or of another type.
    """
    return _typed_vkey(text, what, ED25519, "an Ed25519 (0x01) log verifier key")


def parse_witness_vkey(text: str, what: str = "witness key") -> Verifier:
    """A witness verifier key: a signed-note vkey of type 0x04 (tlog-cosignature v1).

    Raises:
        InputError: naming ``what`` if it is malformed or of another type.
    """
    return _typed_vkey(text, what, COSIGNATURE_V1, "a cosignature/v1 (0x04) witness key")


def _typed_vkey(text: object, what: str, key_type: int, wanted: str) -> Verifier:
    if not isinstance(text, str):
        raise InputError(f"{what} is not a string")
    try:
        verifier = parse_verifier_key(text)
    except InputError as e:
        raise InputError(f"{what}: {e}") from None
    if verifier.key_type != key_type:
        raise InputError(f"{what} {text!r} is not {wanted}")
    return verifier


def witness_set(witnesses: list[Verifier], quorum: int | None) -> tuple[tuple[Verifier, ...], int]:
    """Distinct witness keys and the quorum (default: all of them).

    The same vkey given twice counts once; one public key under two names is
    refused, since a cosignature does not commit to its name.

    Raises:
        InputError: if a quorum has no witnesses or is out of range.
    """
    unique: list[Verifier] = []
    for w in witnesses:
        if w not in unique:
            unique.append(w)
    if len(unique) > MAX_WITNESSES:
        raise InputError(f"more than {MAX_WITNESSES} witness keys")
    # Refuses one public key under two names (tlog-cosignature §Ed25519 signed message).
    distinct_cosigners_check(unique)
    if quorum is None:
        return tuple(unique), len(unique)
    if isinstance(quorum, bool) or not isinstance(quorum, int):
        raise InputError(f"quorum {quorum!r} is not an integer")
    if not unique:
        raise InputError("a quorum needs at least one witness key")
    if not 1 <= quorum <= len(unique):
        raise InputError(f"quorum {quorum} is not between 1 and {len(unique)} (the witnesses)")
    return tuple(unique), quorum


def distinct_cosigners_check(witnesses: list[Verifier]) -> None:
    """Raise InputError if one public key appears under two names."""
    seen: dict[bytes, str] = {}
    for w in witnesses:
        other = seen.setdefault(w.public_key, w.name)
        if other != w.name:
            raise InputError(f"one witness key is given under two names, {other} and {w.name}")


def check_checkpoint_text(note: str, what: str = "checkpoint") -> str:
    """A signed note's syntax (its signatures are checked against the store's log later).

    Raises:
        InputError: if it is not a signed note.
    """
    if not isinstance(note, str):
        raise InputError(f"{what} is not a string")
    try:
        parse_note(note)
    except Exception as e:  # NoteError: malformed input, not damage to a store
        raise InputError(f"{what} is not a signed note: {e}") from None
    return note


def make_pins(
    *,
    root_key_id: str | None = None,
    log_vkey: str | None = None,
    witnesses: list[str] | tuple[str, ...] = (),
    quorum: int | None = None,
    checkpoint: str | None = None,
) -> Pins:
    """Build pins from their text forms, checking each.

    Raises:
        InputError: naming the first malformed pin.
    """
    parsed = [parse_witness_vkey(w, f"witness key {i}") for i, w in enumerate(witnesses, 1)]
    if quorum is not None and not parsed:
        raise InputError("a quorum needs at least one witness key")
    chosen, k = witness_set(parsed, quorum)
    pins = Pins(
        root_key_id=None if root_key_id is None else parse_root_key_id(root_key_id),
        log=None if log_vkey is None else parse_log_vkey(log_vkey),
        witnesses=chosen,
        quorum=k if chosen else None,
        checkpoint=None if checkpoint is None else check_checkpoint_text(checkpoint),
    )
    if pins.log is not None and pins.checkpoint is not None:
        # Both are the auditor's: if they disagree, the pins are bad input, not damage.
        try:
            open_checkpoint(pins.checkpoint, pins.log, origin=pins.log.name)
        except ProvenanceError as e:
            message = f"the pinned checkpoint is not signed by the pinned log key: {e}"
            raise InputError(message) from None
    return pins


def parse_trust_file(data: bytes) -> Pins:
    """Parse a ``prov-trust/v1`` file (docs/spec/trust.md) strictly.

    Raises:
        InputError: naming what is malformed: not strict JSON, not an object,
            a wrong or missing format, an unknown member, a malformed pin, or
            no pin at all.
    """
    if len(data) > MAX_TRUST_FILE:
        raise InputError(f"trust file is larger than {MAX_TRUST_FILE} bytes")
    obj = loads(data, "trust file")
    if not isinstance(obj, dict):
        raise InputError("trust file is not a JSON object")
    unknown = sorted(set(obj) - set(_MEMBERS))
    if unknown:
        raise InputError(f"trust file has unknown member {unknown[0]!r}")
    if obj.get("format") != TRUST_FORMAT:
        raise InputError(f"trust file format is not {TRUST_FORMAT!r}")
    witnesses = obj.get("witnesses", [])
    if not isinstance(witnesses, list) or len(witnesses) > MAX_WITNESSES:
        raise InputError(f"trust file witnesses is not a list of at most {MAX_WITNESSES} keys")
    if "quorum" in obj and "witnesses" not in obj:
        raise InputError("trust file has a quorum but no witnesses")
    if "witnesses" in obj and not witnesses:
        raise InputError("trust file witnesses is empty")
    pins = make_pins(
        root_key_id=_member(obj, "root_key_id"),
        log_vkey=_member(obj, "log_vkey"),
        witnesses=witnesses,
        quorum=obj.get("quorum"),
        checkpoint=_member(obj, "checkpoint"),
    )
    if pins.empty:
        raise InputError("trust file pins nothing")
    return pins


def _member(obj: dict[str, Any], name: str) -> Any:
    value = obj.get(name)
    if value is not None and not isinstance(value, str):
        raise InputError(f"trust file {name} is not a string")
    if name in obj and value is None:
        raise InputError(f"trust file {name} is null")
    return value


def format_trust_file(pins: Pins) -> bytes:
    """The ``prov-trust/v1`` bytes of ``pins`` (docs/spec/trust.md §Writing).

    Members in the order ``format``, ``root_key_id``, ``log_vkey``,
    ``witnesses``, ``quorum``, ``checkpoint``, absent ones left out; JSON
    indented by two spaces, non-ASCII escaped, one final newline.
    """
    obj: dict[str, Any] = {"format": TRUST_FORMAT}
    if pins.root_key_id is not None:
        obj["root_key_id"] = pins.root_key_id
    if pins.log is not None:
        obj["log_vkey"] = pins.log.vkey
    if pins.witnesses:
        obj["witnesses"] = [w.vkey for w in pins.witnesses]
        obj["quorum"] = pins.quorum
    if pins.checkpoint is not None:
        obj["checkpoint"] = pins.checkpoint
    return (json.dumps(obj, indent=2, ensure_ascii=True) + "\n").encode("ascii")


__all__ = [
    "MAX_TRUST_FILE",
    "MAX_WITNESSES",
    "TRUST_FORMAT",
    "Pins",
    "format_trust_file",
    "make_pins",
    "parse_log_vkey",
    "parse_root_key_id",
    "parse_trust_file",
    "parse_witness_vkey",
    "witness_set",
]
