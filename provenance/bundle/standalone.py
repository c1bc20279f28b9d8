"""Build the standalone offline verifier: one zipapp of the very modules ``prov`` runs.

The zipapp holds :mod:`provenance.bundle.offline_verify` and every
``provenance`` module it imports, found by following its imports (so a new
pure module it starts to use comes along by itself), and a ``__main__``
that runs its command line. Each module is copied byte for byte: the
standalone verifier is the code the store, ``prov verify`` and ``prov bundle
verify`` use, and cannot drift from it. Building refuses a module that
imports anything beyond the standard library and ``cryptography``, so the
zipapp runs wherever Python 3.11+ and ``cryptography`` are installed::

    python prov-verify.pyz BUNDLE --vkey VKEY [--witness VKEY ... --quorum K]

The archive is reproducible: fixed timestamps, sorted names.
"""

from __future__ import annotations

import ast
import io
import sys
import zipfile
from pathlib import Path

from provenance.errors import InputError

ENTRY = "provenance.bundle.offline_verify"
ALLOWED_THIRD_PARTY = frozenset({"cryptography"})
SHEBANG = b"#!/usr/bin/env python3\n"
MAIN = (
    '"""Run the standalone offline verifier of provenance bundles (docs/spec/bundle.md)."""\n'
    "import sys\n\n"
    "from provenance.bundle.offline_verify import main\n\n"
    "sys.exit(main())\n"
)
# These packages' own __init__ import the whole library: in the zipapp they
# are empty, so that importing provenance.bundle.offline_verify imports only
# what it needs. Every other package's __init__ is copied like a module.
STUBBED = frozenset({"provenance", "provenance.bundle"})
STUB = '"""Part of the standalone offline verifier, built by provenance.bundle.standalone."""\n'
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # .../provenance


def _source(module: str) -> Path:
    parts = module.split(".")[1:]
    path = _PACKAGE_ROOT.joinpath(*parts)
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def _imports(module: str, path: Path) -> set[str]:
    """The absolute module names ``module`` imports (relative imports are refused)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise InputError(f"{module} uses a relative import; the verifier needs absolute")
            base = str(node.module)
            found.add(base)
            # "from provenance.rules import acceptance" imports a submodule.
            for alias in node.names:
                if base.startswith("provenance") and _source(f"{base}.{alias.name}").exists():
                    found.add(f"{base}.{alias.name}")
    return found


def modules() -> dict[str, Path]:
    """Every ``provenance`` module the verifier needs, by name, with its source file.

    Raises:
        InputError: one of them imports something beyond the standard
            library and ``cryptography``.
    """
    needed: dict[str, Path] = {}
    todo = [ENTRY]
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        path = _source(name)
        needed[name] = path
        for imported in sorted(_imports(name, path)):
            root = imported.split(".")[0]
            if root == "provenance":
                if imported not in STUBBED:
                    todo.append(imported)
            elif root not in sys.stdlib_module_names and root not in ALLOWED_THIRD_PARTY:
                raise InputError(f"{name} imports {imported}: the verifier may not need it")
    return needed


def _entry(name: str, data: bytes) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info, data


def build() -> bytes:
    """The zipapp's bytes: a shebang line followed by a zip archive.

    Raises:
        InputError: a needed module imports something the verifier may not need.
    """
    files: dict[str, bytes] = {"__main__.py": MAIN.encode()}
    for name, path in modules().items():
        parts = name.split(".")
        for depth in range(1, len(parts)):
            files.setdefault("/".join(parts[:depth]) + "/__init__.py", STUB.encode())
        where = "/".join(parts) + ("/__init__.py" if path.name == "__init__.py" else ".py")
        files[where] = path.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            archive.writestr(*_entry(name, files[name]))
    return SHEBANG + buffer.getvalue()
