"""The installed `prov` console script, run as a real subprocess."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

PROV = Path(sys.executable).parent / "prov"


@pytest.fixture
def prov_script() -> Path:
    """The console script next to this interpreter; its absence is a failure, not a skip."""
    if not PROV.is_file() or not os.access(PROV, os.X_OK):
        pytest.fail(
            f"no executable 'prov' console script at {PROV}: install the project into this "
            f"environment ({sys.executable} -m pip install -e .)"
        )
    return PROV


def _run(script: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROV_") and k != "PYTHONPATH"}
    env.update(HOME=str(tmp_path / "home"), PROV_KEYS=str(tmp_path / "keys"))
    return subprocess.run(
        [str(script), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def test_installed_prov_runs_the_demo_and_verifies(prov_script: Path, tmp_path: Path) -> None:
    """`prov demo --store TMP` tells the story and `prov verify --store TMP/store` says OK."""
    demo = _run(prov_script, tmp_path, "demo", "--store", str(tmp_path / "demo"))
    assert demo.returncode == 0, demo.stderr
    assert "Traceback" not in demo.stderr
    assert "every signature, ref and history intact" in demo.stdout
    assert "The reaffirmation" in demo.stdout

    verify = _run(prov_script, tmp_path, "verify", "--store", str(tmp_path / "demo" / "store"))
    assert verify.returncode == 0, verify.stdout + verify.stderr
    claimed = [line for line in demo.stdout.splitlines() if "prov verify:" in line]
    assert len(claimed) == 1
    counts = claimed[0].split("prov verify: ")[1].split(", every")[0]
    assert verify.stdout.splitlines()[0].startswith("TRUST no pins given: trusted the store's")
    assert verify.stdout.splitlines()[-1] == f"verified {counts}: OK"
    assert verify.stderr == ""


def test_installed_prov_exit_codes(prov_script: Path, tmp_path: Path) -> None:
    """The real process exits 2 on bad input and 1 on a damaged store, with no traceback."""
    missing = _run(prov_script, tmp_path, "verify", "--store", str(tmp_path / "nothing"))
    assert missing.returncode == 2
    assert missing.stderr.startswith("error:") and "Traceback" not in missing.stderr

    assert _run(prov_script, tmp_path, "demo", "--store", str(tmp_path / "d")).returncode == 0
    store = tmp_path / "d" / "store"
    with closing(sqlite3.connect(store / "prov.sqlite")) as con:
        con.execute(
            "UPDATE stored_events SET topic = 'x:y' WHERE originator_id = 'item-m3' "
            "AND originator_version = 2"
        )
        con.commit()
    damaged = _run(prov_script, tmp_path, "verify", "--store", str(store))
    assert damaged.returncode == 1
    assert "FAIL" in damaged.stdout and "subject item-m3, version 2" in damaged.stdout
    assert "Traceback" not in damaged.stdout + damaged.stderr
