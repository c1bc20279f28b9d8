"""Generate the pure kind table (``provenance/rules/kinds_table.py``) from the models.

The pydantic models are the one declaration of every kind's body. Verifiers
that cannot import pydantic (the standalone offline verifier, and
:mod:`provenance.rules.payload`, which every verifier calls) read the same
shapes from a generated table instead. Regenerate it with::

    python -m provenance.model.table

and a test fails when the committed table and the models drift apart.

The table is JSON. A *shape* is one of::

    {"type": "string", "minLength"?, "maxLength"?, "pattern"?, "enum"?,
     "text"?: "line" | "lines", "calendar"?: true}
    {"type": "integer", "minimum"?, "maximum"?, "enum"?}
    {"type": "boolean"}
    {"type": "array", "items": shape, "minItems"?, "maxItems"?, "uniqueItems"?}
    {"type": "object", "members": {name: shape}, "required": [name, ...]}
    {"type": "map", "keys": shape, "values": shape}

Objects are closed (no member beyond ``members``); an optional member is
omitted, never null. ``text`` marks free text ("lines" may hold LINE FEED);
``calendar`` a date or time that must be a real calendar value.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from provenance.model.kinds import KINDS
from provenance.model.statement import FORMAT, Payload
from provenance.model.strict import CALENDAR_KEY, TEXT_KEY

TABLE_PATH = Path(__file__).resolve().parent.parent / "rules" / "kinds_table.py"

_HEADER = '''"""The shape of every statement kind's payload, generated from the pydantic models.

Do not edit: run ``python -m provenance.model.table`` (see that module for
the meaning of each entry). A test fails when this file is stale.
"""

TABLE_JSON = r"""
'''
_FOOTER = '''"""  # noqa: E501
'''

_STRING_KEYS = ("minLength", "maxLength", "pattern", "enum")
_INTEGER_KEYS = ("minimum", "maximum", "enum")
_ARRAY_KEYS = ("minItems", "maxItems", "uniqueItems")


class _Unsupported(Exception):
    """A model uses a construct the pure checker does not know."""


def _shape(node: dict[str, Any], defs: dict[str, Any], where: str) -> dict[str, Any]:
    if "$ref" in node:
        return _shape(defs[node["$ref"].rsplit("/", 1)[1]], defs, where)
    if "anyOf" in node:  # an optional member: the null branch is omission, never a value
        branches = [b for b in node["anyOf"] if b != {"type": "null"}]
        if len(branches) != 1:
            raise _Unsupported(f"{where}: a union of {len(branches)} types")
        return _shape(branches[0], defs, where)
    kind = node.get("type")
    if "const" in node and kind is None:
        kind = {str: "string", int: "integer"}[type(node["const"])]
        node = {**node, "enum": [node["const"]]}
    if kind == "string":
        out: dict[str, Any] = {"type": "string"}
        out.update({k: node[k] for k in _STRING_KEYS if k in node})
        if TEXT_KEY in node:
            out["text"] = node[TEXT_KEY]
            out.pop("pattern", None)  # the text rule itself is in provenance.rules.text
        if node.get(CALENDAR_KEY):
            out["calendar"] = True
        if not {"pattern", "enum", "text"} & out.keys():
            raise _Unsupported(f"{where}: a string with no pattern, enumeration or text rule")
        return out
    if kind == "integer":
        return {"type": "integer", **{k: node[k] for k in _INTEGER_KEYS if k in node}}
    if kind == "boolean":
        return {"type": "boolean"}
    if kind == "array":
        items = _shape(node["items"], defs, f"{where}[]")
        return {"type": "array", "items": items, **{k: node[k] for k in _ARRAY_KEYS if k in node}}
    if kind == "object" and "properties" in node:
        if node.get("additionalProperties") is not False:
            raise _Unsupported(f"{where}: an open object")
        members = {
            name: _shape(sub, defs, f"{where}.{name}") for name, sub in node["properties"].items()
        }
        return {"type": "object", "members": members, "required": node.get("required", [])}
    if kind == "object" and isinstance(node.get("additionalProperties"), dict):
        keys = {"type": "string", **node.get("propertyNames", {})}
        return {
            "type": "map",
            "keys": _shape(keys, defs, f"{where}{{}}"),
            "values": _shape(node["additionalProperties"], defs, f"{where}{{}}"),
        }
    raise _Unsupported(f"{where}: {json.dumps(node)[:80]}")


def _model_shape(schema: dict[str, Any], where: str) -> dict[str, Any]:
    return _shape(schema, schema.get("$defs", {}), where)


def build() -> dict[str, Any]:
    """The table as a JSON-ready object."""
    envelope = Payload.model_json_schema()
    envelope["properties"]["kind"] = {"type": "string", "enum": sorted(KINDS)}
    body = envelope["properties"].pop("body")
    payload = _model_shape(envelope, "payload")
    payload["members"]["body"] = {"type": "body"}  # checked against the kind's own shape
    assert body.get("type") == "object"
    kinds = {
        name: {
            "creates": spec.creates,
            "targets": spec.targets,
            "needs_refs": spec.needs_refs,
            "admin_only": spec.admin_only,
            "body": _model_shape(spec.body.model_json_schema(), f"{name}.body"),
        }
        for name, spec in sorted(KINDS.items())
    }
    return {"format": FORMAT, "payload": payload, "kinds": kinds}


def generate() -> str:
    """The exact text of ``provenance/rules/kinds_table.py``."""
    text = json.dumps(build(), indent=1, sort_keys=True, ensure_ascii=True)
    assert '"""' not in text
    return _HEADER + text + "\n" + _FOOTER


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else TABLE_PATH
    target.write_text(generate())
    print(target)
