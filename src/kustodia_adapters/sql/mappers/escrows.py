"""``escrows`` rows <-> :class:`~kustodia_domain.escrow.model.Escrow`."""

from __future__ import annotations

from typing import Any, Final

import attrs

from kustodia_adapters.sql.mappers import CONVERTER, Row
from kustodia_domain.escrow.base import Milestone
from kustodia_domain.escrow.deposits import Deposit
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.payouts import Payout
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.escrow.terms import (
    Commission,
    CreatorRole,
    EscrowKind,
    EscrowTerms,
    MilestoneSpec,
)
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.ids import UserId
from kustodia_domain.shared.money import Currency, Money


@attrs.frozen(kw_only=True)
class EscrowParts:
    """The nested parts of an escrow, stored as its JSON ``document``."""

    commissions: tuple[Commission, ...]
    milestone_specs: tuple[MilestoneSpec, ...]
    milestones: list[Milestone]
    deposits: list[Deposit]
    payouts: list[Payout]
    payee_side_paid: dict[UserId, Money]
    review_reasons: list[str]
    hold_by_risk: bool = False  # absent from documents stored before risk holds were marked


def escrow_values(escrow: Escrow, *, version: int) -> dict[str, Any]:
    """The ``escrows`` row of ``escrow`` stored at ``version``.

    Raises:
        ValueError: an amount is not in the escrow's currency (one currency column holds all).
    """
    terms = escrow.terms
    currency = terms.amount.currency
    amounts = (escrow.fee, escrow.custody_balance, escrow.yield_accrued)
    if any(amount.currency != currency for amount in amounts):
        raise ValueError(f"escrow {escrow.id} mixes currencies")
    parts = EscrowParts(
        commissions=terms.commissions,
        milestone_specs=terms.milestones,
        milestones=escrow.milestones,
        deposits=escrow.deposits,
        payouts=escrow.payouts,
        payee_side_paid=escrow.payee_side_paid,
        review_reasons=escrow.review_reasons,
        hold_by_risk=escrow.hold_by_risk,
    )
    return {
        **{name: getattr(escrow, name) for name in _ESCROW_SCALARS},
        "kind": escrow.kind.value,
        "created_by": escrow.created_by.value,
        "state": escrow.state.value,
        "currency": currency.code,
        "amount_minor": terms.amount.amount_minor,
        "fee_minor": escrow.fee.amount_minor,
        "custody_balance_minor": escrow.custody_balance.amount_minor,
        "yield_accrued_minor": escrow.yield_accrued.amount_minor,
        "custody_percent": terms.custody_percent,
        "custody_days": terms.custody_days,
        "description": terms.description,
        "release_conditions": terms.release_conditions,
        "deposit_clabe": escrow.deposit_clabe.value,
        "version": version,
        "document": CONVERTER.unstructure(parts),
    }


_ESCROW_SCALARS: Final = [
    "id",
    "payer_id",
    "payee_id",
    "reference",
    "created_at",
    "updated_at",
    "funding_deadline",
    "funded_at",
    "custody_ends_at",
    "settled_at",
    "last_reminded_at",
    "payer_approved",
    "payee_approved",
    "needs_review",
    "dispute_id",
    "hold_reason",
    "yield_carry",
    "yield_accrued_through",
    "event_sequence",
]
"""Fields stored as they are, under their own name."""


def escrow_from_row(row: Row) -> Escrow:
    """The escrow stored in ``row``."""
    parts = CONVERTER.structure(row["document"], EscrowParts)
    currency = Currency.of(row["currency"])
    terms = EscrowTerms(
        amount=Money(row["amount_minor"], currency),
        custody_percent=row["custody_percent"],
        custody_days=row["custody_days"],
        description=row["description"],
        release_conditions=row["release_conditions"],
        commissions=parts.commissions,
        milestones=parts.milestone_specs,
    )
    scalars = {name: row[name] for name in _ESCROW_SCALARS}
    return Escrow(
        **scalars,
        kind=EscrowKind(row["kind"]),
        created_by=CreatorRole(row["created_by"]),
        state=EscrowState(row["state"]),
        terms=terms,
        fee=Money(row["fee_minor"], currency),
        custody_balance=Money(row["custody_balance_minor"], currency),
        yield_accrued=Money(row["yield_accrued_minor"], currency),
        deposit_clabe=Clabe(row["deposit_clabe"]),
        milestones=parts.milestones,
        deposits=parts.deposits,
        payouts=parts.payouts,
        payee_side_paid=parts.payee_side_paid,
        review_reasons=parts.review_reasons,
        hold_by_risk=parts.hold_by_risk,
        version=row["version"],
    )
