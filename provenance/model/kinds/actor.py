"""``actor.*``: the actors who sign statements (and parties who hold no key), and their keys."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from provenance.envelope import key_id
from provenance.model.fields import ActorRole, Body, PublicKeyB64, Sha256Hex, ShortText, Text
from provenance.model.kinds.base import Entry, KindSpec, State, clip, stamp_of


class ActorRegistered(Body):
    """An actor and, when it signs, its Ed25519 public key (base64 of 32 raw bytes)."""

    name: ShortText
    role: ActorRole
    public_key: PublicKeyB64 | None = None
    admin: bool = False


class ActorKeyRotated(Body):
    """A new key for the actor; its previous key signs nothing from here on."""

    public_key: PublicKeyB64
    reason: Text | None = None


class ActorKeyRevoked(Body):
    """A key revoked from this position on; what it signed before stays valid."""

    key_id: Sha256Hex
    reason: Text


def _registered(state: State, body: Mapping[str, Any], entry: Entry, refs: list[str]) -> None:
    state.update(body)
    state["keys"] = []
    if "public_key" in body:
        state["key_id"] = key_id(base64.b64decode(body["public_key"]))
        state["keys"] = [{"key_id": state["key_id"], "added": stamp_of(entry)}]


def _rotated(state: State, body: Mapping[str, Any], entry: Entry, refs: list[str]) -> None:
    new = key_id(base64.b64decode(body["public_key"]))
    state["keys"] = [
        {**k, "retired": stamp_of(entry)} if "retired" not in k and "revoked" not in k else k
        for k in state["keys"]
    ] + [
        {
            "key_id": new,
            "added": stamp_of(entry),
            **({"reason": body["reason"]} if "reason" in body else {}),
        }
    ]
    state["key_id"] = new
    state["public_key"] = body["public_key"]


def _revoked(state: State, body: Mapping[str, Any], entry: Entry, refs: list[str]) -> None:
    revoked = {"reason": body["reason"], **stamp_of(entry)}
    state["keys"] = [
        {**k, "revoked": revoked} if k["key_id"] == body["key_id"] else k for k in state["keys"]
    ]
    if state.get("key_id") == body["key_id"]:
        state.pop("key_id", None)
        state.pop("public_key", None)


def _render_actor(state: Mapping[str, Any]) -> list[str]:
    lines = [
        f"name: {state['name']}  role: {state['role']}  admin: {state['admin']}",
        f"key id: {state.get('key_id', '(no key: cannot sign)')}",
    ]
    if "public_key" in state:
        lines.append(f"public key: {state['public_key']}")
    for k in state["keys"]:
        ended = ""
        if "revoked" in k:
            ended = f", revoked at #{k['revoked']['position']}: {k['revoked']['reason']}"
        elif "retired" in k:
            ended = f", retired at #{k['retired']['position']}"
        lines.append(f"key {k['key_id'][:16]} added at #{k['added']['position']}{ended}")
    return lines


def _registered_summary(b: Mapping[str, Any]) -> str:
    keyed = "with a key" if "public_key" in b else "without a key"
    return f"registered {b['role']} {b['name']!r} {keyed}" + (" (admin)" if b["admin"] else "")


SPECS = (
    KindSpec(
        "actor.registered",
        ActorRegistered,
        _registered_summary,
        creates="actor",
        admin_only=True,
        fold=_registered,
        render=_render_actor,
        doc_members=(
            "**name**, **role** (`organisation`, `researcher`, `auditor`, `state-delegation`, "
            "`observer`), public_key (base64 of 32 raw bytes; an actor without one cannot sign), "
            "admin (boolean, default false)"
        ),
        doc_rules=(
            "signed by an actor of role `organisation` or an administrator (section 6.1, rule 5); "
            "a public key belongs to one actor"
        ),
    ),
    KindSpec(
        "actor.key_rotated",
        ActorKeyRotated,
        lambda b: "rotated to a new key",
        targets="actor",
        fold=_rotated,
        doc_members="**public_key**, reason",
        doc_rules=(
            "signed by the actor itself (with its current key), an actor of role `organisation` "
            "or an administrator; the new key MUST NOT be registered to anyone"
        ),
    ),
    KindSpec(
        "actor.key_revoked",
        ActorKeyRevoked,
        lambda b: f"revoked key {b['key_id'][:16]}: {clip(b['reason'])}",
        targets="actor",
        fold=_revoked,
        doc_members="**key_id**, **reason**",
        doc_rules=(
            "signed by the actor itself, an actor of role `organisation` or an administrator; the "
            "key MUST be one of the actor's and not already revoked"
        ),
    ),
)
