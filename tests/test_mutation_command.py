"""bench/mutation.sh stays in step with the tree (the command itself is not run here).

Its table names, for each module, the test files that kill the module's
mutants; a renamed test file would otherwise make the command stop.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "bench" / "mutation.sh"
ROW = re.compile(r'^  "([^"=]+)=([^"]+)"$', re.M)


def _table() -> list[tuple[str, list[str]]]:
    text = SCRIPT.read_text()
    block = text[text.index("DEFAULT_TABLE=(") : text.index("\n)\n")]
    return [(module, tests.split()) for module, tests in ROW.findall(block)]


def test_the_script_parses() -> None:
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)


def test_every_module_of_issue_10_is_in_the_table() -> None:
    modules = {module for module, _ in _table()}
    for module in (
        "provenance/log/merkle.py",
        "provenance/log/proof.py",
        "provenance/log/note.py",
        "provenance/log/checkpoint.py",
        "provenance/envelope.py",
        "provenance/canonical.py",
        "provenance/rules",
    ):
        assert module in modules


def test_the_tests_named_for_each_present_module_exist() -> None:
    for module, tests in _table():
        if not (ROOT / module).exists():
            continue  # the script reports the row as skipped
        assert tests, module
        for test in tests:
            assert (ROOT / test).exists(), f"{module}: {test} does not exist"
