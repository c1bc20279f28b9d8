"""RFC 8785 (JCS) serialisation of the JSON a format-1 payload may hold.

Pure standard library, so every verifier can hold the same encoder. Format 1
has strings, integers within ±(2^53 - 1), booleans, null (refused later, by
the shape check, with a better message), arrays and objects; it has no
floating-point numbers, so this encoder refuses them rather than implement
RFC 8785 §3.2.2.3. Strings use JSON's minimal escaping, which is exactly
what JCS prescribes (RFC 8785 §3.2.2.2): ``"``, ``\\`` and U+0000 to U+001F,
the latter as ``\\b \\t \\n \\f \\r`` or lower-case ``\\u00xx``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from provenance.errors import InputError

MAX_SAFE_INTEGER = 2**53 - 1
_FOUR_BYTE = re.compile(rb"[\xf0-\xf7]")

_string = json.JSONEncoder(ensure_ascii=False).encode
_sorted = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
).encode


def _utf16(name: str) -> bytes:
    # RFC 8785 §3.2.3: members sorted by their names' UTF-16 code units;
    # big-endian UTF-16 bytes compare in the same order.
    return name.encode("utf-16-be", "surrogatepass")


def _encode(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(_string(value))
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif value is None:
        out.append("null")
    elif type(value) is int:
        if abs(value) > MAX_SAFE_INTEGER:
            raise InputError(f"integer {value} is outside ±(2^53 - 1)")
        out.append(str(value))
    elif isinstance(value, list):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out)
        out.append("]")
    elif isinstance(value, dict):
        out.append("{")
        for i, name in enumerate(sorted(value, key=_utf16)):
            if i:
                out.append(",")
            out.append(_string(name))
            out.append(":")
            _encode(value[name], out)
        out.append("}")
    elif isinstance(value, float):
        raise InputError(f"number {value!r} is not an integer; format 1 has no other numbers")
    else:
        raise InputError(f"a {type(value).__name__} is not a JSON value")


def canonical_bytes(value: Any) -> bytes:
    """The RFC 8785 serialisation of ``value``, as UTF-8.

    Raises:
        InputError: ``value`` holds a float, an unsafe integer or a non-JSON type.
    """
    out: list[str] = []
    _encode(value, out)
    try:
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError as e:  # a lone surrogate has no UTF-8 form
        raise InputError(f"text holds a lone surrogate U+{ord(e.object[e.start]):04X}") from None


def is_canonical(raw: bytes, value: Any) -> bool:
    """Whether ``raw`` is exactly the RFC 8785 serialisation of ``value`` (its parse).

    The C encoder, sorting by code point, gives the same bytes as RFC 8785
    whenever no member name holds a character beyond U+FFFF (then code-point
    order is UTF-16 order) and no float occurs. If ``raw`` has no 4-byte UTF-8
    sequence and equals that encoding, it is canonical; a float it may hold
    is refused by every shape (format 1 has none). Otherwise the pure
    encoder decides.

    Raises:
        InputError: as :func:`canonical_bytes`, when the pure encoder runs.
    """
    if not _FOUR_BYTE.search(raw):
        try:
            if _sorted(value).encode("utf-8") == raw:
                return True
        except (UnicodeEncodeError, ValueError):
            pass
    return canonical_bytes(value) == raw
