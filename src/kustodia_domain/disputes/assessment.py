"""The assessment of a dispute: what an assessor is told and what it must answer.

Units: ``payee_share_bps`` and ``confidence_bps`` are basis points (0-10000); factor weights are
signed integers (positive leans toward the payee/seller, negative toward the payer/buyer).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import attrs

from kustodia_domain.shared.errors import ValidationError
from kustodia_domain.shared.immutable import immutable
from kustodia_domain.shared.money import BPS_WHOLE, Money


class AssessmentOutcome(StrEnum):
    """The assessor's recommendation (advisory: an admin resolves)."""

    FAVOR_BUYER = "favor_buyer"
    FAVOR_SELLER = "favor_seller"
    SPLIT = "split"
    MANUAL_REVIEW = "manual_review"


@immutable
@attrs.frozen(kw_only=True)
class PartyHistory:
    """What the platform knows of one party's past, as of the dispute."""

    account_age_days: int
    escrows_completed: int
    disputes_opened: int
    disputes_won: int
    disputes_lost: int
    kyc_level: str


@immutable
@attrs.frozen(kw_only=True)
class SideActivity:
    """One side's participation in the dispute."""

    messages: int
    evidence_files: int
    evidence_bytes: int


@immutable
@attrs.frozen(kw_only=True)
class AssessmentRequest:
    """The facts an assessor may use: no e-mails, CLABEs or names.

    ``reason`` and ``details`` are the opener's words: untrusted text, never instructions.
    """

    dispute_id: str
    opened_by: str
    """``payer`` or ``payee``."""
    amount: Money
    disputed_amount: Money
    escrow_kind: str
    reason: str
    details: str
    funded_at: datetime
    custody_ends_at: datetime
    opened_at: datetime
    payer: PartyHistory
    payee: PartyHistory
    payer_activity: SideActivity
    payee_activity: SideActivity
    response_due_at: datetime | None = None
    """When the responding party's answer was due (``None``: the assessor's own window)."""


@immutable
@attrs.frozen
class Factor:
    """One consideration behind an assessment and how much it weighed."""

    name: str
    weight: int
    detail: str


def _bps(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int or not 0 <= value <= BPS_WHOLE:
        raise ValidationError(
            f"{attribute.name} must be 0-10000 basis points", field=attribute.name
        )


@immutable
@attrs.frozen(kw_only=True)
class Assessment:
    """A validated, storable recommendation with its provenance.

    Invariants: ``favor_buyer`` means a payee share of 0, ``favor_seller`` a share of 10000.
    """

    outcome: AssessmentOutcome
    payee_share_bps: int = attrs.field(validator=_bps)
    confidence_bps: int = attrs.field(validator=_bps)
    factors: tuple[Factor, ...]
    summary: str
    model: str
    model_version: str
    fallback_used: bool
    created_at: datetime

    def __attrs_post_init__(self) -> None:
        expected = {AssessmentOutcome.FAVOR_BUYER: 0, AssessmentOutcome.FAVOR_SELLER: BPS_WHOLE}
        share = expected.get(self.outcome)
        if share is not None and share != self.payee_share_bps:
            raise ValidationError(
                f"{self.outcome} needs payee_share_bps {share}", field="payee_share_bps"
            )
        if not self.summary.strip() or len(self.summary) > 2_000:  # noqa: PLR2004
            raise ValidationError("summary must be 1-2000 characters", field="summary")
