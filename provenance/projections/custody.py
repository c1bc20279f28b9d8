"""The chain of custody of an evidence item, with its gaps and breaks; pure functions.

Custody events are read in the order of their ``at`` times (the time each act
happened), ties broken by the store's order; retracted events are left out.
Who holds the item after each event:

- ``collected``: ``to_party`` (a collection while someone already holds the
  item is a break);
- ``transferred``: ``to_party``; a transfer from someone other than the
  holder is a *break*, and a transfer while no holder is known is a *gap*;
- ``stored``: ``to_party`` if given (a storage facility taking it), else the
  holder keeps it;
- ``examined`` and ``copied``: the holder keeps it; either while no holder is
  known is a *gap*.

A chain whose first event is not a collection starts with a gap: nobody is
known to have held the item before it.
"""

from __future__ import annotations

from typing import Any

Chain = dict[str, Any]


def custody_chain(item: dict[str, Any]) -> Chain:
    """Analyse the custody events of an evidence item's state."""
    events = [e for e in item.get("custody", []) if "withdrawn" not in e]
    events.sort(key=lambda e: (e["at"], e["position"]))
    holder: str | None = None
    gaps: list[dict[str, Any]] = []
    breaks: list[dict[str, Any]] = []
    steps = []
    for n, e in enumerate(events):
        where = {"statement_id": e["statement_id"], "at": e["at"], "action": e["action"]}
        action = e["action"]
        if n == 0 and action != "collected":
            gaps.append({**where, "message": f"no collection recorded before this {action}"})
        elif holder is None and action != "collected":
            gaps.append({**where, "message": f"{action} while no custodian is known"})
        if action == "collected":
            if holder is not None:
                breaks.append({**where, "message": f"collected again while held by {holder}"})
            holder = e["to_party"]
        elif action == "transferred":
            if holder is not None and e["from_party"] != holder:
                breaks.append(
                    {
                        **where,
                        "message": f"transferred from {e['from_party']}, "
                        f"who did not hold the item (held by {holder})",
                    }
                )
            holder = e["to_party"]
        elif action == "stored" and "to_party" in e:
            holder = e["to_party"]
        steps.append({**e, "holder_after": holder})
    if not events:
        status = "none recorded"
    elif breaks:
        status = "broken"
    elif gaps:
        status = "gaps"
    else:
        status = "intact"
    return {
        "item": item["subject"],
        "status": status,
        "custodian": holder,
        "registered_custodian": item.get("custodian"),
        "events": steps,
        "gaps": gaps,
        "breaks": breaks,
    }
