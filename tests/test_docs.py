"""Examples in docs/ are checked: the spec's worked examples equal the golden vectors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from provenance.envelope import PAYLOAD_TYPE, pae

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "docs" / "spec" / "statements.md"
VECTORS = {v["name"]: v for v in json.loads((ROOT / "tests/golden/statements.json").read_text())}
BLOCK = re.compile(r"^```\w* golden:([\w-]+):([\w.]+)\n(.*?)\n```$", re.S | re.M)


def _field(vector: dict[str, Any], path: str) -> str:
    value: Any = vector
    for part in path.split("."):
        value = value[part]
    return str(value)


def test_spec_has_golden_examples() -> None:
    assert len(BLOCK.findall(SPEC.read_text())) >= 6


@pytest.mark.parametrize("name,path,text", BLOCK.findall(SPEC.read_text()))
def test_spec_example_equals_golden_vector(name: str, path: str, text: str) -> None:
    assert text == _field(VECTORS[name], path)


def test_spec_pae_prefix_and_lengths() -> None:
    vector = VECTORS["evidence-item"]
    payload = vector["payload"].encode()
    prefix = f"DSSEv1 {len(PAYLOAD_TYPE)} {PAYLOAD_TYPE} {len(payload)} "
    assert f"`{prefix}`" in SPEC.read_text()
    assert f"The payload, {len(payload)} bytes" in SPEC.read_text()
    assert pae(PAYLOAD_TYPE, payload) == prefix.encode() + payload


def test_dsse_spec_vector_quoted_in_spec() -> None:
    expected = pae("http://example.com/HelloWorld", b"hello world").decode()
    assert expected == "DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    assert expected in SPEC.read_text()


LOG_SPEC = ROOT / "docs" / "spec" / "log.md"
LOG_VECTORS = json.loads((ROOT / "tests/golden/log.json").read_text())
LOG_BLOCK = re.compile(r"^```\w* golden-log:([\w.]+)\n(.*?)\n```$", re.S | re.M)


def test_log_spec_has_golden_examples() -> None:
    assert len(LOG_BLOCK.findall(LOG_SPEC.read_text())) >= 8


@pytest.mark.parametrize("field,text", LOG_BLOCK.findall(LOG_SPEC.read_text()))
def test_log_spec_example_equals_golden_vector(field: str, text: str) -> None:
    value = LOG_VECTORS[field]
    expected = "\n".join(value) if isinstance(value, list) else str(value).rstrip("\n")
    assert text == expected


def test_log_spec_names_the_witness_and_times() -> None:
    spec = LOG_SPEC.read_text()
    for key in ("witness_name", "witness_vkey", "cosigned_at", "origin"):
        assert str(LOG_VECTORS[key]) in spec
