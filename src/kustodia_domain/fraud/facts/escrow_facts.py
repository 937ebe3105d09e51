"""Facts about the event's escrow, reconstructed from the screened history as of the event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from kustodia_domain.fraud.facts.context import FactContext, amount_of, total_minor
from kustodia_domain.fraud.facts.registry import FamilyList
from kustodia_domain.fraud.facts.velocity_facts import CREATE, FUND, SECOND
from kustodia_domain.fraud.screening import FactValue, RiskEvent
from kustodia_domain.fraud.vocabulary import text_attribute

FAMILIES = FamilyList()


async def escrow_fundings(ctx: FactContext, escrow_id: str | None) -> Sequence[RiskEvent]:
    """Fundings of ``escrow_id`` before the event, oldest first."""
    if escrow_id is None:
        return ()
    return await ctx.since(("escrow", escrow_id), None, FUND)


def first_funding_of(fundings: Sequence[RiskEvent], before: datetime) -> datetime | None:
    """When the first of an escrow's ``fundings`` happened, if that was before ``before``."""
    if not fundings or fundings[0].occurred_at >= before:
        return None
    return fundings[0].occurred_at


async def first_funding(
    ctx: FactContext, escrow_id: str | None, before: datetime
) -> datetime | None:
    """When ``escrow_id`` was first funded, if that was before ``before``."""
    if escrow_id is None:
        return None
    return first_funding_of(await ctx.since(("escrow", escrow_id), None, FUND), before)


async def _own_fundings(ctx: FactContext) -> tuple[RiskEvent, ...]:
    """The escrow's fundings before the event, plus the event if it is one (kept per event)."""
    found = ctx.memo.get("escrow.fundings")
    if isinstance(found, tuple):
        return found
    fundings: tuple[RiskEvent, ...] = ()
    if ctx.event.escrow_id is not None:
        fundings = (*await ctx.since(("escrow", ctx.event.escrow_id), None, FUND),)
    if ctx.event.kind == "escrow.fund":
        fundings = (*fundings, ctx.event)
    ctx.memo["escrow.fundings"] = fundings
    return fundings


@FAMILIES.fact("escrow.amount_minor", "int", "The escrow's amount when it was created.")
async def _amount(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    if ctx.event.kind == "escrow.create":
        return amount_of(ctx.event)
    if ctx.event.escrow_id is None:
        return None
    created = await ctx.since(("escrow", ctx.event.escrow_id), None, CREATE)
    return amount_of(created[-1]) if created else None


@FAMILIES.fact("escrow.funded_minor", "int", "Centavos deposited into the escrow, incl. this.")
async def _funded(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    if ctx.event.escrow_id is None:
        return None
    return total_minor(await _own_fundings(ctx))


@FAMILIES.fact(
    "escrow.overfunded_minor",
    "int",
    "Deposits (incl. this) minus the escrow amount; None if the amount is unknown.",
)
async def _overfunded(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    amount = await _amount(ctx, ())
    if not isinstance(amount, int) or ctx.event.escrow_id is None:
        return None
    return total_minor(await _own_fundings(ctx)) - amount


@FAMILIES.fact(
    "escrow.distinct_source_clabes",
    "int",
    "Distinct CLABEs that funded the escrow, incl. this deposit.",
)
async def _sources(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    if ctx.event.escrow_id is None:
        return None
    sources = {text_attribute(e, "source_clabe") for e in await _own_fundings(ctx)}
    return len(sources - {None})


@FAMILIES.fact(
    "escrow.seconds_since_funded",
    "int",
    "Seconds since the escrow's first deposit; None if not funded before.",
)
async def _since_funded(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    first = await first_funding(ctx, ctx.event.escrow_id, ctx.at)
    return None if first is None else (ctx.at - first) // SECOND


@FAMILIES.fact(
    "escrow.refund_to_unknown_clabe",
    "bool",
    "A refund's destination CLABE did not fund the escrow; None if not a refund.",
)
async def _refund_destination(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    destination = text_attribute(ctx.event, "destination_clabe")
    if ctx.event.kind != "refund" or destination is None:
        return None
    sources = {
        text_attribute(e, "source_clabe") for e in await escrow_fundings(ctx, ctx.event.escrow_id)
    }
    return destination not in sources
