"""CLABE: the 18-digit Mexican interbank account number.

Layout: 3-digit bank code, 3-digit branch (plaza), 11-digit account, 1 check digit. The check
digit is ``(10 - (sum(d_i * w_i mod 10) mod 10)) mod 10`` with weights 3, 7, 1 repeating over the
first 17 digits.
"""

from __future__ import annotations

import functools

import attrs

from kustodia_domain.shared.errors import ValidationError
from kustodia_domain.shared.immutable import immutable

_WEIGHTS = (3, 7, 1) * 6

# Bank codes (first three digits) assigned by Banxico to SPEI participants. The list is the
# public catalogue's most common institutions plus the STP code used by rail providers; a CLABE
# whose bank code is not here is rejected because a payout to it could never settle.
KNOWN_BANK_CODES: frozenset[str] = frozenset(
    {
        "002", "006", "009", "012", "014", "019", "021", "030", "032", "036", "037", "042",
        "044", "058", "059", "060", "062", "072", "102", "103", "106", "108", "110", "112",
        "113", "116", "124", "126", "127", "128", "129", "130", "131", "132", "133", "134",
        "135", "136", "137", "138", "139", "140", "141", "143", "145", "147", "148", "149",
        "150", "151", "152", "153", "154", "155", "156", "157", "158", "159", "160", "166",
        "168", "600", "601", "602", "605", "606", "607", "608", "610", "614", "615", "616",
        "617", "618", "619", "620", "621", "622", "623", "626", "627", "628", "629", "630",
        "631", "632", "633", "634", "636", "637", "638", "640", "642", "646", "648", "649",
        "651", "652", "653", "655", "656", "659", "661", "670", "677", "679", "684", "685",
        "686", "689", "699", "703", "706", "710", "722", "723", "728", "730", "846", "901",
        "902", "903",
    }
)  # fmt: skip


@functools.lru_cache(maxsize=65_536)
def check_digit(first17: str) -> int:
    """The CLABE check digit for the first 17 digits.

    Cached: the same few accounts (a user's deposit and payout CLABEs, an escrow's) are
    validated again every time they are read.
    """
    weighted = sum((int(d) * w) % 10 for d, w in zip(first17, _WEIGHTS, strict=False))
    return (10 - weighted % 10) % 10


def _validate(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if type(value) is not str or len(value) != 18 or not value.isdigit():  # noqa: PLR2004
        raise ValidationError("a CLABE has exactly 18 digits", field="clabe")
    if value[:3] not in KNOWN_BANK_CODES:
        raise ValidationError(f"unknown bank code {value[:3]}", field="clabe")
    if check_digit(value[:17]) != int(value[17]):
        raise ValidationError("CLABE check digit is wrong", field="clabe")


@immutable
@attrs.frozen
class Clabe:
    """A validated CLABE. Constructing one with a bad value raises ``ValidationError``."""

    value: str = attrs.field(validator=_validate)

    @property
    def bank_code(self) -> str:
        """The three-digit bank code."""
        return self.value[:3]

    @classmethod
    def build(cls, bank: str, plaza: str, account: str) -> Clabe:
        """Build a valid CLABE from its parts by computing the check digit."""
        first17 = f"{bank:0>3}{plaza:0>3}{account:0>11}"
        return cls(first17 + str(check_digit(first17)))

    def masked(self) -> str:
        """The CLABE with all but the last four digits hidden, for logs and messages."""
        return "*" * 14 + self.value[-4:]

    def __str__(self) -> str:
        return self.value
