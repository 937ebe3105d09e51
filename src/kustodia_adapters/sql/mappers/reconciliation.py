"""``reconciliation_differences`` rows <-> queued differences between the books and the rail.

Each amount (:class:`~kustodia_domain.shared.money.Money` or ``None``) is two columns: minor
units beside its own currency code, both ``NULL`` when there is no amount.
"""

from __future__ import annotations

from typing import Any

from kustodia_adapters.sql.mappers import Row
from kustodia_domain.ports.reconciliation_queue import DifferenceKind, ReconciliationDifference
from kustodia_domain.shared.money import Currency, Money

_SCALARS = (
    "subject",
    "escrow_id",
    "rail_status",
    "recorded_status",
    "detail",
    "period_start",
    "period_end",
    "found_at",
    "resolved_at",
)


def difference_values(difference: ReconciliationDifference) -> dict[str, Any]:
    """The ``reconciliation_differences`` row of ``difference``."""
    return {
        "kind": difference.kind.value,
        **{name: getattr(difference, name) for name in _SCALARS},
        **_amount_values("rail", difference.rail_amount),
        **_amount_values("recorded", difference.recorded_amount),
    }


def difference_from_row(row: Row) -> ReconciliationDifference:
    """The difference stored in ``row``."""
    return ReconciliationDifference(
        kind=DifferenceKind(row["kind"]),
        **{name: row[name] for name in _SCALARS},
        rail_amount=_amount(row, "rail"),
        recorded_amount=_amount(row, "recorded"),
    )


def _amount_values(prefix: str, amount: Money | None) -> dict[str, Any]:
    if amount is None:
        return {f"{prefix}_currency": None, f"{prefix}_amount_minor": None}
    return {
        f"{prefix}_currency": amount.currency.code,
        f"{prefix}_amount_minor": amount.amount_minor,
    }


def _amount(row: Row, prefix: str) -> Money | None:
    currency = row[f"{prefix}_currency"]
    if currency is None:
        return None
    return Money(row[f"{prefix}_amount_minor"], Currency.of(currency))
