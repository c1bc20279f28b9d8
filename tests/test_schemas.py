"""The committed JSON Schemas match the models, and real statements validate against them."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from provenance.model.schemas import generate
from tests.golden import generate as golden

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


def _load(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / name).read_text())
    return schema


def test_committed_schemas_equal_generated() -> None:
    """Fails when a model changes and 'python -m provenance.model.schemas schemas' was not run."""
    expected = generate()
    on_disk = {str(p.relative_to(SCHEMAS)): p.read_text() for p in SCHEMAS.rglob("*.schema.json")}
    assert sorted(on_disk) == sorted(expected)
    for name, text in expected.items():
        assert on_disk[name] == text, f"schemas/{name} is stale"


@pytest.mark.parametrize("vector", golden.build(), ids=lambda v: v["name"])
def test_golden_statements_validate(vector: dict[str, Any]) -> None:
    envelope = json.loads(vector["envelope"])
    jsonschema.validate(envelope, _load("envelope.schema.json"))
    payload = json.loads(base64.b64decode(envelope["payload"]))
    jsonschema.validate(payload, _load("payload.schema.json"))
    jsonschema.validate(payload, _load(f"statement/{payload['kind']}.schema.json"))


def test_schema_rejects_what_the_model_rejects() -> None:
    vector = golden.build()[2]
    payload = json.loads(vector["payload"])
    schema = _load(f"statement/{payload['kind']}.schema.json")
    bad_kind = {**payload, "body": {**payload["body"], "item_kind": "spaceship"}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad_kind, schema)
    extra = {**payload, "body": {**payload["body"], "colour": "red"}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(extra, schema)
    revised = _load("statement/finding.revised.schema.json")
    assert revised["properties"]["refs"]["minItems"] == 1
