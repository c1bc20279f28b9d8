"""Shared fixtures: an isolated environment, a small signed store, raw-row helpers.

The ``world`` fixture is a store of three signers: the organisation ``org``
(root key, admin) and the researchers ``alice`` and ``bob``. Its statements
are issued at a fixed time, so signing the same content twice gives the same
envelope (Ed25519 is deterministic), which is what duplicate tests rely on.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from provenance import demo as demo_case
from provenance.authoring import init_store, sign_statement
from provenance.errors import StatementRejected
from provenance.keys import KeyRing, SigningKey
from provenance.log.merkle import CompactRange, leaf_hash
from provenance.model import fields
from provenance.store import DB_NAME, Receipt, Store
from provenance.store.logtable import node_id
from provenance_cli.main import cli

ORG = "org"
ISSUED_AT = "2024-01-01T00:00:00Z"


# -- backends -------------------------------------------------------------------
#
# A test module that sets ``BACKENDS = ("sqlite", "postgres")`` runs each of its
# tests that use a store (through ``backend``, ``world`` or ``new_store``) once
# per backend; ``@pytest.mark.sqlite_only`` keeps one test on SQLite (it is
# about the SQLite file itself). Every PostgreSQL test gets its own schema,
# dropped afterwards.

PG_URL = os.environ.get("PROV_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
"""The PostgreSQL server the tests use (a database the user may create schemas in)."""

_pg_state: dict[str, str | None] = {}


def pg_unreachable() -> str | None:
    """Why the test server cannot be used (None when it can); asked once per run."""
    if "reason" not in _pg_state:
        try:
            import psycopg

            with psycopg.connect(PG_URL, connect_timeout=3) as con:
                con.execute("SELECT 1")
            _pg_state["reason"] = None
        except Exception as e:  # the driver missing, or the server
            _pg_state["reason"] = " ".join(str(e).split()) or type(e).__name__
    return _pg_state["reason"]


def require_pg() -> None:
    """Skip (or, under CI=true, fail) a test when the PostgreSQL server is unreachable."""
    reason = pg_unreachable()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and PostgreSQL at {PG_URL} is unreachable: {reason}")
    pytest.skip(
        f"PostgreSQL at {PG_URL} is unreachable ({reason}): start a server "
        "(pg_ctlcluster --skip-systemctl-redirect 15 main start) or point "
        "PROV_TEST_PG=postgresql://USER@HOST:PORT/DB at one to run these tests"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run store tests once per backend in the modules that ask for it."""
    if "backend" not in metafunc.fixturenames:
        return
    backends = tuple(getattr(metafunc.module, "BACKENDS", ("sqlite",)))
    if metafunc.definition.get_closest_marker("sqlite_only"):
        backends = ("sqlite",)
    if metafunc.definition.get_closest_marker("postgres_only"):
        backends = ("postgres",)
    metafunc.parametrize("backend", backends, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The backend this run of the test uses: "sqlite" or "postgres"."""
    name = str(getattr(request, "param", "sqlite"))
    if name == "postgres":
        require_pg()
    return name


def pg_schema_url(schema: str) -> str:
    """The test server's URL for one schema."""
    return f"{PG_URL}?schema={schema}"


def drop_schema(schema: str) -> None:
    """Drop a test schema and everything in it."""
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as con:
        con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def new_store(backend: str, tmp_path: Path) -> Iterator[Callable[[str], Path | str]]:
    """``new_store(name)``: a place for a new store on this test's backend.

    A directory under tmp_path on SQLite; a fresh schema on PostgreSQL (as a
    URL), dropped when the test ends.
    """
    schemas: list[str] = []

    def make(name: str = "store") -> Path | str:
        if backend == "sqlite":
            return tmp_path / name
        schema = f"t_{name.replace('-', '_')}_{uuid.uuid4().hex[:12]}"
        schemas.append(schema)
        return pg_schema_url(schema)

    yield make
    for schema in schemas:
        drop_schema(schema)


# -- raw access to the database ---------------------------------------------------


def is_pg(store_dir: Path | str) -> bool:
    """Whether a store location is a PostgreSQL URL."""
    return isinstance(store_dir, str) and store_dir.startswith("postgresql://")


class RawDB:
    """A connection to a store's database that bypasses the library entirely.

    SQL is written with ``?`` placeholders for both backends. On PostgreSQL the
    connection's search path is the store's schema.
    """

    def __init__(self, store_dir: Path | str) -> None:
        self.postgres = is_pg(store_dir)
        if self.postgres:
            import psycopg

            base, _, schema = str(store_dir).partition("?schema=")
            self.con: Any = psycopg.connect(base, options=f"-c search_path={schema or 'public'}")
        else:
            self.con = sqlite3.connect(Path(store_dir) / DB_NAME)

    def execute(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> Any:
        """Run SQL; returns the cursor (fetchone/fetchall)."""
        if self.postgres:
            sql = sql.replace("?", "%s")
        return self.con.execute(sql, params)

    def commit(self) -> None:
        """Commit what was changed."""
        self.con.commit()

    def close(self) -> None:
        """Close the connection (uncommitted changes are lost)."""
        self.con.close()


@contextmanager
def raw_db(store_dir: Path | str) -> Iterator[RawDB]:
    """A raw connection to a store's database; commits on leaving."""
    db = RawDB(store_dir)
    try:
        yield db
        db.commit()
    finally:
        db.close()


def db_path(store_dir: Path) -> Path:
    """The SQLite file of a store."""
    return store_dir / DB_NAME


def raw_count(store_dir: Path | str, table: str = "stored_events") -> int:
    """Rows in ``table``, counted with the database driver, not through the library."""
    db = RawDB(store_dir)
    try:
        return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        db.close()


def listing(directory: Path) -> list[str]:
    """Every path under ``directory`` (empty if it does not exist), sorted."""
    if not directory.exists():
        return []
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


@pytest.fixture
def rows() -> Callable[..., int]:
    """``rows(store_dir, table="stored_events")``: a raw row count."""
    return raw_count


@pytest.fixture
def files() -> Callable[[Path], list[str]]:
    """``files(directory)``: the sorted listing of a directory tree."""
    return listing


# -- environment --------------------------------------------------------------


@pytest.fixture(autouse=True)
def _isolated_env(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads the caller's PROV_* settings or writes under the real home."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    for var in ("PROV_STORE", "PROV_KEYS", "PROV_KEY", "PROV_PASSPHRASE", "PROV_DEBUG"):
        monkeypatch.delenv(var, raising=False)


# -- a small store ------------------------------------------------------------


@dataclass
class World:
    """A store with the organisation, alice and bob registered; helpers to sign and append."""

    store_dir: Path | str
    ring: KeyRing
    store: Store
    keys: dict[str, SigningKey]
    authors: dict[str, str] = field(default_factory=dict)

    @property
    def keys_dir(self) -> Path:
        """The directory holding the private keys."""
        return self.ring.directory

    def new_key(self, name: str) -> SigningKey:
        """Create a key that no actor has registered (yet)."""
        key = self.ring.create(name)
        self.keys[name] = key
        return key

    def sign(
        self,
        signer: str,
        kind: str,
        subject: str,
        body: fields.Body | dict[str, Any],
        *,
        author: str | None = None,
        refs: list[str] | None = None,
        issued_at: str = ISSUED_AT,
    ) -> bytes:
        """Sign a statement with key ``signer``; the author defaults to that key's actor."""
        return sign_statement(
            self.keys[signer],
            kind=kind,
            subject=subject,
            author=author or self.authors.get(signer, signer),
            body=body,
            refs=refs,
            issued_at=issued_at,
        )

    def put(
        self,
        signer: str,
        kind: str,
        subject: str,
        body: fields.Body | dict[str, Any],
        **kwargs: Any,
    ) -> Receipt:
        """Sign and append; return the receipt."""
        return self.store.append(self.sign(signer, kind, subject, body, **kwargs))

    # Shorthands for the usual statements.

    def register(self, actor: str, key: SigningKey | None = None, **body: Any) -> Receipt:
        """Register ``actor`` (signed by the root key), with ``key``'s public key if given."""
        fields: dict[str, Any] = {"name": f"Actor {actor}", "role": "researcher", **body}
        if key is not None:
            fields["public_key"] = key.public_b64
        return self.put("root", "actor.registered", actor, fields)

    def evidence(self, item: str, signer: str = "alice", **body: Any) -> Receipt:
        """Register an evidence item."""
        fields = {"item_kind": "other", "title": f"Item {item}", **body}
        return self.put(signer, "evidence.registered", item, fields)

    def finding(
        self,
        finding: str,
        evidence: list[str],
        signer: str = "alice",
        refs: list[str] | None = None,
        **body: Any,
    ) -> Receipt:
        """Assert a finding resting on ``evidence``."""
        fields = {"claim": f"Claim {finding}", "evidence": evidence, "confidence": "high", **body}
        return self.put(signer, "finding.asserted", finding, fields, refs=refs)

    def assess(self, finding: str, signer: str = "bob", stance: str = "supports") -> Receipt:
        """Assess a finding."""
        body = {"stance": stance, "confidence": "moderate", "rationale": f"{signer} {stance}"}
        return self.put(signer, "finding.assessed", finding, body)

    def challenge(
        self, challenge: str, target_type: str, target_id: str, signer: str = "bob"
    ) -> Receipt:
        """Raise a challenge against a target."""
        body = {
            "target": {"type": target_type, "id": target_id},
            "challenge_kind": "methodology",
            "attributed_to": "Delegation X",
            "claim": "The method is unsound.",
        }
        return self.put(signer, "challenge.raised", challenge, body)

    # Checking that nothing was written.

    def counts(self) -> tuple[int, int, int]:
        """(store.size(), raw stored_events rows, raw statement_index rows)."""
        return (
            self.store.size(),
            raw_count(self.store_dir, "stored_events"),
            raw_count(self.store_dir, "statement_index"),
        )

    @contextmanager
    def refuses(
        self, match: str, exc: type[Exception] = StatementRejected
    ) -> Iterator[pytest.ExceptionInfo[Exception]]:
        """Expect ``exc`` matching ``match``, and that the store is left exactly as it was."""
        before = self.counts()
        with pytest.raises(exc, match=match) as info:
            yield info
        assert self.counts() == before, "a refused statement changed the store"


def make_world(root: Path, location: Path | str | None = None) -> World:
    """Build the three-signer store (in ``location``, default root/store; keys in root/keys)."""
    ring = KeyRing(root / "keys")
    keys = {name: ring.create(name) for name in ("root", "alice", "bob")}
    where = root / "store" if location is None else location
    store = init_store(
        where, keys["root"], org_id=ORG, org_name="The Organisation", issued_at=ISSUED_AT
    )
    world = World(where, ring, store, keys, authors={"root": ORG})
    world.register("alice", keys["alice"])
    world.register("bob", keys["bob"])
    return world


@pytest.fixture
def world(tmp_path: Path, new_store: Callable[[str], Path | str]) -> Iterator[World]:
    """A fresh small store on the test's backend, closed after the test."""
    w = make_world(tmp_path, new_store("store"))
    yield w
    w.store.close()


# -- the demo store -----------------------------------------------------------


@dataclass(frozen=True)
class Demo:
    """The demo case built once: its store directory, keys and statement ids by name."""

    root: Path
    store_dir: Path
    keys_dir: Path
    statements: dict[str, str]

    def copy(self, destination: Path) -> Path:
        """A copy of the store directory, to damage without harming the shared one."""
        target = destination / "store"
        shutil.copytree(self.store_dir, target)
        return target

    def copy_to(self, location: Path | str) -> Path | str:
        """A copy of the store at a location from ``new_store`` (any backend)."""
        if not is_pg(location):
            shutil.copytree(self.store_dir, Path(location))
            return location
        from provenance.store.copy import copy_store

        with Store.open(self.store_dir) as source:
            copy_store(source, location)
        return location


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The demo store, shared by the tests of a module that only read it."""
    root = tmp_path_factory.mktemp("demo")
    built = demo_case.build(root)
    built.store.close()
    return Demo(root, root / "store", built.keys_dir, dict(built.statements))


# -- the command line -----------------------------------------------------------


@dataclass
class Prov:
    """Runs `prov` in-process with PROV_KEYS pointing at the test's own keys directory."""

    keys_dir: Path
    store_dir: Path

    def __call__(
        self, *args: str, env: dict[str, str | None] | None = None, input: bytes | str | None = None
    ) -> Result:
        full_env: dict[str, str | None] = {"PROV_KEYS": str(self.keys_dir), **(env or {})}
        return CliRunner().invoke(cli, list(args), env=full_env, input=input)

    def ok(self, *args: str, **kwargs: Any) -> Result:
        """Run and require exit 0 with no exception."""
        result = self(*args, **kwargs)
        assert result.exit_code == 0, (args, result.output, result.exception)
        assert result.exception is None
        return result

    def json(self, *args: str, **kwargs: Any) -> Any:
        """Run with --json, require exit 0, and return the parsed stdout."""
        return json.loads(self.ok(*args, "--json", **kwargs).stdout)


@pytest.fixture
def prov(tmp_path: Path) -> Prov:
    """`prov` with keys in tmp_path/keys; the store, when there is one, is tmp_path/store
    (the same directories the ``world`` fixture uses)."""
    return Prov(tmp_path / "keys", tmp_path / "store")


def force_into_sqlite(store_dir: Path, raw: bytes) -> int:
    """Insert a statement behind the store's back into an SQLite store, as a thorough
    forger would: event row, index row and the Merkle log's nodes; its position."""
    envelope = json.loads(raw)
    payload = json.loads(base64.b64decode(envelope["payload"]))
    sid = hashlib.sha256(base64.b64decode(envelope["payload"])).hexdigest()
    subject = payload["subject"]
    with closing(sqlite3.connect(store_dir / DB_NAME)) as con:
        (version,) = con.execute(
            "SELECT COALESCE(MAX(originator_version), 0) + 1 FROM stored_events "
            "WHERE originator_id = ?",
            (subject,),
        ).fetchone()
        cur = con.execute(
            "INSERT INTO stored_events (originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?)",
            (subject, version, "provenance.store.events:StatementRecorded", raw),
        )
        position, received_at = con.execute(
            "SELECT position + 1, received_at FROM statement_index ORDER BY position DESC LIMIT 1"
        ).fetchone()
        con.execute(
            "INSERT INTO statement_index (position, statement_id, subject_id, version, kind, "
            "notification_id, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (position, sid, subject, version, payload["kind"], cur.lastrowid, received_at),
        )

        def node(level: int, index: int) -> bytes:
            row = con.execute(
                "SELECT hash FROM log_nodes WHERE id = ?", (node_id(level, index),)
            ).fetchone()
            return bytes(row[0])

        frontier = CompactRange.restore(int(position), node)
        for level, index, digest in frontier.append(leaf_hash(raw)):
            con.execute("INSERT INTO log_nodes VALUES (?, ?)", (node_id(level, index), digest))
        con.commit()
    return int(position)
