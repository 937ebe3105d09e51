"""Registration and the payout account, through the use cases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kustodia_domain.fraud.screening import Outcome
from kustodia_domain.identity.model import PayoutAccount
from kustodia_domain.services.users import RegisterUser, SetPayoutAccount
from kustodia_domain.shared.clabe import Clabe, check_digit
from kustodia_domain.shared.errors import ConflictError, OperationBlockedError, ValidationError
from tests.unit.services.scenario import PAYER_PAYOUT, ScriptedRiskScreen, World


async def test_a_registered_user_gets_a_valid_deposit_clabe_of_their_own(world: World) -> None:
    user = await world.user(world.payer.id)
    assert user.email == "payer@example.mx"
    assert user.deposit_clabe == await world.app.rail.issue_deposit_clabe(user.id)
    assert Clabe(user.deposit_clabe.value) == user.deposit_clabe
    others = [world.payee, world.broker, world.outsider, world.admin, world.second_admin]
    assert user.deposit_clabe not in {u.deposit_clabe for u in others}
    assert user.created_at == world.app.clock.now()


async def test_registering_an_e_mail_twice_in_any_case_is_a_conflict_and_adds_nobody(
    world: World,
) -> None:
    before = world.snapshot()
    with pytest.raises(ConflictError):
        await world.uc.register_user.execute(
            RegisterUser(email="PAYER@Example.MX", full_name="Impostor")
        )
    assert not world.changed_since(before)


async def test_a_malformed_e_mail_is_a_validation_error_on_the_email_field(world: World) -> None:
    before = world.snapshot()
    with pytest.raises(ValidationError) as error:
        await world.uc.register_user.execute(RegisterUser(email="not-an-email", full_name="X"))
    assert error.value.field == "email"
    assert not world.changed_since(before)


async def test_a_sign_up_the_risk_screen_blocks_is_refused_and_stores_nobody(
    world: World, risk: ScriptedRiskScreen
) -> None:
    risk.outcomes["account.created"] = Outcome.BLOCK
    before = world.snapshot()
    with pytest.raises(OperationBlockedError):
        await world.uc.register_user.execute(RegisterUser(email="mule@example.mx", full_name="M"))
    assert not world.changed_since(before)


async def test_setting_a_payout_account_stores_it_and_records_when_it_changed(
    world: World,
) -> None:
    user = await world.uc.set_payout_account.execute(
        SetPayoutAccount(user_id=world.payer.id, clabe=PAYER_PAYOUT.value, holder_name="Ana")
    )
    stored = await world.user(world.payer.id)
    assert stored.payout_account == PayoutAccount(clabe=PAYER_PAYOUT, holder_name="Ana")
    assert stored.payout_account_changed_at == world.app.clock.now()
    assert user.payout_account == stored.payout_account


async def test_changing_the_payout_account_later_moves_the_change_time_and_resetting_it_does_not(
    world: World,
) -> None:
    first_change = (await world.user(world.payee.id)).payout_account_changed_at
    world.later(timedelta(days=3))
    same = await world.user(world.payee.id)
    assert same.payout_account is not None
    await world.uc.set_payout_account.execute(
        SetPayoutAccount(
            user_id=world.payee.id,
            clabe=same.payout_account.clabe.value,
            holder_name=same.payout_account.holder_name,
        )
    )
    assert (await world.user(world.payee.id)).payout_account_changed_at == first_change
    new_clabe = Clabe.build("014", "320", "123456")
    await world.uc.set_payout_account.execute(
        SetPayoutAccount(user_id=world.payee.id, clabe=new_clabe.value, holder_name="Payee")
    )
    changed = await world.user(world.payee.id)
    assert changed.payout_account is not None
    assert changed.payout_account.clabe == new_clabe
    assert changed.payout_account_changed_at == world.app.clock.now()


def _with_wrong_check_digit(clabe: Clabe) -> str:
    first17 = clabe.value[:17]
    return first17 + str((check_digit(first17) + 1) % 10)


@pytest.mark.parametrize(
    ("clabe", "holder", "field"),
    [
        (_with_wrong_check_digit(PAYER_PAYOUT), "Ana", "clabe"),
        ("0021800000000700", "Ana", "clabe"),
        ("99918000000007001" + "0", "Ana", "clabe"),
        ("00218000000007001X", "Ana", "clabe"),
        (PAYER_PAYOUT.value, "   ", "holder_name"),
    ],
)
async def test_a_bad_payout_account_is_a_validation_error_naming_the_field_and_changes_nothing(
    world: World, clabe: str, holder: str, field: str
) -> None:
    before = world.snapshot()
    with pytest.raises(ValidationError) as error:
        await world.uc.set_payout_account.execute(
            SetPayoutAccount(user_id=world.payer.id, clabe=clabe, holder_name=holder)
        )
    assert error.value.field == field
    assert not world.changed_since(before)
    assert (await world.user(world.payer.id)).payout_account is None


async def test_a_payout_account_change_the_risk_screen_blocks_changes_nothing(
    world: World, risk: ScriptedRiskScreen
) -> None:
    risk.outcomes["payout_account.changed"] = Outcome.BLOCK
    before = world.snapshot()
    with pytest.raises(OperationBlockedError):
        await world.uc.set_payout_account.execute(
            SetPayoutAccount(user_id=world.payee.id, clabe=PAYER_PAYOUT.value, holder_name="X")
        )
    assert not world.changed_since(before)
    assert risk.screened[-1].attributes["payout_clabe"] == PAYER_PAYOUT.value
