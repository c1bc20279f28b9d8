"""The case the demo tells, built as signed statements in a fresh store.

The facts are paraphrased from a public report of a UN Security Council
meeting: a weapons-tracing research organisation (founded 2011, documenting
arms in Ukraine since 2018) presented its examination of the remains of four
North Korean ballistic missiles recovered in Ukraine in July and August, one
marked with a 2024 production date. Dates, sites and the wording of markings
here are illustrative; the shape of the record is the point.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from provenance.authoring import init_store, sign_statement
from provenance.keys import KeyRing, SigningKey
from provenance.model import fields, kinds
from provenance.store import Store

ORG = "tracer"
ORIGIN = "provenance-store/tracer-demo"
CENTRAL_FINDING = "finding-rapid-use"
CHALLENGE = "challenge-impartiality"
MEETING_DAY = "2024-12-10"
MISSILES = ["item-m1", "item-m2", "item-m3", "item-m4"]


WITNESS_KEY = "witness"
"""The name of the witness's key, in the witness's own keys directory."""


@dataclass
class DemoStore:
    """The demo store and the ids of what it holds.

    Attributes:
        store: the store, open.
        keys_dir: the organisation's keys (root, log and its people's).
        witness_keys_dir: the witness's key, kept apart: in a real deployment
            it belongs to another party on another machine, since whoever
            holds the log's keys and the witness's can rewrite the log and
            cosign the rewrite.
        statements: statement ids by the demo's names for them.
    """

    store: Store
    keys_dir: Path
    witness_keys_dir: Path
    statements: dict[str, str] = field(default_factory=dict)


def build(directory: Path) -> DemoStore:
    """Create the demo store in ``directory``.

    The organisation's keys go in ``directory/keys``; the witness's key in
    ``directory/witness-keys``, standing for another party's machine.

    The store's receipt clock is simulated: each statement is "received" a few
    seconds after its issued time, so that ``--as-of 2024-12-10`` shows the
    record as it stood on the day of the meeting. A real store uses the real
    clock; only this demo replaces it.
    """
    ring = KeyRing(directory / "keys")
    keys = {
        name: ring.create(name)
        for name in ("root", "field-team", "analyst", "observer", "auditor", "root-log")
    }
    simulated = ["2024-01-08T09:00:05.000000Z"]
    store = init_store(
        directory / "store",
        keys["root"],
        org_id=ORG,
        org_name="Independent weapons-tracing research organisation",
        issued_at="2024-01-08T09:00:00Z",
        clock=lambda: simulated[0],
        log_key=keys["root-log"],
        origin=ORIGIN,
    )
    # The witness is another party: its key never sits with the log's keys.
    witness_ring = KeyRing(directory / "witness-keys")
    witness_ring.create(WITNESS_KEY)
    demo = DemoStore(store, ring.directory, witness_ring.directory)

    def put(
        name: str,
        key: str,
        author: str,
        kind: str,
        subject: str,
        body: fields.Body,
        when: str,
        refs: list[str] | None = None,
    ) -> str:
        envelope = sign_statement(
            keys[key],
            kind=kind,
            subject=subject,
            author=author,
            body=body,
            refs=refs,
            issued_at=when,
        )
        received = datetime.strptime(when, "%Y-%m-%dT%H:%M:%SZ") + timedelta(seconds=5)
        simulated[0] = received.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        receipt = store.append(envelope)
        demo.statements[name] = receipt.statement_id
        return receipt.statement_id

    _actors(put, keys)
    _evidence(put)
    _findings(put)
    _dispute(put, demo)
    _afterwards(put, demo)
    return demo


Put = Callable[..., str]
"""The signature of the ``put`` helper in :func:`build`."""


def _actors(put: Put, keys: dict[str, SigningKey]) -> None:
    people: list[tuple[str, str, fields.ActorRole]] = [
        ("field-team", "Field investigation team", "researcher"),
        ("analyst", "Weapons analyst", "researcher"),
        ("observer", "Meeting observer (records what parties say)", "observer"),
        ("auditor", "Independent reviewer", "auditor"),
    ]
    for actor, name, role in people:
        put(
            f"register-{actor}",
            "root",
            ORG,
            "actor.registered",
            actor,
            kinds.ActorRegistered(name=name, role=role, public_key=keys[actor].public_b64),
            "2024-01-08T09:05:00Z",
        )


def _evidence(put: Put) -> None:
    put(
        "debris",
        "field-team",
        "field-team",
        "evidence.registered",
        "item-debris-early",
        kinds.EvidenceRegistered(
            item_kind="missile-remains",
            title="Ballistic missile debris recovered early in 2024",
            description="Debris from a ballistic missile strike in Ukraine, documented on site.",
            recovered_at="2024-01",
            recovered_where="Ukraine (documentation site withheld in the demo)",
            custodian="Ukrainian authorities",
        ),
        "2024-01-20T12:00:00Z",
    )
    months = {
        "item-m1": "2024-07",
        "item-m2": "2024-07",
        "item-m3": "2024-08",
        "item-m4": "2024-08",
    }
    for n, item in enumerate(MISSILES, start=1):
        put(
            f"register-{item}",
            "field-team",
            "field-team",
            "evidence.registered",
            item,
            kinds.EvidenceRegistered(
                item_kind="missile-remains",
                title=f"Remains of ballistic missile {n} of North Korean origin",
                description="Remains examined and photographed by the field team.",
                recovered_at=months[item],
                recovered_where="Ukraine (documentation site withheld in the demo)",
                custodian="Ukrainian authorities",
                identifiers={"field-ref": f"M{n}"},
            ),
            "2024-09-02T10:00:00Z",
        )
    put(
        "mark-m3",
        "field-team",
        "field-team",
        "evidence.marking",
        "item-m3",
        kinds.EvidenceMarking(
            text="2024",
            location="stencilled marking on a fragment of the airframe",
            meaning="production year",
            value="2024",
            method="read on site and from photographs",
        ),
        "2024-09-03T14:00:00Z",
    )
    put(
        "component",
        "field-team",
        "field-team",
        "evidence.registered",
        "item-component-1",
        kinds.EvidenceRegistered(
            item_kind="component",
            title="Recently produced electronic component of non-North-Korean origin",
            description="Found among the missile remains; its markings show recent production "
            "outside North Korea.",
            recovered_at="2024-08",
            custodian="Ukrainian authorities",
        ),
        "2024-09-04T10:00:00Z",
    )
    put(
        "component-detail",
        "field-team",
        "field-team",
        "evidence.component",
        "item-component-1",
        kinds.EvidenceComponent(
            part="electronic component from the guidance section",
            manufacturer="(name withheld in the demo)",
            country="not North Korea",
            date_code="(withheld)",
            date_code_meaning="produced in 2023 (illustrative)",
        ),
        "2024-09-04T10:30:00Z",
    )
    _custody(put)
    put(
        "grade-m3",
        "analyst",
        "analyst",
        "evidence.graded",
        "item-m3",
        kinds.EvidenceGraded(
            reliability="B",
            credibility=2,
            rationale="Documented directly by the field team; the reading is probably true "
            "but rests on one marking (illustrative grading).",
        ),
        "2024-09-06T09:00:00Z",
    )
    misread = put(
        "mark-m2",
        "field-team",
        "field-team",
        "evidence.marking",
        "item-m2",
        kinds.EvidenceMarking(
            text="23", location="fragment", meaning="production year", value="2023"
        ),
        "2024-09-06T10:00:00Z",
    )
    put(
        "retract-m2",
        "field-team",
        "field-team",
        "statement.retracted",
        "item-m2",
        kinds.StatementRetracted(
            statement=misread,
            reason="Misread: the digits belong to a serial number, not a year (illustrative).",
        ),
        "2024-09-10T09:00:00Z",
    )


def _custody(put: Put) -> None:
    steps = [
        kinds.EvidenceCustody(
            action="collected",
            at="2024-08-20",
            performed_by="Ukrainian investigating authorities",
            to_party="Ukrainian authorities",
            location="recovery site in Ukraine (withheld in the demo)",
            purpose="criminal investigation",
        ),
        kinds.EvidenceCustody(
            action="examined",
            at="2024-09-02",
            performed_by="Field investigation team",
            location="authorities' evidence facility",
            method="visual examination, measurement and photography",
            condition="fragmented, fire damage",
        ),
        kinds.EvidenceCustody(
            action="copied",
            at="2024-09-02",
            performed_by="Field investigation team",
            method="photographs; working copies kept in the organisation's archive",
        ),
        kinds.EvidenceCustody(
            action="stored",
            at="2024-09-05",
            performed_by="Ukrainian authorities",
            location="authorities' evidence storage",
        ),
    ]
    for n, step in enumerate(steps):
        put(
            f"custody-m3-{n}",
            "field-team",
            "field-team",
            "evidence.custody",
            "item-m3",
            step,
            f"2024-09-05T1{n}:00:00Z",
        )


def _findings(put: Put) -> None:
    put(
        "finding-origin",
        "analyst",
        "analyst",
        "finding.asserted",
        "finding-origin",
        kinds.FindingAsserted(
            claim="The ballistic missile debris recovered in Ukraine early in 2024 "
            "originated in North Korea.",
            evidence=["item-debris-early"],
            confidence="high",
        ),
        "2024-02-20T09:00:00Z",
    )
    put(
        "finding-central",
        "analyst",
        "analyst",
        "finding.asserted",
        CENTRAL_FINDING,
        kinds.FindingAsserted(
            claim="North Korean ballistic missiles are being produced and then used in Ukraine "
            "within months, not years: one of four remains recovered in July and August "
            "carries a 2024 production marking.",
            evidence=MISSILES,
            limitations=[
                "The marking gives a production year, not a month: the interval is bounded "
                "by that year and the recovery date.",
                "One of the four remains carries a legible production date.",
            ],
            confidence="high",
            likelihood="almost certain",
            assumptions=["The stencilled year records production, not refurbishment."],
            alternatives=[
                "The year marks a lot or acceptance date rather than production: judged "
                "unlikely, since it would not shorten the timeline."
            ],
        ),
        "2024-11-18T09:00:00Z",
    )
    put(
        "finding-procurement",
        "analyst",
        "analyst",
        "finding.asserted",
        "finding-procurement",
        kinds.FindingAsserted(
            claim="Recently produced components of non-North-Korean origin show that the "
            "network supplying North Korea's missile programme persists despite UN sanctions.",
            evidence=["item-component-1"],
            confidence="moderate",
        ),
        "2024-11-18T09:30:00Z",
    )
    put(
        "assess-support",
        "field-team",
        "field-team",
        "finding.assessed",
        CENTRAL_FINDING,
        kinds.FindingAssessed(
            stance="supports",
            confidence="high",
            rationale="The production-year marking on item-m3 was read on site and again from "
            "photographs, and the readings agree.",
        ),
        "2024-11-20T16:00:00Z",
    )
    put(
        "assess-qualify",
        "analyst",
        "analyst",
        "finding.assessed",
        CENTRAL_FINDING,
        kinds.FindingAssessed(
            stance="qualifies",
            confidence="moderate",
            rationale="The other three remains establish origin but not date; the short "
            "interval rests on one item.",
        ),
        "2024-11-21T10:00:00Z",
    )


def _dispute(put: Put, demo: DemoStore) -> None:
    source = f"UN Security Council meeting, {MEETING_DAY} (illustrative date)"
    meeting = f"{MEETING_DAY}T15:00:00Z"
    challenge_id = put(
        "challenge",
        "observer",
        "observer",
        "challenge.raised",
        CHALLENGE,
        kinds.ChallengeRaised(
            target=kinds.ChallengeTarget(type="organisation", id=ORG),
            challenge_kind="impartiality",
            attributed_to="Russian Federation (ambassador to the UN)",
            claim="The researchers are aligned with NATO and the European Union, so their "
            "assessments are not impartial.",
            source=source,
        ),
        meeting,
    )
    put(
        "response-us",
        "observer",
        "observer",
        "challenge.responded",
        CHALLENGE,
        kinds.ChallengeResponded(
            stance="rebuts",
            attributed_to="United States (ambassador to the UN)",
            text="Russia's veto of the sanctions-monitoring mandate is what makes independent "
            "research matter; such reports show arms transfers that breach council resolutions.",
            source=source,
        ),
        f"{MEETING_DAY}T15:20:00Z",
    )
    put(
        "response-dprk",
        "observer",
        "observer",
        "challenge.responded",
        CHALLENGE,
        kinds.ChallengeResponded(
            stance="clarifies",
            attributed_to="Democratic People's Republic of Korea (representative to the UN)",
            text="Called its partnership with Russia a constructive force for peace and "
            "security, and dismissed criticism of it.",
            source=source,
        ),
        f"{MEETING_DAY}T15:40:00Z",
    )
    put(
        "response-org",
        "analyst",
        "analyst",
        "challenge.responded",
        CHALLENGE,
        kinds.ChallengeResponded(
            stance="rebuts",
            attributed_to="The organisation",
            text="The findings rest on physical remains documented on site and recorded here "
            "with their evidence; they stand on that evidence.",
            source=source,
        ),
        f"{MEETING_DAY}T16:00:00Z",
    )
    put(
        "reaffirm",
        "analyst",
        "analyst",
        "finding.reaffirmed",
        CENTRAL_FINDING,
        kinds.FindingReaffirmed(
            statement="The finding stands after the challenge to impartiality.",
            observations=[
                "Newly produced North Korean ballistic missiles continue to be used in Ukraine.",
                "The 2024 production marking shows how short the path from production to use is.",
                "Recently produced foreign components show a procurement network that persists "
                "despite UN sanctions.",
            ],
        ),
        f"{MEETING_DAY}T16:05:00Z",
        refs=[challenge_id, demo.statements["finding-procurement"]],
    )


def _afterwards(put: Put, demo: DemoStore) -> None:
    """What the record gained after the meeting (all illustrative)."""
    put(
        "trace",
        "analyst",
        "analyst",
        "trace.requested",
        "trace-component-1",
        kinds.TraceRequested(
            target=kinds.TraceTarget(type="component", id=demo.statements["component-detail"]),
            addressee="the component's manufacturer (name withheld in the demo)",
            addressee_type="manufacturer",
            question="To whom was the lot carrying this date code sold?",
            sent_at="2024-12-20",
        ),
        "2024-12-20T09:00:00Z",
    )
    put(
        "trace-ack",
        "analyst",
        "analyst",
        "trace.updated",
        "trace-component-1",
        kinds.TraceUpdated(status="acknowledged", at="2025-01-15"),
        "2025-01-15T09:00:00Z",
    )
    put(
        "assess-auditor",
        "auditor",
        "auditor",
        "finding.assessed",
        CENTRAL_FINDING,
        kinds.FindingAssessed(
            stance="supports",
            confidence="moderate",
            likelihood="very likely",
            rationale="An independent review of the photographs reads the same year "
            "marking (illustrative).",
        ),
        "2025-02-10T11:00:00Z",
    )
    put(
        "trace-answer",
        "analyst",
        "analyst",
        "trace.updated",
        "trace-component-1",
        kinds.TraceUpdated(
            status="answered",
            at="2025-03-03",
            answer="The lot was sold to a distributor outside North Korea (illustrative).",
        ),
        "2025-03-03T09:00:00Z",
    )
