"""The words a ruleset may use: event kinds, severities, actions, and how events name parties.

Rulesets are checked against these sets when they are loaded, so a typo (``escrow.funded`` for
``escrow.fund``, ``watchlist_clab``) is a load error instead of a rule that never fires.
"""

from __future__ import annotations

from kustodia_domain.fraud.screening import FactValue, RiskEvent
from kustodia_domain.shared.money import MXN, Money

EVENT_KINDS: frozenset[str] = frozenset(
    {
        "account.created",
        "kyc.updated",
        "payout_account.changed",
        "escrow.create",
        "escrow.fund",
        "release",
        "payout",
        "refund",
        "dispute.opened",
        "dispute.evidence_uploaded",
        "payout.returned",
        "override.requested",
    }
)
"""Event kinds the use cases send (``RiskEvent.kind``)."""

ANY_KIND = "*"
"""In a rule's ``events``: every kind."""

SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")

ACTIONS: frozenset[str] = frozenset(
    {
        "step_up",  # re-authenticate the actor before the operation may continue
        "kyc_upgrade",  # ask the party to move to a higher KYC level
        "watchlist_parties",  # add the event's parties to the watchlist
        "watchlist_clabe",  # add the event's CLABE to the watchlist
        "blocklist_clabe",  # stop payouts to the event's CLABE
        "freeze_open_escrows",  # hold every open escrow of the parties
        "compliance_report",  # file a report with the compliance officer (UIF)
        "pause_payouts",  # pause the payee's payouts until the alert is cleared
        "extend_release_window",  # push the automatic release back
        "review_related_accounts",  # open alerts for the accounts sharing the identity
        "enhanced_due_diligence",  # request enhanced due diligence documents
        "refund_to_source_only",  # a refund may only go back to the funding CLABE
        "business_hours_review",  # keep the hold until an analyst reviews it in business hours
    }
)
"""Follow-up actions a rule may ask for; the use cases apply them."""

PARTY_ROLES: tuple[str, ...] = ("payer", "payee", "actor")

CLABE_ATTRIBUTES: tuple[str, ...] = ("source_clabe", "destination_clabe", "payout_clabe")
PAYOUT_CLABE_ATTRIBUTES: tuple[str, ...] = ("payout_clabe", "destination_clabe")

_MXN_EXPONENT = 2
_PESO_CURRENCIES = frozenset({"MXN", "MXNB"})  # MXNB is redeemable 1:1 for MXN


def text_attribute(event: RiskEvent, name: str) -> str | None:
    """The attribute ``name`` if it is a non-empty string, else ``None``."""
    value: FactValue = event.attributes.get(name)
    return value if isinstance(value, str) and value else None


def party_id(event: RiskEvent, role: str) -> str | None:
    """The user id playing ``role`` (``payer``, ``payee`` or ``actor``) in ``event``."""
    if role == "actor":
        return event.actor_id
    return text_attribute(event, f"{role}_id")


def payout_clabe(event: RiskEvent) -> str | None:
    """The CLABE the event pays to or registers for payouts, if any."""
    for name in PAYOUT_CLABE_ATTRIBUTES:
        value = text_attribute(event, name)
        if value is not None:
            return value
    return None


def mxn_minor(amount: Money | None) -> int | None:
    """``amount`` in MXN centavos (MXNB rounded down to the centavo); ``None`` otherwise."""
    if amount is None:
        return None
    if amount.currency is MXN:  # nearly every amount: already centavos
        return amount.amount_minor
    if amount.currency.code not in _PESO_CURRENCIES:
        return None
    shift = amount.currency.exponent - _MXN_EXPONENT
    factor = int(10 ** abs(shift))
    return amount.amount_minor // factor if shift >= 0 else amount.amount_minor * factor
