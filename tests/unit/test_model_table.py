"""The generated kind table: derived from the models, complete, and refusing what it cannot say."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import BaseModel, ConfigDict, StringConstraints

from provenance.model import KINDS
from provenance.model.fields import ShortText, Text
from provenance.model.table import _model_shape, _Unsupported, build
from provenance.rules.payload import TABLE


def test_the_table_has_every_kind_with_its_rules() -> None:
    """Kinds and their subject rules come from KINDS, not from a copy."""
    assert set(TABLE["kinds"]) == set(KINDS)
    for name, spec in KINDS.items():
        entry = TABLE["kinds"][name]
        assert (entry["creates"], entry["targets"]) == (spec.creates, spec.targets)
        assert (entry["needs_refs"], entry["admin_only"]) == (spec.needs_refs, spec.admin_only)
        fields = spec.body.model_fields
        assert set(entry["body"]["members"]) == set(fields)
        required = {n for n, f in fields.items() if f.is_required()}
        assert set(entry["body"]["required"]) == required


def test_the_committed_table_is_what_build_gives() -> None:
    assert build() == TABLE


class _Open(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str


class _Sized(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: Annotated[str, StringConstraints(max_length=9)]


class _Union(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    value: int | ShortText


class _Extra(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    text: ShortText


@pytest.mark.parametrize("model", [_Open, _Sized, _Union, _Extra])
def test_the_generator_refuses_what_the_pure_check_cannot_check(model: type[BaseModel]) -> None:
    """A bare string (no pattern, enumeration or text rule), a union, an open object."""
    with pytest.raises(_Unsupported):
        _model_shape(model.model_json_schema(), "x")


class _Fine(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    title: ShortText
    notes: list[Text] | None = None


def test_text_rules_reach_the_table() -> None:
    shape = _model_shape(_Fine.model_json_schema(), "x")
    assert shape["members"]["title"]["text"] == "line"
    assert shape["members"]["notes"]["items"]["text"] == "lines"
    assert shape["required"] == ["title"]
