"""Escrow terms and their validation, and the platform fee schedule.

Units: amounts in minor units (centavos); ``custody_percent`` in whole percent (0-100);
commissions and fees in basis points of the amount (1 bps = 0.01 %).
"""

from __future__ import annotations

from enum import StrEnum

import attrs

from kustodia_domain.shared.errors import ValidationError
from kustodia_domain.shared.ids import UserId
from kustodia_domain.shared.immutable import immutable
from kustodia_domain.shared.money import BPS_WHOLE, MXN, Money, allocate, portion_bps

MAX_AMOUNT_MINOR = 10**15
"""Ten trillion pesos: far above any real escrow, far below BIGINT."""
MAX_COMMISSION_BPS = 5_000
"""Broker commissions may take at most 50 % of the amount, in total."""
MAX_DESCRIPTION = 500
MAX_RELEASE_CONDITIONS = 1_000
MAX_MILESTONES = 20


class EscrowKind(StrEnum):
    """How custody is released."""

    STANDARD = "standard"
    """Released at the deadline, or earlier when the payer approves."""
    DUAL_APPROVAL = "dual_approval"
    """Released only when both parties approve; the deadline alone never releases it."""


class CreatorRole(StrEnum):
    """Who created the escrow: the payer (a payment) or the payee (a payment request)."""

    PAYER = "payer"
    PAYEE = "payee"


class Party(StrEnum):
    """The two parties of an escrow."""

    PAYER = "payer"
    PAYEE = "payee"


@immutable
@attrs.frozen
class Commission:
    """A broker's commission in basis points of the amount, deducted from the seller's proceeds."""

    broker_id: UserId
    bps: int

    def __attrs_post_init__(self) -> None:
        if type(self.bps) is not int or not 0 < self.bps <= MAX_COMMISSION_BPS:
            raise ValidationError("a commission is 1-5000 basis points", field="commissions")


@immutable
@attrs.frozen
class MilestoneSpec:
    """A named share (basis points) of the custody amount, released on its own approval."""

    name: str
    share_bps: int

    def __attrs_post_init__(self) -> None:
        if not self.name.strip() or len(self.name) > 100:  # noqa: PLR2004
            raise ValidationError("a milestone name is 1-100 characters", field="milestones")
        if type(self.share_bps) is not int or not 0 < self.share_bps <= BPS_WHOLE:
            raise ValidationError("a milestone share is 1-10000 basis points", field="milestones")


def _check_text(value: str, field: str, limit: int, *, required: bool) -> None:
    if len(value) > limit or (required and not value.strip()):
        need = "1" if required else "0"
        raise ValidationError(f"{field} must be {need}-{limit} characters", field=field)


@immutable
@attrs.frozen(kw_only=True)
class EscrowTerms:
    """What the parties agreed. Constructing terms validates every rule.

    Raises:
        ValidationError: amount not positive or not MXN; custody outside 0-100 %; custody days
            outside 1-365; a commission outside 1-5000 bps, a repeated broker, or a total above
            50 %; milestones that repeat a name, do not sum to 100 % or exist with 0 % custody;
            text too long.
    """

    amount: Money
    custody_percent: int
    custody_days: int
    description: str
    release_conditions: str = ""
    commissions: tuple[Commission, ...] = ()
    milestones: tuple[MilestoneSpec, ...] = ()

    def __attrs_post_init__(self) -> None:
        if self.amount.currency != MXN:
            raise ValidationError("escrows are in MXN", field="currency")
        if not 0 < self.amount.amount_minor <= MAX_AMOUNT_MINOR:
            raise ValidationError("amount must be positive", field="amount")
        if type(self.custody_percent) is not int or not 0 <= self.custody_percent <= 100:  # noqa: PLR2004
            raise ValidationError("custody_percent must be 0-100", field="custody_percent")
        if type(self.custody_days) is not int or not 1 <= self.custody_days <= 365:  # noqa: PLR2004
            raise ValidationError("custody_days must be 1-365", field="custody_days")
        _check_text(self.description, "description", MAX_DESCRIPTION, required=True)
        _check_text(
            self.release_conditions, "release_conditions", MAX_RELEASE_CONDITIONS, required=False
        )
        self._check_commissions()
        self._check_milestones()

    def _check_commissions(self) -> None:
        brokers = [c.broker_id for c in self.commissions]
        if len(set(brokers)) != len(brokers):
            raise ValidationError("a broker appears twice", field="commissions")
        if self.commission_bps > MAX_COMMISSION_BPS:
            raise ValidationError("commissions total more than 50 %", field="commissions")

    def _check_milestones(self) -> None:
        if not self.milestones:
            return
        names = [m.name for m in self.milestones]
        if len(names) > MAX_MILESTONES or len(set(names)) != len(names):
            raise ValidationError("milestone names must be unique (at most 20)", field="milestones")
        if sum(m.share_bps for m in self.milestones) != BPS_WHOLE:
            raise ValidationError("milestone shares must sum to 10000 bps", field="milestones")
        if self.custody_amount.is_zero:
            raise ValidationError("milestones need an amount in custody", field="milestones")

    @property
    def commission_bps(self) -> int:
        """Total broker commission in basis points."""
        return sum(c.bps for c in self.commissions)

    @property
    def custody_amount(self) -> Money:
        """The share of the amount held in custody until release."""
        return allocate(self.amount, [self.custody_percent, 100 - self.custody_percent])[0]

    @property
    def immediate_amount(self) -> Money:
        """The share paid to the payee side as soon as the escrow is funded."""
        return self.amount - self.custody_amount

    @property
    def commission_amounts(self) -> tuple[Money, ...]:
        """Each broker's commission on the whole amount, in ``commissions`` order."""
        return tuple(portion_bps(self.amount, c.bps) for c in self.commissions)

    @property
    def milestone_amounts(self) -> tuple[Money, ...]:
        """Each milestone's share of the custody amount, summing exactly to it."""
        if not self.milestones:
            return ()
        return allocate(self.custody_amount, [m.share_bps for m in self.milestones])


@immutable
@attrs.frozen
class FeeSchedule:
    """Platform fee in basis points of the amount, per escrow kind (paid by the payer on top)."""

    standard_bps: int = 0
    dual_approval_bps: int = 0

    def __attrs_post_init__(self) -> None:
        for bps in (self.standard_bps, self.dual_approval_bps):
            if type(bps) is not int or not 0 <= bps <= BPS_WHOLE:
                raise ValidationError("fee must be 0-10000 basis points", field="fee_bps")

    def fee_for(self, kind: EscrowKind, amount: Money) -> Money:
        """The platform fee for an escrow of ``kind`` and ``amount``."""
        bps = self.standard_bps if kind is EscrowKind.STANDARD else self.dual_approval_bps
        return portion_bps(amount, bps)
