"""The ``User`` aggregate and its value objects."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import attrs

from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.errors import ValidationError
from kustodia_domain.shared.ids import UserId
from kustodia_domain.shared.immutable import immutable

_MAX_NAME = 200


class Role(StrEnum):
    """What a user may do on the platform."""

    USER = "user"
    ADMIN = "admin"
    COMPLIANCE = "compliance"


class KycLevel(StrEnum):
    """Mexican account levels; monthly limits in UDIs (N4 has none)."""

    N1 = "N1"
    N2 = "N2"
    N3 = "N3"
    N4 = "N4"

    @property
    def monthly_limit_udis(self) -> int | None:
        """The level's monthly inflow cap in UDIs, or ``None`` for unlimited."""
        return {"N1": 750, "N2": 3_000, "N3": 10_000, "N4": None}[self.value]


def _lower(value: str) -> str:
    return value.strip().lower()


def _email(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    local, _, domain = value.partition("@")
    if not local or "." not in domain or " " in value or len(value) > 254:  # noqa: PLR2004
        raise ValidationError("not a valid e-mail address", field="email")


def _name(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.strip() or len(value) > _MAX_NAME:
        raise ValidationError(
            f"{attribute.name} must be 1-{_MAX_NAME} characters", field=attribute.name
        )


@immutable
@attrs.frozen
class PayoutAccount:
    """Where a user's payouts go: a validated CLABE and the account holder's name."""

    clabe: Clabe
    holder_name: str = attrs.field(validator=_name)


@attrs.define(kw_only=True)
class User:
    """A registered person or business.

    Invariants: ``email`` is stored lower-cased; ``payout_account_changed_at`` is set whenever
    the payout account changes (fraud rules watch changes made just before a release).
    """

    id: UserId
    email: str = attrs.field(converter=_lower, validator=_email)
    full_name: str = attrs.field(validator=_name)
    role: Role = Role.USER
    kyc_level: KycLevel = KycLevel.N1
    deposit_clabe: Clabe
    payout_account: PayoutAccount | None = None
    payout_account_changed_at: datetime | None = None
    created_at: datetime
    version: int = 0

    def set_payout_account(self, account: PayoutAccount, at: datetime) -> None:
        """Replace the payout account; records when it changed."""
        if account != self.payout_account:
            self.payout_account = account
            self.payout_account_changed_at = at

    def set_kyc_level(self, level: KycLevel) -> None:
        """Record the KYC level the provider verified."""
        self.kyc_level = level

    @property
    def is_admin(self) -> bool:
        """Admins may see and resolve any escrow or dispute."""
        return self.role is Role.ADMIN
