"""Facts about the payer-payee pair: shared identity, shared devices, cycles, quick releases."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from kustodia_domain.fraud.facts.catalog import FactFamily
from kustodia_domain.fraud.facts.context import FactContext, amount_of
from kustodia_domain.fraud.facts.escrow_facts import first_funding_of
from kustodia_domain.fraud.facts.registry import PROFILES, FamilyList
from kustodia_domain.fraud.facts.velocity_facts import BPS, DISPUTE, FUND, RELEASE, SECOND
from kustodia_domain.fraud.history import pair_value
from kustodia_domain.fraud.lists import ListKind
from kustodia_domain.fraud.screening import FactValue, RiskEvent
from kustodia_domain.fraud.vocabulary import PARTY_ROLES, text_attribute

FAMILIES = FamilyList()
_TWO_HOPS, _THREE_HOPS = 2, 3


def _pair(ctx: FactContext) -> str | None:
    payer, payee = ctx.party("payer"), ctx.party("payee")
    return None if payer is None or payee is None else pair_value(payer, payee)


@FAMILIES.fact(
    "pair.shared_identifiers",
    "int",
    "Identifier kinds (RFC, CURP, e-mail, phone, CLABE) payer and payee share; "
    "a payer paying itself counts too.",
    needs=PROFILES,
)
def _shared_ids(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    payer, payee = ctx.party("payer"), ctx.party("payee")
    if payer is None or payee is None:
        return None
    if payer == payee:
        return 1
    mine, theirs = ctx.profile_of("payer"), ctx.profile_of("payee")
    if mine is None or theirs is None:
        return 0
    return len({kind for kind, _ in mine.identifiers & theirs.identifiers} - {ListKind.USER})


def _current(ctx: FactContext, user: str, attribute: str) -> str | None:
    """The ``attribute`` value ``user`` uses on the event, if ``user`` is its actor."""
    current = ctx.event.attributes.get(attribute) if ctx.event.actor_id == user else None
    return current if isinstance(current, str) and current else None


def _in_window(
    value: str, used: Mapping[str, tuple[datetime, datetime]], current: str | None, since: datetime
) -> bool:
    """Whether ``value`` was used since ``since``: on the event, or last used in the window."""
    return value == current or (value in used and used[value][1] >= since)


def _shared_family(attribute: str) -> FactFamily:
    async def provider(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
        payer, payee = ctx.party("payer"), ctx.party("payee")
        if payer is None or payee is None or payer == payee:
            return None
        mine = await ctx.used(("actor", payer), attribute)
        theirs = await ctx.used(("actor", payee), attribute)
        my_current, their_current = _current(ctx, payer, attribute), _current(ctx, payee, attribute)
        # A value both used in the window is one both ever used: intersect every value first
        # (usually nothing is left), then check the window for what is.
        candidates = mine.keys() & theirs.keys()
        if my_current is not None and (my_current in theirs or my_current == their_current):
            candidates.add(my_current)
        if their_current is not None and their_current in mine:
            candidates.add(their_current)
        if not candidates:
            return 0
        since = ctx.start(args[0])
        return sum(
            1
            for value in candidates
            if _in_window(value, mine, my_current, since)
            and _in_window(value, theirs, their_current, since)
        )

    return FactFamily(
        name=f"pair.shared_{attribute}s",
        type="int",
        args=("duration",),
        doc=f"Distinct {attribute}s both payer and payee used in the window.",
        provider=provider,
    )


async def _quick(ctx: FactContext, releases: Sequence[RiskEvent], max_delay: int) -> int:
    """How many ``releases`` came less than ``max_delay`` seconds after their escrow's funding."""
    count = 0
    for release in releases:
        if release.escrow_id is None:
            continue
        fundings = await ctx.since(("escrow", release.escrow_id), None, FUND)
        funded = first_funding_of(fundings, release.occurred_at)
        if funded is not None and (release.occurred_at - funded) // SECOND < max_delay:
            count += 1
    return count


@FAMILIES.fact(
    "pair.quick_releases",
    "int",
    "Releases payer->payee in the window, incl. this, made less than [duration] after "
    "the escrow's first deposit.",
    "duration",
    "duration",
)
async def _pair_quick(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    pair = _pair(ctx)
    if pair is None:
        return None
    releases = list(await ctx.window(("pair", pair), args[0], RELEASE))
    if ctx.event.kind == "release":
        releases.append(ctx.event)
    return await _quick(ctx, releases, args[1])


@FAMILIES.fact("pair.disputes", "int", "Disputes between payer and payee, incl. this.", "duration")
async def _pair_disputes(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    pair = _pair(ctx)
    if pair is None:
        return None
    count = len(await ctx.window(("pair", pair), args[0], DISPUTE))
    return count + (1 if ctx.event.kind == "dispute.opened" else 0)


def _close(amount: int, reference: int, tolerance_bps: int) -> bool:
    return abs(amount - reference) * BPS <= tolerance_bps * reference


@FAMILIES.fact(
    "pair.cycle_length",
    "int",
    "2 or 3 if releases close a cycle back to the payer (A->B->A, A->B->C->A) in the "
    "window with amounts within [bps] of this one; 0 otherwise.",
    "duration",
    "int",
)
async def _cycle(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    payer, payee = ctx.party("payer"), ctx.party("payee")
    amount = amount_of(ctx.event)
    if payer is None or payee is None or amount <= 0:
        return None
    seconds, tolerance = args
    onward = [
        e
        for e in await ctx.window(("payer", payee), seconds, RELEASE)
        if _close(amount_of(e), amount, tolerance)
    ]
    if any(e.attributes.get("payee_id") == payer for e in onward):
        return _TWO_HOPS
    for hop in {text_attribute(e, "payee_id") for e in onward} - {None, payee}:
        back = await ctx.window(("payer", str(hop)), seconds, RELEASE)
        if any(
            e.attributes.get("payee_id") == payer and _close(amount_of(e), amount, tolerance)
            for e in back
        ):
            return _THREE_HOPS
    return 0


def _received_family(role: str) -> FactFamily:
    async def provider(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
        user = ctx.party(role)
        if user is None:
            return None
        return await _quick(ctx, await ctx.window(("payee", user), args[0], RELEASE), args[1])

    return FactFamily(
        name=f"{role}.quick_releases_received",
        type="int",
        args=("duration", "duration"),
        provider=provider,
        doc="Releases received in the window, before this event, made less than "
        "[duration] after the escrow's first deposit (pass-through).",
    )


def pair_families() -> tuple[FactFamily, ...]:
    """Pair facts and the pass-through facts of every role."""
    shared = (_shared_family("device"), _shared_family("ip"))
    return (*FAMILIES, *shared, *(_received_family(role) for role in PARTY_ROLES))
