"""``prov demo``: build the case in a fresh store and tell it."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from provenance import demo as case
from provenance.projections.custody import custody_chain
from provenance.projections.dispute import dispute as dispute_view
from provenance.store.audit import audit

from .context import fail, handle_errors
from .render import render_challenge, render_finding, short, stamp, strike

MARKER = ".prov-demo"


def _fresh(directory: Path) -> None:
    if directory.exists() and any(directory.iterdir()):
        if not (directory / MARKER).exists():
            fail(f"{directory} exists and is not a demo store; choose another --store")
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER).write_text("built by 'prov demo'; safe to delete\n")


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
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the demo (store and keys); rebuilt if it holds an earlier demo.",
)
@handle_errors
def demo(directory: Path) -> None:
    """Build the missile-remains case in a fresh store and tell it as a story.

    The demo's keys are generated inside the demo directory, so nothing is
    written to your own keys directory.

    \b
    Example:
      prov demo --store ./prov-demo
    """
    _fresh(directory)
    built = case.build(directory)
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
            if "retracted" in m:
                line = f"{strike(line)} (retracted: {m['retracted']['reason']})"
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

    _section("Verification")
    report = audit(store)
    click.echo(
        f"  prov verify: {report.statements} statements on {report.subjects} subjects, "
        f"{'every signature, ref and history intact' if report.ok else 'PROBLEMS FOUND'}"
    )
    for p in report.problems:
        click.echo(f"  FAIL {p.describe()}")
    store.close()

    s = directory / "store"
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
    click.echo(
        f"  (the demo's keys are in {built.keys_dir}; sign with --keys {built.keys_dir} "
        "--key analyst)"
    )
    if not report.ok:
        raise SystemExit(1)
