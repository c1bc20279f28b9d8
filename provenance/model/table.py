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

from provenance.model.kinds import KINDS, Ref
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


def _ref(ref: Ref) -> dict[str, Any]:
    out: dict[str, Any] = {"member": ref.member, "to": ref.to}
    if ref.subject_type is not None:
        out["subject_type"] = ref.subject_type
    if ref.relation is not None:
        out["relation"] = ref.relation
    if ref.choices:
        out["choices"] = {t: list(c) for t, c in sorted(ref.choices.items())}
    return out


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
            "refs": [_ref(ref) for ref in spec.refs],
            "withdraws": spec.withdraws,
        }
        for name, spec in sorted(KINDS.items())
    }
    return {"format": FORMAT, "payload": payload, "kinds": kinds}


def _ref_words(ref: dict[str, Any]) -> str:
    """One clause of kinds.md saying what a declared reference names."""
    member = f"`body.{ref['member']}`"
    if ref["to"] == "subject":
        words = f"{member} names subjects of type `{ref['subject_type']}` (never its own subject)"
    elif ref["to"] == "statement":
        words = f"{member} names a statement"
    elif ref["to"] == "digest":
        words = f"{member} is the SHA-256 of an attached file"
    else:
        named = ", ".join(
            f"`{t}`: a {what} ({'of type' if what == 'subject' else 'of kind'} `{of}`)"
            for t, (what, of) in ref["choices"].items()
        )
        words = f"{member} names, by its `type`, {named}"
    if "relation" in ref:
        words += f"; the views link it to this statement as `{ref['relation']}`"
    return words


def generate() -> str:
    """The exact text of ``provenance/rules/kinds_table.py``."""
    text = json.dumps(build(), indent=1, sort_keys=True, ensure_ascii=True)
    assert '"""' not in text
    return _HEADER + text + "\n" + _FOOTER


SPEC_PATH = Path(__file__).resolve().parents[2] / "docs" / "spec" / "kinds.md"

_SPEC_HEADER = """# Statement kinds: the shape of every body

Normative, and generated from the same declarations as
`provenance/rules/kinds_table.py` (`python -m provenance.model.table`; a test
fails when this file is stale). `statements.md` section 5 says what each kind
means and section 9 what every verifier refuses; this file gives, for the
payload and for each kind's body, every member a verifier must accept, and
nothing else is accepted.

How to read a shape:

- Every object is closed: a member not listed is refused. A member marked
  *required* MUST be present; any other MAY be absent, and is then omitted,
  never `null`.
- `string`: a JSON string. "one line" text refuses every C0 and C1 control
  character, DEL, the bidirectional characters and lone surrogates
  (`statements.md` section 9); "multi-line" text allows LINE FEED (U+000A)
  besides. Lengths count Unicode code points. A pattern is matched against
  the whole string, in ASCII (`[0-9]` means the ten ASCII digits only).
  "calendar" means the value MUST also be a real date or time (no 30
  February, no month 13, no hour 24, years 0001 to 9999).
- `integer`: a JSON number without fraction or exponent, within ±(2^53 − 1)
  and the bounds shown; `true` and `false` are not integers.
- `boolean`: `true` or `false` only.
- `array of X`: every element is X; "unique" means no two elements are equal.
- `map`: a JSON object whose member names and values follow the shapes given.
"""


def _describe(shape: dict[str, Any]) -> str:
    """One shape, in words (a member's row of the spec table)."""
    kind = shape["type"]
    if kind == "string":
        words = ["string"]
        if "text" in shape:
            words.append("one line" if shape["text"] == "line" else "multi-line")
        if "minLength" in shape or "maxLength" in shape:
            words.append(f"{shape.get('minLength', 0)} to {shape.get('maxLength', '∞')} characters")
        if "enum" in shape:
            words.append("one of " + ", ".join(f"`{v}`" for v in shape["enum"]))
        if "pattern" in shape:
            words.append(f"pattern `{shape['pattern']}`")
        if shape.get("calendar"):
            words.append("calendar")
        return ", ".join(words)
    if kind == "integer":
        words = ["integer"]
        if "enum" in shape:
            words.append("one of " + ", ".join(f"`{v}`" for v in shape["enum"]))
        if "minimum" in shape or "maximum" in shape:
            words.append(
                f"{shape.get('minimum', '−(2^53 − 1)')} to {shape.get('maximum', '2^53 − 1')}"
            )
        return ", ".join(words)
    if kind == "boolean":
        return "boolean"
    if kind == "array":
        words = [f"array of ({_describe(shape['items'])})"]
        if "minItems" in shape or "maxItems" in shape:
            words.append(f"{shape.get('minItems', 0)} to {shape.get('maxItems', '∞')} elements")
        if shape.get("uniqueItems"):
            words.append("unique")
        return ", ".join(words)
    if kind == "map":
        return f"map: names ({_describe(shape['keys'])}); values ({_describe(shape['values'])})"
    if kind == "object":
        return "object (its members follow)"
    if kind == "body":
        return "object: the kind's body, below"
    raise ValueError(f"no description for {kind}")


def _rows(shape: dict[str, Any], prefix: str) -> list[str]:
    rows = []
    required = set(shape.get("required", []))
    for name in sorted(shape["members"]):
        member = shape["members"][name]
        path = f"{prefix}{name}"
        mark = "required" if name in required else ""
        shape_text = _describe(member).replace("|", "\\|")  # a pattern's | in a table cell
        rows.append(f"| `{path}` | {shape_text} | {mark} |")
        if member["type"] == "object":
            rows += _rows(member, f"{path}.")
        elif member["type"] == "array" and member["items"]["type"] == "object":
            rows += _rows(member["items"], f"{path}[].")
    return rows


def markdown() -> str:
    """The exact text of ``docs/spec/kinds.md``."""
    table = build()
    head = "| member | shape | |\n|---|---|---|"
    parts = [_SPEC_HEADER, "## The payload\n", head, *_rows(table["payload"], ""), ""]
    for name, spec in table["kinds"].items():
        if spec["creates"]:
            what = f"creates a subject of type `{spec['creates']}`"
        elif spec["targets"] == "any":
            what = "targets an existing subject of any type"
        else:
            what = f"targets a subject of type `{spec['targets']}`"
        extra = []
        if spec["needs_refs"]:
            extra.append("`refs` MUST NOT be empty")
        if spec["admin_only"]:
            extra.append("signed only by an actor of role `organisation` or an administrator")
        for ref in spec["refs"]:
            extra.append(_ref_words(ref))
        if spec["withdraws"]:
            extra.append(f"it withdraws the statement `body.{spec['withdraws']}` names")
        parts += [f"## `{name}`\n", f"It {what}" + "".join(f"; {e}" for e in extra) + ".\n"]
        if spec["body"]["members"]:
            parts += [head, *_rows(spec["body"], "body."), ""]
        else:
            parts += ["Its body is the empty object `{}`.", ""]
    return "\n".join(parts)


STATEMENTS_PATH = SPEC_PATH.with_name("statements.md")
TABLE_START = (
    "<!-- Generated from the kind declarations by `python -m provenance.model.table`: "
    "edit provenance/model/kinds/, not this table. -->"
)
TABLE_END = "<!-- End of the generated table. -->"
_NOUNS = {
    "actor": "an actor",
    "evidence": "an evidence item",
    "finding": "a finding",
    "challenge": "a challenge",
    "trace": "a trace request",
}


def kinds_table() -> str:
    """The table of kinds of ``docs/spec/statements.md`` section 3, from the declarations."""
    lines = [
        "| kind | subject | body members (required in bold) | more rules |",
        "|---|---|---|---|",
    ]
    for name, spec in KINDS.items():
        if spec.creates is not None:
            subject = f"creates {_NOUNS[spec.creates]}"
        elif spec.targets == "any":
            subject = "targets the subject of the withdrawn statement"
        else:
            subject = f"targets {_NOUNS[str(spec.targets)]}"
        rules = f" {spec.doc_rules} " if spec.doc_rules else " "
        lines.append(f"| `{name}` | {subject} | {spec.doc_members} |{rules}|")
    return "\n".join(lines)


def statements_spec(current: str) -> str:
    """``docs/spec/statements.md`` with its table of kinds regenerated."""
    start, end = current.index(TABLE_START), current.index(TABLE_END)
    return current[: start + len(TABLE_START)] + "\n" + kinds_table() + "\n" + current[end:]


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else TABLE_PATH
    target.write_text(generate())
    print(target)
    if len(sys.argv) <= 1:
        SPEC_PATH.write_text(markdown())
        print(SPEC_PATH)
        STATEMENTS_PATH.write_text(statements_spec(STATEMENTS_PATH.read_text()))
        print(STATEMENTS_PATH)
