"""Private keys, kept outside the store in a keys directory.

Each key is one file ``<name>.pem``: PKCS#8 PEM, encrypted with the best
available scheme when a passphrase is given, created with mode 0600. The store
never holds a private key; it holds only public keys, in signed statements.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from provenance.envelope import b64encode, key_id
from provenance.errors import KeyFileError
from provenance.ids import KeyId

KEY_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_KEY_NAME_RE = re.compile(KEY_NAME_PATTERN)


def default_keys_dir() -> Path:
    """The keys directory used when neither ``--keys`` nor ``PROV_KEYS`` is given."""
    return Path(platformdirs.user_config_dir("prov")) / "keys"


@dataclass(frozen=True)
class SigningKey:
    """A private key together with the facts derived from it."""

    name: str
    private_key: Ed25519PrivateKey

    @property
    def public_bytes(self) -> bytes:
        """The raw 32-byte public key."""
        return self.private_key.public_key().public_bytes_raw()

    @property
    def key_id(self) -> KeyId:
        """The key id (hex SHA-256 of the raw public key)."""
        return key_id(self.public_bytes)

    @property
    def public_b64(self) -> str:
        """The raw public key in standard base64, as statements carry it."""
        return b64encode(self.public_bytes)


class KeyRing:
    """A directory of private keys."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_of(self, name_or_path: str) -> Path:
        """Resolve a key name (``alice``) or a path to a PEM file."""
        if _KEY_NAME_RE.fullmatch(name_or_path) and not name_or_path.endswith(".pem"):
            return self.directory / f"{name_or_path}.pem"
        return Path(name_or_path)

    def create(self, name: str, passphrase: str | None = None) -> SigningKey:
        """Generate a new key and write it; refuse to overwrite an existing one."""
        if not _KEY_NAME_RE.fullmatch(name):
            raise KeyFileError(
                f"key name {name!r} is not allowed: use letters, digits, '.', '_' or '-'"
            )
        path = self.directory / f"{name}.pem"
        if path.exists():
            raise KeyFileError(f"key {name!r} already exists at {path}")
        key = SigningKey(name, Ed25519PrivateKey.generate())
        write_key_file(path, key.private_key, passphrase)
        return key

    def load(self, name_or_path: str, passphrase: str | None = None) -> SigningKey:
        """Read a key; raise KeyFileError naming the file when that fails."""
        path = self.path_of(name_or_path)
        return load_key_file(path, passphrase)


def write_key_file(path: Path, private_key: Ed25519PrivateKey, passphrase: str | None) -> None:
    """Write a PKCS#8 PEM file with mode 0600, atomically, never overwriting."""
    encryption: serialization.KeySerializationEncryption
    if passphrase:
        encryption = serialization.BestAvailableEncryption(passphrase.encode("utf-8"))
    else:
        encryption = serialization.NoEncryption()
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        # os.link fails if the target exists, so a concurrent create cannot clobber.
        os.link(tmp, path)
    except FileExistsError as e:
        raise KeyFileError(f"key file {path} already exists") from e
    finally:
        tmp.unlink(missing_ok=True)


def load_key_file(path: Path, passphrase: str | None) -> SigningKey:
    """Load an Ed25519 PKCS#8 PEM key file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as e:
        raise KeyFileError(f"no key file at {path}") from e
    except OSError as e:
        raise KeyFileError(f"cannot read key file {path}: {e.strerror}") from e
    encrypted = b"ENCRYPTED PRIVATE KEY" in data
    if encrypted and not passphrase:
        raise KeyFileError(f"key file {path} is encrypted: give a passphrase (PROV_PASSPHRASE)")
    try:
        key = serialization.load_pem_private_key(
            data, password=passphrase.encode("utf-8") if encrypted and passphrase else None
        )
    except ValueError as e:
        if encrypted:
            raise KeyFileError(f"wrong passphrase for key file {path}") from e
        raise KeyFileError(f"key file {path} is not a PEM private key") from e
    except TypeError as e:
        raise KeyFileError(f"key file {path}: {e}") from e
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"key file {path} does not hold an Ed25519 key")
    name = path.name.removesuffix(".pem")
    return SigningKey(name, key)


def is_encrypted(path: Path) -> bool:
    """Tell whether a key file is passphrase-protected (without decrypting it)."""
    try:
        return b"ENCRYPTED PRIVATE KEY" in path.read_bytes()
    except OSError:
        return False
