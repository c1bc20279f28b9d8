"""Check a provenance bundle offline, with nothing but the log's public key.

This module is the whole offline verifier of ``docs/spec/bundle.md``. It
imports only the standard library and ``cryptography``, so it can be copied
alone to a machine that has nothing else and run there::

    python -m offline_verify BUNDLE --vkey VKEY [--witness VKEY ... --quorum K]

Inside the project it is ``python -m provenance.bundle.offline_verify`` and
``prov bundle verify``. Section numbers (``§``) below are those of
``docs/spec/bundle.md``, which cites ``statements.md`` and ``log.md`` for the
formats it reuses. Exit codes: 0 verified, 1 a check failed (each failure is
printed), 2 the input is not a bundle or a key is malformed.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import functools
import hashlib
import hmac
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "prov-bundle/v1"
PAYLOAD_TYPE = "application/vnd.prov.statement.v1+json"
PROOF_HEADER = "c2sp.org/tlog-proof@v1"
KEY_LINE = "prov-log-key "
NOTE_KEY, COSIGNATURE_KEY = 0x01, 0x04
CREATING = {"actor.registered", "evidence.registered", "finding.asserted"}
CREATING |= {"challenge.raised", "trace.requested"}
TOP_MEMBERS = {"bundle", "subject", "as_of", "log", "checkpoint", "key_transitions"}
TOP_MEMBERS |= {"statements", "attachments"}
STATEMENT_MEMBERS = {"position", "subject", "version", "received_at", "entry", "proof"}


class BundleError(Exception):
    """The input is not a bundle, or a verifier key is malformed (exit 2)."""


# -- encodings -------------------------------------------------------------------------


def b64(text: object, what: str) -> bytes:
    """Standard padded base64, nothing else (statements.md §4.1)."""
    if not isinstance(text, str):
        raise ValueError(f"{what} is not a string")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{what} is not base64") from None
    if base64.b64encode(raw).decode() != text:
        raise ValueError(f"{what} is not canonical base64")
    return raw


def jcs(value: Any) -> str:
    """RFC 8785 serialisation of the JSON values a format-1 payload may hold."""
    if isinstance(value, dict):
        names = sorted(value, key=lambda k: k.encode("utf-16-be"))  # UTF-16 code units
        return "{" + ",".join(jcs(k) + ":" + jcs(value[k]) for k in names) + "}"
    if isinstance(value, list):
        return "[" + ",".join(jcs(v) for v in value) + "]"
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return json.dumps(value, ensure_ascii=False)
    raise ValueError(f"{type(value).__name__} is not allowed in a payload")


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


@functools.lru_cache(maxsize=1024)
def _public_key(public: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(public)  # a bundle has few keys: load each once


def ed25519_ok(public: bytes, signature: bytes, message: bytes) -> bool:
    try:
        _public_key(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


# -- signed notes, checkpoints and cosignatures (log.md §3, §6) --------------------------


@dataclass(frozen=True)
class VKey:
    """A signed-note verifier key ``<name>+<key id hex>+<base64(type || public key)>``."""

    name: str
    key_id: bytes
    key_type: int
    public: bytes
    text: str


def parse_vkey(text: str) -> VKey:
    """Parse a verifier key and check that its key id matches (log.md §3)."""
    parts = text.strip().split("+", 2)  # names hold no "+"; base64 may
    if len(parts) != 3 or not parts[0] or len(parts[1]) != 8:
        raise BundleError(f"{text!r} is not a verifier key NAME+KEYID+KEY")
    try:
        raw = b64(parts[2], "verifier key")
        key_id = bytes.fromhex(parts[1])
    except ValueError as e:
        raise BundleError(f"{text!r} is not a verifier key: {e}") from None
    if len(raw) != 33 or raw[0] not in (NOTE_KEY, COSIGNATURE_KEY):
        raise BundleError(f"{text!r} is not an Ed25519 or cosignature/v1 verifier key")
    if sha256(parts[0].encode() + b"\n" + raw)[:4] != key_id:
        raise BundleError(f"{text!r}: key id does not match the key")
    return VKey(parts[0], key_id, raw[0], raw[1:], text.strip())


def split_note(note: str) -> tuple[bytes, list[tuple[str, bytes]]]:
    """A signed note's text (with its final newline) and its (name, signature) lines."""
    text, sep, block = note.rpartition("\n\n")
    if not sep or not note.endswith("\n"):
        raise ValueError("not a signed note (text, empty line, signature lines)")
    lines = []
    for line in block[:-1].split("\n"):
        name, _, sig = line.removeprefix("\u2014 ").partition(" ")
        if not line.startswith("\u2014 ") or not name:
            raise ValueError(f"malformed signature line {line!r}")
        lines.append((name, b64(sig, "note signature")))
    return (text + "\n").encode(), lines


def signed_by(note: str, key: VKey) -> bool:
    """Whether ``note`` carries a valid Ed25519 note signature by ``key``."""
    text, lines = split_note(note)
    return any(
        name == key.name and sig[:4] == key.key_id and ed25519_ok(key.public, sig[4:], text)
        for name, sig in lines
    )


def cosigned_by(note: str, witness: VKey) -> bool:
    """Whether ``note`` carries a valid cosignature/v1 by ``witness`` (log.md §6)."""
    text, lines = split_note(note)
    for name, sig in lines:
        if name == witness.name and sig[:4] == witness.key_id and len(sig) == 76:
            stamp = int.from_bytes(sig[4:12], "big")
            message = f"cosignature/v1\ntime {stamp}\n".encode() + text
            if ed25519_ok(witness.public, sig[12:], message):
                return True
    return False


def checkpoint_body(note: str) -> tuple[str, int, bytes, list[str]]:
    """Origin, size, root and extension lines of a checkpoint note (log.md §3)."""
    text, _ = split_note(note)
    origin, size, root, *extensions = text.decode().split("\n")[:-1]
    if not size.isdigit() or (size != "0" and size.startswith("0")):
        raise ValueError(f"checkpoint size {size!r} is not a decimal number")
    hash_ = b64(root, "checkpoint root")
    if len(hash_) != 32:
        raise ValueError("checkpoint root is not 32 bytes")
    return origin, int(size), hash_, extensions


# -- the Merkle tree (RFC 9162 §2.1) ----------------------------------------------------


def node(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def inclusion_ok(index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and hmac.compare_digest(r, root)


def consistency_ok(old: int, new: int, old_root: bytes, new_root: bytes, path: list[bytes]) -> bool:
    """RFC 9162 §2.1.4.2 (equal sizes: no hashes and equal roots)."""
    if old == new:
        return not path and hmac.compare_digest(old_root, new_root)
    if not 0 < old < new or not path:
        return False
    if old & (old - 1) == 0:
        path = [old_root, *path]
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


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
        return not self.failures


@dataclass
class Key:
    """An actor's key and the positions bounding its validity (statements.md §5.1)."""

    actor: str
    public: bytes
    added: int
    retired: int | None = None
    revoked: int | None = None


def _load(data: bytes) -> dict[str, Any]:
    """§2: the bundle is one JSON object with exactly the listed members."""
    try:
        bundle = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise BundleError(f"not a bundle: not UTF-8 JSON ({e})") from None
    if not isinstance(bundle, dict) or bundle.get("bundle") != FORMAT:
        raise BundleError(f'not a bundle: no member "bundle": "{FORMAT}"')
    if set(bundle) != TOP_MEMBERS:
        raise BundleError(f"not a bundle: members must be {sorted(TOP_MEMBERS)}")
    if not isinstance(bundle["statements"], list) or not isinstance(bundle["log"], dict):
        raise BundleError("not a bundle: statements must be a list and log an object")
    return bundle


def _trusted_key(
    bundle: dict[str, Any], vkey: VKey, report: Report, size: int, root: bytes
) -> VKey:
    """§5.2: follow the log-key transitions onwards from the key the verifier trusts."""
    steps = []
    for n, step in enumerate(bundle["key_transitions"]):
        try:
            note = step["checkpoint"]
            origin, t_size, t_root, extensions = checkpoint_body(note)
            named = [e.removeprefix(KEY_LINE) for e in extensions if e.startswith(KEY_LINE)]
            if len(named) != 1:
                raise ValueError("it names no new log key")
            path = [b64(h, "consistency hash") for h in step["consistency"]]
            steps.append((note, origin, t_size, t_root, parse_vkey(named[0]), path))
        except (ValueError, KeyError, TypeError, BundleError) as e:
            report.failures.append(f"key transition {n} is malformed: {e}")
            return vkey
    # A verifier that already holds a later key starts after the step that handed over to it.
    start = max((n + 1 for n, s in enumerate(steps) if s[4].text == vkey.text), default=0)
    current = vkey
    for n, (note, origin, t_size, t_root, new, path) in enumerate(steps[start:], start):
        what = f"key transition {n} (size {t_size})"
        if not signed_by(note, current):
            report.failures.append(f"{what} is not signed by the trusted key {current.text}")
            return current
        if not signed_by(note, new):
            report.failures.append(f"{what} is not signed by the new key it names")
            return current
        if origin != current.name or not consistency_ok(t_size, size, t_root, root, path):
            report.failures.append(f"{what} is not consistent with the checkpoint")
            return current
        current = new
    return current


def _check_checkpoint(
    bundle: dict[str, Any], vkey: VKey, witnesses: list[VKey], quorum: int, report: Report
) -> tuple[int, bytes] | None:
    """§5.1-5.3: the checkpoint, its log signature and its cosignature quorum."""
    note = bundle["checkpoint"]
    try:
        origin, size, root, _ = checkpoint_body(note)
    except (ValueError, AttributeError) as e:
        report.failures.append(f"checkpoint is malformed: {e}")
        return None
    report.origin, report.size = origin, size
    if origin != vkey.name:
        report.failures.append(f"checkpoint is for log {origin!r}, not {vkey.name!r}")
        return None
    key = _trusted_key(bundle, vkey, report, size, root)
    report.log_key = key.text
    if not signed_by(note, key):
        report.failures.append(f"checkpoint is not signed by the log key {key.text}")
        return None
    report.cosigners = [w.name for w in witnesses if cosigned_by(note, w)]
    if len(report.cosigners) < quorum:
        report.failures.append(
            f"checkpoint has {len(report.cosigners)} of the {quorum} required witness cosignatures"
        )
    return size, root


def _parse_statement(st: Any, checkpoint: str) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """§4: one statement entry: envelope, payload and proof, parsed but not yet trusted."""
    if not isinstance(st, dict) or set(st) != STATEMENT_MEMBERS:
        raise ValueError(f"members must be {sorted(STATEMENT_MEMBERS)}")
    position = st["position"]
    if not isinstance(position, int) or isinstance(position, bool) or position < 0:
        raise ValueError("position is not a non-negative integer")
    envelope = json.loads(st["entry"])
    if not isinstance(envelope, dict) or set(envelope) != {"payload", "payloadType", "signatures"}:
        raise ValueError("entry is not a DSSE envelope")
    if envelope["payloadType"] != PAYLOAD_TYPE or len(envelope["signatures"]) != 1:
        raise ValueError("entry is not a format-1 statement envelope")
    raw = b64(envelope["payload"], "payload")
    payload = json.loads(raw)
    if jcs(payload) != raw.decode():
        raise ValueError("payload is not in RFC 8785 canonical form")
    members = {"format", "kind", "subject", "author", "issued_at", "refs", "body"}
    if not isinstance(payload, dict) or set(payload) != members or payload["format"] != 1:
        raise ValueError("payload is not a format-1 statement")
    if payload["subject"] != st["subject"]:
        raise ValueError(f"payload's subject is {payload['subject']!r}")
    proof = str(st["proof"]) + checkpoint
    head, _, rest = proof.partition("\n\n")
    lines = head.split("\n")
    if lines[:1] != [PROOF_HEADER] or len(lines) < 2 or lines[1] != f"index {position}":
        raise ValueError(f"proof is not a {PROOF_HEADER} for index {position}")
    if rest != checkpoint:
        raise ValueError("proof does not end with the bundle's checkpoint")
    path = [b64(h, "proof hash") for h in lines[2:]]
    (sig,) = envelope["signatures"]
    st_info = {
        "sid": hashlib.sha256(raw).hexdigest(),
        "leaf": sha256(b"\x00" + st["entry"].encode()),
        "pae": f"DSSEv1 {len(PAYLOAD_TYPE)} {PAYLOAD_TYPE} {len(raw)} ".encode() + raw,
        "keyid": sig["keyid"],
        "sig": b64(sig["sig"], "signature"),
        "path": path,
    }
    return position, payload, st_info


def _body_refs(payload: dict[str, Any]) -> tuple[list[str], list[str]]:
    """§5.6: the statement ids and subject ids a statement's body points at."""
    body, kind = payload["body"], payload["kind"]
    statements: list[str] = []
    subjects: list[str] = list(body.get("evidence", [])) if kind.startswith("finding.") else []
    if kind in ("statement.retracted", "statement.superseded"):
        statements += [body["statement"], body.get("superseded_by", body["statement"])]
    if kind in ("challenge.raised", "trace.requested"):
        target = body["target"]
        by_statement = target["type"] in ("assessment", "component")
        (statements if by_statement else subjects).append(target["id"])
    return statements, subjects


class _Keys:
    """Key validity by log position, replayed from the bundle's actor statements (§5.5)."""

    def __init__(self, root_key_id: str) -> None:
        self.root_key_id = root_key_id
        self.keys: dict[str, Key] = {}
        self.actors: dict[str, tuple[str, bool]] = {}

    def check(self, position: int, payload: dict[str, Any], keyid: str) -> tuple[bytes, str]:
        """The public key that may sign this statement, or raise naming why none may."""
        kind, author, body = payload["kind"], payload["author"], payload["body"]
        if position == 0:  # statements.md §6 step 4: the genesis
            public = b64(body.get("public_key", ""), "public key")
            genesis = kind == "actor.registered" and payload["subject"] == author
            genesis = genesis and body.get("role") == "organisation" and body.get("admin") is True
            if not genesis or hashlib.sha256(public).hexdigest() != self.root_key_id:
                raise ValueError("position 0 is not the organisation registering its root key")
            return public, "root"
        if author not in self.actors:
            raise ValueError(f"author {author}'s registration is not in the bundle")
        key = self.keys.get(keyid)
        if key is None or key.actor != author:
            raise ValueError(f"signed by key {keyid[:16]}, which is not a key of {author}")
        if key.added >= position:
            raise ValueError(f"signed by key {keyid[:16]}, added only at position {key.added}")
        for label, at in (("retired", key.retired), ("revoked", key.revoked)):
            if at is not None and at < position:
                raise ValueError(f"signed by key {keyid[:16]}, {label} at position {at}")
        role, admin = self.actors[author]
        may_register = admin or role == "organisation"
        if kind == "actor.registered" and not may_register:
            raise ValueError(f"{author} may not register actors")
        if kind.startswith("actor.key_") and author != payload["subject"] and not may_register:
            raise ValueError(f"{author} may not change the keys of {payload['subject']}")
        return key.public, author

    def apply(self, position: int, payload: dict[str, Any]) -> None:
        kind, subject, body = payload["kind"], payload["subject"], payload["body"]
        if kind == "actor.registered":
            self.actors[subject] = (body["role"], body.get("admin") is True)
        if kind in ("actor.registered", "actor.key_rotated") and "public_key" in body:
            for key in self.keys.values():
                if key.actor == subject and key.retired is None and key.revoked is None:
                    key.retired = position
            public = b64(body["public_key"], "public key")
            self.keys[hashlib.sha256(public).hexdigest()] = Key(subject, public, position)
        if kind == "actor.key_revoked" and body["key_id"] in self.keys:
            self.keys[body["key_id"]].revoked = position


def _check_statements(bundle: dict[str, Any], size: int, root: bytes, report: Report) -> None:
    """§5.4-5.7: every statement's proof, signature, key, refs and place in its record."""
    log, as_of = bundle["log"], bundle["as_of"]
    keys = _Keys(str(log.get("root_key_id", "")))
    seen: dict[str, int] = {}
    versions: dict[str, int] = {}
    subjects_kinds: dict[str, str] = {}
    attached: dict[str, int] = {}
    last, last_time = -1, ""
    for n, st in enumerate(bundle["statements"]):
        label = f"statement {n}"
        try:
            position, payload, info = _parse_statement(st, bundle["checkpoint"])
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            report.failures.append(f"{label} is malformed: {e}")
            continue
        label = f"statement at position {position} ({info['sid'][:12]}, {payload['kind']} on "
        label += f"{payload['subject']})"
        fail = report.failures.append
        if position <= last:
            fail(f"{label} is out of order: positions must increase (previous {last})")
        if position > as_of["position"] or position >= size:
            fail(f"{label} is beyond the bundle's as-of position or the checkpoint")
        if not inclusion_ok(position, size, info["leaf"], info["path"], root):
            fail(f"{label}: inclusion proof does not lead to the checkpoint's root")
        received = str(st["received_at"])
        if received < last_time or received > as_of["received_at"]:
            fail(f"{label}: received_at {received} is out of order")
        last, last_time = max(last, position), max(last_time, received)
        subject, version = payload["subject"], st["version"]
        expected = versions.get(subject, 0) + 1
        if version != expected or (version == 1) != (payload["kind"] in CREATING):
            fail(f"{label}: is version {version} of {subject}, expected version {expected}")
        versions[subject] = max(expected, version if isinstance(version, int) else 0)
        subjects_kinds.setdefault(subject, payload["kind"])
        try:
            public, _ = keys.check(position, payload, info["keyid"])
            if info["keyid"] != hashlib.sha256(public).hexdigest():
                raise ValueError("the envelope's keyid is not its signing key")
            if not ed25519_ok(public, info["sig"], info["pae"]):
                raise ValueError("signature does not verify")
        except (ValueError, KeyError) as e:
            fail(f"{label}: {e}")
        keys.apply(position, payload)
        ref_statements, ref_subjects = _body_refs(payload)
        for ref in [*payload["refs"], *ref_statements]:
            if ref not in seen:
                fail(f"{label}: refers to statement {ref[:12]}, which is not earlier in the bundle")
        for ref in ref_subjects:
            if ref not in versions:
                fail(f"{label}: refers to subject {ref}, which is not in the bundle")
        if payload["kind"] == "evidence.attached":
            attached[payload["body"]["digest"]] = payload["body"]["size"]
        seen[info["sid"]] = position
        report.statements += 1
    if 0 not in seen.values():
        report.failures.append("the bundle lacks position 0, the organisation's registration")
    if bundle["subject"] not in versions:
        report.failures.append(f"the bundle holds no statement of its subject {bundle['subject']}")
    _check_attachments(bundle, attached, report)


def _check_attachments(bundle: dict[str, Any], attached: dict[str, int], report: Report) -> None:
    """§5.8: one attachment entry per attached file; contents, where given, hash right."""
    listed: set[str] = set()
    for n, item in enumerate(bundle["attachments"]):
        digest = item.get("digest") if isinstance(item, dict) else None
        if digest not in attached or digest in listed or item.get("size") != attached[digest]:
            report.failures.append(f"attachment {n} is not one the bundle's statements attach")
            continue
        listed.add(digest)
        report.attachments += 1
        if "content" in item:
            try:
                content = b64(item["content"], "content")
            except ValueError as e:
                report.failures.append(f"attachment {digest[:12]}: {e}")
                continue
            if hashlib.sha256(content).hexdigest() != digest or len(content) != item["size"]:
                report.failures.append(f"attachment {digest[:12]}: content does not match its hash")
            else:
                report.attachment_files += 1
    for digest in sorted(set(attached) - listed):
        report.failures.append(f"attachment {digest[:12]} is named but not in the bundle")


def verify_bundle(
    data: bytes, vkey: str, witnesses: Iterable[str] = (), quorum: int | None = None
) -> Report:
    """Verify a bundle (§5); return a report whose ``failures`` name every problem.

    Raises:
        BundleError: the data is not a bundle, or a key is malformed.
    """
    log_key = parse_vkey(vkey)
    if log_key.key_type != NOTE_KEY:
        raise BundleError(f"--vkey {vkey} is not an Ed25519 log verifier key")
    cosigners = [parse_vkey(w) for w in witnesses]
    if any(w.key_type != COSIGNATURE_KEY for w in cosigners):
        raise BundleError("a --witness key is not a cosignature/v1 verifier key")
    need = len(cosigners) if quorum is None else quorum
    if not 0 <= need <= len(cosigners):
        raise BundleError(f"--quorum must be between 0 and {len(cosigners)}")
    bundle = _load(data)
    report = Report(subject=str(bundle["subject"]))
    try:
        report.position = int(bundle["as_of"]["position"])
        checked = _check_checkpoint(bundle, log_key, cosigners, need, report)
        if checked is not None:
            _check_statements(bundle, *checked, report)
    except (KeyError, TypeError, AttributeError, ValueError) as e:
        report.failures.append(f"the bundle is malformed: {type(e).__name__} {e}")
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
            data = f.read()
        report = verify_bundle(data, args.vkey, args.witness, args.quorum)
    except (OSError, BundleError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for failure in report.failures:
        print(f"FAILED: {failure}")
    if not report.ok:
        return 1
    print(
        f"OK: {report.statements} statements on {report.subject} as of position "
        f"{report.position}, in {report.origin} at size {report.size}; "
        f"{report.attachments} attachments ({report.attachment_files} files checked); "
        f"cosigned by {len(report.cosigners)}: {', '.join(report.cosigners) or 'none'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
