"""Regenerate the golden bundles: ``python tests/golden/generate_bundle.py``.

The four golden statements (``statements.json``) are appended to a store with
a fixed receipt clock, whose log has the golden log key (``log.json``); the
store signs a checkpoint of size 4, the golden witness cosigns it, and two
bundles are exported: the finding's as of now, and the evidence item's as of
position 2. Ed25519 is deterministic, so the bundles are fixed bytes;
``test_golden_bundle.py`` regenerates and compares them and checks them with
the standalone verifier, and ``docs/spec/bundle.md`` quotes them.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from provenance.bundle.export import encode_bundle, export_bundle
from provenance.keys import SigningKey
from provenance.log.note import COSIGNATURE_V1, cosign, format_verifier_key, parse_verifier_key
from provenance.store import Store
from provenance.store.checkpoints import add_cosignature, sign_checkpoint
from tests.golden import generate, generate_log

HERE = Path(__file__).parent
BUNDLES = {
    "bundle-finding.json": ("finding-rapid-use", None),
    "bundle-item-as-of-2.json": ("item-m3", 2),
}
RECEIVED = [
    "2024-01-08T09:00:05.000000Z",
    "2024-01-08T09:05:05.000000Z",
    "2024-09-02T10:00:05.000000Z",
    "2024-11-18T09:00:05.000000Z",
]


def build() -> dict[str, bytes]:
    """The golden bundles, by file name."""
    statements = json.loads((HERE / "statements.json").read_text())
    _, log_key = generate_log._key("log")
    _, witness_key = generate_log._key("witness")
    origin = generate_log.ORIGIN
    vkey = format_verifier_key(origin, log_key.public_key().public_bytes_raw())
    clock = iter(RECEIVED)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.create(
            Path(tmp) / "store",
            genesis=statements[0]["envelope"].encode(),
            root_key_id=generate.fixed_key("root").key_id,
            clock=lambda: next(clock),
            log=(origin, vkey),
        )
        with store:
            for s in statements[1:]:
                store.append(s["envelope"].encode())
            cp = sign_checkpoint(store, SigningKey("log", log_key))
            witness = parse_verifier_key(
                format_verifier_key(
                    generate_log.WITNESS,
                    witness_key.public_key().public_bytes_raw(),
                    COSIGNATURE_V1,
                )
            )
            text = cp.note.split("\n\n")[0] + "\n"
            line = cosign(text, generate_log.WITNESS, witness_key, generate_log.COSIGNED_AT)
            add_cosignature(store, cp, witness, line)
            return {
                name: encode_bundle(export_bundle(store, subject, as_of, witnesses=[witness]))
                for name, (subject, as_of) in BUNDLES.items()
            }


def main() -> None:
    """Write the golden bundles."""
    for name, data in build().items():
        (HERE / name).write_bytes(data)
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
