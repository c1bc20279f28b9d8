"""RFC 8785 (JCS) canonical JSON: producing it, and checking it quickly.

``rfc8785.dumps`` is the reference (pure Python, about 40,000 small objects a
second here). Checking that received bytes are canonical is on every append's
path, so :func:`is_canonical` first serialises with the C JSON encoder, whose
output is identical to JCS for the values statements may hold: objects,
arrays, strings, booleans, null and integers within ±(2^53 - 1), with object
keys inside the Basic Multilingual Plane (then code-point order is UTF-16
order, and both escape exactly ``"``, ``\\`` and U+0000 to U+001F, in the
same forms). Anything else (a float, a large integer, a key beyond U+FFFF)
goes to ``rfc8785``. ``tests/unit/test_canonical.py`` checks the equivalence
with property tests.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

from provenance.errors import InputError

_SAFE = 2**53 - 1
_encode = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
).encode


def canonical_json(obj: Any) -> bytes:
    """The RFC 8785 serialisation of ``obj``.

    Uses the C encoder where its output is certain to equal JCS (see the
    module's docstring), the reference implementation otherwise.
    """
    if _fast_path_applies(obj):
        try:
            return _encode(obj).encode()
        except UnicodeEncodeError:  # a lone surrogate: let the reference decide
            pass
    try:
        return bytes(rfc8785.dumps(obj))
    except Exception as e:  # rfc8785 raises its own types for out-of-range values
        raise InputError(f"value cannot be canonicalised: {e}") from e


def _fast_path_applies(obj: Any) -> bool:
    """True if the C encoder's output is certain to equal JCS for ``obj``."""
    stack = [obj]
    while stack:
        value = stack.pop()
        if isinstance(value, str) or value is None or isinstance(value, bool):
            continue
        if isinstance(value, int):
            if not -_SAFE <= value <= _SAFE:
                return False
        elif isinstance(value, dict):
            for key in value:
                if not key.isascii() and max(key) > "\uffff":
                    return False
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        else:
            return False
    return True


def is_canonical(payload: bytes, obj: Any) -> bool:
    """Whether ``payload`` is exactly the RFC 8785 serialisation of ``obj``."""
    if _fast_path_applies(obj):
        try:
            return _encode(obj).encode() == payload
        except UnicodeEncodeError:  # a lone surrogate: let the reference decide
            pass
    return canonical_json(obj) == payload
