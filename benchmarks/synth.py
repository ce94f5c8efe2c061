"""Synthetic ledgers shaped like the USPTO assignment register, for the benchmarks.

A seeded simulation of a patent market: patents are registered to their
original owners and change hands in assignments of 1-5 patents along chains of
1-6 owners, a few holders own most of them, and around that happen licences,
cross-licences, sales bans with their modifications, renames and mergers,
security interests and deal announcements. Some 5% of the records arrive late
(recorded long after their effective date) and 1% of the items retract an
earlier assignment or registration. Everything stays valid for ``append``.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import attrs

from dealtrack.events import (
    BanImposed,
    BanLifted,
    BanModified,
    CrossLicenseAgreed,
    DealAnnounced,
    Event,
    LicenseGranted,
    LicenseTerminated,
    PartiesMerged,
    PartyRenamed,
    PatentRegistered,
    PatentsAssigned,
    SecurityInterestGranted,
    SecurityInterestReleased,
)

__all__ = ["Retract", "Item", "generate", "parse_scale"]

START = date(1995, 1, 1)
YEARS = 30
MIN_RETRACT_DISTANCE = 1_000  # a retraction's target is at least one append batch back


@attrs.frozen
class Retract:
    """Retract the item generated at ``target`` (its index in the stream; the driver knows its event id)."""

    target: int
    reason: str


Item = Event | Retract

# (kind, weight): how often each kind of record appears in the register
_KINDS = [
    ("register", 400),
    ("assign", 440),
    ("licence", 35),
    ("cross_licence", 6),
    ("terminate", 10),
    ("ban", 4),
    ("ban_modify", 5),
    ("ban_lift", 2),
    ("rename", 1),
    ("security", 6),
    ("security_release", 3),
    ("deal", 2),
]
_CHAIN_WEIGHTS = [30, 28, 18, 12, 7, 5]  # how many owners a patent has in all: 1..6
_TERRITORIES = [("WORLD",), ("US",), ("US", "DE"), ("CN",), ("IN",), ("DE", "FR", "GB")]
_PRODUCTS = ["phone-a", "phone-b", "tablet", "router", "watch", "modem"]


def parse_scale(text: str) -> int:
    """``"10k"`` -> 10_000, ``"1m"`` -> 1_000_000, ``"250"`` -> 250."""
    text = text.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    number = text[:-1] if factor != 1 else text
    return int(float(number) * factor)


class _World:
    """Who holds what now, as the simulation goes; the generator only ever emits valid records."""

    def __init__(self, n: int, rng: random.Random) -> None:
        self.rng = rng
        self.parties = [f"Holder {i:05d}" for i in range(max(40, n // 60))]
        self.next_patent = 5_000_000
        self.holder: dict[str, str] = {}  # patent -> current holder (as the world sees it)
        self.transfers_left: dict[str, int] = {}
        self.transferable: dict[str, list[str]] = {}  # party -> patents it can still pass on
        self.held: dict[str, list[str]] = {}  # party -> a sample of the patents it got (for licences)
        self.licences: dict[str, date] = {}  # live licence id -> start
        self.bans: dict[str, tuple[date, list[str]]] = {}  # live ban id -> (start, patents it rests on)
        self.pledges: list[tuple[str, str, tuple[str, ...], date]] = []
        self.counter = 0

    def party(self) -> str:
        """A party, skewed so a few hold most patents (as in the real register)."""
        return self.parties[int(len(self.parties) * self.rng.random() ** 3)]

    def other(self, than: str) -> str:
        while True:
            candidate = self.party() if self.rng.random() < 0.7 else self.rng.choice(self.parties)
            if candidate != than:
                return candidate

    def ident(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter:07d}"


def generate(n: int, seed: int = 0) -> Iterator[Item]:
    """Yield ``n`` records (events, or :class:`Retract` markers) in the order they are recorded."""
    rng = random.Random(seed)
    world = _World(n, rng)
    kinds = [kind for kind, _ in _KINDS]
    cumulative = list(itertools.accumulate(weight for _, weight in _KINDS))  # what choices() would sum each call
    day_step = YEARS * 365 / max(n, 1)
    late: list[tuple[int, Event]] = []  # (index at which to emit, event): records that arrive late
    retractable: list[int] = []  # indexes of emitted assignments and registrations
    retracted: set[int] = set()
    emitted = 0
    clock = 0.0
    while emitted < n:
        today = START + timedelta(days=int(clock))
        clock += day_step * rng.uniform(0.5, 1.5)
        if late and late[0][0] <= emitted:
            _, event = late.pop(0)
            retractable.append(emitted)
            emitted += 1
            yield event
            continue
        if rng.random() < 0.01:
            # the last 5,000 retractable items, those at least MIN_RETRACT_DISTANCE back (the list is in order)
            window = max(0, len(retractable) - 5_000)
            end = bisect.bisect_right(retractable, emitted - MIN_RETRACT_DISTANCE, lo=window)
            candidates = [i for i in retractable[window:end] if i not in retracted]
            if candidates:
                target = rng.choice(candidates)
                retracted.add(target)
                emitted += 1
                yield Retract(target, "recorded against the wrong reel/frame")
                continue
        kind = rng.choices(kinds, cum_weights=cumulative)[0]
        event = _make(kind, world, today)
        if event is None:
            continue
        if isinstance(event, (PatentRegistered, PatentsAssigned)) and rng.random() < 0.05:
            # recorded late: it goes in the log 50-5,000 records from now, with today's effective date
            late.append((emitted + rng.randint(50, 5_000), event))
            late.sort(key=lambda pair: pair[0])
            continue
        if isinstance(event, (PatentRegistered, PatentsAssigned)):
            retractable.append(emitted)
        emitted += 1
        yield event


def _make(kind: str, world: _World, today: date) -> Event | None:
    rng = world.rng
    effective: date | str = today
    if rng.random() < 0.03:
        effective = f"{today.year:04d}-{today.month:02d}"  # only the month is known
    if kind == "register":
        return _register(world, today)
    if kind == "assign":
        return _assign(world, today, effective)
    if kind == "licence":
        licensor = world.party()
        held = world.held.get(licensor)
        if not held:
            return None
        licence_id = world.ident("LIC")
        world.licences[licence_id] = today
        patents = None if rng.random() < 0.25 else rng.sample(held, min(len(held), rng.randint(1, 10)))
        expires = today + timedelta(days=rng.randint(365, 3_650)) if rng.random() < 0.3 else None
        return LicenseGranted(
            licence_id=licence_id, licensor=licensor, licensee=world.other(licensor), patents=patents,
            territory=rng.choice(_TERRITORIES), exclusive=rng.random() < 0.05, effective=today, expires=expires,
            field="telecom" if rng.random() < 0.2 else None,
        )
    if kind == "cross_licence":
        first = world.party()
        licence_id = world.ident("XL")
        world.licences[licence_id] = today
        return CrossLicenseAgreed(licence_id=licence_id, parties=(first, world.other(first)), effective=today,
                                  territory=rng.choice(_TERRITORIES))
    if kind == "terminate":
        if not world.licences:
            return None
        licence_id = rng.choice(_last(world.licences, 200))
        start = world.licences.pop(licence_id)
        return LicenseTerminated(licence_id=licence_id, effective=max(today, start + timedelta(days=1)))
    if kind == "ban":
        against = world.party()
        held = world.held.get(world.other(against)) or []
        patents = rng.sample(held, min(len(held), rng.randint(1, 3)))
        ban_id = world.ident("BAN")
        world.bans[ban_id] = (today, list(patents))
        return BanImposed(
            ban_id=ban_id, against=against, territory=rng.choice(_TERRITORIES[1:]), authority="District Court",
            patents=patents, products=rng.sample(_PRODUCTS, 3) if rng.random() < 0.5 else None,
            case=f"CS(OS) {world.counter}/{today.year}", effective=today,
        )
    if kind in ("ban_modify", "ban_lift"):
        if not world.bans:
            return None
        ban_id = rng.choice(_last(world.bans, 50))
        start, patents = world.bans[ban_id]
        when = max(today, start)
        if kind == "ban_lift":
            del world.bans[ban_id]
            return BanLifted(ban_id=ban_id, effective=when)
        if patents and rng.random() < 0.3:
            released = [patents.pop()]
            return BanModified(ban_id=ban_id, released_patents=released, effective=when)
        if rng.random() < 0.5:
            return BanModified(ban_id=ban_id, exempt_products=[rng.choice(_PRODUCTS)], effective=when)
        return BanModified(ban_id=ban_id, conditions="deposit 100 per device", effective=when)
    if kind == "rename":
        return _rename(world, today)
    if kind == "security":
        debtor = world.party()
        held = world.held.get(debtor)
        if not held:
            return None
        patents = tuple(rng.sample(held, min(len(held), rng.randint(1, 5))))
        lender = f"Bank {rng.randint(1, 30):02d}"
        world.pledges.append((debtor, lender, patents, today))
        return SecurityInterestGranted(debtor=debtor, secured_party=lender, patents=patents, effective=today)
    if kind == "security_release":
        if not world.pledges:
            return None
        debtor, lender, patents, _ = world.pledges.pop(rng.randrange(len(world.pledges)))
        return SecurityInterestReleased(debtor=debtor, secured_party=lender, patents=patents, effective=today)
    if kind == "deal":
        first = world.party()
        return DealAnnounced(deal=world.ident("DEAL"), title="Patent purchase agreement",
                             parties=(first, world.other(first)), effective=today)
    raise AssertionError(kind)


def _last(keys: dict[str, Any], count: int) -> list[str]:
    """``list(keys)[-count:]`` without copying every key (the live licences run to 300k at 10M events)."""
    found = list(itertools.islice(reversed(keys), count))
    found.reverse()
    return found


def _register(world: _World, today: date) -> PatentRegistered:
    rng = world.rng
    patent = f"US{world.next_patent}"
    world.next_patent += 1
    owner = world.party()
    chain = rng.choices(range(1, 7), _CHAIN_WEIGHTS)[0]
    world.holder[patent] = owner
    world.transfers_left[patent] = chain - 1
    if chain > 1:
        world.transferable.setdefault(owner, []).append(patent)
    _note_held(world, owner, patent)
    return PatentRegistered(patent=patent, owner=owner, effective=today, title=f"Method and apparatus {patent[2:]}",
                            filed=today - timedelta(days=rng.randint(400, 1_500)))


def _assign(world: _World, today: date, effective: date | str) -> PatentsAssigned | None:
    rng = world.rng
    sellers = [party for party in (world.party() for _ in range(4)) if world.transferable.get(party)]
    if not sellers:
        # the first 50 holders with stock, without copying the whole dict (166k parties at 10M events)
        sellers = [party for party, patents in itertools.islice(world.transferable.items(), 50) if patents]
        if not sellers:
            return None
    assignor = sellers[0]
    stock = world.transferable[assignor]
    count = min(len(stock), rng.randint(1, 5))
    patents = [stock.pop() for _ in range(count)]
    if not stock:
        del world.transferable[assignor]
    assignee: str | tuple[str, str] = world.other(assignor)
    if rng.random() < 0.03:
        assignee = (assignee, world.other(assignee))
    owners = (assignee,) if isinstance(assignee, str) else assignee
    for patent in patents:
        world.holder[patent] = owners[0]
        world.transfers_left[patent] -= 1
        if world.transfers_left[patent] > 0:
            world.transferable.setdefault(owners[0], []).append(patent)
        _note_held(world, owners[0], patent)
    stated = assignor if rng.random() > 0.01 else world.other(assignor)  # 1%: a gap in the chain of title
    disclosed = len(patents) + rng.randint(10, 400) if rng.random() < 0.02 else None
    reel = f"{rng.randint(10_000, 60_000):06d}/{rng.randint(1, 999):04d}"
    return PatentsAssigned(
        assignor=stated, assignee=assignee, patents=patents, disclosed_count=disclosed, effective=effective,
        registry_ref=reel, registry_recorded=today + timedelta(days=rng.randint(10, 120)),
        natural_key=f"uspto:{reel}:{world.ident('A')}",
    )


def _rename(world: _World, today: date) -> Event:
    rng = world.rng
    old = rng.choice(world.parties)  # any holder, large or small, may change its name or be absorbed
    if rng.random() < 0.5:
        new = f"{old} Holdings {world.counter}"
        world.counter += 1
        world.parties[world.parties.index(old)] = new
        event: Event = PartyRenamed(old=old, new=new, effective=today)
    else:
        new = world.parties[rng.randrange(len(world.parties) - 1)]
        new = new if new != old else world.parties[-1]
        world.parties.remove(old)
        event = PartiesMerged(absorbed=old, into=new, effective=today)
    world.transferable.setdefault(new, []).extend(world.transferable.pop(old, []))
    world.held.setdefault(new, []).extend(world.held.pop(old, []))
    return event


def _note_held(world: _World, party: str, patent: str) -> None:
    """Keep a bounded sample of each party's patents, for licences, bans and pledges."""
    held = world.held.setdefault(party, [])
    if len(held) < 200:
        held.append(patent)
    else:
        held[world.rng.randrange(200)] = patent
