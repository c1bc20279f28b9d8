#!/usr/bin/env bash
# Mutation testing of the verifier's core with mutmut 3 (docs/testing.md, "Mutation testing").
#
# Not run in CI: it is CPU heavy (every mutant is a pytest run). It uses ONE
# worker, and each module is mutated alone against only the fast tests that
# exercise it, so a run of the whole list takes minutes, not hours.
#
# Usage (from the repository root, with the venv built):
#
#   .venv/bin/pip install 'mutmut>=3.8,<4'     # once; not a project dependency
#   bench/mutation.sh                          # every module of the table below
#   bench/mutation.sh provenance/log/proof.py  # some of them
#   bench/mutation.sh 'provenance/x.py=tests/unit/test_x.py tests/unit/test_y.py'
#
# Each module runs in a scratch copy of the tree ($MUTATION_WORK, default
# /tmp/prov-mutation/<module>), never in the work tree, with a [tool.mutmut]
# table written into the copy's pyproject.toml. The last lines printed are
# one score per module:
#
#   provenance/log/proof.py   killed 187 of 190   98.4 %   survivors: ...
#
# The score is (killed + timed out) / all mutants; a mutant no test reaches
# counts as a survivor. The survivors of a module are listed by name; see
# them with `cd $MUTATION_WORK/<module> && mutmut show NAME`. The exit status
# is 1 when a module scores below $MUTATION_MIN (default 95), 2 on a setup
# error.
#
# Environment: PYTHON (default .venv/bin/python), MUTATION_WORK, MUTATION_MIN,
# MUTATION_KEEP=1 keeps the scratch copies (the default removes each after
# its score is printed, except when it has survivors).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
WORK="${MUTATION_WORK:-/tmp/prov-mutation}"
MIN="${MUTATION_MIN:-95}"
MUTMUT="$(dirname "$PYTHON")/mutmut"

# module = the fast tests that exercise it (space separated, relative to the root).
# A row whose module this tree lacks is reported as skipped: when the standalone
# verifier moves, give its new path and tests as an argument, MODULE=TESTS.
DEFAULT_TABLE=(
  "provenance/log/merkle.py=tests/unit/log/test_merkle.py tests/unit/log/test_proof_vectors.py tests/unit/log/test_mutants_merkle.py"
  "provenance/log/proof.py=tests/unit/log/test_proof_vectors.py tests/unit/log/test_merkle.py tests/unit/log/test_mutants_proof.py"
  "provenance/log/note.py=tests/unit/log/test_note.py tests/unit/log/test_checkpoint.py tests/unit/log/test_mutants_note.py tests/unit/log/test_note_strict.py tests/unit/log/test_note_properties.py"
  "provenance/log/checkpoint.py=tests/unit/log/test_checkpoint.py tests/unit/log/test_mutants_checkpoint.py"
  "provenance/envelope.py=tests/unit/test_envelope.py tests/unit/test_envelope_mutants.py"
  "provenance/canonical.py=tests/unit/test_canonical.py tests/unit/test_canonical_mutants.py"
  "provenance/rules=tests/unit/rules"
  "provenance/bundle/offline_verify.py=tests/integration/test_bundle_tamper.py tests/golden/test_golden_bundle.py tests/integration/test_offline_verify_mutants.py tests/integration/test_offline_verify_main.py tests/integration/test_offline_verify_mutants2.py tests/integration/test_offline_verify_mutants3.py"
)

die() { echo "mutation.sh: $*" >&2; exit 2; }
[ -x "$PYTHON" ] || die "no python at $PYTHON (build the venv, or set PYTHON)"
[ -x "$MUTMUT" ] || die "mutmut is not installed: $PYTHON -m pip install 'mutmut>=3.8,<4'"

entries=()
if [ "$#" -eq 0 ]; then
  entries=("${DEFAULT_TABLE[@]}")
else
  for arg in "$@"; do
    if [[ "$arg" == *=* ]]; then
      entries+=("$arg")
    else
      found=""
      for row in "${DEFAULT_TABLE[@]}"; do
        [ "${row%%=*}" = "$arg" ] && found="$row"
      done
      [ -n "$found" ] || die "$arg is not in the table; give it as '$arg=TEST_FILES'"
      entries+=("$found")
    fi
  done
fi

summary=()
status=0
for row in "${entries[@]}"; do
  module="${row%%=*}"
  if [ ! -e "$ROOT/$module" ]; then
    [ "$#" -eq 0 ] || die "$module does not exist"
    summary+=("$(printf '%-40s skipped: not in this tree' "$module")")
    continue
  fi
  read -r -a tests <<<"${row#*=}"
  [ "${#tests[@]}" -gt 0 ] || die "$module: no tests named"
  for t in "${tests[@]}"; do
    # A test file that moved would quietly weaken the run: stop instead.
    [ -e "$ROOT/$t" ] || die "$module: its test $t does not exist (fix the table)"
  done

  slug="${module//\//_}"
  copy="$WORK/$slug"
  rm -rf "$copy"
  mkdir -p "$copy"
  # The copy holds what the tests import: the package, the CLI, schemas, tests.
  (cd "$ROOT" && tar cf - --exclude=__pycache__ --exclude=.hypothesis \
      provenance cli schemas tests docs pyproject.toml README.md) | (cd "$copy" && tar xf -)

  if [ -d "$ROOT/$module" ]; then
    pattern="$module/*"
  else
    pattern="$module"
  fi
  "$PYTHON" - "$copy/pyproject.toml" "$pattern" "${tests[@]}" <<'EOF'
import json, sys, tomllib
path, pattern, *tests = sys.argv[1:]
text = open(path, encoding="utf-8").read()
if "mutmut" in tomllib.loads(text).get("tool", {}):
    sys.exit("pyproject.toml already has [tool.mutmut]; this script writes its own")
table = {
    "source_paths": ["provenance/"],
    "only_mutate": [pattern],
    # Generated data (python -m provenance.model.table), checked by a staleness
    # test that a mutated copy would fail for the wrong reason.
    "do_not_mutate": ["provenance/rules/kinds_table.py"],
    # Only this module's own fast tests select and kill its mutants.
    "pytest_add_cli_args_test_selection": tests,
    "pytest_add_cli_args": ["-p", "no:cacheprovider", "-q"],
    "also_copy": ["cli/", "schemas/", "docs/", "README.md"],
    "use_git_change_detection": False,
}
lines = ["", "[tool.mutmut]"] + [f"{k} = {json.dumps(v)}" for k, v in table.items()]
open(path, "a", encoding="utf-8").write("\n".join(lines) + "\n")
EOF

  echo "== $module: mutmut, 1 worker, tests: ${tests[*]}"
  log="$copy/mutmut-run.log"
  if ! (cd "$copy" && "$MUTMUT" run --max-children 1 >"$log" 2>&1); then
    tail -n 30 "$log" >&2
    die "$module: mutmut run failed (log: $log)"
  fi
  (cd "$copy" && "$MUTMUT" results --all true >"$copy/results.txt" 2>&1) \
    || die "$module: mutmut results failed"
  line="$("$PYTHON" - "$copy/results.txt" "$module" "$MIN" <<'EOF'
import sys
path, module, minimum = sys.argv[1], sys.argv[2], float(sys.argv[3])
counts: dict[str, int] = {}
survivors = []
for raw in open(path, encoding="utf-8"):
    name, sep, state = raw.strip().rpartition(": ")
    if not sep or "__mutmut_" not in name:
        continue
    counts[state] = counts.get(state, 0) + 1
    if state not in ("killed", "timeout", "caught by type check"):
        survivors.append(f"{name.split('.')[-1]} ({state})")
total = sum(counts.values())
killed = counts.get("killed", 0) + counts.get("timeout", 0) + counts.get("caught by type check", 0)
score = 100.0 * killed / total if total else 0.0
flag = "" if score >= minimum else "   BELOW %g %%" % minimum
print(f"{module:40} killed {killed:4} of {total:4}  {score:5.1f} %{flag}"
      + (f"   survivors: {', '.join(survivors)}" if survivors else ""))
sys.exit(0 if score >= minimum and total else 1)
EOF
)" || status=1
  echo "$line"
  summary+=("$line")
  if [ "${MUTATION_KEEP:-0}" != 1 ] && [[ "$line" != *survivors:* ]]; then
    rm -rf "$copy"
  fi
done

echo
echo "== mutation scores (minimum $MIN %)"
printf '%s\n' "${summary[@]}"
exit "$status"
