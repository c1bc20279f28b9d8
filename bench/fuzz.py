"""Fuzz the hostile parsers with atheris (libFuzzer, coverage-guided).

The targets, their contract and the seeds are those of the property tests
(``tests/property/hostile.py``): on any bytes, each parser returns or raises
its documented error; a JSON parser accepts only strict JSON. Anything else
is a finding: libFuzzer stops, prints the traceback and writes the input to
``crash-<sha1>`` in the current directory.

Not a benchmark and not part of the test suite (docs/testing.md, "Fuzzing")::

    pip install atheris
    python bench/fuzz.py envelope -max_total_time=300
    python bench/fuzz.py all -max_total_time=60      # each target in turn
    python bench/fuzz.py bundle corpus/bundle -max_total_time=600

Any libFuzzer flag may follow the target name (``-runs=N``, ``-max_len=N``,
``-jobs=N``); a directory argument is a corpus, seeded with the genuine input
when empty. Half the inputs go through the mutations of the property tests
(decoy members, hostile values, dropped statements) before reaching the
parser, so the fuzzer starts near valid inputs as well as from raw bytes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.property.hostile, run from anywhere

import atheris  # noqa: E402

with atheris.instrument_imports():
    from tests.property.hostile import SEEDS, TARGETS, check, json_mutate, mutate


def _one_input(name: str) -> object:
    target = TARGETS[name]
    seed = SEEDS[name]()

    def test_one_input(data: bytes) -> None:
        fdp = atheris.FuzzedDataProvider(data)
        mode = fdp.ConsumeIntInRange(0, 3)
        if mode == 0 or len(data) < 4:
            check(target, fdp.ConsumeBytes(fdp.remaining_bytes()))
            return

        def choices(n: int) -> int:
            return fdp.ConsumeIntInRange(0, max(n - 1, 0))

        rounds = fdp.ConsumeIntInRange(1, 4)
        if mode == 1 and target.json:
            check(target, json_mutate(seed, choices, rounds))
        else:
            check(target, mutate(seed, choices, rounds))

    return test_one_input


def main(argv: list[str]) -> None:
    """``fuzz.py TARGET|all [libFuzzer flags and corpus directories]``."""
    if len(argv) < 2 or argv[1] not in (*TARGETS, "all"):
        sys.exit(f"usage: {argv[0]} {{{','.join(TARGETS)},all}} [libFuzzer flags]")
    name, flags = argv[1], argv[2:]
    if name == "all":
        # One process per target: libFuzzer runs one target per process.
        failed = [
            n
            for n in TARGETS
            if subprocess.run([sys.executable, argv[0], n, *flags], check=False).returncode
        ]
        sys.exit(f"findings in: {', '.join(failed)}" if failed else 0)
    for corpus in (Path(f) for f in flags if not f.startswith("-")):
        if corpus.is_file():
            continue  # an input to replay, e.g. a crash-<sha1> file
        corpus.mkdir(parents=True, exist_ok=True)
        if not any(corpus.iterdir()):
            (corpus / "seed").write_bytes(SEEDS[name]())
    atheris.Setup([argv[0], *flags], _one_input(name))
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
