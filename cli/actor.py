"""``prov actor``: register actors, rotate and revoke their keys."""

from __future__ import annotations

from typing import Any

import click

from provenance import ActorRole, Location

from .context import fail, handle_errors, load_key, open_store
from .options import Writer, choices, write_options


@click.group("actor")
def actor_group() -> None:
    """Register the actors who sign statements, and parties who do not.

    \b
    Example:
      prov actor add alice --name "A. Researcher" --role researcher --key-of alice --key root
    """


@actor_group.command("add")
@click.argument("actor_id")
@click.option("--name", required=True, help="The actor's name.")
@click.option("--role", required=True, type=choices(ActorRole), help="The actor's role.")
@click.option("--public-key", help="Its Ed25519 public key, base64 of the 32 raw bytes.")
@click.option(
    "--key-of",
    help="Take the public key from this key in the keys directory (see 'prov key new').",
)
@click.option("--admin", is_flag=True, help="May register other actors.")
@write_options
@handle_errors
def actor_add(
    actor_id: str,
    name: str,
    role: str,
    public_key: str | None,
    key_of: str | None,
    admin: bool,
    writer: Writer,
) -> None:
    """Register ACTOR_ID, signed by the organisation or an administrator.

    \b
    Example:
      prov key new alice
      prov actor add alice --name "A. Researcher" --role researcher \\
          --key-of alice --key root
    """
    if public_key and key_of:
        fail("give --public-key or --key-of, not both")
    if key_of:
        public_key = load_key(writer.keys_dir, key_of).public_b64
    writer.append(
        kind="actor.registered",
        subject=actor_id,
        body={"name": name, "role": role, "public_key": public_key, "admin": admin},
    )


@actor_group.command("rotate-key")
@click.argument("actor")
@click.option("--key-of", help="Take the new public key from this key in the keys directory.")
@click.option("--public-key", help="The new Ed25519 public key, base64 of the 32 raw bytes.")
@click.option("--reason", help="Why the key changes.")
@write_options
@handle_errors
def actor_rotate_key(
    actor: str,
    key_of: str | None,
    public_key: str | None,
    reason: str | None,
    writer: Writer,
) -> None:
    """Give ACTOR a new key; its current key signs nothing after this statement.

    Signed (--key) with ACTOR's current key or by an administrator.

    \b
    Example:
      prov key new alice-2025
      prov actor rotate-key alice --key-of alice-2025 --reason "Yearly rotation" --key alice
    """
    if bool(public_key) == bool(key_of):
        fail("give exactly one of --key-of or --public-key")
    if key_of:
        public_key = load_key(writer.keys_dir, key_of).public_b64
    writer.append(
        kind="actor.key_rotated",
        subject=actor,
        body={"public_key": public_key, "reason": reason},
    )


def _actor_key_id(store_dir: Location, actor: str, key_id: str) -> str:
    """A key id of ACTOR from its full form or a unique prefix of 8 or more characters."""
    text = key_id.lower()
    if len(text) == 64:
        return text
    if not 8 <= len(text) < 64 or any(ch not in "0123456789abcdef" for ch in text):
        fail(f"--key-id {key_id!r} is not a key id (8 to 64 hex characters)")
    with open_store(store_dir) as store:
        state = store.subject_state(actor)
    keys: list[Any] = state.get("keys", []) if state and state.get("type") == "actor" else []
    found = [k["key_id"] for k in keys if str(k["key_id"]).startswith(text)]
    if not found:
        fail(f"{actor} has no key with id {key_id}")
    if len(found) > 1:
        fail(f"key id prefix {key_id} is ambiguous; give more characters")
    return str(found[0])


@actor_group.command("revoke-key")
@click.argument("actor")
@click.option(
    "--key-id", required=True, help="The key id to revoke (or a unique prefix of 8 or more)."
)
@click.option("--reason", required=True, help="Why, e.g. 'laptop stolen'.")
@write_options
@handle_errors
def actor_revoke_key(
    actor: str,
    key_id: str,
    reason: str,
    writer: Writer,
) -> None:
    """Revoke a key of ACTOR: statements signed with it after this one are refused.

    What it signed before stays valid. Signed (--key) by ACTOR or an administrator.

    \b
    Example:
      prov actor revoke-key alice --key-id 1e18d1d9 --reason "Laptop stolen" --key root
    """
    writer.append(
        kind="actor.key_revoked",
        subject=actor,
        body={"key_id": _actor_key_id(writer.store_dir, actor, key_id), "reason": reason},
    )


COMMANDS = [actor_group]
