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
from typing import Any

from provenance.errors import InputError
from provenance.rules import strict_json
from provenance.rules.dates import calendar_flaw
from provenance.rules.jcs import is_canonical
from provenance.rules.kinds_table import TABLE_JSON
from provenance.rules.text import text_flaw

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


class PayloadError(InputError):
    """A payload that no verifier accepts; the message names the field and the flaw."""


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


def _check_string(value: str, shape: dict[str, Any], path: str) -> None:
    if "enum" in shape and value not in shape["enum"]:
        raise _fail(path, f"{_show(value)} is not allowed; it should be {_allowed(shape)}")
    if "pattern" in shape and _pattern(shape["pattern"]).fullmatch(value) is None:
        raise _fail(path, f"{_show(value)} does not match {shape['pattern']}")
    # Every string is text, whatever its pattern: controls are refused everywhere.
    flaw = text_flaw(value, multiline=shape.get("text") == "lines")
    if flaw is not None:
        raise _fail(path, flaw)
    if "minLength" in shape and len(value) < shape["minLength"]:
        raise _fail(path, f"must hold at least {shape['minLength']} character(s)")
    if "maxLength" in shape and len(value) > shape["maxLength"]:
        raise _fail(path, f"is {len(value)} characters; the limit is {shape['maxLength']}")
    if shape.get("calendar"):
        flaw = calendar_flaw(value)
        if flaw is not None:
            raise _fail(path, f"{_show(value)} {flaw}")


def _check_integer(value: int, shape: dict[str, Any], path: str) -> None:
    if "enum" in shape and value not in shape["enum"]:
        raise _fail(path, f"{value} is not allowed; it should be {_allowed(shape)}")
    if "minimum" in shape and value < shape["minimum"]:
        raise _fail(path, f"{value} is below the minimum {shape['minimum']}")
    if "maximum" in shape and value > shape["maximum"]:
        raise _fail(path, f"{value} is above the maximum {shape['maximum']}")


def _check_array(value: list[Any], shape: dict[str, Any], path: str) -> None:
    if "minItems" in shape and len(value) < shape["minItems"]:
        raise _fail(path, f"must hold at least {shape['minItems']} item(s)")
    if "maxItems" in shape and len(value) > shape["maxItems"]:
        raise _fail(path, f"holds {len(value)} items; the limit is {shape['maxItems']}")
    for i, item in enumerate(value):
        _check(item, shape["items"], f"{path}[{i}]")
    if shape.get("uniqueItems"):
        seen: set[tuple[bool, str]] = set()
        for i, item in enumerate(value):
            # Items were checked above; the only unique arrays hold strings (refs).
            is_text = isinstance(item, str)
            key = (is_text, item if is_text else json.dumps(item, sort_keys=True))
            if key in seen:
                raise _fail(f"{path}[{i}]", "the same value appears twice")
            seen.add(key)


def _check_object(value: dict[str, Any], shape: dict[str, Any], path: str) -> None:
    members: dict[str, Any] = shape["members"]
    for name in sorted(value):
        if name not in members:
            raise _fail(_member(path, name), f"unknown member; allowed: {', '.join(members)}")
    for name in shape["required"]:
        if name not in value:
            raise _fail(f"{path}.{name}", "is required")
    for name, sub in members.items():
        if name in value:  # declared names are plain identifiers: no quoting needed
            _check(value[name], sub, f"{path}.{name}")


def _check_map(value: dict[str, Any], shape: dict[str, Any], path: str) -> None:
    for name in sorted(value):
        where = f"{path}[{_show(name)}]"
        _check_string(name, shape["keys"], f"{where} (the name)")
        _check(value[name], shape["values"], where)


_EXPECTED: dict[str, tuple[Any, str]] = {
    "string": (str, "a string"),
    "integer": (int, "an integer"),
    "boolean": (bool, "a boolean"),
    "array": (list, "an array"),
    "object": (dict, "an object"),
    "map": (dict, "an object"),
    "body": (dict, "an object"),
}


def _check(value: Any, shape: dict[str, Any], path: str) -> None:
    """Check ``value`` against ``shape``: the type exactly, then its constraints."""
    kind = shape["type"]
    if value is None:
        raise _fail(path, "null is not allowed; omit the member instead")
    expected, name = _EXPECTED[kind]
    # type(), not isinstance(): bool is a subclass of int, and true is not 1.
    if type(value) is not expected:
        also = f" ({_allowed(shape)})" if "enum" in shape else ""
        raise _fail(path, f"must be {name}{also}, not {_type_name(value)}")
    if kind == "string":
        _check_string(value, shape, path)
    elif kind == "integer":
        _check_integer(value, shape, path)
    elif kind == "array":
        _check_array(value, shape, path)
    elif kind == "object":
        _check_object(value, shape, path)
    elif kind == "map":
        _check_map(value, shape, path)


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
    _check(obj, TABLE["payload"], "payload")
    if obj["format"] != TABLE["format"]:
        raise PayloadError(f"payload.format: {obj['format']} is not {TABLE['format']}")
    _check(obj["body"], TABLE["kinds"][kind]["body"], f"{kind}: body")
    return obj
