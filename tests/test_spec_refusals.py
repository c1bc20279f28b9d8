"""docs/spec/statements.md §9, "What a verifier refuses": its examples and its numbers are true."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from provenance.errors import InputError
from provenance.model.statement import parse_payload
from provenance.rules import strict_json
from provenance.rules.payload import MAX_PAYLOAD_BYTES, TABLE, check_payload
from tests.golden import generate as golden

SPEC = Path(__file__).resolve().parent.parent / "docs" / "spec" / "statements.md"
TEXT = SPEC.read_text()
SECTION = TEXT[TEXT.index("## 9. What a verifier refuses") :]
EXAMPLE = re.compile(r"^```text refused\n(.*?)\n(.*?)\n```$", re.S | re.M)
GOLDEN = json.loads(next(v for v in golden.build() if v["name"] == "evidence-item")["payload"])


def test_the_section_has_examples() -> None:
    assert len(EXAMPLE.findall(SECTION)) >= 8


@pytest.mark.parametrize(("payload", "message"), EXAMPLE.findall(SECTION))
def test_each_example_is_refused_with_its_message(payload: str, message: str) -> None:
    """The pure check and the store's parse refuse each example with the message shown."""
    raw = payload.encode()
    for check in (check_payload, parse_payload):
        with pytest.raises(InputError) as info:
            check(raw)
        assert str(info.value) == message


def _differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two JSON values differ (types exactly: true is not 1)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [
            d for k in a.keys() | b.keys() for d in _differences(a.get(k), b.get(k), f"{path}.{k}")
        ]
    if type(a) is not type(b) or a != b:
        return [path]
    return []


@pytest.mark.parametrize(("payload", "message"), EXAMPLE.findall(SECTION))
def test_each_example_is_the_golden_item_with_one_change(payload: str, message: str) -> None:
    """The examples are fair: each differs from the golden payload in one place only."""
    differences = _differences(json.loads(payload), GOLDEN)
    if "duplicate member" in message:  # json.loads keeps the last, equal, value
        assert differences == [] and payload.count('"format":') == 2
    else:
        assert len(differences) == 1, differences


def test_the_numbers_in_the_section_are_the_implementation_s() -> None:
    assert f"More than {MAX_PAYLOAD_BYTES:,} bytes" in SECTION
    assert f"nested deeper than {strict_json.MAX_DEPTH} levels" in SECTION
    assert f"{strict_json.MAX_SAFE_INTEGER:,}" in SECTION
    assert "provenance/rules/kinds_table.py" in SECTION


def test_the_multiline_fields_are_the_long_ones() -> None:
    """§9 says LINE FEED is allowed in exactly the fields of up to 20,000 characters."""

    def strings(shape: dict[str, object], out: list[dict[str, object]]) -> None:
        if shape.get("type") == "string":
            out.append(shape)
        for key in ("items", "keys", "values"):
            if isinstance(shape.get(key), dict):
                strings(shape[key], out)  # type: ignore[arg-type]
        for sub in (shape.get("members") or {}).values():  # type: ignore[attr-defined]
            strings(sub, out)

    found: list[dict[str, object]] = []
    for spec in TABLE["kinds"].values():
        strings(spec["body"], found)
    assert found
    for shape in found:
        assert (shape.get("text") == "lines") == (shape.get("maxLength") == 20_000), shape
