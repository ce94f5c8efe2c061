"""The common chains of title, folded straight from the stored payloads (a rebuild's fast path).

Most chains are plain: every event dated to the day, recorded in valid-time
order, no assignment by inventors, no rename or merger of a party they name,
nothing retracted, and every assignment made by whoever held the patent then.
For such a chain :func:`.title.fold_title` needs a handful of fields of each
event and finds no anomaly, so a rebuild folds it here from small tuples read
off each payload once, without building the events. Anything else (and
whatever would note an anomaly) makes :func:`lean_title_history` give up with
None, and the chain goes the general way (:func:`.ownership._title_history`).
A property test compares the two on chains of every shape.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import Any

from .. import codec
from ..parties import former_key, party_key
from .history import FoldPoint, believed_over

__all__ = ["lean_title_history"]

#: ``(position, effective day as ISO text, assignors or None for a registration, assignees or (owner,))``
_Lean = tuple[int, str, "list[str] | None", "list[str]"]


def _lean_facts(stored: Iterable[tuple[Any, int, str, str | bytes, int]]) -> list[_Lean] | None:
    """The chain's facts as small tuples, or None when one of them is not of the plain shape.

    ``stored`` are ``(key, position, type, payload, schema_version)`` in position order.
    """
    facts: list[_Lean] = []
    last = ""
    fields = codec.stored_fields
    for _, position, type_name, payload, version in stored:
        data = fields(type_name, payload, version)
        day = data["effective"]
        # a day's ISO text orders as the day does; a longer period, or fields decoded from an older schema, go
        # the general way (so do facts out of valid-time order)
        if type(day) is not str or len(day) != 10 or day < last:
            return None
        last = day
        if type_name == "PatentRegistered":
            facts.append((position, day, None, [data["owner"]]))
        elif type_name == "PatentsAssigned" and data["by_inventors"] is False:
            facts.append((position, day, data["assignor"], data["assignee"]))
        else:
            return None
    return facts


def lean_title_history(
    patent: str, stored: Iterable[tuple[Any, int, str, str | bytes, int]], fold_point: FoldPoint
) -> list[tuple[tuple[Any, ...], int, int | None]] | None:
    """A plain chain's rows over its whole history, as ``_title_history`` gives them; None for any other chain.

    ``stored`` are the chain's own facts, ``(key, position, type, payload, schema_version)`` in position
    order, none of them retracted and none naming a party a rename or merger links (the caller checks both).
    """
    facts = _lean_facts(stored)
    if not facts:
        return None
    positions = [fact[0] for fact in facts]
    points = sorted({fold_point(position) for position in positions})
    cuts = iter([bisect.bisect_right(positions, point) for point in points])
    cut = next(cuts, None)
    holders: dict[str, tuple[str, int]] = {}  # owner -> (since, starting position)
    done: list[tuple[Any, ...]] = []  # rows of the holdings that ended
    transfers: list[tuple[str, frozenset[str], frozenset[str]]] = []  # (day, assignors, assignees)
    answers: list[list[tuple[Any, ...]]] = []
    for index, (position, day, assignor, assignee) in enumerate(facts):
        while index == cut:
            answers.append([*done, *(("ownership", patent, owner, since, None, started)
                                     for owner, (since, started) in holders.items())])
            cut = next(cuts, None)
        if assignor is None:  # a registration
            owner = assignee[0]
            if holders and party_key(owner) not in {party_key(holder) for holder in holders}:
                return None  # a registration conflict
            new = {owner}
        else:
            spelled = {party_key(holder): holder for holder in holders}
            assignors = frozenset(spelled.get(party_key(name)) or spelled.get(former_key(name) or "", name)
                                  for name in assignor)
            assignees = frozenset(assignee)
            # another transfer by the same assignors on the same day (days overlap only so) to someone else
            rival = any(other_day == day and other_from == assignors and other_to != assignees
                        for other_day, other_from, other_to in transfers)
            transfers.append((day, assignors, assignees))
            if not holders:
                new = set(assignees)
            elif rival or not assignors <= holders.keys():
                return None  # conflicting reports, a gap in the chain, or a transfer recorded twice
            else:
                new = (holders.keys() - assignors) | assignees if assignors else set(assignees)
        if new == holders.keys():
            continue
        for owner in [owner for owner in holders if owner not in new]:
            since, started = holders.pop(owner)
            if day > since:
                done.append(("ownership", patent, owner, since, day, started))
        for owner in sorted(new - holders.keys()):
            holders[owner] = (day, position)
    while cut is not None:
        answers.append([*done, *(("ownership", patent, owner, since, None, started)
                                 for owner, (since, started) in holders.items())])
        cut = next(cuts, None)
    return believed_over(zip(points, answers))
