"""The statement payload: the signed, canonical JSON object.

See ``docs/spec/statements.md`` for the byte-exact format.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from provenance.canonical import canonical_json
from provenance.errors import InputError
from provenance.model.fields import Body
from provenance.model.kinds import KINDS, KindSpec
from provenance.model.strict import CalendarValue
from provenance.rules.dates import TIMESTAMP_PATTERN
from provenance.rules.identifiers import STATEMENT_ID_PATTERN, SUBJECT_ID_PATTERN
from provenance.rules.payload import check_payload

FORMAT = 1
ISSUED_AT_PATTERN = TIMESTAMP_PATTERN


class Payload(BaseModel):
    """The statement as signed. ``body`` is checked against the kind's model."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    format: Annotated[int, Field(ge=FORMAT, le=FORMAT)]
    kind: str
    subject: Annotated[str, StringConstraints(pattern=SUBJECT_ID_PATTERN)]
    author: Annotated[str, StringConstraints(pattern=SUBJECT_ID_PATTERN)]
    issued_at: Annotated[str, StringConstraints(pattern=ISSUED_AT_PATTERN), CalendarValue()]
    refs: list[Annotated[str, StringConstraints(pattern=STATEMENT_ID_PATTERN)]] = Field(
        max_length=1000, json_schema_extra={"uniqueItems": True}
    )
    body: dict[str, Any]


class Statement:
    """A parsed, schema-checked payload with its typed body."""

    __slots__ = ("body", "payload", "spec")

    def __init__(self, payload: Payload, spec: KindSpec, body: Body) -> None:
        self.payload = payload
        self.spec = spec
        self.body = body

    @property
    def kind(self) -> str:
        """The statement kind, e.g. ``finding.asserted``."""
        return self.payload.kind

    @property
    def subject(self) -> str:
        """The subject the statement is about."""
        return self.payload.subject

    @property
    def author(self) -> str:
        """The actor id of the author, whose key must have signed it."""
        return self.payload.author


def _first_error(e: ValidationError, prefix: str) -> str:
    err = e.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    where = f"{prefix}.{loc}" if loc else prefix
    return f"{where}: {err['msg']}"


def parse_payload(payload: bytes) -> Statement:
    """Parse and check payload bytes against the statement schema.

    The bytes go through :func:`provenance.rules.payload.check_payload` first,
    the pure check every verifier runs (the standalone one included), then
    through the models: the store and ``prov verify`` refuse exactly what an
    offline verifier refuses.

    Raises:
        InputError: naming the first field that is wrong and what is wrong with it.
    """
    return statement_from_obj(check_payload(payload))


def statement_from_obj(obj: dict[str, Any]) -> Statement:
    """Check a payload object (already decoded) against the models alone.

    The models are as strict as the pure check (a property test holds them
    to it), but only :func:`parse_payload` also checks the bytes.
    """
    try:
        model = Payload.model_validate(obj)
    except ValidationError as e:
        raise InputError(_first_error(e, "payload")) from e
    if len(set(model.refs)) != len(model.refs):
        raise InputError("payload.refs: the same statement id appears twice")
    nulls = [k for k, v in model.body.items() if v is None]
    if nulls:
        raise InputError(f"body.{nulls[0]}: null is not allowed; omit the member instead")
    spec = KINDS.get(model.kind)
    if spec is None:
        raise InputError(f"unknown statement kind {model.kind!r}; known: {', '.join(KINDS)}")
    try:
        body = spec.body.model_validate(model.body)
    except ValidationError as e:
        raise InputError(f"{model.kind}: {_first_error(e, 'body')}") from e
    return Statement(model, spec, body)


def now_utc() -> str:
    """The current UTC time in the ``issued_at`` form, to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_payload(
    *,
    kind: str,
    subject: str,
    author: str,
    body: Body | dict[str, Any],
    refs: list[str] | None = None,
    issued_at: str | None = None,
) -> bytes:
    """Build canonical payload bytes, checking them exactly as the store will."""
    body_obj = body.model_dump(mode="json", exclude_none=True) if isinstance(body, Body) else body
    obj: dict[str, Any] = {
        "format": FORMAT,
        "kind": kind,
        "subject": subject,
        "author": author,
        "issued_at": issued_at or now_utc(),
        "refs": list(refs or []),
        "body": body_obj,
    }
    payload = canonical_json(obj)
    parse_payload(payload)
    return payload
