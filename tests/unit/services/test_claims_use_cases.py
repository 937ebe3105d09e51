"""Claims a caller makes are checked, and commands that change nothing write nothing."""

import pytest

from kustodia_domain.services.dispute_commands import OpenDispute, PostDisputeMessage
from kustodia_domain.services.escrow_commands import ApproveRelease
from kustodia_domain.services.payouts import PayoutNotice
from kustodia_domain.services.queries import Viewer
from kustodia_domain.services.record_deposit import DepositOutcome
from kustodia_domain.shared.errors import ForbiddenError
from tests.unit.services.scenario import World


async def test_a_user_claiming_to_be_an_admin_is_refused_everywhere(world: World) -> None:
    escrow = await world.funded()
    dispute = await world.uc.open_dispute.execute(
        OpenDispute(escrow_id=escrow.id, actor_id=world.payer.id, reason="late", details="x")
    )
    before = world.snapshot()
    with pytest.raises(ForbiddenError):
        await world.uc.escrows.get(Viewer(user_id=world.outsider.id, is_admin=True), escrow.id)
    with pytest.raises(ForbiddenError):
        await world.uc.post_dispute_message.execute(
            PostDisputeMessage(
                dispute_id=dispute.id, actor_id=world.outsider.id, is_admin=True, body="hi"
            )
        )
    assert not world.changed_since(before)


async def test_a_replayed_payout_confirmation_writes_nothing(world: World) -> None:
    escrow = await world.funded()
    await world.uc.approve_release.execute(
        ApproveRelease(escrow_id=escrow.id, actor_id=world.payer.id)
    )
    await world.dispatch_and_confirm(escrow.id)
    (payout,) = (await world.escrow(escrow.id)).live_payouts
    version = (await world.escrow(escrow.id)).version
    before = world.snapshot()
    await world.uc.confirm_payout.execute(PayoutNotice(payout_id=payout.id))
    assert (await world.escrow(escrow.id)).version == version
    assert not world.changed_since(before)


async def test_a_tracking_key_is_booked_once_even_under_another_escrows_reference(
    world: World,
) -> None:
    first = await world.open()
    second = await world.open()
    command = world.deposit_command(first, 40_000, key="SPEI-SAME")
    assert await world.uc.record_deposit.execute(command) is DepositOutcome.APPLIED
    before = world.snapshot()
    replay = world.deposit_command(second, 40_000, key="SPEI-SAME")
    assert await world.uc.record_deposit.execute(replay) is DepositOutcome.DUPLICATE
    assert not world.changed_since(before)
    unmatched = world.deposit_command(second, 40_000, key="SPEI-SAME", reference="0000000")
    assert await world.uc.record_deposit.execute(unmatched) is DepositOutcome.DUPLICATE
    assert not world.changed_since(before)
