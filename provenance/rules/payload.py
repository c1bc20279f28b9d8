"""The one check of a statement payload, for the store, the audit and every verifier.

:func:`check_payload` takes the payload bytes exactly as signed and refuses
everything docs/spec/statements.md §2 and §9 ("What a verifier refuses")
refuses: more than :data:`MAX_PAYLOAD_BYTES`, JSON that is not strict
(:mod:`provenance.rules.strict_json`), bytes that are not the RFC 8785 form
of their own parse, a member that is unknown, missing or null, a value of the
wrong JSON type (``true`` is not 1 and 1 is not ``true``), an integer or a
length out of bounds, a string that does not match its pattern (ASCII, the
whole string), a date that is not on the calendar, and text holding control
or bidirectional formatting characters (:mod:`provenance.rules.text`).

The shapes come from :mod:`provenance.rules.kinds_table`, generated from the
pydantic models, so this module needs only the standard library. It checks
one payload on its own: whether its refs resolve, its subject exists or its
signer may sign it are acceptance rules, checked against the record.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from provenance.errors import PayloadError
from provenance.rules import strict_json
from provenance.rules.dates import calendar_flaw
from provenance.rules.jcs import is_canonical
from provenance.rules.kinds_table import TABLE_JSON
from provenance.rules.text import text_flaw

__all__ = ["KIND_NAMES", "MAX_PAYLOAD_BYTES", "TABLE", "PayloadError", "check_payload"]

MAX_PAYLOAD_BYTES = 1024 * 1024
"""A payload over 1 MiB is refused before it is parsed (statements.md §2)."""

TABLE: dict[str, Any] = json.loads(TABLE_JSON)
"""Every kind's shape (see :mod:`provenance.model.table` for the format)."""

KIND_NAMES: tuple[str, ...] = tuple(TABLE["kinds"])

_PATTERNS: dict[str, re.Pattern[str]] = {}
_PLAIN_NAME = re.compile(r"[a-z_][a-z0-9_]*", re.ASCII)
_JSON_TYPE = {
    str: "a string",
    int: "an integer",
    bool: "a boolean",
    list: "an array",
    float: "a number with a fraction or exponent",
}


def _show(value: str, limit: int = 40) -> str:
    """A hostile string, quoted with every control escaped and cut to ``limit``."""
    # repr() escapes every character that is not printable: C0, C1, bidi controls.
    return repr(value if len(value) <= limit else value[:limit] + "...")


def _member(path: str, name: str) -> str:
    return f"{path}.{name}" if _PLAIN_NAME.fullmatch(name) else f"{path}[{_show(name)}]"


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    return _JSON_TYPE.get(type(value), type(value).__name__)


def _allowed(shape: dict[str, Any]) -> str:
    """The allowed values of an enumeration: ``'A', 'B' or 'C'``, ``1, 2 or 3``."""
    shown = [repr(v) for v in shape["enum"]]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def _fail(path: str, flaw: str) -> PayloadError:
    return PayloadError(f"{path}: {flaw}")


def _pattern(source: str) -> re.Pattern[str]:
    compiled = _PATTERNS.get(source)
    if compiled is None:
        # ASCII semantics, and fullmatch below: no "\d" for other digits, no "$" before "\n".
        compiled = _PATTERNS[source] = re.compile(source, re.ASCII)
    return compiled


# Each shape of the table is compiled once into a checker: a function of the value and
# its path that returns nothing or raises PayloadError. The first failure is reported.
_Checker = Callable[[Any, str], None]


def _string_checker(shape: dict[str, Any]) -> Callable[[str, str], None]:
    enum = frozenset(shape["enum"]) if "enum" in shape else None
    pattern = _pattern(shape["pattern"]) if "pattern" in shape else None
    multiline = shape.get("text") == "lines"
    low = shape.get("minLength", 0)
    high = shape.get("maxLength")
    calendar = bool(shape.get("calendar"))

    def check(value: str, path: str) -> None:
        if enum is not None and value not in enum:
            raise _fail(path, f"{_show(value)} is not allowed; it should be {_allowed(shape)}")
        if pattern is not None and pattern.fullmatch(value) is None:
            raise _fail(path, f"{_show(value)} does not match {shape['pattern']}")
        # Every string is text, whatever its pattern: controls are refused everywhere.
        flaw = text_flaw(value, multiline=multiline)
        if flaw is not None:
            raise _fail(path, flaw)
        if len(value) < low:
            raise _fail(path, f"must hold at least {low} character(s)")
        if high is not None and len(value) > high:
            raise _fail(path, f"is {len(value)} characters; the limit is {high}")
        if calendar:
            flaw = calendar_flaw(value)
            if flaw is not None:
                raise _fail(path, f"{_show(value)} {flaw}")

    return check


def _integer_checker(shape: dict[str, Any]) -> Callable[[int, str], None]:
    enum = frozenset(shape["enum"]) if "enum" in shape else None
    low = shape.get("minimum")
    high = shape.get("maximum")

    def check(value: int, path: str) -> None:
        if enum is not None and value not in enum:  # value is an int, never a bool, here
            raise _fail(path, f"{value} is not allowed; it should be {_allowed(shape)}")
        if low is not None and value < low:
            raise _fail(path, f"{value} is below the minimum {low}")
        if high is not None and value > high:
            raise _fail(path, f"{value} is above the maximum {high}")

    return check


def _array_checker(shape: dict[str, Any]) -> Callable[[list[Any], str], None]:
    items = _compile(shape["items"])
    low = shape.get("minItems", 0)
    high = shape.get("maxItems")
    unique = bool(shape.get("uniqueItems"))

    def check(value: list[Any], path: str) -> None:
        if len(value) < low:
            raise _fail(path, f"must hold at least {low} item(s)")
        if high is not None and len(value) > high:
            raise _fail(path, f"holds {len(value)} items; the limit is {high}")
        for i, item in enumerate(value):
            items(item, f"{path}[{i}]")
        if unique:
            seen: set[tuple[bool, str]] = set()
            for i, item in enumerate(value):
                # Items were checked above; the only unique arrays hold strings (refs).
                is_text = isinstance(item, str)
                key = (is_text, item if is_text else json.dumps(item, sort_keys=True))
                if key in seen:
                    raise _fail(f"{path}[{i}]", "the same value appears twice")
                seen.add(key)

    return check


def _object_checker(shape: dict[str, Any]) -> Callable[[dict[str, Any], str], None]:
    members = [(name, _compile(sub)) for name, sub in shape["members"].items()]
    names = frozenset(shape["members"])
    allowed = ", ".join(shape["members"])
    required = list(shape["required"])

    def check(value: dict[str, Any], path: str) -> None:
        if not names.issuperset(value):
            name = min(n for n in value if n not in names)
            raise _fail(_member(path, name), f"unknown member; allowed: {allowed}")
        for name in required:
            if name not in value:
                raise _fail(f"{path}.{name}", "is required")
        for name, member in members:
            if name in value:  # declared names are plain identifiers: no quoting needed
                member(value[name], f"{path}.{name}")

    return check


def _map_checker(shape: dict[str, Any]) -> Callable[[dict[str, Any], str], None]:
    keys = _string_checker(shape["keys"])
    values = _compile(shape["values"])

    def check(value: dict[str, Any], path: str) -> None:
        for name in sorted(value):
            where = f"{path}[{_show(name)}]"
            keys(name, f"{where} (the name)")
            values(value[name], where)

    return check


_EXPECTED: dict[str, tuple[Any, str]] = {
    "string": (str, "a string"),
    "integer": (int, "an integer"),
    "boolean": (bool, "a boolean"),
    "array": (list, "an array"),
    "object": (dict, "an object"),
    "map": (dict, "an object"),
    "body": (dict, "an object"),
}
_INNER: dict[str, Callable[[dict[str, Any]], Any]] = {
    "string": _string_checker,
    "integer": _integer_checker,
    "array": _array_checker,
    "object": _object_checker,
    "map": _map_checker,
}


def _compile(shape: dict[str, Any]) -> _Checker:
    """A checker of ``shape``: the JSON type exactly, then the shape's constraints."""
    expected, name = _EXPECTED[shape["type"]]
    also = f" ({_allowed(shape)})" if "enum" in shape else ""
    make = _INNER.get(shape["type"])
    inner: _Checker | None = make(shape) if make is not None else None

    def check(value: Any, path: str) -> None:
        # type(), not isinstance(): bool is a subclass of int, and true is not 1.
        if type(value) is not expected:
            if value is None:
                raise _fail(path, "null is not allowed; omit the member instead")
            raise _fail(path, f"must be {name}{also}, not {_type_name(value)}")
        if inner is not None:
            inner(value, path)

    return check


_CHECK_TOP = _compile(TABLE["payload"])
_CHECK_BODY = {kind: _compile(spec["body"]) for kind, spec in TABLE["kinds"].items()}


def check_payload(raw: bytes) -> dict[str, Any]:
    """Check statement payload bytes as every verifier must; return the parsed object.

    Args:
        raw: the payload bytes exactly as signed (the DSSE payload).

    Returns:
        The payload object, checked against its kind's shape.

    Raises:
        PayloadError: an InputError whose one-line message names the field
            path and the flaw, e.g. ``evidence.marking: body.text: contains
            a control character U+000D``.
        InputError: the bytes are not strict JSON (from strict_json).
    """
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise PayloadError(f"payload is {len(raw)} bytes; the limit is {MAX_PAYLOAD_BYTES}")
    obj = strict_json.loads(raw, "payload")
    if not isinstance(obj, dict):
        raise PayloadError(f"payload must be a JSON object, not {_type_name(obj)}")
    # RFC 8785: the bytes are exactly the canonical form of their own parse.
    if not is_canonical(raw, obj):
        raise PayloadError("payload is not in RFC 8785 canonical form")
    kind = obj.get("kind")
    if isinstance(kind, str) and kind not in TABLE["kinds"]:
        known = ", ".join(KIND_NAMES)
        raise PayloadError(f"unknown statement kind {_show(kind)}; known: {known}")
    _CHECK_TOP(obj, "payload")
    if obj["format"] != TABLE["format"]:
        raise PayloadError(f"payload.format: {obj['format']} is not {TABLE['format']}")
    _CHECK_BODY[kind](obj["body"], f"{kind}: body")
    return obj
