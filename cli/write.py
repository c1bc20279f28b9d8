"""Commands that sign and append statements."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from provenance.authoring import sign_statement
from provenance.envelope import MAX_ENVELOPE_BYTES
from provenance.keys import SigningKey
from provenance.model.fields import ActorRole, ChallengeKind, Confidence, ItemKind, Likelihood
from provenance.store import Receipt, Store
from provenance.store.location import Location

from .context import (
    echo_json,
    fail,
    handle_errors,
    json_option,
    keys_option,
    load_key,
    open_store,
    store_option,
)

F = TypeVar("F", bound=Callable[..., Any])


def _choices(literal: Any) -> click.Choice[str]:
    return click.Choice(list(literal.__args__))


@dataclass(frozen=True)
class Writer:
    """The options every signing command takes, and the append they lead to."""

    store_dir: Location
    keys_dir: Path | None
    key: str | None
    issued_at: str | None
    refs: tuple[str, ...]
    as_json: bool

    def append(self, *, kind: str, subject: str, body: dict[str, Any]) -> Receipt:
        """Sign ``body`` as the key's actor and append it, then say what was recorded."""
        return append(
            self.store_dir,
            self.keys_dir,
            self.key,
            kind=kind,
            subject=subject,
            body=body,
            refs=self.refs,
            issued_at=self.issued_at,
            as_json=self.as_json,
        )


def write_options(func: F) -> F:
    """Options every signing command takes, handed to it as one ``writer``."""

    @functools.wraps(func)
    def collect(
        *args: Any,
        store_dir: Location,
        keys_dir: Path | None,
        key: str | None,
        issued_at: str | None,
        refs: tuple[str, ...],
        as_json: bool,
        **kwargs: Any,
    ) -> Any:
        writer = Writer(store_dir, keys_dir, key, issued_at, refs, as_json)
        return func(*args, writer=writer, **kwargs)

    wrapped: Any = collect
    for option in reversed(
        [
            store_option,
            keys_option,
            click.option(
                "--key",
                envvar="PROV_KEY",
                help="Signing key: a name in the keys directory "
                "or a path to a PEM file (env PROV_KEY).",
            ),
            click.option(
                "--issued-at",
                help="The author's claimed UTC time, e.g. 2024-12-10T15:00:00Z (default: now).",
            ),
            click.option(
                "--ref",
                "refs",
                multiple=True,
                help="Id (or unique prefix) of an earlier statement this one answers or rests on.",
            ),
            json_option,
        ]
    ):
        wrapped = option(wrapped)
    return cast(F, wrapped)


def new_id(prefix: str) -> str:
    """A fresh subject id such as ``finding-3f9a0c1b2d4e``."""
    return f"{prefix}-{secrets.token_hex(6)}"


def clean(body: dict[str, Any]) -> dict[str, Any]:
    """Drop options that were not given, so the payload holds only what was said."""
    return {k: v for k, v in body.items() if v is not None and v != () and v != {}}


def append(
    store_dir: Location,
    keys_dir: Path | None,
    key_name: str | None,
    *,
    kind: str,
    subject: str,
    body: dict[str, Any],
    refs: tuple[str, ...],
    issued_at: str | None,
    as_json: bool,
) -> Receipt:
    """Sign a statement with the chosen key, as the actor that key belongs to, and append it."""
    with open_store(store_dir) as store:
        key = load_key(keys_dir, key_name)
        author = author_of(store, key)
        envelope = sign_statement(
            key,
            kind=kind,
            subject=subject,
            author=author,
            body=clean(body),
            refs=[store.resolve_statement(r) for r in refs],
            issued_at=issued_at,
        )
        receipt = store.append(envelope)
    print_receipt(receipt, kind, as_json)
    return receipt


def author_of(store: Store, key: SigningKey) -> str:
    """The actor a key is registered to in this store."""
    author = store.actor_for_key(key.key_id)
    if author is None:
        fail(
            f"key {key.name} ({key.key_id[:16]}…) is not registered to any actor in this store; "
            "register it first with 'prov actor add'"
        )
    return author


def print_receipt(receipt: Receipt, kind: str, as_json: bool) -> None:
    """Say what was recorded."""
    if as_json:
        echo_json(
            {
                "statement_id": receipt.statement_id,
                "subject": receipt.subject,
                "kind": kind,
                "position": receipt.position,
                "version": receipt.version,
                "duplicate": receipt.duplicate,
            }
        )
        return
    verb = "already recorded" if receipt.duplicate else "recorded"
    click.echo(
        f"{verb} {kind} on {receipt.subject} (version {receipt.version}, "
        f"position {receipt.position})\nstatement {receipt.statement_id}"
    )


# -- actors -----------------------------------------------------------------


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
@click.option("--role", required=True, type=_choices(ActorRole), help="The actor's role.")
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


# -- evidence ---------------------------------------------------------------


@click.group("evidence")
def evidence_group() -> None:
    """Register evidence items and what is observed on them.

    \b
    Example:
      prov evidence add --id item-m1 --kind missile-remains --title "Remains" --key alice
      prov evidence mark item-m1 --text 2024 --meaning "production year" --key alice
    """


def _identifiers(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name or not value:
            fail(f"--identifier {pair!r} must look like NAME=VALUE")
        out[name] = value
    return out


@evidence_group.command("add")
@click.option("--id", "subject", help="Item id (default: generated, item-…).")
@click.option("--kind", "item_kind", required=True, type=_choices(ItemKind), help="Item kind.")
@click.option("--title", required=True, help="Short title.")
@click.option("--description", help="Description.")
@click.option("--recovered-at", help="When recovered (UTC): 2024, 2024-07, 2024-07-15, ...")
@click.option("--recovered-where", help="Where recovered.")
@click.option("--custodian", help="Who holds the item.")
@click.option("--identifier", "identifiers", multiple=True, help="NAME=VALUE, e.g. serial=AB12.")
@write_options
@handle_errors
def evidence_add(
    subject: str | None,
    item_kind: str,
    title: str,
    description: str | None,
    recovered_at: str | None,
    recovered_where: str | None,
    custodian: str | None,
    identifiers: tuple[str, ...],
    writer: Writer,
) -> None:
    """Register an evidence item.

    \b
    Example:
      prov evidence add --id item-m1 --kind missile-remains \\
          --title "Missile remains, site A" --recovered-at 2024-07 --key alice
    """
    writer.append(
        kind="evidence.registered",
        subject=subject or new_id("item"),
        body={
            "item_kind": item_kind,
            "title": title,
            "description": description,
            "recovered_at": recovered_at,
            "recovered_where": recovered_where,
            "custodian": custodian,
            "identifiers": _identifiers(identifiers),
        },
    )


@evidence_group.command("mark")
@click.argument("item")
@click.option("--text", required=True, help="The marking exactly as read.")
@click.option("--location", help="Where on the item.")
@click.option("--meaning", help="What it is taken to mean, e.g. 'production year'.")
@click.option("--value", help="The value it is taken to give, e.g. '2024'.")
@click.option("--method", help="How it was read.")
@write_options
@handle_errors
def evidence_mark(
    item: str,
    text: str,
    location: str | None,
    meaning: str | None,
    value: str | None,
    method: str | None,
    writer: Writer,
) -> None:
    """Record a marking observed on ITEM.

    \b
    Example:
      prov evidence mark item-m3 --text "2024" --location "motor section" \\
          --meaning "production year" --value 2024 --method "visual, photographed" --key alice
    """
    writer.append(
        kind="evidence.marking",
        subject=item,
        body={
            "text": text,
            "location": location,
            "meaning": meaning,
            "value": value,
            "method": method,
        },
    )


# -- findings ---------------------------------------------------------------


@click.group("finding")
def finding_group() -> None:
    """Assert, reaffirm and revise findings.

    \b
    Example:
      prov finding assert --id finding-1 --claim "..." --evidence item-m1 \\
          --confidence high --key alice
    """


likelihood_option = click.option(
    "--likelihood",
    type=_choices(Likelihood),
    help="ICD 203 likelihood term (almost no chance ... almost certain).",
)


def finding_body_options(func: F) -> F:
    """The fields a finding version has."""
    for option in reversed(
        [
            click.option("--claim", required=True, help="The claim."),
            click.option(
                "--evidence", multiple=True, help="Id of an evidence item it rests on (repeat)."
            ),
            click.option("--limitation", "limitations", multiple=True, help="A stated limitation."),
            click.option(
                "--confidence",
                required=True,
                type=_choices(Confidence),
                help="Confidence in the basis of the judgment (kept apart from likelihood).",
            ),
            likelihood_option,
            click.option("--assumption", "assumptions", multiple=True, help="A stated assumption."),
            click.option(
                "--alternative",
                "alternatives",
                multiple=True,
                help="An alternative considered, and why it was judged less likely.",
            ),
        ]
    ):
        func = option(func)
    return func


@finding_group.command("assert")
@click.option("--id", "subject", help="Finding id (default: generated, finding-…).")
@finding_body_options
@write_options
@handle_errors
def finding_assert(
    subject: str | None,
    claim: str,
    evidence: tuple[str, ...],
    limitations: tuple[str, ...],
    confidence: str,
    likelihood: str | None,
    assumptions: tuple[str, ...],
    alternatives: tuple[str, ...],
    writer: Writer,
) -> None:
    """Assert a finding resting on evidence items.

    \b
    Example:
      prov finding assert --id finding-rapid-use --claim "..." \\
          --evidence item-m1 --evidence item-m3 --confidence high \\
          --limitation "The marking gives a year, not a month." --key alice
    """
    writer.append(
        kind="finding.asserted",
        subject=subject or new_id("finding"),
        body={
            "claim": claim,
            "evidence": list(evidence),
            "limitations": list(limitations),
            "confidence": confidence,
            "likelihood": likelihood,
            "assumptions": list(assumptions) or None,
            "alternatives": list(alternatives) or None,
        },
    )


@finding_group.command("reaffirm")
@click.argument("finding")
@click.option("--statement", "text", required=True, help="Why the finding stands.")
@click.option("--observation", "observations", multiple=True, help="An observation (repeat).")
@write_options
@handle_errors
def finding_reaffirm(
    finding: str,
    text: str,
    observations: tuple[str, ...],
    writer: Writer,
) -> None:
    """Reaffirm FINDING unchanged, optionally answering earlier statements (--ref).

    \b
    Example:
      prov finding reaffirm finding-rapid-use --statement "The findings stand." \\
          --observation "..." --ref 3f9a0c1b --key alice
    """
    writer.append(
        kind="finding.reaffirmed",
        subject=finding,
        body={"statement": text, "observations": list(observations)},
    )


@finding_group.command("revise")
@click.argument("finding")
@finding_body_options
@click.option("--reason", required=True, help="Why the finding changed.")
@write_options
@handle_errors
def finding_revise(
    finding: str,
    claim: str,
    evidence: tuple[str, ...],
    limitations: tuple[str, ...],
    confidence: str,
    likelihood: str | None,
    assumptions: tuple[str, ...],
    alternatives: tuple[str, ...],
    reason: str,
    writer: Writer,
) -> None:
    """Revise FINDING: a new version naming (--ref) the statements that prompted it.

    \b
    Example:
      prov finding revise finding-rapid-use --claim "..." --evidence item-m3 \\
          --confidence moderate --reason "..." --ref 3f9a0c1b --key alice
    """
    writer.append(
        kind="finding.revised",
        subject=finding,
        body={
            "claim": claim,
            "evidence": list(evidence),
            "limitations": list(limitations),
            "confidence": confidence,
            "reason": reason,
            "likelihood": likelihood,
            "assumptions": list(assumptions) or None,
            "alternatives": list(alternatives) or None,
        },
    )


@click.command("assess")
@click.argument("finding")
@click.option("--stance", required=True, type=click.Choice(["supports", "contests", "qualifies"]))
@click.option("--confidence", required=True, type=_choices(Confidence))
@click.option("--rationale", required=True, help="Why.")
@likelihood_option
@write_options
@handle_errors
def assess(
    finding: str,
    stance: str,
    confidence: str,
    rationale: str,
    likelihood: str | None,
    writer: Writer,
) -> None:
    """Assess FINDING: supports, contests or qualifies it.

    \b
    Example:
      prov assess finding-rapid-use --stance supports --confidence high \\
          --rationale "Independent reading of the marking agrees." --key bob
    """
    writer.append(
        kind="finding.assessed",
        subject=finding,
        body={
            "stance": stance,
            "confidence": confidence,
            "rationale": rationale,
            "likelihood": likelihood,
        },
    )


# -- challenges -------------------------------------------------------------


@click.command("challenge")
@click.option("--id", "subject", help="Challenge id (default: generated, challenge-…).")
@click.option(
    "--target",
    required=True,
    help="TYPE:ID with TYPE finding, assessment (ID a statement id), actor or organisation.",
)
@click.option("--kind", "challenge_kind", required=True, type=_choices(ChallengeKind))
@click.option("--attributed-to", required=True, help="The party that raised it (needs no key).")
@click.option("--claim", required=True, help="What the challenge says.")
@click.option("--source", help="Where it was raised, e.g. a meeting record.")
@write_options
@handle_errors
def challenge(
    subject: str | None,
    target: str,
    challenge_kind: str,
    attributed_to: str,
    claim: str,
    source: str | None,
    writer: Writer,
) -> None:
    """Record a challenge raised by a party, who need not hold a key.

    The signer is whoever records it; --attributed-to names who raised it.

    \b
    Example:
      prov challenge --target organisation:tracer --kind impartiality \\
          --attributed-to "Delegation X" --claim "..." \\
          --source "Security Council meeting record" --key observer
    """
    target_type, sep, target_id = target.partition(":")
    if not sep or not target_id:
        fail(f"--target {target!r} must look like TYPE:ID, e.g. finding:finding-rapid-use")
    if target_type == "assessment" and len(target_id) < 64:
        with open_store(writer.store_dir) as store:
            target_id = store.resolve_statement(target_id)
    writer.append(
        kind="challenge.raised",
        subject=subject or new_id("challenge"),
        body={
            "target": {"type": target_type, "id": target_id},
            "challenge_kind": challenge_kind,
            "attributed_to": attributed_to,
            "claim": claim,
            "source": source,
        },
    )


@click.command("respond")
@click.argument("challenge_id")
@click.option("--stance", required=True, type=click.Choice(["rebuts", "concedes", "clarifies"]))
@click.option("--attributed-to", required=True, help="The party that responded.")
@click.option("--text", required=True, help="What the response says.")
@click.option("--source", help="Where it was said.")
@write_options
@handle_errors
def respond(
    challenge_id: str,
    stance: str,
    attributed_to: str,
    text: str,
    source: str | None,
    writer: Writer,
) -> None:
    """Record a response to CHALLENGE_ID.

    \b
    Example:
      prov respond challenge-impartiality --stance rebuts \\
          --attributed-to "The organisation" --text "..." --key alice
    """
    writer.append(
        kind="challenge.responded",
        subject=challenge_id,
        body={"stance": stance, "attributed_to": attributed_to, "text": text, "source": source},
    )


@click.command("submit")
@click.argument("envelope_file", type=click.File("rb"))
@store_option
@json_option
@handle_errors
def submit(envelope_file: Any, store_dir: Location, as_json: bool) -> None:
    """Append a statement signed elsewhere: a DSSE envelope file ('-' for stdin).

    \b
    Example:
      prov submit statement.dsse.json
    """
    raw = envelope_file.read(MAX_ENVELOPE_BYTES + 1)
    if len(raw) > MAX_ENVELOPE_BYTES:
        fail(f"envelope is over {MAX_ENVELOPE_BYTES} bytes")
    with open_store(store_dir) as store:
        receipt = store.append(raw)
        kind = store.statement(receipt.statement_id).statement.kind
    print_receipt(receipt, kind, as_json)


COMMANDS = [actor_group, evidence_group, finding_group, assess, challenge, respond, submit]
__all__ = ["COMMANDS"]
