"""Bodies shared by several areas, and how domain values appear on the wire."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

import attrs

from kustodia_domain.ledger.accounts import Account
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.money import Money


@attrs.frozen(kw_only=True)
class MoneyOut:
    """An amount in minor units and its currency."""

    amount: int
    currency: str

    @classmethod
    def of(cls, money: Money) -> MoneyOut:
        return cls(amount=money.amount_minor, currency=money.currency.code)


_LEAVES: tuple[tuple[type | tuple[type, ...], Callable[[Any], Any]], ...] = (
    (Money, lambda m: {"amount": m.amount_minor, "currency": m.currency.code}),
    (Clabe, lambda c: c.masked()),
    (Account, lambda a: a.code),
    (Enum, lambda e: e.value),
    ((datetime, date), lambda d: d.isoformat()),
)


def plain(value: Any) -> Any:
    """A domain value as JSON-ready data (money as minor units, CLABEs masked)."""
    for kind, convert in _LEAVES:
        if isinstance(value, kind):
            return convert(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if attrs.has(type(value)):
        return {f.name: plain(getattr(value, f.name)) for f in attrs.fields(type(value))}
    return value
