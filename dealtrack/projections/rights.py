"""Rights that ride on patents: licences, sales bans and security interests, as pure folds.

Each fold turns the live events of one key into rows with a half-open valid
interval ``[valid_from, valid_to)``; :class:`.keyed.KeyedView` keeps them per
key with their known-time span. Party names are stored as recorded; renames
and mergers are applied when a question is asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any

import attrs
import orjson

from ..answers import Ban, Encumbrance, Licence
from ..events import (
    BanImposed,
    BanLifted,
    BanModified,
    CrossLicenseAgreed,
    Event,
    LicenseGranted,
    LicenseTerminated,
    PatentLapsed,
    PatentRegistered,
    SecurityInterestAssigned,
    SecurityInterestGranted,
    SecurityInterestReleased,
)
from ..parties import lender_keys, party_key
from .history import Fact, iso, valid_order
from .keyed import KeyedView
from .title import Aliases, renamed_names

__all__ = ["BANS", "BANS_BY_PARTY", "LICENCES", "PATENT_TERMS", "SECURITY_INTERESTS", "as_list"]


def _json(values: Iterable[str] | None) -> str | None:
    return None if values is None else orjson.dumps(list(values)).decode()


def as_list(text: str | None) -> list[str] | None:
    """Read back a JSON list column (None stays None)."""
    return None if text is None else list(orjson.loads(text))


# --- licences -------------------------------------------------------------------------


def _licence_keys(event: Event) -> Iterator[str]:
    if isinstance(event, (LicenseGranted, CrossLicenseAgreed, LicenseTerminated)):
        yield event.licence_id


def _licence_terms(event: Event) -> Iterator[str]:
    """The patents a licence lists (a portfolio licence lists none: it is found by its licensor)."""
    if isinstance(event, (LicenseGranted, CrossLicenseAgreed)) and event.patents is not None:
        yield from event.patents


def fold_licence(licence_id: str, live: list[Fact]) -> Iterator[tuple[Any, ...]]:
    """One row per direction of a licence: who licenses whom, over what, where, and when."""
    grants = sorted((fact for fact in live if isinstance(fact[1], (LicenseGranted, CrossLicenseAgreed))), key=valid_order)
    if not grants:
        return
    position, grant = grants[0]
    assert isinstance(grant, (LicenseGranted, CrossLicenseAgreed)) and grant.effective is not None
    ends = [event.effective.start for _, event in live if isinstance(event, LicenseTerminated) and event.effective]
    if grant.expires is not None:
        ends.append(grant.expires.stop)  # a licence is live through its expiry date
    valid_to = min(ends) if ends else None
    if isinstance(grant, LicenseGranted):
        directions = [(grant.licensor, grant.licensee, grant.exclusive, grant.sublicensable)]
    else:
        first, second = grant.parties
        directions = [(first, second, False, False), (second, first, False, False)]
    for licensor, licensee, exclusive, sublicensable in directions:
        yield (
            licence_id,
            licensor,
            licensee,
            _json(grant.patents),
            _json(grant.territory),
            grant.field,
            int(exclusive),
            int(sublicensable),
            grant.effective.start.isoformat(),
            iso(valid_to),
            position,
        )


LICENCES = KeyedView(
    name="licences",
    version=7,  # 2: licences_terms, the patents each licence lists; 4: WITHOUT ROWID keys; 5: per-position rows; 6: commit points;
    # 7: indexes by licensee and licensor, then start
    table="licences",
    columns={
        "licence_id": str,
        "licensor": str,
        "licensee": str,
        "patents": str,  # JSON list; NULL = the licensor's portfolio on valid_from
        "territory": str,  # JSON list of ISO codes or "WORLD"
        "field": str,
        "exclusive": int,
        "sublicensable": int,
        "valid_from": str,
        "valid_to": str,
        "position": int,
    },
    types=("LicenseGranted", "CrossLicenseAgreed", "LicenseTerminated"),
    keys=_licence_keys,
    fold=fold_licence,
    # a licensee's portfolio licences from a patent's holders: one seek (licensee, licensor), not all it ever held
    indexes=(("licensee", "licensor", "valid_from"), ("licensor", "valid_from")),
    terms=_licence_terms,
)


# --- bans ---------------------------------------------------------------------------------


def _ban_keys(event: Event) -> Iterator[str]:
    if isinstance(event, (BanImposed, BanModified, BanLifted)):
        yield event.ban_id


def _ban_terms(event: Event) -> Iterator[str]:
    """The parties a ban is against, as recorded."""
    if isinstance(event, BanImposed):
        yield from event.against


def fold_ban(ban_id: str, live: list[Fact]) -> Iterator[tuple[Any, ...]]:
    """One row per stretch of time in which a ban stood unchanged."""
    imposed = sorted((fact for fact in live if isinstance(fact[1], BanImposed)), key=valid_order)
    if not imposed:
        return
    position, ban = imposed[0]
    assert isinstance(ban, BanImposed) and ban.effective is not None
    patents = list(ban.patents)
    exempt: list[str] = []
    conditions: str | None = None
    since = ban.effective.start

    def stretch(until: date | None) -> tuple[Any, ...]:
        return (
            ban_id,
            _json(ban.against),
            _json(ban.territory),
            ban.authority,
            ban.requested_by,
            ban.case,
            _json(ban.products),
            _json(patents),
            _json(exempt),
            conditions,
            since.isoformat(),
            iso(until),
            position,
        )

    changes = sorted((fact for fact in live if isinstance(fact[1], (BanModified, BanLifted))), key=valid_order)
    for _, change in changes:
        assert change.effective is not None
        day = max(change.effective.start, since)  # a change dated before the ban applies from its start
        if day > since:
            yield stretch(day)
            since = day
        if isinstance(change, BanLifted):
            return
        assert isinstance(change, BanModified)
        exempt += [product for product in change.exempt_products if product not in exempt]
        patents = [patent for patent in patents if patent not in change.released_patents]
        conditions = change.conditions or conditions
        if ban.patents and not patents:  # released from every patent it rested on: the ban has ended
            return
    yield stretch(None)


BANS = KeyedView(
    name="bans",
    version=7,  # 2: bans_terms, the parties each ban is against; 4: WITHOUT ROWID keys; 5: per-position rows; 6: commit points;
    # 7: an index of each ban's stretches by date
    table="bans",
    columns={
        "ban_id": str,
        "against": str,  # JSON list of parties
        "territory": str,  # JSON list
        "authority": str,
        "requested_by": str,
        "court_case": str,
        "products": str,  # JSON list; NULL = all products
        "patents": str,  # JSON list: the patents the ban still rests on
        "exempt_products": str,  # JSON list
        "conditions": str,
        "valid_from": str,
        "valid_to": str,
        "position": int,
    },
    types=("BanImposed", "BanModified", "BanLifted"),
    keys=_ban_keys,
    fold=fold_ban,
    # a question about one party's bans on a day checks each stretch's dates in the index, and fetches only
    # the stretches in force then (a ban changed many times has many stretches)
    indexes=(("ban_id", "valid_from", "valid_to", "known_from", "known_to"),),
    terms=_ban_terms,
)


def fold_ban_parties(ban_id: str, live: list[Fact]) -> Iterator[tuple[Any, ...]]:
    """:func:`fold_ban`'s rows, one per party the ban is against (each once), that party last."""
    for row in fold_ban(ban_id, live):
        for party in dict.fromkeys(orjson.loads(row[1])):
            yield (*row, party)


BANS_BY_PARTY = KeyedView(
    name="bans_by_party",
    version=1,
    table="bans_by_party",
    # the rows of ``bans``, once per party banned: a question about one party's bans on a day is one seek of the
    # index by party and date, as a look-up in a table of its own bans would be (``bans_terms`` then ``bans``: two)
    columns={**BANS.columns, "party": str},
    types=BANS.types,
    keys=_ban_keys,
    fold=fold_ban_parties,
    indexes=(("party", "valid_from", "valid_to", "known_from", "known_to"),),
)


# --- security interests -----------------------------------------------------------------------


def _security_keys(event: Event) -> Iterator[str]:
    if isinstance(event, (SecurityInterestGranted, SecurityInterestReleased, SecurityInterestAssigned)):
        yield from event.patents


@attrs.define
class _Lien:
    debtor: str
    secured_party: str
    since: date
    position: int  # the event that started this row (the grant, or the assignment that moved it)
    reference: str | None  # the grant's register reference (a reel/frame)


def _matching(
    liens: list[_Lien], debtor: str | None, secured_party: str, interest: str | None, aliases: Aliases
) -> list[_Lien]:
    """The open liens a release or an assignment names: by the grant it cites, else by parties (any spelling).

    Among the liens the cited grant started (else all of them): debtor and secured party first; failing
    that, the secured party alone (a release naming the current owner or the debtor's new name). A lender
    merged away is matched through the predecessor its successor's name cites
    (:func:`~dealtrack.parties.lender_keys`) and through the renames and mergers recorded by then
    (``aliases``), and so is a debtor; a release by another lender ends nothing.
    """

    def now(name: str) -> str:  # the key a name answers to on the day, after renames and mergers
        return party_key(aliases.canonical(name))

    cited = [lien for lien in liens if interest is not None and lien.reference == interest]
    lenders = {now(secured_party)} | lender_keys(secured_party)
    by_lender = [lien for lien in cited or liens
                 if party_key(lien.secured_party) in lenders or now(lien.secured_party) in lenders]
    both = [lien for lien in by_lender if debtor is not None and now(lien.debtor) == now(debtor)]
    if cited:  # one register record may grant several liens (one per debtor and lender): the parties pick
        return both or by_lender or cited
    return both or by_lender


def fold_security(patent: str, live: list[Fact]) -> Iterator[tuple[Any, ...]]:
    """One row per stretch of each lien on ``patent`` (who holds it over whose title, and when), and one row
    per release or assignment that named no lien, or several (``kind`` tells which)."""
    liens: list[_Lien] = []
    aliases = Aliases()

    def row(lien: _Lien, until: date | None) -> tuple[Any, ...]:
        return (patent, lien.debtor, lien.secured_party, lien.since.isoformat(), iso(until), lien.position, "lien",
                None, lien.reference)

    for position, event in sorted(live, key=valid_order):
        assert event.effective is not None
        day = event.effective.start
        pair = renamed_names(event)
        if pair is not None:  # from its day, a release may name the party by its new name
            aliases.move(*pair)
            continue
        if isinstance(event, SecurityInterestGranted):
            same = (event.registry_ref, event.debtor, event.secured_party)
            if event.registry_ref is None or all((l.reference, l.debtor, l.secured_party) != same for l in liens):
                liens.append(_Lien(event.debtor, event.secured_party, day, position, event.registry_ref))
            continue  # (the same register record twice is one lien)
        assert isinstance(event, (SecurityInterestReleased, SecurityInterestAssigned))
        found = _matching(liens, event.debtor, event.secured_party, event.interest, aliases)
        what = "release" if isinstance(event, SecurityInterestReleased) else "assignment of a security interest"
        if not found or (len(found) > 1 and isinstance(event, SecurityInterestReleased)):
            kind = "unmatched" if not found else "ambiguous"
            several = "" if not found else f" {len(found)} liens ({', '.join(_lien_names(found))}) and"
            message = (f"{what} of {patent} by {event.secured_party} (debtor {event.debtor or '?'}, {event.effective}) "
                       f"matches{several or ' no lien'}{' ends none' if found else ''}")
            yield (patent, event.debtor, event.secured_party, day.isoformat(), day.isoformat(), position,
                   f"{kind}_{'release' if isinstance(event, SecurityInterestReleased) else 'security_assignment'}",
                   message, event.interest)
            continue
        for lien in found:
            yield row(lien, day)
            liens.remove(lien)
            if isinstance(event, SecurityInterestAssigned):
                liens.append(_Lien(lien.debtor, event.successor, day, position, lien.reference))
    for lien in liens:
        yield row(lien, None)


def _lien_names(liens: list[_Lien]) -> list[str]:
    return [f"{lien.debtor} to {lien.secured_party}" + (f" at {lien.reference}" if lien.reference else "")
            for lien in liens]


def _security_parties(event: Event) -> Iterator[str]:
    """The debtor and secured party a security event names (the names renames must reach)."""
    if isinstance(event, (SecurityInterestGranted, SecurityInterestReleased, SecurityInterestAssigned)):
        if event.debtor is not None:
            yield event.debtor
        yield event.secured_party
        if isinstance(event, SecurityInterestAssigned):
            yield event.successor


SECURITY_INTERESTS = KeyedView(
    name="security_interests",
    # 3: WITHOUT ROWID facts; 4: per-position rows; 5: commit points; 6: kind, message, reference;
    # 7: releases match through renames and mergers
    version=7,
    table="security_interests",
    columns={
        "patent": str,
        "debtor": str,
        "secured_party": str,
        "valid_from": str,
        "valid_to": str,
        "position": int,
        "kind": str,  # "lien", or a release / assignment that matched no lien or several
        "message": str,
        "reference": str,  # the grant's register reference (reel/frame), if known
    },
    types=("SecurityInterestGranted", "SecurityInterestReleased", "SecurityInterestAssigned"),
    keys=_security_keys,
    fold=fold_security,
    terms=_security_parties,
    renamed=True,
)


# --- reading the views back ------------------------------------------------------------------

def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def licence_from_row(row: Sequence[Any]) -> Licence:
    """A :class:`Licence` from a ``licences`` row (its columns in view order)."""
    return Licence(
        licence_id=row[0],
        licensor=row[1],
        licensee=row[2],
        patents=None if row[3] is None else tuple(as_list(row[3]) or ()),
        territory=tuple(as_list(row[4]) or ()),
        field=row[5],
        exclusive=bool(row[6]),
        sublicensable=bool(row[7]),
        valid_from=date.fromisoformat(row[8]),
        valid_to=_day(row[9]),
    )


def ban_from_row(row: Sequence[Any], against: tuple[str, ...] | None = None) -> Ban:
    """A :class:`Ban` from a ``bans`` row (its columns in view order); ``against``: these parties instead of the row's."""
    products = as_list(row[6])
    return Ban(
        ban_id=row[0],
        against=tuple(as_list(row[1]) or ()) if against is None else against,
        territory=tuple(as_list(row[2]) or ()),
        authority=row[3],
        requested_by=row[4],
        case=row[5],
        products=None if products is None else tuple(products),
        patents=tuple(as_list(row[7]) or ()),
        exempt_products=tuple(as_list(row[8]) or ()),
        conditions=row[9],
        valid_from=date.fromisoformat(row[10]),
        valid_to=_day(row[11]),
    )


def security_from_row(row: Sequence[Any]) -> Encumbrance:
    """An :class:`Encumbrance` from a ``security_interests`` lien row (its columns in view order)."""
    return Encumbrance("security_interest", row[0], holder=row[2], grantor=row[1], reference=row[8],
                       valid_from=date.fromisoformat(row[3]), valid_to=_day(row[4]))


def latest_bans(rows: Iterable[Sequence[Any]]) -> list[tuple[int, Ban]]:
    """``(imposing position, ban)`` for each ban among ``rows`` (sorted by ban and start): its latest state."""
    latest: dict[str, tuple[int, Ban]] = {}
    for row in rows:
        latest[row[0]] = (row[12], ban_from_row(row))
    return list(latest.values())


# --- patent terms: when a patent stops conferring rights -------------------------------------------


def _term_keys(event: Event) -> Iterator[str]:
    if isinstance(event, PatentLapsed) or (isinstance(event, PatentRegistered) and event.expires is not None):
        yield event.patent


def _stored_term_keys(type_name: str, fields: Mapping[str, Any]) -> list[str]:
    """:func:`_term_keys` of a stored event, from its fields."""
    if type_name == "PatentLapsed" or (type_name == "PatentRegistered" and fields["expires"] is not None):
        return [fields["patent"]]
    return []


def fold_term(patent: str, live: list[Fact]) -> Iterator[tuple[Any, ...]]:
    """At most one row: from ``valid_from`` on, ``patent`` confers no rights (it expired or lapsed, the earliest)."""
    ends: list[tuple[date, str, int]] = []
    for position, event in live:
        if isinstance(event, PatentRegistered) and event.expires is not None:
            ends.append((event.expires.stop, f"expired on {event.expires}", position))  # in force through that day
        elif isinstance(event, PatentLapsed) and event.effective is not None:
            ends.append((event.effective.start, f"lapsed on {event.effective}" + (f": {event.reason}" if event.reason else ""),
                         position))
    if ends:
        day, reason, position = min(ends)
        yield (patent, day.isoformat(), None, reason, position)


PATENT_TERMS = KeyedView(
    name="patent_terms",
    version=1,
    table="patent_terms",
    columns={"patent": str, "valid_from": str, "valid_to": str, "reason": str, "position": int},
    types=("PatentRegistered", "PatentLapsed"),
    keys=_term_keys,
    fold=fold_term,
    stored_keys=_stored_term_keys,
)
