"""A password in a PostgreSQL store URL is never echoed, whatever characters it holds."""

from __future__ import annotations

import pytest
from conftest import Prov

from provenance.errors import InputError
from provenance.store.location import parse_pg_url, redact_url

SECRET = "Se/cr@t:pw?#"
"""A password holding every character that used to split it out of the mask."""


@pytest.mark.parametrize(
    "password", ["hunter2", "pa/ss", "p@ss", "a@b/c", "x:y", SECRET, "%2Fenc%40oded"]
)
def test_password_with_any_character_is_parsed_whole(password: str) -> None:
    """The password ends at the last '@', so '/', '@' and ':' stay inside it."""
    address = parse_pg_url(f"postgresql://alice:{password}@db.example:5433/prov?schema=s1")
    assert (address.user, address.host, address.port) == ("alice", "db.example", 5433)
    assert (address.dbname, address.schema) == ("prov", "s1")
    assert address.password in {password, password.replace("%2F", "/").replace("%40", "@")}
    assert "pa" not in str(address) and password not in repr(address)


@pytest.mark.parametrize(
    ("url", "flaw"),
    [
        (f"postgresql://alice:{SECRET}@db.example:notaport/prov", "malformed"),
        (f"postgresql://alice:{SECRET}@/prov", "names no host"),
        (f"postgresql://alice:{SECRET}@db.example/", "names no database"),
        (f"postgresql://alice:{SECRET}@db.example/prov?sslmode=off", "unknown parameter"),
        (f"postgresql://alice:{SECRET}@db.example/prov?schema=BAD", "lower-case"),
        ("postgresql://alice:pass/word@db.example:x/prov", "malformed"),
        ("postgresql://alice:pass@word@/prov", "names no host"),
    ],
)
def test_error_messages_never_hold_the_password(url: str, flaw: str) -> None:
    """Every refusal names the URL with the password masked, and nothing of the password."""
    with pytest.raises(InputError) as caught:
        parse_pg_url(url)
    message = str(caught.value)
    assert flaw in message
    assert "alice:***@" in message
    password = url.partition("alice:")[2].rpartition("@")[0]
    for fragment in {password, *password.replace("@", "/").split("/")}:
        if len(fragment) < 3:
            continue
        assert fragment not in message.partition("alice:***@")[2], (fragment, message)


def test_redact_url_leaves_urls_without_password_alone() -> None:
    """Nothing to hide: the URL is shown as given."""
    assert redact_url("postgresql://alice@h/db") == "postgresql://alice@h/db"
    assert redact_url("./store") == "./store"
    assert redact_url("postgresql://alice:p/w@d@h/db") == "postgresql://alice:***@h/db"


def test_cli_never_echoes_the_password(prov: Prov) -> None:
    """`prov verify --store URL` with a bad URL: one line, exit 2, password absent."""
    for url in (
        f"postgresql://alice:{SECRET}@127.0.0.1:notaport/test",
        f"postgresql://alice:{SECRET}@127.0.0.1:5432/test?schema=Bad",
    ):
        result = prov("verify", "--store", url)
        assert result.exit_code == 2, result.output
        assert "Se/cr" not in result.output and "cr@t" not in result.output
        assert "pw?#" not in result.output
        assert len(result.stderr.strip().splitlines()) == 1
