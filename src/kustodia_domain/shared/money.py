"""Money in integer minor units, and the one allocation function.

Invariants:
    * ``Money.amount_minor`` is an ``int`` (never ``bool`` or ``float``); negative values are
      allowed for arithmetic (ledger postings are signed) but every public amount the product
      shows is checked where it enters.
    * Arithmetic and comparison across currencies raise :class:`CurrencyMismatchError`.
    * :func:`allocate` is the only way a sum is split: the parts always add up to the whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from kustodia_domain.shared.errors import CurrencyMismatchError, ValidationError
from kustodia_domain.shared.immutable import immutable


@immutable
@attrs.frozen
class Currency:
    """An ISO-4217-like currency with its number of decimals (``exponent``)."""

    code: str
    exponent: int

    @classmethod
    def of(cls, code: str) -> Currency:
        """Return a known currency by code.

        Raises:
            ValidationError: the code is not a supported currency.
        """
        try:
            return _CURRENCIES[code.upper()]
        except KeyError:
            raise ValidationError(f"unsupported currency {code!r}", field="currency") from None

    def __str__(self) -> str:
        return self.code


MXN = Currency("MXN", 2)
MXNB = Currency("MXNB", 6)
_CURRENCIES: dict[str, Currency] = {c.code: c for c in (MXN, MXNB)}


def _must_be_int(instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    # bool is an int subclass; a float or a bool amount is always a programming error.
    if type(value) is not int:
        raise TypeError(f"{attribute.name} must be int minor units, got {type(value).__name__}")


@immutable
@attrs.frozen(order=False)
class Money:
    """An amount of ``currency`` in integer minor units (centavos for MXN)."""

    amount_minor: int = attrs.field(validator=_must_be_int)
    currency: Currency

    @classmethod
    def zero(cls, currency: Currency) -> Money:
        """Zero in ``currency``."""
        return cls(0, currency)

    @classmethod
    def mxn(cls, amount_minor: int) -> Money:
        """Shorthand for an amount of centavos of MXN."""
        return cls(amount_minor, MXN)

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatchError(self.currency.code, other.currency.code)

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount_minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount_minor < other.amount_minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount_minor <= other.amount_minor

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount_minor > other.amount_minor

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount_minor >= other.amount_minor

    @property
    def is_zero(self) -> bool:
        """Whether the amount is exactly zero."""
        return self.amount_minor == 0

    @property
    def is_positive(self) -> bool:
        """Whether the amount is strictly greater than zero."""
        return self.amount_minor > 0

    def min(self, other: Money) -> Money:
        """The smaller of two amounts of the same currency."""
        return min(self, other)

    def __str__(self) -> str:
        sign = "-" if self.amount_minor < 0 else ""
        units, minor = divmod(abs(self.amount_minor), 10**self.currency.exponent)
        if self.currency.exponent == 0:
            return f"{sign}{units} {self.currency.code}"
        return f"{sign}{units}.{minor:0{self.currency.exponent}d} {self.currency.code}"


def total(amounts: Iterable[Money], currency: Currency) -> Money:
    """Sum ``amounts`` (all in ``currency``); the empty sum is zero."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result


def allocate(whole: Money, ratios: Sequence[int]) -> tuple[Money, ...]:
    """Split ``whole`` into parts proportional to ``ratios`` by the largest-remainder method.

    Each part first gets ``floor(whole * ratio / sum(ratios))``; the centavos left over go one at
    a time to the parts with the largest fractional remainders, ties to the earlier part. The
    parts always sum exactly to ``whole``, a zero ratio always gets zero, and the result is
    deterministic.

    Args:
        whole: a non-negative amount to split.
        ratios: non-negative integer weights with a positive sum (basis points, percents, or
            amounts themselves).

    Raises:
        ValidationError: a negative amount or ratio, or ratios that sum to zero.
    """
    if whole.amount_minor < 0:
        raise ValidationError("cannot allocate a negative amount", field="amount")
    if not ratios or any(type(r) is not int or r < 0 for r in ratios):
        raise ValidationError("ratios must be non-negative integers", field="ratios")
    weight = sum(ratios)
    if weight == 0:
        raise ValidationError("ratios must not all be zero", field="ratios")
    floors: list[int] = []
    remainders: list[tuple[int, int]] = []
    for index, ratio in enumerate(ratios):
        quotient, remainder = divmod(whole.amount_minor * ratio, weight)
        floors.append(quotient)
        remainders.append((-remainder, index))
    leftover = whole.amount_minor - sum(floors)
    for _, index in sorted(remainders)[:leftover]:
        floors[index] += 1
    return tuple(Money(part, whole.currency) for part in floors)


BPS_WHOLE = 10_000
"""Basis points in a whole (100 %)."""


def portion_bps(whole: Money, bps: int) -> Money:
    """The ``bps`` basis-point share of ``whole``, rounded by :func:`allocate`."""
    if not 0 <= bps <= BPS_WHOLE:
        raise ValidationError("basis points must be between 0 and 10000", field="bps")
    return allocate(whole, [bps, BPS_WHOLE - bps])[0]
