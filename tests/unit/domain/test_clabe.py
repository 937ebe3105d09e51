"""CLABE validation: 18 digits, a known bank code, the 3-7-1 check digit."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kustodia_domain.shared.clabe import Clabe, check_digit
from kustodia_domain.shared.errors import ValidationError


def test_a_published_example_clabe_is_valid() -> None:
    # Banxico's worked example: bank 002, plaza 115, account 01600326941, check digit 1.
    assert Clabe("002115016003269411").bank_code == "002"


def test_the_check_digit_uses_weights_three_seven_one() -> None:
    assert check_digit("00211501600326941") == 1


@pytest.mark.parametrize(
    "value",
    [
        "00211501600326941",  # 17 digits
        "0021150160032694111",  # 19 digits
        "00211501600326941a",  # not a digit
        "002115016003269412",  # wrong check digit
        "999115016003269419",  # unknown bank code
    ],
)
def test_a_bad_clabe_is_rejected_naming_the_field(value: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Clabe(value)
    assert raised.value.field == "clabe"


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_changing_the_check_digit_always_breaks_a_clabe(first17: str) -> None:
    good = Clabe.build("012", first17[3:6], first17[6:])
    wrong = (int(good.value[-1]) + 1) % 10
    with pytest.raises(ValidationError):
        Clabe(good.value[:-1] + str(wrong))


def test_a_masked_clabe_shows_only_its_last_four_digits() -> None:
    assert Clabe("002115016003269411").masked() == "**************9411"
