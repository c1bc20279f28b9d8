"""``prov key``: make signing keys."""

from __future__ import annotations

from pathlib import Path

import click

from .context import echo_json, handle_errors, json_option, keyring, keys_option, new_passphrase


@click.group("key")
def key_group() -> None:
    """Create signing keys (kept outside the store).

    \b
    Example:
      prov key new alice
    """


@key_group.command("new")
@click.argument("name")
@click.option("--encrypt", is_flag=True, help="Prompt for a passphrase (or set PROV_PASSPHRASE).")
@keys_option
@json_option
@handle_errors
def key_new(name: str, encrypt: bool, keys_dir: Path | None, as_json: bool) -> None:
    """Create a new Ed25519 key NAME in the keys directory (PKCS#8 PEM, mode 0600).

    \b
    Example:
      prov key new alice --keys ~/.config/prov/keys
    """
    ring = keyring(keys_dir)
    key = ring.create(name, new_passphrase(encrypt))
    if as_json:
        echo_json(
            {
                "name": name,
                "path": str(ring.path_of(name)),
                "key_id": key.key_id,
                "public_key": key.public_b64,
            }
        )
        return
    click.echo(f"created key {ring.path_of(name)}")
    click.echo(f"key id     {key.key_id}")
    click.echo(f"public key {key.public_b64}")


COMMANDS = [key_group]
