"""``prov bundle``: one file that a reviewer can check with nothing but the log's public key.

``export`` writes a subject's record and everything it rests on, each
statement with an inclusion proof against one signed checkpoint; ``verify``
checks such a file offline (the same code as the standalone
``offline_verify`` module); ``show`` rebuilds the dispute view from the file
alone. The format is ``docs/spec/bundle.md``.
"""

from __future__ import annotations

from pathlib import Path

import click

from provenance import fold, history_entries, printable
from provenance.bundle.export import encode_bundle, export_bundle
from provenance.bundle.offline_verify import BundleError, verify_bundle
from provenance.bundle.reader import bundle_dispute, read_bundle
from provenance.trust import parse_witness_vkey

from .context import EXIT_VERIFY_FAILED, echo_json, fail, handle_errors, json_option, store_option
from .options import as_of_option, resolve
from .output import force_option, is_stdout, out_option, read_input, write_output
from .render import render_history
from .views import render_dispute


def _read(path: Path) -> bytes:
    return read_input(path, "bundle")  # a device (/dev/zero) is refused


@click.group("bundle")
def bundle_group() -> None:
    """Dispute bundles: export a subject's proved record to one file, verify it, show it.

    \b
    Example:
      prov bundle export finding-rapid-use --out finding.bundle.json
      prov bundle verify finding.bundle.json --vkey "$(prov log vkey)"
      prov bundle show finding.bundle.json
    """


@bundle_group.command("export")
@click.argument("subject")
@out_option("The bundle file to write ('-': stdout).", required=True)
@as_of_option
@click.option("--with-attachments", is_flag=True, help="Include attached files, not only hashes.")
@click.option(
    "--witness",
    "witness_vkeys",
    multiple=True,
    metavar="VKEY",
    help="A witness key whose cosignatures may be included, besides the witness policy's.",
)
@force_option
@store_option
@handle_errors
def bundle_export(
    subject: str,
    out: Path,
    as_of: str | None,
    with_attachments: bool,
    witness_vkeys: tuple[str, ...],
    force: bool,
    store_dir: Path,
) -> None:
    """Write the bundle of SUBJECT: its record and all it rests on, with proofs.

    Every statement of SUBJECT, of the challenges bearing on it, and of
    every subject those rest on (evidence items, actors and their keys, back
    to the organisation's registration), each with a C2SP tlog-proof against
    one signed checkpoint and the cosignatures on it that verify under a
    known witness key (the witness policy's, or --witness; any other recorded
    line is left out, and stderr says how many). With --as-of, the record as
    it stood then, proved against the first checkpoint that covers it. The
    file appears only once complete.

    \b
    Example:
      prov bundle export finding-rapid-use --out finding.bundle.json
      prov bundle export finding-rapid-use --as-of 2024-12-10 --out then.bundle.json
    """
    from provenance import Store

    given = [parse_witness_vkey(v, f"--witness {v}") for v in witness_vkeys]
    notes: list[str] = []
    with Store.open(store_dir) as store:
        bundle = export_bundle(
            store,
            subject,
            resolve(store, as_of),
            with_attachments=with_attachments,
            witnesses=given,
            notes=notes,
        )
    for note in notes:
        click.echo(f"note: {note}", err=True)
    data = encode_bundle(bundle)
    write_output(data, out, force=force)
    click.echo(
        err=is_stdout(out),
        message=f"wrote {out}: {len(bundle['statements'])} statements on {subject} as of position "
        f"{bundle['as_of']['position']}, proved against the checkpoint of size "
        f"{bundle['checkpoint'].split(chr(10))[1]}, {len(data)} bytes",
    )


@bundle_group.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--vkey", required=True, help="The log's verifier key (from 'prov log vkey').")
@click.option(
    "--witness", "witnesses", multiple=True, metavar="VKEY", help="A witness; repeatable."
)
@click.option("--quorum", type=int, help="Witness cosignatures required (default: all given).")
@json_option
@handle_errors
def bundle_verify(
    file: Path, vkey: str, witnesses: tuple[str, ...], quorum: int | None, as_json: bool
) -> None:
    """Check a bundle offline, with nothing but the log's public key; no store needed.

    Checks the checkpoint's signature and cosignature quorum (witnesses
    counted by distinct key), every inclusion proof, every statement against
    every acceptance rule of the store, replayed over the bundle's own
    statements (signatures and keys valid at that position, refs, subjects,
    withdrawals, trace statuses...), and attached files' hashes. Prints
    'OK: ...' or one 'FAILED: ...' line per problem (exit 1); a file that is
    not a bundle exits 2. The same code as 'prov bundle verifier' writes.

    \b
    Example:
      prov bundle verify finding.bundle.json --vkey "$(cat log.vkey)"
      prov bundle verify finding.bundle.json --vkey "$(cat log.vkey)" --witness "$(cat w1.vkey)"
    """
    try:
        report = verify_bundle(_read(file), vkey, witnesses, quorum)
    except BundleError as e:
        fail(printable(str(e)))
    if as_json:
        echo_json({"ok": report.ok, **report.__dict__})
    else:
        for failure in report.failures:
            click.echo(f"FAILED: {printable(failure)}")
        if report.ok:
            click.echo(
                printable(
                    f"OK: {report.statements} statements on {report.subject} as of position "
                    f"{report.position}, in {report.origin} at size {report.size}; "
                    f"{report.attachments} attachment(s), {report.attachment_files} file(s) "
                    f"hashed; cosigned by {', '.join(report.cosigners) or 'no witness asked for'}"
                )
            )
    if not report.ok:
        raise SystemExit(EXIT_VERIFY_FAILED)


@bundle_group.command("verifier")
@out_option("The zipapp file to write ('-': stdout).", required=True)
@force_option
@handle_errors
def bundle_verifier(out: Path, force: bool) -> None:
    """Write the standalone offline verifier: one zipapp, to run where 'prov' is not installed.

    It holds the very modules 'prov bundle verify' runs (the acceptance
    rules, strict JSON, signed notes and Merkle proofs), and needs only
    Python 3.11+ and the 'cryptography' package. Its exit codes are those of
    'prov bundle verify': 0 verified, 1 a check failed, 2 not a bundle.

    \b
    Example:
      prov bundle verifier --out prov-verify.pyz
      python3 prov-verify.pyz finding.bundle.json --vkey "$(cat log.vkey)"
    """
    from provenance.bundle.standalone import build

    data = build()
    write_output(data, out, force=force)
    if not is_stdout(out):
        click.echo(f"wrote {out}: the standalone bundle verifier, {len(data)} bytes")


@bundle_group.command("show")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@json_option
@handle_errors
def bundle_show(file: Path, as_json: bool) -> None:
    """The dispute view of a bundle's finding, rebuilt from the bundle alone.

    The same view 'prov dispute FINDING --as-of POSITION' gives on the store.
    A bundle of another subject (an evidence item, a challenge) shows that
    subject's state and history as of the bundle's position, as 'prov show'
    and 'prov history' do. Showing does not verify: run 'prov bundle verify'.

    \b
    Example:
      prov bundle show finding.bundle.json
      prov bundle show finding.bundle.json --json
    """
    bundle = read_bundle(_read(file))
    own = [r for r in bundle.records if r.subject == bundle.subject]
    if not own:
        fail(f"the bundle holds no statement on its subject {bundle.subject}")
    if own[0].statement.kind == "finding.asserted":
        view = bundle_dispute(bundle)
        if as_json:
            echo_json(view)
        else:
            click.echo(render_dispute(view))
        return
    state = fold(own)
    assert state is not None
    if as_json:
        echo_json({**state, "as_of": bundle.position})
        return
    click.echo(f"{state['type']} {bundle.subject} as of position {bundle.position}")
    click.echo(render_history(history_entries(own)))


COMMANDS = [bundle_group]
