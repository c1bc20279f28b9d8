"""The committed JSON Schemas carry the text rule too, for validators outside this project."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas" / "statement"


def _payload(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": 1,
        "kind": "evidence.registered",
        "subject": "item-1",
        "author": "alice",
        "issued_at": "2024-07-15T09:30:00Z",
        "refs": [],
        "body": {"item_kind": "other", "title": "T", **body},
    }


SCHEMA = json.loads((SCHEMAS / "evidence.registered.schema.json").read_text())


@pytest.mark.parametrize(
    "body",
    [
        {"title": "A\rB"},
        {"title": "A\nB"},
        {"title": "A\u202eB"},
        {"description": "A\x00B"},
        {"description": "A\tB"},
        {"custodian": "A\x85B"},
        {"identifiers": {"serial": "A\u2066B"}},
    ],
)
def test_schema_refuses_control_and_bidi_characters(body: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_payload(body), SCHEMA)


def test_schema_accepts_a_line_feed_in_multiline_text() -> None:
    jsonschema.validate(_payload({"description": "one\ntwo"}), SCHEMA)
