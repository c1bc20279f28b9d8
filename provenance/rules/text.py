"""Characters that text in a statement may not hold.

A statement is shown on terminals, in HTML and in PDFs long after it was
signed, by people who did not write it. A carriage return in a signed claim
can overwrite the line that says "verified intact"; a bidirectional override
can make a sentence read differently from the bytes that were signed; a NUL
cannot be stored in a PostgreSQL text column at all. So every string in a
payload is refused when it holds any of these (docs/spec/statements.md §9):

- C0 controls U+0000 to U+001F, except LINE FEED (U+000A) in multi-line
  free-text fields (the ``Text`` fields: claims, descriptions, reasons...).
  CARRIAGE RETURN and TAB are refused everywhere;
- DELETE U+007F and the C1 controls U+0080 to U+009F;
- the bidirectional formatting characters: LRE, RLE, PDF, LRO, RLO
  (U+202A-U+202E), LRI, RLI, FSI, PDI (U+2066-U+2069), LRM and RLM
  (U+200E, U+200F) and ARABIC LETTER MARK (U+061C);
- lone surrogates U+D800 to U+DFFF (they cannot be encoded as UTF-8).
"""

from __future__ import annotations

import re

# Character-class bodies written with escapes, so the patterns below are
# valid, printable JSON Schema (ECMA-262) and Python patterns alike.
_BIDI = r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROLS_BUT_LF = r"\u0000-\u0009\u000b-\u001f\u007f-\u009f"
_SURROGATES = r"\ud800-\udfff"

LINE_PATTERN = rf"^[^\n{_CONTROLS_BUT_LF}{_BIDI}]*$"
"""A JSON Schema pattern for one-line text (surrogates cannot occur in JSON text)."""

LINES_PATTERN = rf"^[^{_CONTROLS_BUT_LF}{_BIDI}]*$"
"""A JSON Schema pattern for multi-line text: LINE FEED allowed."""

_LINE = re.compile(rf"[\n{_CONTROLS_BUT_LF}{_BIDI}{_SURROGATES}]")
_LINES = re.compile(rf"[{_CONTROLS_BUT_LF}{_BIDI}{_SURROGATES}]")


def text_flaw(value: str, *, multiline: bool = False) -> str | None:
    """What is wrong with ``value`` as text, or None if nothing is.

    Args:
        value: the text.
        multiline: whether LINE FEED is allowed (multi-line free-text fields).

    Returns:
        A phrase such as ``contains a control character U+000D``, naming the
        first refused character, or None.
    """
    match = (_LINES if multiline else _LINE).search(value)
    if match is None:
        return None
    char = match.group()
    code = ord(char)
    if code == 0x0A:
        return "contains a line feed (U+000A); only multi-line text fields may"
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return f"contains a control character U+{code:04X}"
    if 0xD800 <= code <= 0xDFFF:
        return f"contains a lone surrogate U+{code:04X}"
    return f"contains a bidirectional formatting character U+{code:04X}"


# What a terminal would obey rather than show: C0 controls and DEL, C1
# controls, the bidirectional marks, embeddings, overrides and isolates
# (Unicode TR #9), the line and paragraph separators, and surrogates.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)


def printable(text: str) -> str:
    """``text`` with every control, bidi and surrogate character escaped, on one line.

    Hostile text printed through it cannot overwrite what was printed before
    it (a carriage return), reorder it (a bidi override) or make printing
    fail (a lone surrogate raises ``UnicodeEncodeError``). Used by every
    place that prints bytes someone else wrote: the CLI's messages and both
    bundle verifiers.
    """
    return _UNSAFE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
