"""Private keys, kept outside the store in a keys directory.

Each key is one file ``<name>.pem``: PKCS#8 PEM, encrypted with the best
available scheme when a passphrase is given, created with mode 0600. The store
never holds a private key; it holds only public keys, in signed statements.
"""

from __future__ import annotations

import os
import re
import stat
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


MAX_KEY_FILE_BYTES = 64 * 1024
"""A PKCS#8 PEM Ed25519 key is a few hundred bytes; a longer file is not a key file."""


def read_key_bytes(path: Path) -> bytes:
    """The bytes of a key file, refusing anything that is not a small, private, regular file.

    - A FIFO, a device (``/dev/zero``), a socket or a directory is refused
      before a single byte is read: it is opened non-blocking and checked with
      ``fstat``, so a FIFO cannot hang the command and a device cannot fill memory.
    - A file over :data:`MAX_KEY_FILE_BYTES` is refused without being read whole.
    - On POSIX, a key file readable or writable by group or others, and a
      directory holding it that group or others may write (and that lacks the
      sticky bit), are refused: anyone who can read the key can sign as its
      actor, and anyone who can write the directory can swap the key
      (docs/files.md, "Key files").

    Raises:
        KeyFileError: naming the file and what is wrong with it.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError as e:
        raise KeyFileError(f"no key file at {path}") from e
    except IsADirectoryError as e:
        raise KeyFileError(f"key file {path} is a directory") from e
    except OSError as e:
        raise KeyFileError(f"cannot read key file {path}: {e.strerror}") from e
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise KeyFileError(f"key file {path} is not a regular file ({_file_type(st.st_mode)})")
    with os.fdopen(fd, "rb") as f:
        _check_private(path, st)
        try:
            data = f.read(MAX_KEY_FILE_BYTES + 1)
        except OSError as e:
            raise KeyFileError(f"cannot read key file {path}: {e.strerror}") from e
    if len(data) > MAX_KEY_FILE_BYTES:
        raise KeyFileError(f"key file {path} is over {MAX_KEY_FILE_BYTES} bytes: not a key file")
    return data


def _file_type(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a directory"),
    ):
        if test(mode):
            return name
    return "not a file"


def _check_private(path: Path, st: os.stat_result) -> None:
    """Refuse a key file others may read or write, or whose directory others may write."""
    if os.name != "posix":
        return  # Windows: permissions are ACLs, which st_mode does not show
    if st.st_mode & 0o077:
        raise KeyFileError(
            f"key file {path} is open to group or others (mode {stat.S_IMODE(st.st_mode):04o}): "
            f"run 'chmod 600 {path}'"
        )
    directory = path.parent
    try:
        dst = os.stat(directory)
    except OSError:
        return
    if dst.st_mode & 0o022 and not dst.st_mode & stat.S_ISVTX:
        raise KeyFileError(
            f"keys directory {directory} is writable by group or others "
            f"(mode {stat.S_IMODE(dst.st_mode):04o}), so its keys can be replaced: "
            f"run 'chmod 700 {directory}'"
        )


def load_key_file(path: Path, passphrase: str | None) -> SigningKey:
    """Load an Ed25519 PKCS#8 PEM key file (checked by :func:`read_key_bytes` first)."""
    data = read_key_bytes(path)
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
    """Tell whether a key file is passphrase-protected (without decrypting it).

    False for anything :func:`read_key_bytes` refuses; loading it then says why.
    """
    try:
        return b"ENCRYPTED PRIVATE KEY" in read_key_bytes(path)
    except KeyFileError:
        return False
