"""History features of shared identifiers: devices, IPs, payout CLABEs and evidence files."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from kustodia_domain.fraud.facts.context import FactContext
from kustodia_domain.fraud.facts.registry import FamilyList
from kustodia_domain.fraud.facts.velocity_facts import SECOND
from kustodia_domain.fraud.lists import ListKind, normalize_identifier
from kustodia_domain.fraud.screening import FactValue, RiskEvent
from kustodia_domain.fraud.vocabulary import payout_clabe, text_attribute

FAMILIES = FamilyList()
SIGN_UP = frozenset({"account.created"})
CLABE_USE = frozenset({"payout_account.changed", "payout"})
RETURNED = frozenset({"payout.returned"})
EVIDENCE = frozenset({"dispute.evidence_uploaded"})


async def _accounts_on(
    ctx: FactContext, dimension: str, kind: ListKind, seconds: int
) -> int | None:
    value = text_attribute(ctx.event, dimension)
    if value is None:
        return None
    events = await ctx.window((dimension, normalize_identifier(kind, value)), seconds, SIGN_UP)
    accounts = {e.actor_id for e in events}
    if ctx.event.kind == "account.created":
        accounts.add(ctx.event.actor_id)
    return len(accounts - {None})


@FAMILIES.fact(
    "device.accounts",
    "int",
    "Accounts created from the event's device, incl. this sign-up.",
    "duration",
)
async def _device_accounts(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    return await _accounts_on(ctx, "device", ListKind.DEVICE, args[0])


@FAMILIES.fact(
    "ip.accounts", "int", "Accounts created from the event's IP, incl. this sign-up.", "duration"
)
async def _ip_accounts(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    return await _accounts_on(ctx, "ip", ListKind.IP, args[0])


def _clabe_user(event: RiskEvent) -> str | None:
    if event.kind == "payout":
        value = event.attributes.get("payee_id")
        return value if isinstance(value, str) else None
    return event.actor_id


@FAMILIES.fact(
    "clabe.distinct_users",
    "int",
    "Users who registered or were paid to the event's payout CLABE, incl. this one.",
    "duration",
)
async def _clabe_users(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    clabe = payout_clabe(ctx.event)
    if clabe is None:
        return None
    events = await ctx.window(("clabe", clabe), args[0], CLABE_USE)
    users = {_clabe_user(e) for e in events}
    if ctx.event.kind in CLABE_USE:
        users.add(_clabe_user(ctx.event))
    return len(users - {None})


@FAMILIES.fact(
    "clabe.returns",
    "int",
    "Payouts to the event's CLABE returned by the bank, incl. this return.",
    "duration",
)
async def _clabe_returns(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    clabe = payout_clabe(ctx.event)
    if clabe is None:
        return None
    count = len(await ctx.window(("clabe", clabe), args[0], RETURNED))
    return count + (1 if ctx.event.kind == "payout.returned" else 0)


@FAMILIES.fact(
    "evidence.other_escrows", "int", "Other escrows whose dispute evidence had the same SHA-256."
)
async def _evidence(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    digest = text_attribute(ctx.event, "evidence_sha256")
    if digest is None:
        return None
    events = await ctx.since(("evidence", digest.lower()), None, EVIDENCE)
    return len({e.escrow_id for e in events} - {None, ctx.event.escrow_id})


async def _devices(ctx: FactContext) -> Mapping[str, tuple[datetime, datetime]]:
    """Every device the actor used before the event, with its first and last use."""
    actor = ctx.event.actor_id
    return {} if actor is None else await ctx.used(("actor", actor), "device")


@FAMILIES.fact(
    "actor.device_age_seconds",
    "int",
    "Seconds since the actor first used the event's device (0 if never before).",
)
async def _device_age(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    device = text_attribute(ctx.event, "device")
    if device is None or ctx.event.actor_id is None:
        return None
    used = (await _devices(ctx)).get(device)
    return 0 if used is None else (ctx.at - used[0]) // SECOND


@FAMILIES.fact(
    "actor.other_devices",
    "int",
    "Distinct devices the actor used before, other than the event's device.",
)
async def _other_devices(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    if ctx.event.actor_id is None:
        return None
    devices = await _devices(ctx)
    return len(devices) - (text_attribute(ctx.event, "device") in devices)
