"""Attachments end to end: `prov evidence attach` / `extract`, and the blob audit.

Bad input exits 2 with one "error:" line and no traceback, and writes nothing:
the raw row counts are the same before and after. Blob damage is done for real,
to the stored bytes: on disk on SQLite (files under the store's ``blobs``), in
the ``blobs`` and ``blob_chunks`` tables on PostgreSQL; the audit tells a
deleted blob from a modified one. Every store test runs on both backends.
"""

from __future__ import annotations

import hashlib
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from conftest import Prov, World, is_pg, listing, raw_count, raw_db

from provenance.audit.blobs import check_attachments
from provenance.blobs import CHUNK_SIZE
from provenance.errors import InputError, VerificationError
from provenance.model.kinds import EvidenceAttached
from provenance.store.attached import attachments

BACKENDS = ("sqlite", "postgres")

PHOTO = b"\xff\xd8\xff\xe0 not really a JPEG, but bytes all the same " * 1000


@pytest.fixture
def env(world: World) -> Iterator[World]:
    """The small store plus evidence item-1 and finding-1 (not an evidence item)."""
    world.evidence("item-1")
    world.finding("finding-1", ["item-1"])
    yield world


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    """A file to attach, outside the store."""
    path = tmp_path / "files" / "motor-marking.jpg"
    path.parent.mkdir()
    path.write_bytes(PHOTO)
    return path


def store_args(world: World) -> list[str]:
    return ["--store", str(world.store_dir)]


def attach(prov: Prov, world: World, item: str, file: Path, *extra: str) -> Result:
    return prov("evidence", "attach", item, str(file), *store_args(world), "--key", "alice", *extra)


def blob_contents(world: World) -> list[str]:
    """Everything the blob store holds, read raw: its files (SQLite), or its rows with a
    hash of each chunk (PostgreSQL)."""
    if not is_pg(world.store_dir):
        return listing(Path(world.store_dir) / "blobs")
    with raw_db(world.store_dir) as db:
        blobs = db.execute("SELECT digest, size FROM blobs ORDER BY digest").fetchall()
        chunks = db.execute(
            "SELECT digest, seq, data FROM blob_chunks ORDER BY digest, seq"
        ).fetchall()
    return [f"blob {d} {n}" for d, n in blobs] + [
        f"chunk {d} {q} {hashlib.sha256(bytes(data)).hexdigest()}" for d, q, data in chunks
    ]


def stored_digests(world: World) -> list[str]:
    """The names of the stored blobs, read raw (files, or rows of ``blobs``)."""
    if not is_pg(world.store_dir):
        root = Path(world.store_dir) / "blobs"
        return sorted(p.name for p in root.rglob("*") if p.is_file())
    with raw_db(world.store_dir) as db:
        return [r[0] for r in db.execute("SELECT digest FROM blobs ORDER BY digest").fetchall()]


def stored_bytes(world: World, digest: str) -> bytes:
    """A blob's stored content, read raw (its file, or its chunks in order)."""
    if not is_pg(world.store_dir):
        return (Path(world.store_dir) / "blobs" / "sha256" / digest[:2] / digest).read_bytes()
    with raw_db(world.store_dir) as db:
        chunks = db.execute(
            "SELECT data FROM blob_chunks WHERE digest = ? ORDER BY seq", (digest,)
        ).fetchall()
    return b"".join(bytes(c[0]) for c in chunks)


def snapshot(world: World) -> tuple[int, int, list[str]]:
    """What a refused command must not change: raw rows and the blob store's content."""
    return (
        raw_count(world.store_dir, "stored_events"),
        raw_count(world.store_dir, "statement_index"),
        blob_contents(world),
    )


def assert_refused(result: Result, *needles: str, code: int = 2) -> str:
    """The exit code, a single 'error: ...' line on stderr, nothing on stdout, no traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == code, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:"), result.stderr
    assert result.stdout == ""
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


# -- attach and extract ----------------------------------------------------------------


def test_attach_then_extract_round_trip(
    env: World, prov: Prov, photo: Path, tmp_path: Path
) -> None:
    digest = hashlib.sha256(PHOTO).hexdigest()
    result = prov.ok(
        "evidence",
        "attach",
        "item-1",
        str(photo),
        "--caption",
        "Marking on the motor section",
        *store_args(env),
        "--key",
        "alice",
    )
    assert f"stored blob sha256:{digest} ({len(PHOTO)} bytes, image/jpeg)" in result.stdout
    assert "recorded evidence.attached on item-1" in result.stdout

    # The signed statement says what the file is; the blob holds its bytes.
    [(rec, body)] = list(attachments(env.store))
    assert rec.subject == "item-1" and rec.statement.author == "alice"
    assert body == EvidenceAttached(
        digest=digest,
        size=len(PHOTO),
        media_type="image/jpeg",
        filename="motor-marking.jpg",
        caption="Marking on the motor section",
    )
    assert stored_bytes(env, digest) == PHOTO

    out = tmp_path / "back.jpg"
    result = prov.ok("evidence", "extract", digest, "--out", str(out), *store_args(env))
    assert out.read_bytes() == PHOTO
    assert f"extracted sha256:{digest}" in result.stdout

    # A unique prefix, as `prov verify` prints it, is enough; --force replaces.
    prov.ok(
        "evidence", "extract", digest[:16].upper(), "--out", str(out), "--force", *store_args(env)
    )
    assert out.read_bytes() == PHOTO
    assert check_attachments(env.store) == []


def test_attach_json_and_media_type_option(env: World, prov: Prov, tmp_path: Path) -> None:
    scan = tmp_path / "scan.dat"
    scan.write_bytes(b"%PDF-1.7 scanned custody form")
    out = prov.json(
        "evidence",
        "attach",
        "item-1",
        str(scan),
        "--media-type",
        "Application/PDF",
        *store_args(env),
        "--key",
        "alice",
    )
    digest = hashlib.sha256(scan.read_bytes()).hexdigest()
    assert out["kind"] == "evidence.attached" and out["subject"] == "item-1"
    assert (out["digest"], out["size"], out["media_type"], out["filename"]) == (
        digest,
        len(scan.read_bytes()),
        "application/pdf",
        "scan.dat",
    )
    assert env.store.statement(out["statement_id"]).statement.body == EvidenceAttached(
        digest=digest, size=out["size"], media_type="application/pdf", filename="scan.dat"
    )
    extracted = prov.json(
        "evidence", "extract", digest, "--out", str(tmp_path / "x.pdf"), *store_args(env)
    )
    assert extracted["filenames"] == ["scan.dat"]


def test_same_file_twice_is_one_blob(env: World, prov: Prov, photo: Path) -> None:
    env.evidence("item-2")
    assert attach(prov, env, "item-1", photo).exit_code == 0
    assert attach(prov, env, "item-2", photo).exit_code == 0
    assert stored_digests(env) == [hashlib.sha256(PHOTO).hexdigest()]
    assert stored_bytes(env, hashlib.sha256(PHOTO).hexdigest()) == PHOTO
    assert [rec.subject for rec, _ in attachments(env.store)] == ["item-1", "item-2"]


# -- bad input ---------------------------------------------------------------------------


def test_attach_a_missing_file(env: World, prov: Prov, tmp_path: Path) -> None:
    before = snapshot(env)
    assert_refused(attach(prov, env, "item-1", tmp_path / "nope.jpg"), "no such file", "nope.jpg")
    assert snapshot(env) == before


@pytest.mark.parametrize("item", ["item-unknown", "finding-1"])
def test_attach_to_something_not_an_evidence_item(
    env: World, prov: Prov, photo: Path, item: str
) -> None:
    """Refused before the file is copied: no statement and no blob."""
    before = snapshot(env)
    assert_refused(attach(prov, env, item, photo), f"{item} is not an evidence item")
    assert snapshot(env) == before
    assert stored_digests(env) == []
    if not is_pg(env.store_dir):
        assert not (Path(env.store_dir) / "blobs").exists()


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--media-type", "jpeg"], "not a media type"),
        (["--caption", ""], "caption"),
        (["--issued-at", "yesterday"], "issued_at"),
    ],
)
def test_attach_bad_fields_write_nothing(
    env: World, prov: Prov, photo: Path, extra: list[str], needle: str
) -> None:
    before = snapshot(env)
    assert_refused(attach(prov, env, "item-1", photo, *extra), needle)
    assert snapshot(env) == before


def test_attach_with_an_unregistered_key(env: World, prov: Prov, photo: Path) -> None:
    env.new_key("mallory")
    before = snapshot(env)
    result = prov("evidence", "attach", "item-1", str(photo), *store_args(env), "--key", "mallory")
    assert_refused(result, "not registered")
    assert snapshot(env) == before


def test_extract_an_unknown_digest(env: World, prov: Prov, tmp_path: Path) -> None:
    out = tmp_path / "out.bin"
    unknown = hashlib.sha256(b"never attached").hexdigest()
    assert_refused(
        prov("evidence", "extract", unknown, "--out", str(out), *store_args(env)),
        "no file with digest",
    )
    assert_refused(
        prov("evidence", "extract", "xyz", "--out", str(out), *store_args(env)),
        "not a SHA-256 digest",
    )
    assert not out.exists()


def test_extract_a_blob_that_is_stored_but_not_attached(
    env: World, prov: Prov, tmp_path: Path
) -> None:
    """Only what the signed record names can be extracted: a stray blob (say, from a
    refused attach) is not."""
    stray = env.store.blobs.put_bytes(b"stray")
    assert stored_digests(env) == [stray.digest]
    out = tmp_path / "out.bin"
    assert_refused(
        prov("evidence", "extract", stray.digest, "--out", str(out), *store_args(env)),
        "no file with digest",
    )
    assert not out.exists()


def test_extract_to_an_existing_file_without_force(
    env: World, prov: Prov, photo: Path, tmp_path: Path
) -> None:
    assert attach(prov, env, "item-1", photo).exit_code == 0
    out = tmp_path / "existing.jpg"
    out.write_bytes(b"do not lose me")
    digest = hashlib.sha256(PHOTO).hexdigest()
    assert_refused(
        prov("evidence", "extract", digest, "--out", str(out), *store_args(env)),
        "already exists",
        "--force",
    )
    assert out.read_bytes() == b"do not lose me"


# -- damaged blobs ---------------------------------------------------------------------


def _blob(world: World) -> Path:
    """The photo's blob file (SQLite)."""
    digest = hashlib.sha256(PHOTO).hexdigest()
    return Path(world.store_dir) / "blobs" / "sha256" / digest[:2] / digest


def _tamper(world: World, data: bytes) -> None:
    """Replace the photo's stored bytes behind the store's back: its file (SQLite), or its
    chunks (PostgreSQL; the ``blobs`` row and its recorded size are left as they were)."""
    digest = hashlib.sha256(PHOTO).hexdigest()
    if not is_pg(world.store_dir):
        path = _blob(world)
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
        path.write_bytes(data)
        return
    with raw_db(world.store_dir) as db:
        assert db.execute("DELETE FROM blob_chunks WHERE digest = ?", (digest,)).rowcount >= 1
        for seq, start in enumerate(range(0, len(data), CHUNK_SIZE)):
            db.execute(
                "INSERT INTO blob_chunks VALUES (?, ?, ?)",
                (digest, seq, data[start : start + CHUNK_SIZE]),
            )
    assert stored_bytes(world, digest) == data


def _delete(world: World) -> None:
    """Delete the photo's blob behind the store's back: its file, or its rows."""
    digest = hashlib.sha256(PHOTO).hexdigest()
    if not is_pg(world.store_dir):
        _blob(world).unlink()
        return
    with raw_db(world.store_dir) as db:
        assert db.execute("DELETE FROM blob_chunks WHERE digest = ?", (digest,)).rowcount >= 1
        assert db.execute("DELETE FROM blobs WHERE digest = ?", (digest,)).rowcount == 1
    assert stored_digests(world) == []


def test_audit_tells_missing_from_altered(env: World, prov: Prov, photo: Path) -> None:
    receipt = json.loads(attach(prov, env, "item-1", photo, "--json").stdout)
    digest = hashlib.sha256(PHOTO).hexdigest()
    assert check_attachments(env.store) == []

    _tamper(env, b"X" + PHOTO[1:])  # same size, other content
    [problem] = check_attachments(env.store)
    assert problem.message == (
        f"attachment blob {digest[:16]} is altered "
        f"(expected size {len(PHOTO)}, sha256 {digest[:16]}…; found size {len(PHOTO)})"
    )
    assert (problem.statement_id, problem.subject, problem.position, problem.version) == (
        receipt["statement_id"],
        "item-1",
        receipt["position"],
        receipt["version"],
    )

    _tamper(env, PHOTO + b"appended")
    [problem] = check_attachments(env.store)
    assert "is altered" in problem.message and f"found size {len(PHOTO) + 8}" in problem.message

    _delete(env)
    [problem] = check_attachments(env.store)
    assert problem.message == f"attachment blob {digest[:16]} is missing"
    assert problem.statement_id == receipt["statement_id"]


def test_every_statement_naming_a_bad_blob_is_reported(env: World, prov: Prov, photo: Path) -> None:
    env.evidence("item-2")
    attach(prov, env, "item-1", photo)
    attach(prov, env, "item-2", photo)
    _delete(env)
    problems = check_attachments(env.store)
    assert [p.subject for p in problems] == ["item-1", "item-2"]
    assert all(p.message.endswith("is missing") for p in problems)


def test_extract_a_damaged_blob_fails_verification(
    env: World, prov: Prov, photo: Path, tmp_path: Path
) -> None:
    """Exit 1 (verification failed), and no file is written."""
    attach(prov, env, "item-1", photo)
    digest = hashlib.sha256(PHOTO).hexdigest()
    out = tmp_path / "out.jpg"
    _tamper(env, b"X" + PHOTO[1:])
    result = prov("evidence", "extract", digest, "--out", str(out), *store_args(env))
    assert_refused(result, "is altered", code=1)
    _delete(env)
    result = prov("evidence", "extract", digest, "--out", str(out), *store_args(env))
    assert_refused(result, "is missing", code=1)
    assert not out.exists()
    store = [] if is_pg(env.store_dir) else ["store"]  # a PostgreSQL store is no directory
    assert sorted(p.name for p in tmp_path.iterdir()) == ["files", "keys", *store]


# -- the blob store through the library ----------------------------------------------------


def test_the_blob_store_through_the_library(world: World, photo: Path, tmp_path: Path) -> None:
    """store.blobs on either backend: a blob is named by its SHA-256; exists, size_of and
    check see it; the same content stored twice is one blob; extract writes it back, and
    refuses (writing nothing) once its stored bytes were altered."""
    blobs = world.store.blobs
    digest = hashlib.sha256(PHOTO).hexdigest()
    assert not blobs.exists(digest)
    assert blobs.size_of(digest) is None
    assert blobs.check(digest, len(PHOTO)) == "missing"
    info = blobs.put_file(photo)
    assert (info.digest, info.size) == (digest, len(PHOTO))
    assert blobs.exists(digest)
    assert blobs.size_of(digest) == len(PHOTO)
    assert blobs.check(digest, len(PHOTO)) == "ok"
    assert blobs.check(digest, len(PHOTO) + 1) == "altered"
    assert blobs.put_bytes(PHOTO) == info
    assert stored_digests(world) == [digest]
    assert stored_bytes(world, digest) == PHOTO

    out = tmp_path / "back.jpg"
    assert blobs.extract(digest, out) == info
    assert out.read_bytes() == PHOTO
    with pytest.raises(InputError, match="already exists"):
        blobs.extract(digest, out)
    assert out.read_bytes() == PHOTO

    _tamper(world, b"X" + PHOTO[1:])
    assert blobs.check(digest, len(PHOTO)) == "altered"
    with pytest.raises(VerificationError) as altered:
        blobs.extract(digest, tmp_path / "bad.jpg")
    assert type(altered.value) is VerificationError
    assert str(altered.value).startswith(f"blob {digest[:16]} is altered: its content hashes to ")
    assert str(altered.value).endswith(f"({len(PHOTO)} bytes); {tmp_path / 'bad.jpg'} not written")
    assert not (tmp_path / "bad.jpg").exists()
    _delete(world)
    assert not blobs.exists(digest)
    assert blobs.check(digest, len(PHOTO)) == "missing"


def test_a_blob_of_several_chunks_round_trips(world: World, tmp_path: Path) -> None:
    """A blob longer than two chunks is stored whole (in order) and extracted whole."""
    data = bytes(range(256)) * (CHUNK_SIZE // 256 * 2) + b"and a tail"
    assert len(data) > 2 * CHUNK_SIZE
    info = world.store.blobs.put_bytes(data)
    assert info.digest == hashlib.sha256(data).hexdigest()
    assert stored_bytes(world, info.digest) == data
    if is_pg(world.store_dir):
        assert raw_count(world.store_dir, "blob_chunks") == 3
    assert world.store.blobs.size_of(info.digest) == len(data)
    assert world.store.blobs.check(info.digest, len(data)) == "ok"
    out = tmp_path / "big.bin"
    assert world.store.blobs.extract(info.digest, out) == info
    assert out.read_bytes() == data


def test_help_shows_examples(prov: Prov) -> None:
    for command in ("attach", "extract"):
        assert "Example" in prov.ok("evidence", command, "--help").output
