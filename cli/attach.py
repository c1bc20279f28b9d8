"""``prov evidence attach`` and ``prov evidence extract``: files kept beside the record.

Importing this module adds both commands to the ``evidence`` group of
:mod:`provenance_cli.write`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import click

from provenance.authoring import sign_statement
from provenance.blobs import BlobInfo, BlobStore, check_media_type, guess_media_type
from provenance.errors import InputError, StatementRejected, StoreError, VerificationError
from provenance.model.kinds import EvidenceAttached
from provenance.model.statement import build_payload
from provenance.store import Store
from provenance.store.attached import attachments
from provenance.store.location import Location

from .context import echo_json, handle_errors, json_option, load_key, open_store, store_option
from .output import STDOUT, check_target, force_option, is_stdout, open_output, out_option
from .write import Writer, author_of, clean, evidence_group, print_receipt, write_options

KIND = "evidence.attached"
STDIN = "-"
"""The FILE argument that means standard input."""
# Stands in for the digest when the statement is checked before the file is copied.
_PLACEHOLDER_DIGEST = "0" * 64
_HEX = frozenset("0123456789abcdef")


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
            kind=KIND,
            subject=item,
            author=author,
            body=clean({**body, "digest": _PLACEHOLDER_DIGEST, "size": 0}),
            refs=ref_ids,
            issued_at=writer.issued_at,
        )
        if store.subject_type(item) != "evidence":
            raise StatementRejected(
                f"{KIND} on {item}: {item} is not an evidence item in this store"
            )
        # The blob goes in first, so that no recorded statement ever names a
        # blob that was not there. If the statement is then refused, the blob
        # stays: it is named by its content, so it misleads no one, and
        # attaching the same file again reuses it. Nothing else is written.
        info = store.blobs.put_file(file)
        envelope = sign_statement(
            signing_key,
            kind=KIND,
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
                "kind": KIND,
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
    print_receipt(receipt, KIND, as_json=False)


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


__all__ = ["attached", "evidence_attach", "evidence_extract"]
