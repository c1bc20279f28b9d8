"""``prov demo``: build the case in a fresh store and tell it."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import click

from provenance import (
    STORE_SCHEMES,
    KeyRing,
    ProvenanceError,
    add_cosignature,
    audit,
    custody_chain,
    dispute_view,
    parse_location,
    set_witness_policy,
    sign_checkpoint,
)
from provenance import demo as case
from provenance.bundle.export import encode_bundle, export_bundle
from provenance.bundle.offline_verify import verify_bundle
from provenance.bundle.reader import bundle_dispute, read_bundle
from provenance.log import (
    COSIGNATURE_V1,
    cosign,
    format_tlog_proof,
    format_verifier_key,
    leaf_hash,
    parse_note,
    parse_verifier_key,
    verify_tlog_proof,
)

from .context import fail, handle_errors
from .output import write_output
from .render import render_challenge, render_finding, short, stamp, strike
from .views import render_dispute

WITNESS = "witness.example/demo"
"""The demo's witness (its key is made with the demo's other keys)."""
WITNESSED_AT = 1741000000
"""When the demo's witness cosigns (UNIX seconds; 2025-03-03), fixed like the demo's clock."""

MARKER = ".prov-demo"


def _fresh(directory: Path) -> None:
    if directory.exists() and any(directory.iterdir()):
        if not (directory / MARKER).exists():
            fail(f"{directory} exists and is not a demo store; choose another --store")
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER).write_text("built by 'prov demo'; safe to delete\n")


def _demo_directory(value: str) -> Path:
    """The demo's directory; a PostgreSQL URL is refused before anything is written."""
    if value.strip().lower().startswith(STORE_SCHEMES):
        try:
            shown = str(parse_location(value))  # never the password
        except ProvenanceError:
            shown = "a postgresql:// URL"
        fail(
            f"prov demo builds its store, keys and proofs in a directory, not in PostgreSQL "
            f"({shown}): run 'prov demo --store DIR', then 'prov copy --from DIR/store --to URL'"
        )
    return Path(value)


def _section(title: str) -> None:
    click.echo()
    click.secho(title, bold=True)
    click.echo("-" * len(title))


@click.command("demo")
@click.option(
    "--store",
    "directory",
    default="prov-demo",
    show_default=True,
    # A plain string first: a Path would turn "postgresql://h/db" into "postgresql:/h/db".
    type=click.Path(file_okay=False),
    help="Directory for the demo (store, keys and proofs); rebuilt if it holds an earlier "
    "demo. A directory only: not a postgresql:// URL.",
)
@handle_errors
def demo(directory: str) -> None:
    """Build the missile-remains case in a fresh store and tell it as a story.

    The demo's keys are generated inside the demo directory, so nothing is
    written to your own keys directory: the organisation's in DIR/keys, the
    witness's apart in DIR/witness-keys (a witness is another party).

    \b
    Example:
      prov demo --store ./prov-demo
    """
    root = _demo_directory(directory)
    _fresh(root)
    built = case.build(root)
    store = built.store
    views = store.views
    click.echo(
        "A weapons-tracing research organisation documents missile remains recovered in\n"
        "Ukraine, asserts findings on them, and presents them to the UN Security Council,\n"
        "where one state challenges its impartiality. Every step below is an Ed25519-signed\n"
        "statement in the store. (Dates, sites and marking texts are illustrative.)"
    )

    _section("Who signs")
    for actor in views.subjects("actor"):
        click.echo(
            f"  {actor['subject']:<11} {actor['name']} ({actor['role']}), "
            f"key {actor['key_id'][:16]}"
        )

    _section("The evidence")
    for item in views.subjects("evidence"):
        click.echo(f"  {item['subject']:<18} {item['title']}, recovered {item['recovered_at']}")
        for m in item["markings"]:
            line = f"marking {m['text']!r} read as {m.get('meaning', '?')} {m.get('value', '')}"
            if "withdrawn" in m:
                line = f"{strike(line)} ({m['withdrawn']['how']}: {m['withdrawn']['reason']})"
            click.echo(f"  {'':<18} {line}")
        for c in item["components"]:
            click.echo(
                f"  {'':<18} component: {c['part']}, origin {c.get('country', '?')}, "
                f"date code taken to mean {c.get('date_code_meaning', '?')}"
            )
        if "grade" in item:
            click.echo(f"  {'':<18} source graded {item['grade']} (Admiralty code)")
    chain = custody_chain(views.subject("item-m3") or {})
    click.echo(f"\n  Chain of custody of item-m3: {chain['status']}")
    for e in chain["events"]:
        click.echo(
            f"    {e['at']}  {e['action']:<11} by {e['performed_by']}; "
            f"held by {e['holder_after']} after"
        )
    trace = views.subject("trace-component-1")
    if trace is not None:
        click.echo(
            f"\n  Trace request to {trace['addressee']}: {trace['status']}"
            + (f" ({trace['answer']})" if "answer" in trace else "")
        )

    _section("The findings")
    for finding in views.subjects("finding"):
        click.echo(f"  {finding['subject']}  [{finding['status']}]")
        click.echo("\n".join(render_finding(store, finding, "  ")).rstrip())
        click.echo()

    _section("The challenge at the Council, and the answers")
    challenge = views.subject(case.CHALLENGE)
    assert challenge is not None
    click.echo("\n".join(render_challenge(challenge, "  ")))
    click.echo(
        "\n  Note who raised the challenge (a party holding no key) and who recorded it\n"
        "  (the observer, whose key signed the statement)."
    )

    _section("The reaffirmation")
    central = views.subject(case.CENTRAL_FINDING)
    assert central is not None
    last = central["reaffirmations"][-1]
    click.echo(f"  {last['statement']}")
    for n, obs in enumerate(last["observations"], start=1):
        click.echo(f"   {n}. {obs}")
    click.echo(f"  {stamp(last)}")
    for ref in last["refs"]:
        row = views.statement_row(ref)
        if row is not None:
            click.echo(f"  answers {row['kind']} on {row['subject_id']} (statement {short(ref)})")

    _section("What the record said on the day of the meeting, and now")
    meeting = store.position_at(case.MEETING_DAY)
    then = dispute_view(store, case.CENTRAL_FINDING, meeting)
    now = dispute_view(store, case.CENTRAL_FINDING)
    click.echo(
        f"  As of {case.MEETING_DAY} (position {meeting}), finding {case.CENTRAL_FINDING} "
        f"was {then['status']}; its argument:"
    )
    for e in then["argument"]:
        said = f", said by {e['attributed_to']}" if "attributed_to" in e else ""
        click.echo(f"    #{e['position']:<3} {e['summary'][:70]}")
        click.echo(f"         signed by {e['author']}{said}; issued {e['issued_at']}")
    click.echo(
        f"  Now (position {now['as_of']['position']}) it is {now['status']}, "
        f"with {len(now['argument'])} statements:"
    )
    added = [e for e in now["argument"] if e["position"] > meeting]
    for e in added:
        click.echo(f"    since then: #{e['position']} {e['summary']} (by {e['author']})")
    click.echo(f"  prov dispute {case.CENTRAL_FINDING} --as-of {case.MEETING_DAY} prints it whole.")

    _section("The audit trail: a signed checkpoint and an offline proof")
    log_key = KeyRing(built.keys_dir).load("root-log")
    checkpoint = sign_checkpoint(store, log_key)
    click.echo("  The log's key signs a checkpoint of the whole log (C2SP signed note):\n")
    click.echo("\n".join("    " + line for line in checkpoint.note.splitlines()))
    central_id = built.statements["finding-central"]
    rec = store.statement(central_id)
    proof = format_tlog_proof(
        rec.position, store.log_inclusion(rec.position, checkpoint.size), checkpoint.note
    )
    vkey = store.meta["log_vkey"]
    proofs = root / "proofs"
    proofs.mkdir(exist_ok=True)
    (proofs / "finding.tlog-proof").write_text(proof)
    (proofs / "finding.entry").write_bytes(rec.envelope.raw)
    (proofs / "log.vkey").write_text(vkey + "\n")
    click.echo(
        f"\n  A proof that the assertion of {case.CENTRAL_FINDING} is leaf {rec.position} of "
        f"that log ({len(proof.splitlines())} lines, C2SP tlog-proof), written to {proofs}."
    )
    # Checked as an outsider would: only the proof, the entry and the log's public key.
    _, opened = verify_tlog_proof(
        (proofs / "finding.tlog-proof").read_text(),
        leaf_hash((proofs / "finding.entry").read_bytes()),
        parse_verifier_key((proofs / "log.vkey").read_text().strip()),
    )
    click.echo(
        f"  Checked offline against {vkey.split('+')[0]}: the entry is in the log of size "
        f"{opened.checkpoint.size}, root {base64.b64encode(opened.checkpoint.root_hash).decode()}."
    )
    click.echo(
        f"  prov log check-proof {proofs / 'finding.tlog-proof'} {proofs / 'finding.entry'} "
        f"--vkey {vkey}"
    )

    # A witness cosigns the checkpoint, so that a reader need not take the log's
    # word alone that this is the one history. Its key is another party's, kept
    # apart from the organisation's (here a separate directory stands for it).
    witness_key = KeyRing(built.witness_keys_dir).load(case.WITNESS_KEY)
    witness_vkey = format_verifier_key(WITNESS, witness_key.public_bytes, COSIGNATURE_V1)
    text, _ = parse_note(checkpoint.note)
    line = cosign(text, WITNESS, witness_key.private_key, WITNESSED_AT)
    add_cosignature(store, checkpoint, parse_verifier_key(witness_vkey), line)
    # The organisation names the witness it relies on: verify then checks its
    # cosignatures, bundles carry them, and 'prov trust export' pins them.
    set_witness_policy(store, [parse_verifier_key(witness_vkey)], 1)
    (proofs / "witness.vkey").write_text(witness_vkey + "\n")
    click.echo(f"  The witness {WITNESS} cosigned that checkpoint: {proofs / 'witness.vkey'}")
    click.echo(
        f"  (its key is in {built.witness_keys_dir}, apart from the organisation's keys:\n"
        "  a witness is another party, on its own machine)"
    )

    _section("Verification")
    report = audit(store)
    click.echo(
        f"  prov verify: {report.statements} statements on {report.subjects} subjects, "
        f"{'every signature, ref and history intact' if report.ok else 'PROBLEMS FOUND'}"
    )
    for p in report.problems:
        click.echo(f"  FAIL {p.describe()}")

    _section("A bundle for the dispute: one file, checked with only the log's public key")
    bundle_file = proofs / "finding.bundle.json"
    bundle = export_bundle(store, case.CENTRAL_FINDING)  # with the policy's cosignatures
    write_output(encode_bundle(bundle), bundle_file, force=True)
    store.close()
    # From here on, only the file and the log's verifier key: no store.
    data = bundle_file.read_bytes()
    checked = verify_bundle(data, vkey, [witness_vkey], 1)
    click.echo(
        f"  prov bundle export wrote {bundle_file} ({len(data)} bytes): {checked.statements} "
        f"statements, each with a proof against the checkpoint of size {checked.size}."
    )
    for failure in checked.failures:
        click.echo(f"  FAILED: {failure}")
    if checked.ok:
        click.echo(
            "  Verified offline (provenance/bundle/offline_verify.py, standard library and\n"
            "  cryptography only): checkpoint and its witness's cosignature, every inclusion\n"
            "  proof, every signature and key, every ref. What the bundle shows, rebuilt from\n"
            "  the file alone:\n"
        )
    click.echo(
        "\n".join(
            "  " + line for line in render_dispute(bundle_dispute(read_bundle(data))).splitlines()
        )
    )

    s = root / "store"
    _section("Explore further")
    click.echo(f"  prov list --store {s}")
    click.echo(f"  prov show {case.CENTRAL_FINDING} --store {s}")
    click.echo(f"  prov history {case.CENTRAL_FINDING} --store {s}")
    click.echo(f"  prov show {case.CHALLENGE} --store {s} --json")
    click.echo(f"  prov dispute {case.CENTRAL_FINDING} --as-of {case.MEETING_DAY} --store {s}")
    click.echo(f"  prov custody item-m3 --store {s}")
    click.echo(f"  prov history item-m2 --store {s}      # a retracted marking, struck through")
    click.echo(f"  prov diff {case.CENTRAL_FINDING} --from {case.MEETING_DAY} --store {s}")
    click.echo(f"  prov verify --store {s}")
    witness_arg = f'--witness "$(cat {proofs / "witness.vkey"})" --quorum 1'
    click.echo(
        f'  prov bundle verify {bundle_file} --vkey "$(cat {proofs / "log.vkey"})" {witness_arg}'
    )
    click.echo(f"  python -m provenance.bundle.offline_verify {bundle_file} --vkey {vkey}")
    click.echo(f"  prov bundle show {bundle_file}")
    click.echo(
        f"  (the organisation's keys are in {built.keys_dir}; sign with --keys "
        f"{built.keys_dir} --key analyst. The witness's key is in {built.witness_keys_dir},\n"
        "  standing for another party: whoever holds the log's key and the witness's\n"
        "  could rewrite the log and cosign the rewrite.)"
    )
    if not report.ok or not checked.ok:
        raise SystemExit(1)


COMMANDS = [demo]
