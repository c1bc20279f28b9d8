"""JSON Schemas generated from the models; ``schemas/`` holds the committed copies.

Regenerate with ``python -m provenance.model.schemas schemas``; a test fails
when the committed files and the models drift apart.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from provenance.envelope import PAYLOAD_TYPE
from provenance.ids import STATEMENT_ID_PATTERN
from provenance.model.kinds import KINDS
from provenance.model.statement import Payload

BASE_URI = "https://provenance-store.invalid/schemas/v1/"
B64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


def _envelope() -> dict[str, Any]:
    return {
        "title": "Statement envelope (DSSE)",
        "description": "A DSSE envelope carrying one statement payload (docs/spec/statements.md).",
        "type": "object",
        "additionalProperties": False,
        "required": ["payload", "payloadType", "signatures"],
        "properties": {
            "payload": {"type": "string", "pattern": B64, "contentEncoding": "base64"},
            "payloadType": {"const": PAYLOAD_TYPE},
            "signatures": {
                "type": "array",
                "minItems": 1,
                "maxItems": 1,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["keyid", "sig"],
                    "properties": {
                        "keyid": {"type": "string", "pattern": STATEMENT_ID_PATTERN},
                        "sig": {"type": "string", "pattern": B64, "minLength": 88, "maxLength": 88},
                    },
                },
            },
        },
    }


def _payload(kind: str | None) -> dict[str, Any]:
    schema = Payload.model_json_schema()
    schema["title"] = "Statement payload" if kind is None else f"Statement payload: {kind}"
    if kind is not None:
        spec = KINDS[kind]
        body = spec.body.model_json_schema()
        schema["properties"]["kind"] = {"const": kind}
        schema["properties"]["body"] = {"$ref": "#/$defs/Body"}
        defs = body.pop("$defs", {})
        schema.setdefault("$defs", {}).update(defs)
        schema["$defs"]["Body"] = body
        if spec.needs_refs:
            schema["properties"]["refs"]["minItems"] = 1
    else:
        schema["properties"]["kind"] = {"enum": sorted(KINDS)}
    return schema


def _no_nulls(node: Any) -> Any:
    """Optional members are omitted, never null (statements.md §2): drop the null branch."""
    if isinstance(node, dict):
        any_of = node.get("anyOf")
        if isinstance(any_of, list) and {"type": "null"} in any_of:
            rest = [_no_nulls(b) for b in any_of if b != {"type": "null"}]
            node = {k: v for k, v in node.items() if k not in ("anyOf", "default")}
            if len(rest) == 1:
                node.update(rest[0])
            else:
                node["anyOf"] = rest
            return node
        return {k: _no_nulls(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_no_nulls(v) for v in node]
    return node


def generate() -> dict[str, str]:
    """Every schema file's name and exact text."""
    out: dict[str, dict[str, Any]] = {"envelope.schema.json": _envelope()}
    out["payload.schema.json"] = _payload(None)
    for kind in sorted(KINDS):
        out[f"statement/{kind}.schema.json"] = _payload(kind)
    texts = {}
    for name, schema in out.items():
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": BASE_URI + name,
            **_no_nulls(schema),
        }
        texts[name] = json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return texts


def write(directory: Path) -> list[Path]:
    """Write every schema under ``directory``; return the paths written."""
    written = []
    for name, text in generate().items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write(Path(sys.argv[1] if len(sys.argv) > 1 else "schemas")):
        print(p)
