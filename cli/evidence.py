"""``prov evidence``: register items, record what is observed on them, attach files."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import click

from provenance import (
    BlobInfo,
    BlobStore,
    CustodyAction,
    EvidenceAttached,
    InputError,
    ItemKind,
    Location,
    Reliability,
    StatementRejected,
    Store,
    StoreError,
    VerificationError,
    attachments,
    build_payload,
    check_media_type,
    guess_media_type,
    sign_statement,
)

from .context import echo_json, fail, handle_errors, json_option, load_key, open_store, store_option
from .options import Writer, author_of, choices, clean, new_id, print_receipt, write_options
from .output import STDOUT, check_target, force_option, is_stdout, open_output, out_option

ATTACHED_KIND = "evidence.attached"
STDIN = "-"
"""The FILE argument that means standard input."""
# Stands in for the digest when the statement is checked before the file is copied.
_PLACEHOLDER_DIGEST = "0" * 64
_HEX = frozenset("0123456789abcdef")


@click.group("evidence")
def evidence_group() -> None:
    """Register evidence items and what is observed on them.

    \b
    Example:
      prov evidence add --id item-m1 --kind missile-remains --title "Remains" --key alice
      prov evidence mark item-m1 --text 2024 --meaning "production year" --key alice
    """


def _identifiers(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name or not value:
            fail(f"--identifier {pair!r} must look like NAME=VALUE")
        out[name] = value
    return out


@evidence_group.command("add")
@click.option("--id", "subject", help="Item id (default: generated, item-…).")
@click.option("--kind", "item_kind", required=True, type=choices(ItemKind), help="Item kind.")
@click.option("--title", required=True, help="Short title.")
@click.option("--description", help="Description.")
@click.option("--recovered-at", help="When recovered (UTC): 2024, 2024-07, 2024-07-15, ...")
@click.option("--recovered-where", help="Where recovered.")
@click.option("--custodian", help="Who holds the item.")
@click.option("--identifier", "identifiers", multiple=True, help="NAME=VALUE, e.g. serial=AB12.")
@write_options
@handle_errors
def evidence_add(
    subject: str | None,
    item_kind: str,
    title: str,
    description: str | None,
    recovered_at: str | None,
    recovered_where: str | None,
    custodian: str | None,
    identifiers: tuple[str, ...],
    writer: Writer,
) -> None:
    """Register an evidence item.

    \b
    Example:
      prov evidence add --id item-m1 --kind missile-remains \\
          --title "Missile remains, site A" --recovered-at 2024-07 --key alice
    """
    writer.append(
        kind="evidence.registered",
        subject=subject or new_id("item"),
        body={
            "item_kind": item_kind,
            "title": title,
            "description": description,
            "recovered_at": recovered_at,
            "recovered_where": recovered_where,
            "custodian": custodian,
            "identifiers": _identifiers(identifiers),
        },
    )


@evidence_group.command("mark")
@click.argument("item")
@click.option("--text", required=True, help="The marking exactly as read.")
@click.option("--location", help="Where on the item.")
@click.option("--meaning", help="What it is taken to mean, e.g. 'production year'.")
@click.option("--value", help="The value it is taken to give, e.g. '2024'.")
@click.option("--method", help="How it was read.")
@write_options
@handle_errors
def evidence_mark(
    item: str,
    text: str,
    location: str | None,
    meaning: str | None,
    value: str | None,
    method: str | None,
    writer: Writer,
) -> None:
    """Record a marking observed on ITEM.

    \b
    Example:
      prov evidence mark item-m3 --text "2024" --location "motor section" \\
          --meaning "production year" --value 2024 --method "visual, photographed" --key alice
    """
    writer.append(
        kind="evidence.marking",
        subject=item,
        body={
            "text": text,
            "location": location,
            "meaning": meaning,
            "value": value,
            "method": method,
        },
    )


def _changes(values: tuple[str, ...]) -> list[dict[str, str]] | None:
    """``--change "DESCRIPTION|MADE_BY|REASON"`` values as custody change objects."""
    out = []
    for value in values:
        parts = [p.strip() for p in value.split("|")]
        if len(parts) != 3 or not all(parts):
            fail(f"--change {value!r} must look like DESCRIPTION|MADE_BY|REASON")
        description, made_by, reason = parts
        out.append({"description": description, "made_by": made_by, "reason": reason})
    return out or None


@evidence_group.command("custody")
@click.argument("item")
@click.option("--action", required=True, type=choices(CustodyAction), help="What was done.")
@click.option("--at", "at", required=True, help="When (UTC): 2024-07-15, 2024-07-15T09:30Z, ...")
@click.option("--by", "performed_by", required=True, help="Who did it.")
@click.option("--from", "from_party", help="Who handed it over (required when transferred).")
@click.option(
    "--to", "to_party", help="Who holds it afterwards (required when collected or transferred)."
)
@click.option("--location", help="Where (required when stored).")
@click.option("--purpose", help="Why.")
@click.option("--method", help="How, e.g. 'sealed bag 0042'.")
@click.option("--condition", help="The item's condition.")
@click.option(
    "--change",
    "changes",
    multiple=True,
    help="An unavoidable change to the item: 'DESCRIPTION|MADE_BY|REASON' (repeat).",
)
@write_options
@handle_errors
def evidence_custody(
    item: str,
    action: str,
    at: str,
    performed_by: str,
    from_party: str | None,
    to_party: str | None,
    location: str | None,
    purpose: str | None,
    method: str | None,
    condition: str | None,
    changes: tuple[str, ...],
    writer: Writer,
) -> None:
    """Record one link of ITEM's chain of custody.

    collected needs --to; transferred needs --from and --to; stored needs --location.

    \b
    Example:
      prov evidence custody item-m3 --action transferred --at 2024-08-02 \\
          --by "Field team" --from "Field team" --to "Laboratory" \\
          --method "sealed bag 0042" --change "Swab taken|Lab|Residue analysis" --key alice
    """
    writer.append(
        kind="evidence.custody",
        subject=item,
        body={
            "action": action,
            "at": at,
            "performed_by": performed_by,
            "from_party": from_party,
            "to_party": to_party,
            "location": location,
            "purpose": purpose,
            "method": method,
            "condition": condition,
            "changes": _changes(changes),
        },
    )


@evidence_group.command("component")
@click.argument("item")
@click.option("--part", required=True, help="What the component is, e.g. 'voltage regulator'.")
@click.option("--manufacturer", help="Its manufacturer.")
@click.option("--country", help="The manufacturer's country.")
@click.option("--part-number", help="The part number read on it.")
@click.option("--lot", help="The lot or batch number.")
@click.option("--date-code", help="The date code as read, e.g. '2334'.")
@click.option("--date-code-meaning", help="What the date code is taken to mean.")
@click.option("--notes", help="Anything else.")
@write_options
@handle_errors
def evidence_component(
    item: str,
    part: str,
    manufacturer: str | None,
    country: str | None,
    part_number: str | None,
    lot: str | None,
    date_code: str | None,
    date_code_meaning: str | None,
    notes: str | None,
    writer: Writer,
) -> None:
    """Record a component found in ITEM.

    \b
    Example:
      prov evidence component item-m3 --part "voltage regulator" \\
          --manufacturer "Example Corp" --country "Country X" --part-number LM7805 \\
          --date-code 2334 --date-code-meaning "week 34 of 2023" --key alice
    """
    writer.append(
        kind="evidence.component",
        subject=item,
        body={
            "part": part,
            "manufacturer": manufacturer,
            "country": country,
            "part_number": part_number,
            "lot": lot,
            "date_code": date_code,
            "date_code_meaning": date_code_meaning,
            "notes": notes,
        },
    )


@evidence_group.command("derive")
@click.argument("item")
@click.option(
    "--from", "source", required=True, metavar="SOURCE", help="The evidence item ITEM comes from."
)
@click.option(
    "--relation",
    type=click.Choice(["part-of", "derived-from"]),
    required=True,
    help="part-of: taken from SOURCE (an engine from a wreck); derived-from: made from it "
    "(a working copy of a photograph).",
)
@click.option("--how", help="How it was taken or made.")
@click.option("--at", "at_", metavar="WHEN", help="When (UTC date or time, e.g. 2024-08-21).")
@click.option("--performed-by", help="Who took or made it.")
@write_options
@handle_errors
def evidence_derive(
    item: str,
    source: str,
    relation: str,
    how: str | None,
    at_: str | None,
    performed_by: str | None,
    writer: Writer,
) -> None:
    """Record that ITEM is part of, or derived from, the evidence item SOURCE.

    \b
    Example:
      prov evidence derive item-engine --from item-m3 --relation part-of \\
          --how "Removed from the wreck at the site." --at 2024-08-21 --key alice
    """
    writer.append(
        kind="evidence.derived",
        subject=item,
        body={
            "source": source,
            "relation": relation,
            "how": how,
            "at": at_,
            "performed_by": performed_by,
        },
    )


@evidence_group.command("grade")
@click.argument("item")
@click.option(
    "--reliability",
    required=True,
    type=choices(Reliability),
    help="Admiralty source reliability: A completely reliable ... F cannot be judged.",
)
@click.option(
    "--credibility",
    required=True,
    type=click.Choice(["1", "2", "3", "4", "5", "6"]),
    help="Admiralty information credibility: 1 confirmed ... 6 cannot be judged.",
)
@click.option("--rationale", required=True, help="Why this grading.")
@write_options
@handle_errors
def evidence_grade(
    item: str,
    reliability: str,
    credibility: str,
    rationale: str,
    writer: Writer,
) -> None:
    """Grade ITEM as a source on the Admiralty scale (e.g. B2).

    \b
    Example:
      prov evidence grade item-m3 --reliability B --credibility 2 \\
          --rationale "Recovered by our own team; consistent with other items." --key alice
    """
    writer.append(
        kind="evidence.graded",
        subject=item,
        body={"reliability": reliability, "credibility": int(credibility), "rationale": rationale},
    )


@evidence_group.command("attach")
@click.argument("item")
@click.argument("file", type=click.Path(allow_dash=True, path_type=Path))
@click.option("--caption", help="What the file shows or is.")
@click.option(
    "--media-type",
    help="Its media type, e.g. image/jpeg (default: guessed from the file name).",
)
@write_options
@handle_errors
def evidence_attach(
    item: str,
    file: Path,
    caption: str | None,
    media_type: str | None,
    writer: Writer,
) -> None:
    """Attach FILE (a photograph, a document) to the evidence item ITEM.

    The file is copied into the store's blob store under its SHA-256, then a
    signed statement records its digest, size, media type, name and caption.
    'prov verify' re-hashes every attached file. FILE '-' reads standard
    input (spooled to a private temporary file first); the statement then
    names no file name, and --media-type defaults to application/octet-stream.

    \b
    Example:
      prov evidence attach item-m3 photos/motor-marking.jpg \\
          --caption "Marking on the motor section" --key alice
      scan-device --stdout | prov evidence attach item-m3 - --media-type image/png --key alice
    """
    if str(file) == STDIN:
        with _spooled_stdin() as spooled:
            _attach(item, spooled, None, caption, media_type, writer)
        return
    _attach(item, file, file.name, caption, media_type, writer)


@contextlib.contextmanager
def _spooled_stdin() -> Iterator[Path]:
    """Standard input copied to a file only this user can read, removed afterwards.

    The blob store hashes a file as it copies it; standard input is copied
    to a file first so that the checks before the copy (the item, the key)
    cannot leave a half-read pipe behind.
    """
    with tempfile.TemporaryDirectory(prefix="prov-attach-") as tmp:
        path = Path(tmp) / "stdin"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f, click.open_file(STDIN, "rb") as stdin:
            shutil.copyfileobj(stdin, f, 1024 * 1024)
        yield path


def _attach(
    item: str,
    file: Path,
    filename: str | None,
    caption: str | None,
    media_type: str | None,
    writer: Writer,
) -> None:
    """Attach ``file`` to ``item``, recording ``filename`` (None: no name)."""
    if not file.is_file():
        raise InputError(f"no such file: {file}" if not file.exists() else f"{file} is not a file")
    body = {
        "media_type": check_media_type(media_type) if media_type else guess_media_type(file),
        "filename": filename,
        "caption": caption,
    }
    with open_store(writer.store_dir) as store:
        signing_key = load_key(writer.keys_dir, writer.key)
        author = author_of(store, signing_key)
        ref_ids: list[str] = [store.resolve_statement(r) for r in writer.refs]
        # Everything that does not depend on the file's content is checked
        # before the file is copied, which for a large file takes a while: the
        # body's fields and the item. The store checks again when appending;
        # this only fails early, with nothing written at all.
        build_payload(
            kind=ATTACHED_KIND,
            subject=item,
            author=author,
            body=clean({**body, "digest": _PLACEHOLDER_DIGEST, "size": 0}),
            refs=ref_ids,
            issued_at=writer.issued_at,
        )
        if store.subject_type(item) != "evidence":
            raise StatementRejected(
                f"{ATTACHED_KIND} on {item}: {item} is not an evidence item in this store"
            )
        # The blob goes in first, so that no recorded statement ever names a
        # blob that was not there. If the statement is then refused, the blob
        # stays: it is named by its content, so it misleads no one, and
        # attaching the same file again reuses it. Nothing else is written.
        info = store.blobs.put_file(file)
        envelope = sign_statement(
            signing_key,
            kind=ATTACHED_KIND,
            subject=item,
            author=author,
            body=clean({**body, "digest": info.digest, "size": info.size}),
            refs=ref_ids,
            issued_at=writer.issued_at,
        )
        receipt = store.append(envelope)
    if writer.as_json:
        echo_json(
            {
                "statement_id": receipt.statement_id,
                "subject": receipt.subject,
                "kind": ATTACHED_KIND,
                "position": receipt.position,
                "version": receipt.version,
                "duplicate": receipt.duplicate,
                "digest": info.digest,
                "size": info.size,
                "media_type": body["media_type"],
                "filename": filename,
            }
        )
        return
    click.echo(f"stored blob sha256:{info.digest} ({info.size} bytes, {body['media_type']})")
    print_receipt(receipt, ATTACHED_KIND, as_json=False)


def _digest_prefix(text: str) -> str:
    """A full digest or a prefix of 8 hex characters or more, lowercased."""
    prefix = text.strip().lower().removeprefix("sha256:")
    if not 8 <= len(prefix) <= 64 or not _HEX.issuperset(prefix):
        raise InputError(f"{text!r} is not a SHA-256 digest or a prefix of 8 to 64 hex characters")
    return prefix


def attached(store: Store, digest: str) -> tuple[str, list[EvidenceAttached]]:
    """The one attached digest starting with ``digest``, and the statements naming it.

    Raises:
        InputError: ``digest`` is not a digest or a prefix of one.
        StoreError: no attachment statement names such a digest, or several do.
    """
    prefix = _digest_prefix(digest)
    found: dict[str, list[EvidenceAttached]] = {}
    for _, body in attachments(store):
        if body.digest.startswith(prefix):
            found.setdefault(body.digest, []).append(body)
    if not found:
        raise StoreError(f"no file with digest {digest} is attached in this store")
    if len(found) > 1:
        raise StoreError(f"digest prefix {digest} is ambiguous; give more characters")
    ((full, bodies),) = found.items()
    return full, bodies


@evidence_group.command("extract")
@click.argument("digest")
@out_option("The file to write ('-': stdout, once the hash is checked).", required=True)
@force_option
@store_option
@json_option
@handle_errors
def evidence_extract(
    digest: str, out: Path, force: bool, store_dir: Location, as_json: bool
) -> None:
    """Write an attached file, by its DIGEST, to --out, checking its SHA-256.

    DIGEST is the SHA-256 of a file attached in this store, or a unique
    prefix of it (8 hex characters or more). The file is written only if its
    content still matches; an existing --out is kept unless --force is given.

    \b
    Example:
      prov evidence extract 3f9a0c1b2d4e5f60 --out motor-marking.jpg
    """
    if is_stdout(out) and as_json:
        raise InputError("--json and --out - would share standard output: give --out FILE")
    if not is_stdout(out):
        check_target(out, force=force)
    with open_store(store_dir) as store:
        full, bodies = attached(store, digest)
        blobs = store.blobs
        # The digest is signed into the record, so a blob that is gone is a
        # failed verification (exit 1), not a bad request.
        if not blobs.exists(full):
            raise VerificationError(f"attachment blob {full[:16]} is missing: run 'prov verify'")
        info: BlobInfo = _extract(blobs, full, out, force=force)
    media_type = bodies[0].media_type
    if as_json:
        echo_json(
            {
                "digest": info.digest,
                "size": info.size,
                "media_type": media_type,
                "filenames": sorted({b.filename for b in bodies if b.filename}),
                "out": str(out),
            }
        )
        return
    click.echo(
        f"extracted sha256:{info.digest} ({info.size} bytes, {media_type}) to {out}",
        err=is_stdout(out),
    )


def _extract(blobs: BlobStore, digest: str, out: Path, *, force: bool) -> BlobInfo:
    """Extract to ``out``; for ``-``, into a private file first, so only checked bytes go out."""
    if not is_stdout(out):
        return blobs.extract(digest, out, force=force)
    with tempfile.TemporaryDirectory(prefix="prov-extract-") as tmp:
        checked = Path(tmp) / "blob"
        info = blobs.extract(digest, checked)
        with checked.open("rb") as f, open_output(STDOUT) as stdout:
            shutil.copyfileobj(f, stdout, 1024 * 1024)
    return info


COMMANDS = [evidence_group]
