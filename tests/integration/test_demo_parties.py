"""The demo keeps the witness's key apart from the organisation's, and refuses PostgreSQL.

An attacker who holds the organisation's keys directory must not hold the
witness too: the witness's key lives in ``witness-keys``, standing for another
party's machine. ``prov demo`` builds in a directory (store, keys, proofs); a
``postgresql://`` URL is refused in one line, with nothing written anywhere.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest
from conftest import PG_URL, Prov, listing, require_pg

from provenance.keys import KeyRing
from provenance.log.note import parse_verifier_key


def test_the_witness_key_is_kept_apart_from_the_log_and_root_keys(
    prov: Prov, tmp_path: Path
) -> None:
    demo = tmp_path / "d"
    out = prov.ok("demo", "--store", str(demo)).output
    keys, witness_keys = demo / "keys", demo / "witness-keys"
    assert {"root.pem", "root-log.pem"} <= set(listing(keys))
    # Old behaviour: witness.pem beside root.pem and root-log.pem.
    assert not any("witness" in name for name in listing(keys))
    assert listing(witness_keys) == ["witness.pem"]
    # The cosignature the bundle carries is made by that key, and no other.
    vkey = parse_verifier_key((demo / "proofs" / "witness.vkey").read_text().strip())
    assert vkey.public_key == KeyRing(witness_keys).load("witness").public_bytes
    assert f"its key is in {witness_keys}" in out
    assert "another party" in out


def test_the_demo_refuses_a_postgresql_url_and_writes_nothing(
    prov: Prov, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_pg()
    schema = f"t_demo_{uuid.uuid4().hex[:12]}"
    url = PG_URL.replace("postgres@", "postgres:s3%2Fcr%40t@", 1) + f"?schema={schema}"
    monkeypatch.chdir(tmp_path)
    result = prov("demo", "--store", url)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("error: prov demo builds its store") and (
        result.stderr.count("\n") == 1
    ), result.stderr
    assert "prov copy" in result.stderr
    assert "s3" not in result.stderr  # the password is never shown
    # Old behaviour: a local directory "postgresql:" holding an SQLite store.
    assert listing(tmp_path) == []
    with psycopg.connect(PG_URL, autocommit=True) as con:
        found = con.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
        assert found.fetchone() is None
