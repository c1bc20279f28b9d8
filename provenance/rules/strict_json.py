"""Strict JSON for bytes a hostile party wrote.

``json.loads`` accepts things no verifier should: duplicate member names (it
keeps the last one silently, so a decoy can hide behind the real value),
``NaN`` and ``Infinity``, numbers that overflow to infinity (``1e400``),
integers beyond the range every JSON implementation reads alike, lone UTF-16
surrogates that later fail when printed, and nesting deep enough to exhaust
the interpreter's stack. :func:`loads` refuses each of these with an
:class:`~provenance.errors.InputError` that names the problem, so a caller
never sees ``RecursionError``, ``OverflowError`` or ``UnicodeEncodeError``.

The limits are normative for every verifier (docs/spec/statements.md,
"What a verifier refuses").
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from provenance.errors import InputError

MAX_DEPTH = 32
"""Arrays and objects nested deeper than this are refused."""

MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer magnitude accepted (I-JSON, RFC 7493 §2.2)."""

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Refused(ValueError):
    """Raised inside the decoder's hooks; turned into an InputError at the edge."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _Refused(f"duplicate member name {key!r}")
        obj[key] = value
    return obj


def _integer(text: str) -> int:
    value = int(text)
    if abs(value) > MAX_SAFE_INTEGER:
        raise _Refused(f"integer {text[:20]} is outside ±(2^53 - 1)")
    return value


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"number {text[:20]} is out of range")
    return value


def _constant(text: str) -> Any:
    raise _Refused(f"{text} is not JSON")


def _check_depth(text: str, what: str, max_depth: int) -> None:
    """Refuse nesting beyond ``max_depth`` before the recursive decoder sees it."""
    if text.count("[") + text.count("{") <= max_depth:
        return  # too few openers to nest that deep, wherever they stand
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            if depth > max_depth:
                raise InputError(f"{what} is nested deeper than {max_depth} levels")
        else:
            depth -= 1


def loads(data: bytes | str, what: str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse ``data`` as strict JSON, or raise an InputError naming ``what`` and the flaw.

    Args:
        data: UTF-8 bytes, or text already decoded.
        what: how the input is named in the error ("envelope", "bundle", ...).
        max_depth: the deepest nesting of arrays and objects allowed.

    Raises:
        InputError: the input is not UTF-8, not JSON, or JSON that is refused.
    """
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError(f"{what} is not UTF-8 (byte {e.start})") from None
    else:
        text = data
    _check_depth(text, what, max_depth)
    try:
        value = json.loads(
            text,
            object_pairs_hook=_pairs,
            parse_int=_integer,
            parse_float=_float,
            parse_constant=_constant,
        )
    except _Refused as e:
        raise InputError(f"{what} is not acceptable JSON: {e}") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{what} is not valid JSON ({e.msg} at line {e.lineno})") from None
    except (RecursionError, ValueError) as e:  # e.g. an integer of thousands of digits
        raise InputError(f"{what} is not acceptable JSON ({type(e).__name__})") from None
    # Text decoded from UTF-8 cannot hold a raw surrogate; only an escape can make one.
    raw_surrogate = not isinstance(data, bytes) and _SURROGATE.search(text) is not None
    if raw_surrogate or ("\\u" in text and _has_surrogate(value)):
        raise InputError(f"{what} is not acceptable JSON: it holds a lone surrogate")
    return value


def _has_surrogate(value: Any) -> bool:
    """True if a string anywhere in ``value`` holds a surrogate code point."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
