"""Point-in-time history features of a party: velocity, sums, medians, distinct counterparts.

Windows are ``[t - window, t)`` where ``t`` is the event's time. Features described as
"incl. this" add the event being screened when it is of the counted kind; the others describe
only the past, which is what a "prior escrows" or "median of past amounts" comparison needs.
"""

from __future__ import annotations

from datetime import timedelta

from kustodia_domain.fraud.facts.catalog import ArgKind, FactFamily, Need
from kustodia_domain.fraud.facts.context import FactContext, amount_of, total_minor
from kustodia_domain.fraud.facts.registry import NONE, PROFILES, RoleProvider, role_family
from kustodia_domain.fraud.lists import ListKind, normalize_identifier
from kustodia_domain.fraud.screening import FactValue
from kustodia_domain.fraud.vocabulary import PARTY_ROLES, text_attribute

FUND = frozenset({"escrow.fund"})
CREATE = frozenset({"escrow.create"})
RELEASE = frozenset({"release"})
PAYOUT = frozenset({"payout"})
DISPUTE = frozenset({"dispute.opened"})
IDENTITY = frozenset({"account.created", "kyc.updated"})
BPS = 10_000
SECOND = timedelta(seconds=1)


def median(values: list[int]) -> int | None:
    """The median of ``values`` (mean of the middle two, rounded down); ``None`` if empty."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) // 2


async def _fund_count(role: str, ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    user = ctx.party(role)
    return None if user is None else len(await ctx.window(("payer", user), args[0], FUND))


async def _funded_escrows(role: str, ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    user = ctx.party(role)
    if user is None:
        return None
    escrows = {e.escrow_id or e.event_id for e in await ctx.window(("payer", user), args[0], FUND)}
    if ctx.is_current("escrow.fund", "payer", user):
        escrows.add(ctx.event.escrow_id or ctx.event.event_id)
    return len(escrows)


async def _funded_minor(role: str, ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    user = ctx.party(role)
    if user is None:
        return None
    total = total_minor(await ctx.window(("payer", user), args[0], FUND))
    return total + (amount_of(ctx.event) if ctx.is_current("escrow.fund", "payer", user) else 0)


async def _month_inflow(role: str, ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    user = ctx.party(role)
    if user is None:
        return None
    start = ctx.month_start()
    funds = await ctx.since(("payer", user), start, FUND)
    payouts = await ctx.since(("payee", user), start, PAYOUT)
    return total_minor(funds) + total_minor(payouts)


def _disjoint(bands: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Disjoint ``(low, high)`` intervals covering exactly the amounts ``bands`` cover.

    With disjoint bands an amount falls in at most one, so counting (amount, band) matches
    counts amounts, in one pass.
    """
    merged: list[tuple[int, int]] = []
    for low, high in sorted(bands):
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


async def _near_cap(role: str, ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    user = ctx.party(role)
    if user is None:
        return None
    profile = ctx.profile_of(role)
    level_cap = ctx.cap_minor(profile.kyc_level if profile else 1)
    caps = [c for c in (level_cap, *ctx.settings.reporting_thresholds_minor) if c]
    bands = _disjoint([(cap * args[1] // BPS, cap) for cap in caps])
    amounts = [amount_of(e) for e in await ctx.window(("payer", user), args[0], FUND)]
    if ctx.is_current("escrow.fund", "payer", user):
        amounts.append(amount_of(ctx.event))
    return sum(1 for a in amounts for low, high in bands if low <= a <= high)


async def _as_payer(role: str, ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    user = ctx.party(role)
    return None if user is None else len(await ctx.window(("payer", user), args[0], CREATE))


async def _as_payee(role: str, ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    user = ctx.party(role)
    return None if user is None else len(await ctx.window(("payee", user), args[0], CREATE))


async def _median(role: str, ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    user = ctx.party(role)
    if user is None:
        return None
    return median([amount_of(e) for e in await ctx.window(("payer", user), args[0], CREATE)])


async def _release_payers(role: str, ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    user = ctx.party(role)
    if user is None:
        return None
    payers = {
        e.attributes.get("payer_id") for e in await ctx.window(("payee", user), args[0], RELEASE)
    }
    if ctx.is_current("release", "payee", user):
        payers.add(ctx.party("payer"))
    return len(payers - {None})


async def _disputes(role: str, ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    user = ctx.party(role)
    if user is None:
        return None
    count = len(await ctx.window(("actor", user), args[0], DISPUTE))
    return count + (1 if ctx.is_current("dispute.opened", "actor", user) else 0)


def _identity_keys(ctx: FactContext, role: str) -> set[tuple[str, str]]:
    keys: set[tuple[str, str]] = set()
    profile = ctx.profile_of(role)
    for name, kind in (("rfc", ListKind.RFC), ("curp", ListKind.CURP)):
        values = [getattr(profile, name, None)]
        if role == "actor":
            values.append(text_attribute(ctx.event, name))
        keys.update((name, normalize_identifier(kind, v)) for v in values if v)
    return keys


async def _shared(role: str, ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    user = ctx.party(role)
    if user is None:
        return None
    others: set[str] = set()
    for key in _identity_keys(ctx, role):
        events = await ctx.since(key, None, IDENTITY)
        others.update(e.actor_id for e in events if e.actor_id and e.actor_id != user)
    return len(others)


_W: tuple[ArgKind, ...] = ("duration",)
_TABLE: tuple[tuple[str, str, RoleProvider, tuple[ArgKind, ...], frozenset[Need]], ...] = (
    ("fund_count", "Fundings by the party as payer before this.", _fund_count, _W, NONE),
    ("funded_escrows", "Distinct escrows funded, incl. this.", _funded_escrows, _W, NONE),
    ("funded_minor", "Centavos funded, incl. this.", _funded_minor, _W, NONE),
    (
        "month_inflow_minor",
        "Centavos funded as payer or paid out as payee this local calendar month, before this.",
        _month_inflow,
        (),
        NONE,
    ),
    (
        "near_cap_count",
        "Fundings incl. this between [int] bps of the level cap (or of a "
        "reporting threshold) and the cap.",
        _near_cap,
        ("duration", "int"),
        PROFILES,
    ),
    ("escrows_as_payer", "Escrows created as payer before this.", _as_payer, _W, NONE),
    ("escrows_as_payee", "Escrows created as payee before this.", _as_payee, _W, NONE),
    (
        "escrow_median_minor",
        "Median amount of escrows created as payer before this; None if none.",
        _median,
        _W,
        NONE,
    ),
    (
        "release_payers",
        "Distinct payers releasing to the party, incl. this.",
        _release_payers,
        _W,
        NONE,
    ),
    ("disputes_opened", "Disputes opened by the party, incl. this.", _disputes, _W, NONE),
    (
        "identity_shared_accounts",
        "Other accounts whose sign-up or KYC update carried the party's RFC or CURP.",
        _shared,
        (),
        PROFILES,
    ),
)


def velocity_families() -> tuple[FactFamily, ...]:
    """History features for every party role."""
    return tuple(
        role_family(role, suffix, "int", doc, provider, *args, needs=needs)
        for role in PARTY_ROLES
        for suffix, doc, provider, args, needs in _TABLE
    )
