"""Properties of Money and of the one allocation function."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kustodia_domain.shared.errors import CurrencyMismatchError, ValidationError
from kustodia_domain.shared.money import MXN, MXNB, Money, allocate, portion_bps

amounts = st.integers(min_value=0, max_value=10**15)
ratios = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12).filter(
    lambda rs: sum(rs) > 0
)


@given(amounts, ratios)
def test_allocation_parts_always_sum_to_the_whole(whole: int, weights: list[int]) -> None:
    parts = allocate(Money(whole, MXN), weights)
    assert sum(p.amount_minor for p in parts) == whole
    assert len(parts) == len(weights)


@given(amounts, ratios)
def test_each_part_is_within_one_centavo_of_its_exact_share(whole: int, weights: list[int]) -> None:
    parts = allocate(Money(whole, MXN), weights)
    for part, weight in zip(parts, weights, strict=True):
        exact_floor = whole * weight // sum(weights)
        assert exact_floor <= part.amount_minor <= exact_floor + 1


@given(amounts, ratios)
def test_a_zero_ratio_always_gets_zero(whole: int, weights: list[int]) -> None:
    parts = allocate(Money(whole, MXN), [*weights, 0])
    assert parts[-1].is_zero


@given(amounts, ratios)
def test_allocation_is_deterministic(whole: int, weights: list[int]) -> None:
    assert allocate(Money(whole, MXN), weights) == allocate(Money(whole, MXN), weights)


@given(amounts, st.integers(0, 10_000))
def test_a_basis_point_portion_never_exceeds_the_whole(whole: int, bps: int) -> None:
    part = portion_bps(Money(whole, MXN), bps)
    assert 0 <= part.amount_minor <= whole


@given(st.integers(-(10**12), 10**12), st.integers(-(10**12), 10**12))
def test_addition_and_subtraction_are_exact_and_inverse(a: int, b: int) -> None:
    x, y = Money(a, MXN), Money(b, MXN)
    assert (x + y).amount_minor == a + b
    assert (x + y) - y == x
    assert (x - y) + y == x
    assert -x + x == Money(0, MXN)


def test_mixing_currencies_raises() -> None:
    with pytest.raises(CurrencyMismatchError):
        _ = Money(1, MXN) + Money(1, MXNB)
    with pytest.raises(CurrencyMismatchError):
        _ = Money(1, MXN) < Money(1, MXNB)


@pytest.mark.parametrize("bad", [1.5, True, "100", None])
def test_money_refuses_anything_but_integer_minor_units(bad: object) -> None:
    with pytest.raises(TypeError):
        Money(bad, MXN)  # type: ignore[arg-type]


def test_allocation_refuses_negative_amounts_and_empty_weights() -> None:
    with pytest.raises(ValidationError):
        allocate(Money(-1, MXN), [1])
    with pytest.raises(ValidationError):
        allocate(Money(10, MXN), [0, 0])
    with pytest.raises(ValidationError):
        allocate(Money(10, MXN), [1, -1])


def test_leftover_centavos_go_to_the_largest_remainders() -> None:
    assert [p.amount_minor for p in allocate(Money(100, MXN), [1, 1, 1])] == [34, 33, 33]
    assert [p.amount_minor for p in allocate(Money(5, MXN), [3, 7])] == [2, 3]  # tie: earlier
    assert [p.amount_minor for p in allocate(Money(1, MXN), [1, 2])] == [0, 1]


def test_money_prints_with_its_currency_decimals() -> None:
    assert str(Money(150_000, MXN)) == "1500.00 MXN"
    assert str(Money(-5, MXN)) == "-0.05 MXN"
    assert str(Money(1, MXNB)) == "0.000001 MXNB"
