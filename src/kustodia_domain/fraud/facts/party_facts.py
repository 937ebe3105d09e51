"""Facts about a party from its profile as of the event (``payer.*``, ``payee.*``, ``actor.*``).

A party without a profile is treated as the riskiest new user: KYC ``none`` at level N1 and an
account age of zero, so rules about unverified or new accounts apply to it. Facts of a role the
event does not have (no ``payee_id``) are ``None``.
"""

from __future__ import annotations

from datetime import timedelta

from kustodia_domain.fraud.facts.catalog import ArgKind, FactFamily, FactType
from kustodia_domain.fraud.facts.context import FactContext
from kustodia_domain.fraud.facts.registry import PROFILES, RoleProvider, role_family
from kustodia_domain.fraud.profiles import KycStatus
from kustodia_domain.fraud.screening import FactValue
from kustodia_domain.fraud.vocabulary import PARTY_ROLES

_SECOND = timedelta(seconds=1)


def _status(role: str, ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    if ctx.party(role) is None:
        return None
    profile = ctx.profile_of(role)
    return str(profile.kyc_status if profile else KycStatus.NONE)


def _level(role: str, ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    if ctx.party(role) is None:
        return None
    profile = ctx.profile_of(role)
    return profile.kyc_level if profile else 1


def _cap(role: str, ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    level = _level(role, ctx, args)
    return None if not isinstance(level, int) else ctx.cap_minor(level)


def _age(role: str, ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    if ctx.party(role) is None:
        return None
    profile = ctx.profile_of(role)
    return 0 if profile is None else max(0, (ctx.at - profile.created_at) // _SECOND)


def _business(role: str, ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    profile = ctx.profile_of(role)
    return None if profile is None else profile.is_business


def _clabe_age(role: str, ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    profile = ctx.profile_of(role)
    if profile is None or profile.payout_clabe is None:
        return None
    changed = profile.payout_clabe_changed_at or profile.created_at
    return max(0, (ctx.at - changed) // _SECOND)


def _lost(role: str, ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    if ctx.party(role) is None:
        return None
    profile = ctx.profile_of(role)
    lost = profile.disputes_lost_at if profile else ()
    if not lost:  # most parties
        return 0
    since = ctx.start(args[0]) if args else None
    return sum(1 for at in lost if at < ctx.at and (since is None or at >= since))


def _families(role: str) -> tuple[FactFamily, ...]:
    table: tuple[tuple[str, FactType, str, RoleProvider, tuple[ArgKind, ...]], ...] = (
        ("kyc_status", "str", "none | pending | verified | rejected.", _status, ()),
        ("kyc_level", "int", "KYC level 1-4 (1 without a profile).", _level, ()),
        (
            "kyc_cap_minor",
            "int",
            "Monthly cap of the KYC level in centavos on the event date; None if uncapped (N4).",
            _cap,
            (),
        ),
        ("account_age_seconds", "int", "Seconds since the account was created.", _age, ()),
        ("is_business", "bool", "The party is a business (persona moral).", _business, ()),
        (
            "payout_clabe_age_seconds",
            "int",
            "Seconds since the payout CLABE was added or changed; None without one.",
            _clabe_age,
            (),
        ),
        ("lost_disputes", "int", "Disputes lost before the event, ever.", _lost, ()),
        ("disputes_lost", "int", "Disputes lost in the window.", _lost, ("duration",)),
    )
    return tuple(
        role_family(role, suffix, type_, doc, provider, *args, needs=PROFILES)
        for suffix, type_, doc, provider, args in table
    )


def party_families() -> tuple[FactFamily, ...]:
    """Profile facts for every party role."""
    return tuple(family for role in PARTY_ROLES for family in _families(role))
