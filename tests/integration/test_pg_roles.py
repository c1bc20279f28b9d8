"""Least privilege on PostgreSQL: the writer and auditor roles of docs/deployment.md.

The SQL that creates the roles is read from the ``sql prov-roles`` block of
docs/deployment.md, with its schema and role names replaced by ones unique to
this run, so the document and this test cannot drift apart. The store is made
by the superuser of the test server (``PROV_TEST_PG``); the roles log in
without a password, as the test server trusts local connections.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import (
    PG_URL,
    World,
    drop_schema,
    make_world,
    pg_schema_url,
    raw_count,
    require_pg,
)

from provenance.errors import StoreError
from provenance.store import Store
from provenance.store.checkpoints import log_vkey
from provenance.store.location import parse_pg_url
from provenance.store.postgres import STORE_RELATIONS
from provenance_cli.main import cli

DEPLOYMENT = Path(__file__).resolve().parents[2] / "docs" / "deployment.md"
BLOCK = re.compile(r"^```sql prov-roles\n(.*?)\n```$", re.S | re.M)
NAMES = re.compile(r"\b(prov_store|prov_writer|prov_auditor)\b")
TABLES = STORE_RELATIONS
"""Every table of a store (the product's own list; the test below checks it against
what ``prov init`` actually creates)."""


def roles_sql(schema: str, writer: str, auditor: str) -> str:
    """The deployment guide's role SQL, for this schema and these role names."""
    blocks = BLOCK.findall(DEPLOYMENT.read_text())
    assert len(blocks) == 1, "docs/deployment.md must hold exactly one ```sql prov-roles block"
    names = {"prov_store": schema, "prov_writer": writer, "prov_auditor": auditor}
    return NAMES.sub(lambda m: names[m.group(1)], blocks[0])


def superuser() -> Any:
    """An autocommit connection to the test database as the test server's superuser."""
    import psycopg

    return psycopg.connect(PG_URL, autocommit=True)


def url_as(role: str, schema: str) -> str:
    """The store URL for ``role`` (no password) on the test server."""
    a = parse_pg_url(PG_URL)
    return f"postgresql://{role}@{a.host}:{a.port}/{a.dbname}?schema={schema}"


@dataclass
class Roles:
    """The store built by the superuser, and the URLs of its two roles."""

    world: World
    schema: str
    writer: str
    auditor: str

    @property
    def writer_url(self) -> str:
        return url_as(self.writer, self.schema)

    @property
    def auditor_url(self) -> str:
        return url_as(self.auditor, self.schema)

    def prov(self, *args: str) -> Result:
        """Run `prov` in-process with the world's keys."""
        env = {"PROV_KEYS": str(self.world.keys_dir)}
        return CliRunner().invoke(cli, list(args), env=env)

    def counts(self) -> dict[str, int]:
        """Rows of every table, counted as the superuser."""
        location = pg_schema_url(self.schema)
        return {table: raw_count(location, table) for table in TABLES}


@pytest.fixture
def roles(tmp_path: Path) -> Iterator[Roles]:
    """A store of a few statements (views up to date, log set up), then the doc's roles."""
    require_pg()
    tag = uuid.uuid4().hex[:12]
    schema, writer, auditor = f"t_roles_{tag}", f"t_writer_{tag}", f"t_auditor_{tag}"
    world: World | None = None
    try:
        world = make_world(tmp_path, pg_schema_url(schema))
        world.evidence("item-1")
        world.finding("finding-1", ["item-1"])
        world.challenge("challenge-1", "finding", "finding-1")
        log_key = world.new_key("root-log")
        world.store.configure_log("test.example/prov", log_vkey("test.example/prov", log_key))
        world.store.views.catch_up()
        world.store.close()
        with superuser() as con:
            con.execute(roles_sql(schema, writer, auditor))
        yield Roles(world, schema, writer, auditor)
    finally:
        if world is not None:
            world.store.close()
        drop_schema(schema)
        with superuser() as con:
            for role in (writer, auditor):
                exists = con.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
                if exists.fetchone():
                    con.execute(f'DROP OWNED BY "{role}"')
                    con.execute(f'DROP ROLE "{role}"')


def ok(result: Result) -> str:
    """The stdout of a command that must succeed."""
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def test_doc_block_names_every_table(roles: Roles) -> None:
    """Every table of the store is granted to the auditor (SELECT on all tables)."""
    with superuser() as con:
        rows = con.execute(
            "SELECT table_name FROM information_schema.role_table_grants "
            "WHERE grantee = %s AND table_schema = %s AND privilege_type = 'SELECT'",
            (roles.auditor, roles.schema),
        ).fetchall()
    assert set(TABLES) <= {r[0] for r in rows}
    with superuser() as con:
        created = con.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (roles.schema,)
        ).fetchall()
    assert {r[0] for r in created} == set(TABLES)


def test_writer_appends_through_the_library_and_the_cli(roles: Roles, tmp_path: Path) -> None:
    """The writer appends (an actor's registration and key rotation too), attaches a file,
    signs a checkpoint, records a witness's cosignature, and verifies."""
    w = roles.world
    with Store.open(roles.writer_url) as store:
        writer = World(roles.writer_url, w.ring, store, w.keys, w.authors)
        before = store.size()
        writer.evidence("item-2")
        writer.new_key("bob2")
        writer.authors["bob2"] = "bob"
        writer.put("bob", "actor.key_rotated", "bob", {"public_key": w.keys["bob2"].public_b64})
        writer.assess("finding-1", signer="bob2")
        writer.register("carol", writer.new_key("carol"))
        writer.finding("finding-2", ["item-2"])
        assert store.size() == before + 5
    out = ok(
        roles.prov(
            "evidence", "add", "--id", "item-3", "--kind", "other", "--title", "Third item",
            "--key", "alice", "--store", roles.writer_url,
        )
    )  # fmt: skip
    assert "item-3" in out
    assert "item-3" in ok(roles.prov("list", "--store", roles.writer_url))
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8 a photograph of a marking")
    ok(
        roles.prov(
            "evidence", "attach", "item-3", str(photo), "--caption", "Marking",
            "--key", "alice", "--store", roles.writer_url,
        )
    )  # fmt: skip
    note = ok(roles.prov("log", "checkpoint", "--store", roles.writer_url))
    assert note.startswith("test.example/prov\n")
    # A witness cosigns it; the writer records the cosignature (an upsert).
    (tmp_path / "cp.note").write_text(note)
    vkey = ok(roles.prov("log", "vkey", "--store", roles.writer_url)).strip()
    ok(roles.prov("key", "new", "w1"))
    name = "witness.example/w1"
    witness = ok(roles.prov("witness", "vkey", "--key", "w1", "--name", name)).strip()
    line = ok(
        roles.prov("witness", "cosign", str(tmp_path / "cp.note"), "--key", "w1",
                   "--name", name, "--vkey", vkey)
    )  # fmt: skip
    (tmp_path / "w1.cosig").write_text(line)
    size = note.splitlines()[1]
    cosigned = [
        "log", "cosigned", size, str(tmp_path / "w1.cosig"), "--witness", witness,
        "--store", roles.writer_url,
    ]  # fmt: skip
    ok(roles.prov(*cosigned))
    ok(roles.prov(*cosigned))
    assert name in ok(roles.prov("log", "checkpoint", "--show", "--store", roles.writer_url))
    verified = ok(roles.prov("verify", "--store", roles.writer_url, "--witness", witness))
    assert verified.rstrip().endswith(": OK"), verified
    assert "cosigned by 1 of the 1 pinned witnesses" in verified
    assert "NOTE the views" not in verified


def test_writer_cannot_change_stored_events(roles: Roles) -> None:
    """The UPDATE granted for eventsourcing's table lock changes nothing: the trigger refuses."""
    import psycopg

    before = roles.counts()
    base = roles.writer_url.split("?")[0]
    with psycopg.connect(base, options=f"-c search_path={roles.schema}") as con:
        with pytest.raises(psycopg.Error, match="append-only"):
            con.execute("UPDATE stored_events SET topic = topic")
        con.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            con.execute("DELETE FROM statement_index")
    assert roles.counts() == before


def test_auditor_verifies_and_reads_every_view(roles: Roles) -> None:
    """With the views up to date, the auditor verifies and reads everything."""
    url = roles.auditor_url
    verified = ok(roles.prov("verify", "--store", url))
    assert verified.rstrip().endswith(": OK"), verified
    assert "NOTE the views" not in verified
    listed = ok(roles.prov("list", "--store", url))
    for subject in ("alice", "bob", "item-1", "finding-1", "challenge-1"):
        assert subject in listed
    assert "Item item-1" in ok(roles.prov("show", "item-1", "--store", url))
    assert "finding.asserted" in ok(roles.prov("history", "finding-1", "--store", url))
    assert "challenge-1" in ok(roles.prov("dispute", "finding-1", "--store", url)) or (
        "methodology" in ok(roles.prov("dispute", "finding-1", "--store", url))
    )
    assert "test.example/prov" in ok(roles.prov("log", "vkey", "--store", url))


def test_auditor_sees_statements_the_views_have_not_caught_up_with(roles: Roles) -> None:
    """After a writer appends through the library (the views are not caught up), the
    auditor, who may not write the views, still verifies, and a listing either shows the
    new subject or says that it lags."""
    w = roles.world
    with Store.open(roles.writer_url) as store:
        World(roles.writer_url, w.ring, store, w.keys, w.authors).evidence("item-late")
    url = roles.auditor_url
    verified = ok(roles.prov("verify", "--store", url))
    assert "OK" in verified
    assert "item-late" in ok(roles.prov("show", "item-late", "--store", url))
    listed = roles.prov("list", "--store", url)
    assert listed.exit_code == 0, listed.output
    assert "item-late" in listed.stdout or "lag" in listed.output, listed.output


def test_auditor_cannot_append(roles: Roles) -> None:
    """An append as the auditor fails with one clear line and writes nothing."""
    before = roles.counts()
    result = roles.prov(
        "evidence", "add", "--id", "item-x", "--kind", "other", "--title", "Refused",
        "--key", "alice", "--store", roles.auditor_url,
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "permission denied" in lines[0]
    assert "internal error" not in lines[0]
    w = roles.world
    with Store.open(roles.auditor_url) as store:
        auditor = World(roles.auditor_url, w.ring, store, w.keys, w.authors)
        with pytest.raises(StoreError, match="permission denied"):
            auditor.evidence("item-y")
    assert roles.counts() == before
