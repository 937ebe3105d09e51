"""Facts from the blocklist, watchlist and external lists (UIF, SAT 69-B, PEP).

The identifiers checked are those on the event (e-mail, IP, device, phone, RFC, CURP, CLABEs) and
those of its parties' profiles (RFC, CURP, e-mail, phone, payout CLABE, user id), all as of the
event's time; the context fetches the matching entries once per event. Explanations name the
list, the kind of identifier and the entry, never the value.
"""

from __future__ import annotations

from collections.abc import Sequence

from kustodia_domain.fraud.facts.catalog import FactFamily
from kustodia_domain.fraud.facts.context import FactContext
from kustodia_domain.fraud.facts.registry import LISTS, PROFILES, FamilyList
from kustodia_domain.fraud.lists import ListEntry, ListName
from kustodia_domain.fraud.names import name_tokens, similarity_permille
from kustodia_domain.fraud.screening import FactValue
from kustodia_domain.fraud.vocabulary import PARTY_ROLES

FAMILIES = FamilyList()
_SHOWN = 3


def entries_on(ctx: FactContext, name: ListName) -> Sequence[ListEntry]:
    """Prepared entries of list ``name`` matching the event, by id (partitioned once)."""
    partition = ctx.memo.get("lists")
    if not isinstance(partition, dict):
        partition = ctx.memo["lists"] = _partition(ctx.list_entries())
    found: Sequence[ListEntry] = partition.get(name, ())
    return found


def _partition(entries: tuple[ListEntry, ...]) -> dict[ListName, list[ListEntry]]:
    partition: dict[ListName, list[ListEntry]] = {}
    for entry in sorted(entries, key=lambda e: e.entry_id):
        partition.setdefault(entry.list_name, []).append(entry)
    return partition


# Module constants: reading an enum member through its class is an attribute lookup each time.
_BLOCKLIST, _WATCHLIST = ListName.BLOCKLIST, ListName.WATCHLIST
_UIF, _PEP = ListName.UIF_BLOCKED, ListName.PEP


def _describe(entries: Sequence[ListEntry]) -> str:
    if not entries:  # the common case
        return ""
    shown = [f"{e.kind} on {e.list_name} ({e.entry_id}: {e.reason})" for e in entries[:_SHOWN]]
    more = len(entries) - _SHOWN
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


@FAMILIES.fact(
    "event.blocklist_hits", "int", "Active blocklist entries matching the event.", needs=LISTS
)
def _block_hits(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    return len(entries_on(ctx, _BLOCKLIST))


@FAMILIES.fact("event.blocklist_match", "str", "Which blocklist entries matched.", needs=LISTS)
def _block_match(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    return _describe(entries_on(ctx, _BLOCKLIST))


@FAMILIES.fact(
    "event.watchlist_hits", "int", "Active watchlist entries matching the event.", needs=LISTS
)
def _watch_hits(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    return len(entries_on(ctx, _WATCHLIST))


@FAMILIES.fact("event.watchlist_match", "str", "Which watchlist entries matched.", needs=LISTS)
def _watch_match(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    return _describe(entries_on(ctx, _WATCHLIST))


@FAMILIES.fact(
    "parties.uif_id_hit", "bool", "An identifier is on the UIF blocked-persons list.", needs=LISTS
)
def _uif_id(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    return bool(entries_on(ctx, _UIF))


@FAMILIES.fact(
    "parties.pep_hit", "bool", "A party is a politically exposed person (PEP list).", needs=LISTS
)
def _pep(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    return bool(entries_on(ctx, _PEP))


@FAMILIES.fact(
    "parties.uif_name_similarity_permille",
    "int",
    "Best similarity (0-1000) of a party's KYC name to a UIF-listed name.",
    needs=PROFILES,
)
async def _uif_name(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    names: set[str] = set()
    tokens: set[str] = set()
    for role in PARTY_ROLES:
        profile = ctx.profile_of(role)
        name = None if profile is None else profile.kyc_name
        if name and name not in names:
            names.add(name)
            tokens.update(name_tokens(name))
    if not tokens:
        return 0
    best = 0
    for entry in await ctx.sources.lists.names_sharing_tokens(tokens, ctx.at):
        if entry.list_name is _UIF:
            for name in names:
                best = max(best, similarity_permille(name, entry.value))
    return best


def _sat_family(role: str) -> FactFamily:
    def provider(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
        if ctx.party(role) is None:
            return None
        mine = ctx.identifiers(role)
        listed = {e.list_name for e in ctx.list_entries() if (e.kind, e.value) in mine}
        if ListName.SAT_69B_DEFINITIVE in listed:
            return "definitive"
        return "presumed" if ListName.SAT_69B_PRESUMED in listed else "none"

    return FactFamily(
        name=f"{role}.sat69b_status",
        type="str",
        doc="SAT 69-B status of the party's RFC: none | presumed | definitive.",
        provider=provider,
        needs=LISTS,
    )


def list_families() -> tuple[FactFamily, ...]:
    """Every list fact."""
    return (*FAMILIES, *(_sat_family(role) for role in PARTY_ROLES))
