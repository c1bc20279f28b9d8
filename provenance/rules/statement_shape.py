"""The shape check of a statement payload, as the bundle verifiers call it.

:func:`check_payload` refuses payload bytes that are not a well-formed
format-1 statement (statements.md §2): over 1 MiB, not strict JSON, not in
RFC 8785 form, members missing or unknown, an unknown kind, a ``null``.
Standard library only.
"""

from __future__ import annotations

import json
import re
from typing import Any

from provenance.errors import InputError
from provenance.rules import strict_json
from provenance.rules.acceptance import KIND_RULES

MAX_PAYLOAD_BYTES = 1024 * 1024
MEMBERS = {"format", "kind", "subject", "author", "issued_at", "refs", "body"}
_SUBJECT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}", re.ASCII)
_STATEMENT = re.compile(r"[0-9a-f]{64}", re.ASCII)


def _jcs(value: Any) -> str:
    """RFC 8785 serialisation of the JSON values a format-1 payload may hold."""
    if isinstance(value, dict):
        names = sorted(value, key=lambda k: k.encode("utf-16-be"))  # UTF-16 code units
        return "{" + ",".join(_jcs(k) + ":" + _jcs(value[k]) for k in names) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_jcs(v) for v in value) + "]"
    if isinstance(value, str | int):  # bool is an int
        return json.dumps(value, ensure_ascii=False)
    raise InputError(f"payload: {type(value).__name__} is not allowed in a payload")


def _nulls(value: Any, path: str) -> None:
    if value is None:
        raise InputError(f"{path}: null is not allowed; omit the member instead")
    if isinstance(value, dict):
        for k, v in value.items():
            _nulls(v, f"{path}.{k}")
    elif isinstance(value, list):
        for n, v in enumerate(value):
            _nulls(v, f"{path}[{n}]")


def check_payload(raw: bytes) -> dict[str, Any]:
    """Check payload bytes as every verifier must; return the parsed object.

    Raises:
        InputError: naming the flaw.
    """
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise InputError(f"payload is {len(raw)} bytes; the limit is {MAX_PAYLOAD_BYTES}")
    obj = strict_json.loads(raw, "payload")
    if not isinstance(obj, dict) or set(obj) != MEMBERS or obj["format"] != 1:
        raise InputError("payload is not a format-1 statement")
    _nulls(obj, "payload")
    if _jcs(obj).encode() != raw:
        raise InputError("payload is not in RFC 8785 canonical form")
    if obj["kind"] not in KIND_RULES:
        raise InputError(f"unknown statement kind {str(obj['kind'])[:40]!r}")
    for name in ("subject", "author"):
        if not isinstance(obj[name], str) or not _SUBJECT.fullmatch(obj[name]):
            raise InputError(f"payload.{name} is not a subject id")
    refs = obj["refs"]
    if not isinstance(refs, list) or not all(
        isinstance(r, str) and _STATEMENT.fullmatch(r) for r in refs
    ):
        raise InputError("payload.refs is not a list of statement ids")
    if len(set(refs)) != len(refs):
        raise InputError("payload.refs: the same statement id appears twice")
    if not isinstance(obj["body"], dict):
        raise InputError("payload.body is not an object")
    return obj
