"""Writing statements: build the canonical payload, sign it, wrap it in DSSE."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from provenance.envelope import sign_payload
from provenance.keys import SigningKey
from provenance.log.note import format_verifier_key
from provenance.model import fields
from provenance.model.statement import build_payload
from provenance.store.location import Location
from provenance.store.store import Store


def sign_statement(
    key: SigningKey,
    *,
    kind: str,
    subject: str,
    author: str,
    body: fields.Body | dict[str, Any],
    refs: list[str] | None = None,
    issued_at: str | None = None,
) -> bytes:
    """Build, check and sign a statement; return its DSSE envelope bytes."""
    payload = build_payload(
        kind=kind, subject=subject, author=author, body=body, refs=refs, issued_at=issued_at
    )
    return sign_payload(payload, key.private_key)


def init_store(
    directory: str | Path | Location,
    root_key: SigningKey,
    *,
    org_id: str,
    org_name: str,
    issued_at: str | None = None,
    clock: Callable[[], str] | None = None,
    log_key: SigningKey | None = None,
    origin: str | None = None,
) -> Store:
    """Create a store whose first statement registers the organisation and its root key."""
    genesis = sign_statement(
        root_key,
        kind="actor.registered",
        subject=org_id,
        author=org_id,
        body={
            "name": org_name,
            "role": "organisation",
            "public_key": root_key.public_b64,
            "admin": True,
        },
        issued_at=issued_at,
    )
    log = None
    if log_key is not None:
        log_origin = origin or default_origin(org_id)
        log = (log_origin, format_verifier_key(log_origin, log_key.public_bytes))
    return Store.create(
        directory, genesis=genesis, root_key_id=root_key.key_id, clock=clock, log=log
    )


def default_origin(org_id: str) -> str:
    """The log origin used when none is given: names the organisation's log."""
    return f"provenance-store/{org_id}"
