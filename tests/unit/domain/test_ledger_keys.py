"""Ledger keys: an escrow's own keys are always tagged with that escrow.

The PostgreSQL ledger relies on it: the keys stored for an escrow are every key of its
namespace ever used, so a key of that namespace missing from them is new.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kustodia_domain.ledger.accounts import Account
from kustodia_domain.ledger.transactions import (
    LedgerTransaction,
    Posting,
    escrow_key,
    escrow_owning,
)
from kustodia_domain.shared.errors import ValidationError
from kustodia_domain.shared.money import MXN, Money
from tests.contract.builders import T0, complete, escrow, fund, postings_of

_ESCROW_IDS = st.text(
    st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=20
)  # printable ASCII, colons included


def _transaction(key: str, escrow_id: str | None) -> LedgerTransaction:
    postings = (
        Posting(Account.rail_cash(MXN), Money(100, MXN)),
        Posting(Account.custody("esc_1", MXN), Money(-100, MXN)),
    )
    return LedgerTransaction(
        key=key, postings=postings, occurred_at=T0, description="t", escrow_id=escrow_id
    )


@given(_ESCROW_IDS, st.integers(0, 10**9))
def test_an_escrow_key_names_its_escrow(escrow_id: str, sequence: int) -> None:
    assert escrow_owning(escrow_key(escrow_id, sequence)) == escrow_id


@pytest.mark.parametrize(
    "key", ["deposit:T1", "escrow:", "escrow:esc_1", "escrow::3", "escrow:esc_1:x", "x:esc_1:3"]
)
def test_other_keys_name_no_escrow(key: str) -> None:
    assert escrow_owning(key) is None


@pytest.mark.parametrize("tag", [None, "esc_2"])
def test_an_escrow_key_tagged_with_another_escrow_or_none_is_refused(tag: str | None) -> None:
    with pytest.raises(ValidationError):
        _transaction(escrow_key("esc_1", 4), tag)


def test_keys_outside_an_escrow_namespace_need_no_tag() -> None:
    assert _transaction("deposit:T1", None).escrow_id is None
    assert _transaction("deposit:T1", "esc_1").escrow_id == "esc_1"
    assert _transaction(escrow_key("esc_1", 4), "esc_1").key == "escrow:esc_1:4"


def test_every_transaction_an_escrow_produces_is_tagged_with_its_escrow() -> None:
    lifecycle = complete(fund(escrow()), T0)
    transactions = postings_of(lifecycle)
    owners = [escrow_owning(transaction.key) for transaction in transactions]
    assert {transaction.escrow_id for transaction in transactions} == {lifecycle.id}
    assert set(owners) == {lifecycle.id, None}  # the release's own keys; the deposit's
