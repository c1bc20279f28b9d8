"""Private key files: creation, mode, encryption, and refusals."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from provenance.envelope import key_id
from provenance.errors import KeyFileError
from provenance.keys import KeyRing, is_encrypted, load_key_file


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_create_then_load_gives_the_same_key(tmp_path: Path) -> None:
    """A created key loads back with the same public key and key id."""
    ring = KeyRing(tmp_path / "keys")
    created = ring.create("alice")
    loaded = ring.load("alice")
    assert loaded.name == "alice"
    assert loaded.public_bytes == created.public_bytes
    assert loaded.key_id == created.key_id == key_id(created.public_bytes)
    assert len(created.public_bytes) == 32


def test_key_file_is_pkcs8_pem_with_mode_0600(tmp_path: Path) -> None:
    """The key file is an unencrypted PKCS#8 PEM readable by its owner only."""
    ring = KeyRing(tmp_path / "keys")
    ring.create("alice")
    path = tmp_path / "keys" / "alice.pem"
    assert _mode(path) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert not is_encrypted(path)


def test_keys_directory_is_created_private(tmp_path: Path) -> None:
    """A keys directory the ring creates is mode 0700 and holds nothing but the key."""
    ring = KeyRing(tmp_path / "keys")
    ring.create("alice")
    assert _mode(tmp_path / "keys") == 0o700
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == ["alice.pem"]


def test_public_b64_is_base64_of_the_raw_key(tmp_path: Path) -> None:
    """public_b64 is the standard base64 of the 32 raw bytes (44 characters)."""
    key = KeyRing(tmp_path).create("alice")
    assert len(key.public_b64) == 44 and key.public_b64.endswith("=")


def test_encrypted_key_round_trips_with_its_passphrase(tmp_path: Path) -> None:
    """With a passphrase the file is an encrypted PEM, and loads with that passphrase."""
    ring = KeyRing(tmp_path)
    created = ring.create("alice", passphrase="correct horse")
    path = tmp_path / "alice.pem"
    assert b"ENCRYPTED PRIVATE KEY" in path.read_bytes()
    assert is_encrypted(path)
    assert _mode(path) == 0o600
    assert ring.load("alice", "correct horse").key_id == created.key_id


def test_wrong_passphrase_is_a_key_file_error(tmp_path: Path) -> None:
    """A wrong passphrase is reported as such."""
    ring = KeyRing(tmp_path)
    ring.create("alice", passphrase="correct horse")
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        ring.load("alice", "battery staple")


@pytest.mark.parametrize("passphrase", [None, ""])
def test_missing_passphrase_is_a_key_file_error(tmp_path: Path, passphrase: str | None) -> None:
    """An encrypted key without a passphrase is refused with a hint, not a crash."""
    ring = KeyRing(tmp_path)
    ring.create("alice", passphrase="correct horse")
    with pytest.raises(KeyFileError, match="encrypted"):
        ring.load("alice", passphrase)


def test_passphrase_for_an_unencrypted_key_is_ignored(tmp_path: Path) -> None:
    """A passphrase given for a plain key does no harm."""
    ring = KeyRing(tmp_path)
    created = ring.create("alice")
    assert ring.load("alice", "unused").key_id == created.key_id


def test_create_refuses_to_overwrite(tmp_path: Path) -> None:
    """Creating a key whose file exists fails and leaves the old key intact."""
    ring = KeyRing(tmp_path)
    ring.create("alice")
    before = (tmp_path / "alice.pem").read_bytes()
    with pytest.raises(KeyFileError, match="already exists"):
        ring.create("alice")
    assert (tmp_path / "alice.pem").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alice.pem"]


@pytest.mark.parametrize(
    "name", ["", "-alice", ".alice", "../alice", "a/b", "with space", "a" * 65, "ali$e", "é"]
)
def test_bad_key_name_is_refused(tmp_path: Path, name: str) -> None:
    """Key names are letters, digits, '.', '_' and '-', starting with a letter or digit."""
    ring = KeyRing(tmp_path / "keys")
    with pytest.raises(KeyFileError, match="not allowed"):
        ring.create(name)
    assert not (tmp_path / "keys").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_non_ed25519_pem_is_refused(tmp_path: Path) -> None:
    """A valid PEM private key of another algorithm is refused by name."""
    other = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "ec.pem"
    path.write_bytes(
        other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match="Ed25519"):
        KeyRing(tmp_path).load("ec")


def test_garbage_key_file_is_refused(tmp_path: Path) -> None:
    """A file that is not a PEM private key is a KeyFileError, not a crash."""
    (tmp_path / "junk.pem").write_text("not a key\n")
    (tmp_path / "junk.pem").chmod(0o600)
    with pytest.raises(KeyFileError, match="not a PEM private key"):
        KeyRing(tmp_path).load("junk")


def test_missing_key_file_is_refused(tmp_path: Path) -> None:
    """Loading a key that does not exist names the missing file."""
    with pytest.raises(KeyFileError, match="no key file"):
        KeyRing(tmp_path).load("nobody")


def test_key_can_be_loaded_by_path(tmp_path: Path) -> None:
    """A path to a PEM file works wherever a key name does."""
    created = KeyRing(tmp_path / "a").create("alice")
    elsewhere = KeyRing(tmp_path / "b")
    path = tmp_path / "a" / "alice.pem"
    assert elsewhere.path_of(str(path)) == path
    assert elsewhere.load(str(path)).key_id == created.key_id
    assert load_key_file(path, None).key_id == created.key_id


def test_path_of_resolves_names_inside_the_ring(tmp_path: Path) -> None:
    """A bare name means <keys dir>/<name>.pem."""
    ring = KeyRing(tmp_path)
    assert ring.path_of("alice") == tmp_path / "alice.pem"
    assert ring.path_of("alice.pem") == Path("alice.pem")
