"""Writing statements: build the canonical payload, sign it, wrap it in DSSE."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from provenance.envelope import sign_payload
from provenance.keys import SigningKey
from provenance.model import bodies
from provenance.model.statement import build_payload
from provenance.store.store import Store


def sign_statement(
    key: SigningKey,
    *,
    kind: str,
    subject: str,
    author: str,
    body: bodies.Body | dict[str, Any],
    refs: list[str] | None = None,
    issued_at: str | None = None,
) -> bytes:
    """Build, check and sign a statement; return its DSSE envelope bytes."""
    payload = build_payload(
        kind=kind, subject=subject, author=author, body=body, refs=refs, issued_at=issued_at
    )
    return sign_payload(payload, key.private_key)


def init_store(
    directory: Path,
    root_key: SigningKey,
    *,
    org_id: str,
    org_name: str,
    issued_at: str | None = None,
    clock: Callable[[], str] | None = None,
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
    return Store.create(directory, genesis=genesis, root_key_id=root_key.key_id, clock=clock)
