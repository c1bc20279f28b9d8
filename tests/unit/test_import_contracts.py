"""The import-linter contracts in ``.importlinter`` hold on the tree, and they bite.

Issue 11 §6; docs/adr/0010-layers.md. The second test copies ``provenance/``
and ``cli/`` (as ``provenance_cli``, its installed name) to a temporary
directory, breaks one rule there, and checks that ``lint-imports`` fails
naming exactly the contracts that rule belongs to.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".importlinter"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _contract_names() -> dict[str, str]:
    """Contract id (``[importlinter:contract:ID]``) to its name."""
    parser = configparser.ConfigParser()
    parser.read(CONFIG)
    prefix = "importlinter:contract:"
    return {s.removeprefix(prefix): parser[s]["name"] for s in parser if s.startswith(prefix)}


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    # A wide terminal keeps each contract's name and verdict on one line.
    env = {**os.environ, "COLUMNS": "400"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _verdicts(output: str) -> dict[str, str]:
    """Contract id to KEPT or BROKEN, from the summary lines of the output."""
    found = {}
    for cid, name in _contract_names().items():
        for line in output.splitlines():
            # "NAME KEPT", "NAME BROKEN", or "NAME KEPT (N ignored imports)".
            verdict = line.removeprefix(f"{name} ").split(" ")[0] if line.startswith(name) else ""
            if verdict in ("KEPT", "BROKEN"):
                found[cid] = verdict
    return found


def test_every_contract_is_kept_on_the_tree() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    names = _contract_names()
    assert {"layers", "pure", "eventsourcing", "library-not-cli", "acyclic"} <= set(names)
    assert _verdicts(result.stdout) == dict.fromkeys(names, "KEPT")


# (file to change, line appended to it, or None to create the file empty;
#  the contracts it must break; text the report must show)
BREAKS = {
    "the store imports the bundle (upward)": (
        "provenance/store/tables.py",
        "import provenance.bundle",
        {"layers", "acyclic"},
        "provenance.store.tables -> provenance.bundle",
    ),
    "the views import eventsourcing": (
        "provenance/projections/views.py",
        "import eventsourcing",
        {"eventsourcing"},
        "provenance.projections.views -> eventsourcing",
    ),
    "the rules import the log (independent siblings)": (
        "provenance/rules/text.py",
        "import provenance.log.merkle",
        {"layers"},
        "provenance.rules.text -> provenance.log.merkle",
    ),
    "a new top-level module without a layer": (
        "provenance/helpers.py",
        None,
        {"layers"},
        "- provenance.helpers",
    ),
    "the pure layer imports rfc8785": (
        "provenance/log/merkle.py",
        "import rfc8785",
        {"pure"},
        "provenance.log.merkle -> rfc8785",
    ),
    "the envelope imports pydantic": (
        "provenance/envelope.py",
        "import pydantic",
        {"pydantic"},
        "provenance.envelope -> pydantic",
    ),
    "the audit imports psycopg": (
        "provenance/audit/auditor.py",
        "import psycopg",
        {"postgres"},
        "provenance.audit.auditor -> psycopg",
    ),
    "the library imports click": (
        "provenance/bundle/export.py",
        "import click",
        {"library-not-cli"},
        "provenance.bundle.export -> click",
    ),
    "the library imports the command line": (
        "provenance/audit/report.py",
        "import provenance_cli",
        {"library-not-cli"},
        "provenance.audit.report -> provenance_cli (",
    ),
    "the command line imports a private module": (
        "provenance_cli/key.py",
        "from provenance.store.location import Location",
        {"cli-front-door"},
        "provenance_cli.key -> provenance.store.location",
    ),
    "a cycle inside the command line": (
        "provenance_cli/output.py",
        "import provenance_cli.main",
        {"acyclic"},
        ".output -> .main",
    ),
}


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_a_broken_rule_breaks_its_contract(tmp_path: Path, case: str) -> None:
    shutil.copytree(ROOT / "provenance", tmp_path / "provenance")
    shutil.copytree(ROOT / "cli", tmp_path / "provenance_cli")
    shutil.copy(CONFIG, tmp_path / ".importlinter")
    # The copy is the tree, which keeps every contract (the test above), so the
    # break below is the only cause of what the report says.
    relative, line, broken, shown = BREAKS[case]
    target = tmp_path / relative
    if line is None:
        assert not target.exists()
        target.write_text('"""A module nobody placed in a layer."""\n')
    else:
        target.write_text(target.read_text() + f"\n{line}  # the break under test\n")

    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    verdicts = _verdicts(result.stdout)
    assert {cid for cid, v in verdicts.items() if v == "BROKEN"} == broken
    assert set(verdicts) == set(_contract_names())
    assert shown in result.stdout
