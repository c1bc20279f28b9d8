"""Dispute bundles: export time, size on disk and offline verification rate, beside Ed25519.

The store: the organisation, one researcher, one evidence item, a finding
on it and enough assessments of the finding that its bundle holds
``--count`` statements (10,000 by default), then a signed checkpoint.

What is measured, in the same run:

- ``export``: :func:`provenance.bundle.export.export_bundle` plus encoding and
  writing the file (the closure, one inclusion proof per statement).
- ``size``: the file on disk, per statement, and what it would be if every
  proof carried its own copy of the checkpoint (the full tlog-proof).
- ``verify``: :func:`provenance.bundle.offline_verify.verify_bundle` on the
  file's bytes, in statements per second (median of ``--rounds``).
- ``raw Ed25519``: ``cryptography``'s Ed25519 verification of the same
  statements' signatures over their PAE bytes, and nothing else: the floor
  of any verifier that checks every signature. The figure of merit is
  verify rate / raw Ed25519 rate.

Nothing here asserts a time. Run: ``python bench/bundle.py [--count 10000]
[--rounds 3]``; ``--count 30 --rounds 1`` is a smoke run of a few seconds.
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from provenance.authoring import init_store, sign_statement
from provenance.bundle.export import encode_bundle, export_bundle
from provenance.bundle.offline_verify import PAYLOAD_TYPE, verify_bundle
from provenance.keys import KeyRing, SigningKey
from provenance.store.checkpoints import sign_checkpoint
from provenance_cli.output import write_output

T0 = "2024-01-08T09:00:00Z"


def build(directory: Path, count: int) -> tuple[Path, str]:
    """A store whose finding's bundle holds ``count`` statements; its path and log vkey."""
    ring = KeyRing(directory / "keys")
    root, alice, log = (ring.create(n) for n in ("root", "alice", "log"))
    store = init_store(
        directory / "store", root, org_id="org", org_name="Org", issued_at=T0, log_key=log
    )

    def put(key: SigningKey, kind: str, subject: str, author: str, body: dict[str, object]) -> None:
        store.append(
            sign_statement(key, kind=kind, subject=subject, author=author, body=body, issued_at=T0)
        )

    put(
        root,
        "actor.registered",
        "alice",
        "org",
        {"name": "A", "role": "researcher", "public_key": alice.public_b64},
    )
    put(alice, "evidence.registered", "item-1", "alice", {"item_kind": "other", "title": "I"})
    put(
        alice,
        "finding.asserted",
        "finding-1",
        "alice",
        {"claim": "C", "evidence": ["item-1"], "confidence": "high"},
    )
    for n in range(max(0, count - 4)):
        put(
            alice,
            "finding.assessed",
            "finding-1",
            "alice",
            {"stance": "supports", "confidence": "high", "rationale": f"assessment {n}"},
        )
    sign_checkpoint(store, log)
    vkey = store.meta["log_vkey"]
    store.close()
    return directory / "store", vkey


def raw_ed25519_rate(data: bytes) -> float:
    """Ed25519 verifications per second of the bundle's own signatures, nothing else."""
    bundle = json.loads(data)
    keys = {}
    for st in bundle["statements"]:
        payload = json.loads(base64.b64decode(json.loads(st["entry"])["payload"]))
        if payload["kind"] == "actor.registered":
            keys[payload["subject"]] = base64.b64decode(payload["body"]["public_key"])
    jobs = []
    for st in bundle["statements"]:
        envelope = json.loads(st["entry"])
        payload = base64.b64decode(envelope["payload"])
        author = json.loads(payload)["author"]
        pae = f"DSSEv1 {len(PAYLOAD_TYPE)} {PAYLOAD_TYPE} {len(payload)} ".encode() + payload
        jobs.append((keys[author], base64.b64decode(envelope["signatures"][0]["sig"]), pae))
    start = time.perf_counter()
    for public, sig, pae in jobs:
        Ed25519PublicKey.from_public_bytes(public).verify(sig, pae)
    return len(jobs) / (time.perf_counter() - start)


def main() -> None:
    """Build, export, verify; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="statements in the bundle")
    parser.add_argument("--rounds", type=int, default=3, help="timed verification rounds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        store_dir, vkey = build(Path(tmp), args.count)
        print(f"store of {args.count} statements built in {time.perf_counter() - start:.1f} s")
        from provenance.store import Store

        out = Path(tmp) / "finding.bundle.json"
        start = time.perf_counter()
        with Store.open(store_dir) as store:
            bundle = export_bundle(store, "finding-1")
        data = encode_bundle(bundle)
        write_output(data, out)
        export_s = time.perf_counter() - start
        n = len(bundle["statements"])
        size = out.stat().st_size
        inline = size + n * len(bundle["checkpoint"].encode())
        verify_rates, raw_rates = [], []
        for _ in range(args.rounds):
            start = time.perf_counter()
            report = verify_bundle(out.read_bytes(), vkey)
            verify_rates.append(n / (time.perf_counter() - start))
            assert report.ok, report.failures[:3]
            raw_rates.append(raw_ed25519_rate(data))
    verify, raw = statistics.median(verify_rates), statistics.median(raw_rates)
    print(f"bundle: {n} statements")
    print(f"export:  {export_s:.2f} s ({n / export_s:,.0f} statements/s)")
    print(
        f"size:    {size:,} bytes ({size / n:,.0f} per statement); with the checkpoint in "
        f"every proof it would be {inline:,} bytes ({inline / size:.2f}x)"
    )
    print(f"verify:  {verify:,.0f} statements/s (median of {args.rounds})")
    print(f"raw Ed25519 verify, same signatures: {raw:,.0f} /s")
    print(f"ratio verify / raw Ed25519: {verify / raw:.2f}")


if __name__ == "__main__":
    main()
