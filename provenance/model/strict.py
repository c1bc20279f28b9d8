"""Pydantic markers that make a field as strict as the pure payload rules.

Each marker validates with the same function the pure verifier uses
(:mod:`provenance.rules.text`, :mod:`provenance.rules.dates`), and writes
into the field's JSON Schema what :mod:`provenance.model.table` needs to
generate the pure kind table. The models stay the one declaration; the
table and the schemas are derived from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from provenance.rules.dates import calendar_flaw
from provenance.rules.text import LINE_PATTERN, LINES_PATTERN, text_flaw

TEXT_KEY = "x-text"
"""JSON Schema annotation: ``"line"`` or ``"lines"`` (multi-line free text)."""

CALENDAR_KEY = "x-calendar"
"""JSON Schema annotation: the string is a real calendar date or time."""


@dataclass(frozen=True)
class FreeText:
    """A string of text: no control, bidi formatting or surrogate characters.

    Attributes:
        multiline: LINE FEED is allowed (claims, descriptions, reasons).
        key: the text is an object's member name; its JSON Schema then carries
            no pattern (pydantic would turn one into ``patternProperties``,
            which lets a member whose name does not match through unchecked).
    """

    multiline: bool = False
    key: bool = False

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Check the text after the inner string schema's own checks."""
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Say in the JSON Schema which text the field holds."""
        out = handler(schema)
        if "pattern" not in out and not self.key:
            out["pattern"] = LINES_PATTERN if self.multiline else LINE_PATTERN
        out[TEXT_KEY] = "lines" if self.multiline else "line"
        return out

    def _check(self, value: str) -> str:
        flaw = text_flaw(value, multiline=self.multiline)
        if flaw is not None:
            raise ValueError(flaw)
        return value


@dataclass(frozen=True)
class CalendarValue:
    """A date or time string that is also a real calendar value (no 2025-02-30)."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Read the value as a calendar date after the pattern matched."""
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Mark the field as a calendar value in the JSON Schema."""
        out = handler(schema)
        out[CALENDAR_KEY] = True
        return out

    @staticmethod
    def _check(value: str) -> str:
        flaw = calendar_flaw(value)
        if flaw is not None:
            raise ValueError(f"{value!r} {flaw}")
        return value


@dataclass(frozen=True)
class ExactInt:
    """An integer that is not a boolean, even where a Literal would take ``True`` for 1."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Refuse anything but an int before the inner schema sees it."""
        return core_schema.no_info_before_validator_function(self._check, handler(source))

    @staticmethod
    def _check(value: Any) -> Any:
        if type(value) is not int:
            raise ValueError(f"must be an integer, not {type(value).__name__}")
        return value
