"""Facts read from the event itself (and the payer's profile for the sender name)."""

from __future__ import annotations

from functools import lru_cache

from kustodia_domain.fraud.facts.context import FactContext
from kustodia_domain.fraud.facts.registry import PROFILES, FamilyList
from kustodia_domain.fraud.names import similarity_permille
from kustodia_domain.fraud.screening import FactValue
from kustodia_domain.fraud.vocabulary import (
    CLABE_ATTRIBUTES,
    mxn_minor,
    payout_clabe,
    text_attribute,
)
from kustodia_domain.shared.clabe import KNOWN_BANK_CODES, check_digit

FAMILIES = FamilyList()
_CLABE_LENGTH = 18
_BANK_CODE_LENGTH = 3


@lru_cache(maxsize=65_536)
def clabe_is_valid(value: str) -> bool:
    """Whether ``value`` is 18 digits with a known bank code and the right check digit.

    Cached: the same payout and funding CLABEs come back with every event of a party.
    """
    return (
        len(value) == _CLABE_LENGTH
        and value.isdigit()
        and value[:_BANK_CODE_LENGTH] in KNOWN_BANK_CODES
        and check_digit(value[:17]) == int(value[17])
    )


@FAMILIES.fact("event.kind", "str", "The event kind (``escrow.fund``, ``release`` ...).")
def _kind(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    return ctx.event.kind


@FAMILIES.fact("event.amount_minor", "int", "The amount in MXN centavos; None without amount.")
def _amount(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    return mxn_minor(ctx.event.amount)


@FAMILIES.fact("event.local_hour", "int", "Hour of day (0-23) in the ruleset's time zone.")
def _local_hour(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    return ctx.local().hour


@FAMILIES.fact("event.escrow_kind", "str", "The ``escrow_kind`` attribute, if any.")
def _escrow_kind(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    return text_attribute(ctx.event, "escrow_kind")


@FAMILIES.fact(
    "event.actor_role", "str", "``payer``, ``payee``, ``scheduler`` (no actor) or ``other``."
)
def _actor_role(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    actor = ctx.event.actor_id
    if actor is None:
        return "scheduler"
    for role in ("payer", "payee"):
        if actor == ctx.party(role):
            return role
    return "other"


@FAMILIES.fact("event.has_invoice", "bool", "The ``has_invoice`` attribute is true.")
def _has_invoice(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    return ctx.event.attributes.get("has_invoice") is True


@FAMILIES.fact(
    "event.invalid_clabe_count", "int", "CLABE attributes that are malformed or fail the check."
)
def _invalid_clabes(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    values = (ctx.event.attributes.get(name) for name in CLABE_ATTRIBUTES)
    return sum(
        1 for v in values if v is not None and not (isinstance(v, str) and clabe_is_valid(v))
    )


@FAMILIES.fact("event.destination_bank", "str", "Bank code of the payout/destination CLABE.")
def _destination_bank(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    clabe = payout_clabe(ctx.event)
    return clabe[:_BANK_CODE_LENGTH] if clabe and len(clabe) >= _BANK_CODE_LENGTH else None


@FAMILIES.fact(
    "event.source_clabe_registered",
    "bool",
    "The funding CLABE is one the payer registered; None without ``source_clabe``.",
    needs=PROFILES,
)
def _source_registered(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    source = text_attribute(ctx.event, "source_clabe")
    if source is None:
        return None
    profile = ctx.profile_of("payer")
    if profile is None:
        return False
    return source in profile.registered_clabes or source == profile.payout_clabe


@FAMILIES.fact(
    "event.sender_name_similarity_permille",
    "int",
    "Similarity (0-1000) of ``sender_name`` to the payer's KYC name; None if either is missing.",
    needs=PROFILES,
)
def _sender_similarity(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    sender = text_attribute(ctx.event, "sender_name")
    if sender is None:
        return None
    profile = ctx.profile_of("payer")
    if profile is None or not profile.kyc_name:
        return None
    return similarity_permille(sender, profile.kyc_name)


@FAMILIES.fact("override.of_outcome", "str", "The outcome the override would lift.")
def _override_of(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    value = text_attribute(ctx.event, "override_of_outcome")
    return value.lower() if value else None


@FAMILIES.fact("override.justification_length", "int", "Characters of the justification, trimmed.")
def _justification(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    value = text_attribute(ctx.event, "justification")
    return len(value.strip()) if value else 0


@FAMILIES.fact(
    "override.second_approver_ok", "bool", "An ``approver_id`` is given and is not the actor."
)
def _second_approver(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    approver = text_attribute(ctx.event, "approver_id")
    return approver is not None and approver != ctx.event.actor_id


@FAMILIES.fact("limits.n1_cap_minor", "int", "The N1 monthly cap in centavos on the event date.")
def _n1_cap(ctx: FactContext, args: tuple[int, ...]) -> FactValue:
    return ctx.cap_minor(1)
