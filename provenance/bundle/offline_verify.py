"""Check a provenance bundle offline, with nothing but the log's public key.

This module is the offline verifier of ``docs/spec/bundle.md``. It is built
from the pure modules the store and ``prov verify`` use themselves, so it
cannot drift from them: :mod:`provenance.rules` (strict JSON, the payload
shape, the acceptance rules and the in-memory :class:`~provenance.rules.ledger.Ledger`)
and :mod:`provenance.log` (signed notes, checkpoints, Merkle proofs). All of
them import only the standard library and ``cryptography``.

Inside the project it is ``prov bundle verify`` and ``python -m
provenance.bundle.offline_verify``; ``prov bundle verifier --out FILE`` writes
it with those modules as one zipapp that runs with ``python FILE BUNDLE
--vkey VKEY [--witness VKEY ... --quorum K]`` wherever ``cryptography`` is
installed. Section numbers (``§``) are those of ``docs/spec/bundle.md``.
Exit codes: 0 verified, 1 a check failed (each failure is printed), 2 the
input is not a bundle or a key is malformed.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import functools
import hashlib
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from provenance.errors import InputError, ProvenanceError
from provenance.log.checkpoint import TLOG_PROOF_HEADER, Checkpoint, parse_tlog_proof
from provenance.log.merkle import leaf_hash
from provenance.log.note import (
    COSIGNATURE_V1,
    ED25519,
    Verifier,
    open_note,
    parse_note,
    parse_verifier_key,
)
from provenance.log.proof import verify_consistency, verify_inclusion
from provenance.rules import acceptance, strict_json
from provenance.rules.ledger import Ledger
from provenance.rules.payload import check_payload
from provenance.rules.text import printable

FORMAT = "prov-bundle/v1"
PAYLOAD_TYPE = "application/vnd.prov.statement.v1+json"
PROOF_HEADER = TLOG_PROOF_HEADER
KEY_LINE = "prov-log-key "
TOP_MEMBERS = {"bundle", "subject", "as_of", "log", "checkpoint", "key_transitions"}
TOP_MEMBERS |= {"statements", "attachments"}
STATEMENT_MEMBERS = {"position", "subject", "version", "received_at", "entry", "proof"}
ENVELOPE_MEMBERS = {"payload", "payloadType", "signatures"}
MAX_BUNDLE_BYTES = 1 << 30
"""A bundle over 1 GiB is refused before it is parsed."""


class BundleError(Exception):
    """The input is not a bundle, or a verifier key is malformed (exit 2)."""


class _Malformed(ValueError):
    """One statement entry or key transition of a bundle is malformed (a failure)."""


# -- encodings -------------------------------------------------------------------------


def b64(text: object, what: str) -> bytes:
    """Standard padded base64, nothing else (statements.md §4.1)."""
    if not isinstance(text, str):
        raise _Malformed(f"{what} is not a string")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _Malformed(f"{what} is not base64") from None
    if base64.b64encode(raw).decode() != text:
        raise _Malformed(f"{what} is not canonical base64")
    return raw


@functools.lru_cache(maxsize=1024)
def _public_key(public: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(public)  # a bundle has few keys: load each once


def ed25519_ok(public: bytes, signature: bytes, message: bytes) -> bool:
    """Whether ``signature`` is a valid Ed25519 signature of ``message`` by ``public``."""
    try:
        _public_key(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def pae(payload: bytes) -> bytes:
    """DSSE pre-authentication encoding of a statement payload (statements.md §4.1)."""
    return f"DSSEv1 {len(PAYLOAD_TYPE)} {PAYLOAD_TYPE} {len(payload)} ".encode() + payload


# -- the report ---------------------------------------------------------------------------


@dataclass
class Report:
    """What a verification found; ``failures`` empty means the bundle verified."""

    subject: str = ""
    origin: str = ""
    size: int = 0
    position: int = -1
    statements: int = 0
    attachments: int = 0
    attachment_files: int = 0
    cosigners: list[str] = field(default_factory=list)
    log_key: str = ""
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return not self.failures


# -- the file (§2) ------------------------------------------------------------------------


def _load(data: bytes) -> dict[str, Any]:
    """§2: the bundle is one strict JSON object with exactly the listed members."""
    if len(data) > MAX_BUNDLE_BYTES:
        raise BundleError(f"not a bundle: it is over {MAX_BUNDLE_BYTES} bytes")
    try:
        bundle = strict_json.loads(data, "bundle")
    except InputError as e:
        raise BundleError(f"not a bundle: not UTF-8 JSON ({e})") from None
    if not isinstance(bundle, dict) or bundle.get("bundle") != FORMAT:
        raise BundleError(f'not a bundle: no member "bundle": "{FORMAT}"')
    if set(bundle) != TOP_MEMBERS:
        raise BundleError(f"not a bundle: members must be {sorted(TOP_MEMBERS)}")
    shapes = {
        "subject": str,
        "as_of": dict,
        "log": dict,
        "checkpoint": str,
        "key_transitions": list,
        "statements": list,
        "attachments": list,
    }
    for name, kind in shapes.items():
        if not isinstance(bundle[name], kind):
            raise BundleError(f"not a bundle: {name} must be a JSON {kind.__name__}")
    as_of = bundle["as_of"]
    position = as_of.get("position")
    if (
        not isinstance(position, int)
        or isinstance(position, bool)
        or not isinstance(as_of.get("received_at"), str)
    ):
        raise BundleError("not a bundle: as_of must hold an integer position and a received_at")
    if not isinstance(bundle["log"].get("root_key_id"), str):
        raise BundleError("not a bundle: log.root_key_id must be a string")
    return bundle


def _verifier(text: str, what: str) -> Verifier:
    try:
        return parse_verifier_key(text.strip())
    except InputError as e:
        raise BundleError(f"{text!r} is not a verifier key NAME+KEYID+KEY ({what}: {e})") from None


# -- checkpoint, key transitions, quorum (§5.1-5.3) -------------------------------------


def _signed_by(note: str, key: Verifier) -> bool:
    """Whether ``note`` carries a valid signature by ``key`` (and no bad one by it)."""
    try:
        opened = open_note(note, [key])
    except ProvenanceError:
        return False
    return any((s.name, s.key_id) == (key.name, key.key_id) for s in opened.signatures)


def _checkpoint(note: str) -> Checkpoint:
    text, _ = parse_note(note)
    return Checkpoint.parse(text)


def _transitions(bundle: dict[str, Any]) -> list[tuple[str, Checkpoint, Verifier, list[bytes]]]:
    steps = []
    for n, step in enumerate(bundle["key_transitions"]):
        try:
            if not isinstance(step, dict) or set(step) != {"checkpoint", "consistency"}:
                raise _Malformed("members must be ['checkpoint', 'consistency']")
            note, hashes = step["checkpoint"], step["consistency"]
            if not isinstance(note, str) or not isinstance(hashes, list):
                raise _Malformed("checkpoint must be a string and consistency a list")
            cp = _checkpoint(note)
            named = [e.removeprefix(KEY_LINE) for e in cp.extensions if e.startswith(KEY_LINE)]
            if len(named) != 1:
                raise _Malformed("it names no new log key")
            new = parse_verifier_key(named[0])
            path = [b64(h, "consistency hash") for h in hashes]
        except (_Malformed, ProvenanceError) as e:
            raise _Malformed(f"key transition {n} is malformed: {e}") from None
        steps.append((note, cp, new, path))
    return steps


def _trusted_key(
    bundle: dict[str, Any], vkey: Verifier, report: Report, size: int, root: bytes
) -> Verifier:
    """§5.2: follow the log-key transitions onwards from the key the verifier trusts."""
    try:
        steps = _transitions(bundle)
    except _Malformed as e:
        report.failures.append(str(e))
        return vkey
    # A verifier that already holds a later key starts after the step that handed over to it.
    start = max((n + 1 for n, s in enumerate(steps) if s[2] == vkey), default=0)
    current = vkey
    for n, (note, cp, new, path) in enumerate(steps[start:], start):
        what = f"key transition {n} (size {cp.size})"
        if not _signed_by(note, current):
            report.failures.append(f"{what} is not signed by the trusted key {current.vkey}")
            return current
        if not _signed_by(note, new):
            report.failures.append(f"{what} is not signed by the new key it names")
            return current
        try:
            if cp.origin != current.name:
                raise _Malformed("origin")
            verify_consistency(cp.size, size, path, cp.root_hash, root)  # RFC 9162 §2.1.4.2
        except (_Malformed, ProvenanceError):
            report.failures.append(f"{what} is not consistent with the checkpoint")
            return current
        current = new
    return current


def _check_checkpoint(
    bundle: dict[str, Any], vkey: Verifier, witnesses: list[Verifier], quorum: int, report: Report
) -> tuple[int, bytes] | None:
    """§5.1-5.3: the checkpoint, its log signature and its cosignature quorum."""
    note = bundle["checkpoint"]
    try:
        cp = _checkpoint(note)
    except ProvenanceError as e:
        report.failures.append(f"checkpoint is malformed: {e}")
        return None
    report.origin, report.size = cp.origin, cp.size
    if cp.origin != vkey.name:
        report.failures.append(f"checkpoint is for log {cp.origin!r}, not {vkey.name!r}")
        return None
    if bundle["log"].get("origin") != cp.origin:
        report.failures.append(f"the bundle's log.origin is not the checkpoint's {cp.origin!r}")
    if bundle["as_of"]["position"] >= cp.size:
        report.failures.append(
            f"as_of position {bundle['as_of']['position']} is not below the checkpoint's "
            f"size {cp.size}"
        )
    key = _trusted_key(bundle, vkey, report, cp.size, cp.root_hash)
    report.log_key = key.vkey
    if not _signed_by(note, key):
        report.failures.append(f"checkpoint is not signed by the log key {key.vkey}")
        return None
    try:
        # signed-note: every line by a known key must verify, a bad one fails the note.
        opened = open_note(note, [key, *witnesses])
    except ProvenanceError as e:
        report.failures.append(f"checkpoint does not verify: {e}")
        return None
    signers = {(s.name, s.key_id) for s in opened.signatures}
    # C2SP tlog-cosignature: a quorum counts distinct witness keys, each once
    # (_keys has refused one public key under two names).
    report.cosigners = [w.name for w in witnesses if (w.name, w.key_id) in signers]
    if len(report.cosigners) < quorum:
        report.failures.append(
            f"checkpoint has {len(report.cosigners)} of the {quorum} required witness cosignatures"
        )
    return cp.size, cp.root_hash


# -- statements (§5.4-5.7) -----------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    position: int
    payload: dict[str, Any]
    statement_id: str
    leaf: bytes
    signed: bytes
    keyid: str
    signature: bytes
    path: tuple[bytes, ...]


def _parse_envelope(entry: object) -> tuple[bytes, str, bytes]:
    """§5.4 step 2: payload bytes, key id and signature of a statement envelope."""
    if not isinstance(entry, str):
        raise _Malformed("entry is not a string")
    envelope = strict_json.loads(entry, "entry")
    if not isinstance(envelope, dict) or set(envelope) != ENVELOPE_MEMBERS:
        raise _Malformed("entry is not a DSSE envelope")
    sigs = envelope["signatures"]
    if envelope["payloadType"] != PAYLOAD_TYPE or not isinstance(sigs, list) or len(sigs) != 1:
        raise _Malformed("entry is not a format-1 statement envelope")
    (sig,) = sigs
    if not isinstance(sig, dict) or set(sig) != {"keyid", "sig"}:
        raise _Malformed("the envelope's signature must have exactly keyid and sig")
    keyid = sig["keyid"]
    if not isinstance(keyid, str) or len(keyid) != 64 or keyid.strip("0123456789abcdef"):
        raise _Malformed("the envelope's keyid is not a lower-case hex SHA-256")
    return b64(envelope["payload"], "payload"), keyid, b64(sig["sig"], "signature")


def _parse_statement(st: object, checkpoint: str) -> _Entry:
    """§5.4: one statement entry: envelope, payload and proof, parsed but not yet trusted."""
    if not isinstance(st, dict) or set(st) != STATEMENT_MEMBERS:
        raise _Malformed(f"members must be {sorted(STATEMENT_MEMBERS)}")
    position = st["position"]
    if not isinstance(position, int) or isinstance(position, bool) or position < 0:
        raise _Malformed("position is not a non-negative integer")
    for name, kind in (("subject", str), ("received_at", str), ("proof", str)):
        if not isinstance(st[name], kind):
            raise _Malformed(f"{name} is not a string")
    if not isinstance(st["version"], int) or isinstance(st["version"], bool):
        raise _Malformed("version is not an integer")
    raw, keyid, signature = _parse_envelope(st["entry"])
    payload = check_payload(raw)
    if payload["subject"] != st["subject"]:
        raise _Malformed(f"payload's subject is {payload['subject']!r}")
    lines = st["proof"].split("\n")
    if lines[:1] != [PROOF_HEADER] or len(lines) < 2 or lines[1] != f"index {position}":
        raise _Malformed(f"proof is not a {PROOF_HEADER} for index {position}")
    if not st["proof"].endswith("\n\n"):
        raise _Malformed("proof does not end with the bundle's checkpoint")
    proof = parse_tlog_proof(st["proof"] + checkpoint)
    if proof.index != position or proof.checkpoint != checkpoint or proof.extra is not None:
        raise _Malformed(f"proof is not a {PROOF_HEADER} for index {position}")
    return _Entry(
        position,
        payload,
        hashlib.sha256(raw).hexdigest(),
        leaf_hash(st["entry"].encode()),
        pae(raw),
        keyid,
        signature,
        proof.hashes,
    )


class _Found(list[str]):
    """Failures of one statement, each prefixed with its kind and subject."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def append(self, failure: str) -> None:
        super().append(self.prefix + failure)

    def rejected(self, message: str) -> None:
        """A rule's message already names the kind and subject."""
        super().append(message)


@dataclass
class _Replay:
    """The state of §5.4-5.7 along the statements array."""

    ledger: Ledger
    versions: dict[str, int] = field(default_factory=dict)
    attached: dict[str, int] = field(default_factory=dict)
    positions: set[int] = field(default_factory=set)
    last: int = -1
    last_time: str = ""


def _check_one(
    st: dict[str, Any], e: _Entry, bundle: dict[str, Any], size: int, root: bytes, r: _Replay
) -> list[str]:
    """Each failure of one statement, each saying ``<kind> on <subject>: <what>``."""
    payload, found = e.payload, _Found(f"{e.payload['kind']} on {e.payload['subject']}: ")
    as_of = bundle["as_of"]
    if e.position <= r.last:
        found.append(f"is out of order: positions must increase (previous {r.last})")
    if e.position > as_of["position"] or e.position >= size:
        found.append("is beyond the bundle's as-of position or the checkpoint")
    try:
        verify_inclusion(e.leaf, e.position, size, e.path, root)  # RFC 9162 §2.1.3.2
    except ProvenanceError:
        found.append("inclusion proof does not lead to the checkpoint's root")
    received = st["received_at"]
    if received < r.last_time or received > as_of["received_at"]:
        found.append(f"received_at {received} is out of order")
    r.last, r.last_time = max(r.last, e.position), max(r.last_time, received)
    subject, version = payload["subject"], st["version"]
    expected = r.versions.get(subject, 0) + 1
    creating = acceptance.KIND_RULES[payload["kind"]].creates is not None
    if version != expected or (version == 1) != creating:
        found.append(f"is version {version} of {subject}, expected version {expected}")
    r.versions[subject] = max(expected, version)
    try:
        # The acceptance rules of statements.md, exactly as the store applies them.
        acceptance.check_statement(
            r.ledger,
            payload,
            statement_id=e.statement_id,
            signing_key_id=e.keyid,
            position=e.position,
            verify=lambda public: ed25519_ok(public, e.signature, e.signed),
        )
    except acceptance.Rejection as rejected:
        found.rejected(str(rejected))
    except (ValueError, KeyError, TypeError) as broken:
        found.append(f"cannot be checked: {type(broken).__name__} {broken}")
    r.ledger.apply(payload, e.statement_id, e.position)
    r.positions.add(e.position)
    if payload["kind"] == "evidence.attached":
        r.attached[payload["body"]["digest"]] = payload["body"]["size"]
    return found


def _check_statements(bundle: dict[str, Any], size: int, root: bytes, report: Report) -> None:
    """§5.4-5.7: every statement's proof, signature, key, refs and place in its record."""
    replay = _Replay(Ledger(bundle["log"]["root_key_id"]))
    for n, st in enumerate(bundle["statements"]):
        try:
            entry = _parse_statement(st, bundle["checkpoint"])
        except (_Malformed, ProvenanceError) as e:
            report.failures.append(f"statement {n} is malformed: {e}")
            continue
        label = f"statement at position {entry.position} ({entry.statement_id[:12]})"
        for failure in _check_one(st, entry, bundle, size, root, replay):
            report.failures.append(f"{label}: {failure}")
        report.statements += 1
    if 0 not in replay.positions:
        report.failures.append("the bundle lacks position 0, the organisation's registration")
    if bundle["subject"] not in replay.versions:
        report.failures.append(f"the bundle holds no statement of its subject {bundle['subject']}")
    _check_attachments(bundle, replay.attached, report)


def _check_attachments(bundle: dict[str, Any], attached: dict[str, int], report: Report) -> None:
    """§5.8: one attachment entry per attached file; contents, where given, hash right."""
    listed: set[str] = set()
    for n, item in enumerate(bundle["attachments"]):
        digest = item.get("digest") if isinstance(item, dict) else None
        if (
            not isinstance(digest, str)
            or digest not in attached
            or digest in listed
            or item.get("size") != attached[digest]
        ):
            report.failures.append(f"attachment {n} is not one the bundle's statements attach")
            continue
        listed.add(digest)
        report.attachments += 1
        if "content" in item:
            try:
                content = b64(item["content"], "content")
            except _Malformed as e:
                report.failures.append(f"attachment {digest[:12]}: {e}")
                continue
            if hashlib.sha256(content).hexdigest() != digest or len(content) != item["size"]:
                report.failures.append(f"attachment {digest[:12]}: content does not match its hash")
            else:
                report.attachment_files += 1
    for digest in sorted(set(attached) - listed):
        report.failures.append(f"attachment {digest[:12]} is named but not in the bundle")


def _keys(
    vkey: str, witnesses: Iterable[str], quorum: int | None
) -> tuple[Verifier, list[Verifier], int]:
    log_key = _verifier(vkey, "--vkey")
    if log_key.key_type != ED25519:
        raise BundleError(f"--vkey {vkey} is not an Ed25519 log verifier key")
    cosigners: list[Verifier] = []
    for text in witnesses:
        witness = _verifier(text, "--witness")
        if witness.key_type != COSIGNATURE_V1:
            raise BundleError("a --witness key is not a cosignature/v1 verifier key")
        if witness in cosigners:  # the same key given twice is one witness
            continue
        for w in cosigners:
            if (w.name, w.key_id) == (witness.name, witness.key_id):
                raise BundleError(f"two different --witness keys are named {witness.name}")
            if w.public_key == witness.public_key:
                # A cosignature does not sign the witness's name (log.md 6).
                raise BundleError(
                    f"one --witness public key is given under two names, {w.name} and "
                    f"{witness.name}"
                )
        cosigners.append(witness)
    need = len(cosigners) if quorum is None else quorum
    if not 0 <= need <= len(cosigners):
        raise BundleError(
            f"--quorum must be between 0 and {len(cosigners)} (distinct witness keys)"
        )
    return log_key, cosigners, need


def verify_bundle(
    data: bytes, vkey: str, witnesses: Iterable[str] = (), quorum: int | None = None
) -> Report:
    """Verify a bundle (§5); return a report whose ``failures`` name every problem.

    Raises:
        BundleError: the data is not a bundle, or a key is malformed.
    """
    log_key, cosigners, need = _keys(vkey, witnesses, quorum)
    bundle = _load(data)
    report = Report(subject=bundle["subject"], position=bundle["as_of"]["position"])
    checked = _check_checkpoint(bundle, log_key, cosigners, need, report)
    if checked is not None:
        _check_statements(bundle, *checked, report)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: print OK or each failure; exit 0, 1 or 2."""
    parser = argparse.ArgumentParser(
        prog="offline_verify", description="Verify a provenance bundle offline (bundle.md §5)."
    )
    parser.add_argument("bundle", help="the bundle file")
    parser.add_argument("--vkey", required=True, help="the log's verifier key")
    parser.add_argument("--witness", action="append", default=[], help="a witness's key")
    parser.add_argument("--quorum", type=int, help="cosignatures required (default: all)")
    args = parser.parse_args(argv)
    try:
        with open(args.bundle, "rb") as f:
            data = f.read(MAX_BUNDLE_BYTES + 1)
        report = verify_bundle(data, args.vkey, args.witness, args.quorum)
    except (OSError, BundleError) as e:
        print(f"error: {printable(str(e))}", file=sys.stderr)
        return 2
    for failure in report.failures:
        print(f"FAILED: {printable(failure)}")
    if not report.ok:
        return 1
    print(
        printable(
            f"OK: {report.statements} statements on {report.subject} as of position "
            f"{report.position}, in {report.origin} at size {report.size}; "
            f"{report.attachments} attachments ({report.attachment_files} files checked); "
            f"cosigned by {len(report.cosigners)}: {', '.join(report.cosigners) or 'none'}"
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
