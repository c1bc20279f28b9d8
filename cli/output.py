"""Every ``--out`` of ``prov``.

One rule for each command that writes a file (docs/cli.md, "Output files"):

- ``--out -`` (or no ``--out`` where the command allows it) is standard output;
- an existing file is kept unless ``--force`` is given;
- a symbolic link is never written through, not even with ``--force``
  (a link planted at the output name could otherwise aim the write anywhere);
- the file is written beside its final name, flushed and fsynced, then
  renamed into place, so an error or a kill leaves no empty or partial file.

Text that is safe to print is :func:`provenance.rules.text.printable`'s.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, cast

import click

STDOUT = "-"
"""The ``--out`` value that means standard output."""


class FileRefused(click.ClickException):
    """A file ``prov`` will not write (an ``--out``) or read (a device): exit 2, one line."""

    exit_code = 2


def out_option(
    help_text: str = "Write to FILE ('-' for standard output).",
    *,
    required: bool = False,
    default: str | None = None,
) -> Callable[[Callable[..., object]], Callable[..., object]]:
    """``--out FILE`` as every command declares it: a path, or ``-`` for standard output."""
    return click.option(
        "--out",
        required=required,
        default=default,
        metavar="FILE",
        type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
        help=help_text,
    )


def force_option(func: Callable[..., object]) -> Callable[..., object]:
    """``--force``: replace an existing ``--out`` file (never a symbolic link)."""
    return click.option("--force", is_flag=True, help="Replace an existing --out file.")(func)


def is_stdout(out: Path | str | None) -> bool:
    """Whether ``out`` means standard output (absent, or ``-``)."""
    return out is None or str(out) == STDOUT


def check_target(out: Path, *, force: bool) -> None:
    """Refuse ``out`` before any work is done: a link, a directory, an existing file, no directory.

    Raises:
        FileRefused: naming ``out`` and why.
    """
    try:
        st = os.lstat(out)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise FileRefused(f"cannot write {out}: {e.strerror or e}") from None
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise FileRefused(f"{out} is a symbolic link; prov never writes through one")
        if stat.S_ISDIR(st.st_mode):
            raise FileRefused(f"{out} is a directory; give a file name")
        if not force:
            raise FileRefused(f"{out} already exists (pass --force to replace it)")
        if not stat.S_ISREG(st.st_mode):
            raise FileRefused(f"{out} is not a regular file; it is not replaced")
    parent = out.parent
    if not parent.is_dir():
        raise FileRefused(f"directory {parent} does not exist")


def _fsync_dir(directory: Path) -> None:
    # The rename is durable once the directory entry is (not possible on every OS).
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _new_temp(out: Path) -> tuple[Path, int]:
    """A new file beside ``out`` with a random name, opened O_EXCL (the name is ours)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        temp = out.parent / f".{out.name}.{secrets.token_hex(6)}.tmp"
        try:
            # 0o666 filtered by the umask, as for any file the user creates.
            return temp, os.open(temp, flags, 0o666)
        except FileExistsError:
            continue
    raise FileRefused(f"cannot find a free temporary name beside {out}")


def _place(temp: Path, out: Path, *, force: bool) -> None:
    """Give the complete ``temp`` the name ``out``; without ``force`` never replace a file."""
    if force:
        check_target(out, force=True)  # a link planted meanwhile is refused, not replaced
        os.replace(temp, out)
        return
    try:
        # A hard link fails if ``out`` exists, atomically: no check-then-rename race.
        os.link(temp, out)
    except FileExistsError:
        raise FileRefused(f"{out} already exists (pass --force to replace it)") from None
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        check_target(out, force=False)  # no hard links here: check, then rename
        os.rename(temp, out)


@contextlib.contextmanager
def open_output(out: Path | str | None, *, force: bool = False) -> Iterator[BinaryIO]:
    """A binary stream for ``--out``: standard output, or a file that appears only when complete.

    For a file, what is written goes to a temporary file in the same
    directory; on leaving the block without an exception it is flushed,
    fsynced and renamed to ``out``; on an exception it is removed, so no
    empty or partial file is left behind.

    Raises:
        FileRefused: ``out`` is a symbolic link, a directory, exists without
            ``force``, or its directory does not exist.
        OSError: the file could not be written (disk full, permissions).
    """
    if is_stdout(out):
        # click's own stdout (CliRunner captures it), left open on leaving.
        with click.open_file(STDOUT, "wb") as stdout:
            stream = cast(BinaryIO, stdout)
            yield stream
            stream.flush()
        return
    target = Path(out)  # type: ignore[arg-type]
    check_target(target, force=force)
    temp, fd = _new_temp(target)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        _place(temp, target, force=force)
    finally:
        temp.unlink(missing_ok=True)
    _fsync_dir(target.parent)


def write_output(data: bytes, out: Path | str | None, *, force: bool = False) -> None:
    """Write ``data`` to ``--out`` by the rules of :func:`open_output`."""
    with open_output(out, force=force) as f:
        f.write(data)


def read_input(path: Path | str, what: str, *, limit: int | None = None) -> bytes:
    """The bytes of an input file (``-`` is standard input), read within a bound.

    A device (``/dev/zero`` never ends) or a directory is refused before it
    is read; a FIFO or standard input is read, but never more than ``limit``
    bytes (the input is then refused as too long).

    Raises:
        FileRefused: one line naming the file (exit 2).
    """
    cap = -1 if limit is None else limit + 1
    try:
        with click.open_file(str(path), "rb") as f:  # '-' is stdin, left open
            if str(path) != STDOUT:
                mode = os.fstat(f.fileno()).st_mode
                if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISDIR(mode):
                    raise FileRefused(f"{what} {path} is a device or directory, not a file")
            data: bytes = f.read(cap)
    except OSError as e:
        raise FileRefused(f"cannot read {what} {path}: {e.strerror or e}") from None
    if limit is not None and len(data) > limit:
        raise FileRefused(f"{what} {path} is over {limit} bytes")
    return data
