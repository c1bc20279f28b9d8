"""What a declaration of a statement kind holds, and the helpers declarations share.

A kind is declared once, by a :class:`KindSpec` beside its body model, in the
module of its subject type (``evidence.py`` declares every ``evidence.*``
kind). Every layer reads that declaration: the rules (through the generated
pure table), the fold into a subject's state, the views' summaries and links,
history, the bundle closure, the standalone verifier and the renderers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from provenance.model.fields import Body

SubjectType = Literal["actor", "evidence", "finding", "challenge", "trace"]
State = dict[str, Any]
"""A subject's state: a JSON-ready dict (see :mod:`provenance.projections.subjects`)."""
Entry = dict[str, Any]
"""One statement as its subject's state keeps it: its body's members and its stamp."""

STAMP = ("statement_id", "author", "issued_at", "received_at", "position")
"""The members every entry carries besides its body: which statement, by whom, when."""


@dataclass(frozen=True)
class Ref:
    """A reference a body member makes to another part of the record.

    Attributes:
        member: the body member holding it (a string, a list of strings, or,
            for ``to="target"``, an object ``{"type": …, "id": …}``).
        to: ``"subject"`` (a subject id), ``"statement"`` (a statement id),
            ``"digest"`` (the SHA-256 of an attached file) or ``"target"``
            (a typed target: ``choices`` says what each ``type`` names).
        subject_type: for ``to="subject"``, the type the subject must have; the
            rules refuse a statement whose reference names anything else, or
            the statement's own subject.
        relation: the name of the link the views keep from the referenced
            subject or statement to this statement (None: no link).
        choices: for ``to="target"``: target type -> (``"subject"`` or
            ``"statement"``, the subject type or statement kind it must be).
    """

    member: str
    to: Literal["subject", "statement", "digest", "target"]
    subject_type: SubjectType | None = None
    relation: str | None = None
    choices: Mapping[str, tuple[Literal["subject", "statement"], str]] = field(default_factory=dict)

    def values(self, body: Mapping[str, Any]) -> list[Any]:
        """The referenced values in a body (none when the member is absent)."""
        value = body.get(self.member)
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]


def stamp_of(entry: Entry) -> dict[str, Any]:
    """The stamp of an entry: which statement made it, by whom, when."""
    return {k: entry[k] for k in STAMP}


def keep(state: State, body: Mapping[str, Any]) -> None:
    """Fold of a creating kind whose state is its body's members."""
    state.update(body)


@dataclass(frozen=True)
class KindSpec:
    """Everything a kind of statement is, in one place.

    Attributes:
        name: the ``kind`` field as it appears in a payload.
        body: the pydantic model of its body, a class named after the kind
            (``evidence.marking`` is ``EvidenceMarking``).
        summary: the one-line description of a statement, from its body.
        creates: the subject type it creates (its subject must be new), or None.
        targets: the subject type it must be appended to (its subject must exist);
            ``"any"`` for retraction and supersession, which apply to any subject.
        needs_refs: the statement must name at least one earlier statement in refs.
        admin_only: only the organisation or an administrator may sign it.
        refs: what its body references (subjects, statements, digests, targets).
        entries: the list in its subject's state that each statement of this
            kind adds one entry to (every new subject of the type starts with
            it empty), or None.
        fold: how it changes its subject's state, beyond adding its entry:
            ``fold(state, body, entry, refs)`` on a copy of the state (replace
            lists, never change them in place). A creating kind's fold starts
            from the subject's stamp and version.
        refold: what its entries derive, recomputed after one of them was
            withdrawn (e.g. an item's current grade), or None.
        render: the lines that show, in ``prov show``, one entry of ``entries``
            (for a creating kind: the subject's state), without indentation;
            None: the summary is shown.
        withdraws: for a withdrawal (retraction, supersession), the body member
            naming the statement withdrawn.
        doc_members: its body's members as ``docs/spec/statements.md`` lists
            them (Markdown; required ones in bold), with what each means.
        doc_rules: what the rules require of it beyond its shape (Markdown).
    """

    name: str
    body: type[Body]
    summary: Callable[[Mapping[str, Any]], str]
    creates: SubjectType | None = None
    targets: SubjectType | Literal["any"] | None = None
    needs_refs: bool = False
    admin_only: bool = False
    refs: tuple[Ref, ...] = ()
    entries: str | None = None
    fold: Callable[[State, Mapping[str, Any], Entry, list[str]], None] | None = None
    refold: Callable[[State], None] | None = None
    render: Callable[[Mapping[str, Any]], list[str]] | None = None
    withdraws: str | None = None
    doc_members: str = ""
    doc_rules: str = ""

    @property
    def subject_type(self) -> SubjectType:
        """The type of subject this kind creates (only meaningful for creating kinds)."""
        assert self.creates is not None, f"{self.name} does not create a subject"
        return self.creates

    @property
    def appends_to(self) -> str:
        """The subject type it creates or targets (``"any"`` for withdrawals)."""
        return self.creates or self.targets or "any"


def clip(text: str, n: int = 80) -> str:
    """Text on one line, cut to ``n`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def optional(body: Mapping[str, Any], member: str, template: str) -> str:
    """``template`` filled with the member's value, or "" when the body lacks it."""
    return template.format(body[member]) if member in body else ""
