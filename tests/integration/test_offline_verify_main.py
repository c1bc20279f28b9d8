"""The standalone verifier's command line, run in this process.

The zipapp and ``python -m`` runs (test_standalone_verifier.py,
test_bundle_cli.py) prove the shipped form works; these call ``main()``
directly, so that every line of its output and each exit code is checked
where a mutation tester can see it (docs/testing.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from provenance.bundle.offline_verify import main
from tests.golden import generate_bundle, generate_log

LOG: dict[str, Any] = json.loads(generate_log.VECTORS.read_text())
GOLDEN = generate_bundle.HERE / "bundle-finding.json"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_golden_bundle_with_its_witness_is_ok(capsys: pytest.CaptureFixture[str]) -> None:
    args = (str(GOLDEN), "--vkey", LOG["log_vkey"], "--witness", LOG["witness_vkey"])
    code, out, err = _run(capsys, *args, "--quorum", "1")
    assert (code, err) == (0, "")
    assert out == (
        "OK: 4 statements on finding-rapid-use as of position 3, in "
        "example.invalid/prov-golden-log at size 4; 0 attachments (0 files checked); "
        f"cosigned by 1: {LOG['witness_name']}\n"
    )
    # Without --quorum, every witness given must cosign: here the one there is.
    assert _run(capsys, *args)[:2] == (0, out)


def test_no_witness_asked_for_says_none(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, str(GOLDEN), "--vkey", LOG["log_vkey"])
    assert code == 0
    assert out.endswith("; cosigned by 0: none\n")


def test_a_failed_check_prints_each_failure_and_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bundle = json.loads(GOLDEN.read_text())
    bundle["statements"].reverse()
    path = tmp_path / "reordered.json"
    path.write_text(json.dumps(bundle))
    code, out, err = _run(capsys, str(path), "--vkey", LOG["log_vkey"])
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert lines and all(line.startswith("FAILED: ") for line in lines), out
    assert "OK:" not in out


def test_a_missing_file_or_a_non_bundle_exits_2_with_one_error_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = _run(capsys, str(tmp_path / "absent.json"), "--vkey", LOG["log_vkey"])
    assert (code, out) == (2, "")
    assert err.startswith("error: ") and err.count("\n") == 1
    junk = tmp_path / "junk.json"
    junk.write_bytes(b"[" * 100)
    code, out, err = _run(capsys, str(junk), "--vkey", LOG["log_vkey"])
    assert (code, out) == (2, "")
    assert err.startswith("error: not a bundle") and err.count("\n") == 1


def test_a_quorum_above_the_witnesses_given_is_bad_input(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = (str(GOLDEN), "--vkey", LOG["log_vkey"], "--witness", LOG["witness_vkey"])
    code, out, err = _run(capsys, *args, "--quorum", "2")
    assert (code, out) == (2, "")
    assert err == "error: --quorum must be between 0 and 1 (distinct witness keys)\n"


@pytest.mark.parametrize(
    ("change", "failure"),
    [
        (
            lambda b: b["log"].update(origin="example.invalid/another-log"),
            "the bundle's log.origin is not the checkpoint's 'example.invalid/prov-golden-log'",
        ),
        (
            lambda b: b["as_of"].update(position=4),
            "as_of position 4 is not below the checkpoint's size 4",
        ),
    ],
    ids=["log-origin", "as-of-beyond-checkpoint"],
)
def test_the_bundles_own_claims_about_its_log_are_checked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, change: Any, failure: str
) -> None:
    """bundle.md 5.1: the unsigned members may not contradict the signed checkpoint."""
    bundle = json.loads(GOLDEN.read_text())
    change(bundle)
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(bundle))
    code, out, _ = _run(capsys, str(path), "--vkey", LOG["log_vkey"])
    assert code == 1
    assert f"FAILED: {failure}\n" in out
