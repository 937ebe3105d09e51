"""Only parties, brokers and admins may know an escrow exists; everyone else gets 404."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import attrs
import pytest

from kustodia_domain.disputes.errors import NotADisputePartyError
from kustodia_domain.escrow.errors import NotAPartyError
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.services.dispute_commands import AddEvidence, OpenDispute, PostDisputeMessage
from kustodia_domain.services.escrow_commands import ApproveRelease, EscrowCommand
from kustodia_domain.services.queries import Viewer
from kustodia_domain.shared.errors import NotFoundError
from kustodia_domain.shared.ids import UserId
from tests.unit.services.scenario import World


@attrs.frozen
class Case:
    """A funded, disputed escrow with a broker, and the ids a caller would name."""

    escrow_id: str
    dispute_id: str


async def _disputed(world: World) -> Case:
    escrow = await world.funded(commissions=((world.broker.email, 500),))
    dispute = await world.uc.open_dispute.execute(
        OpenDispute(
            escrow_id=escrow.id, actor_id=world.payer.id, reason="not delivered", details="..."
        )
    )
    return Case(escrow.id, dispute.id)


Attempt = Callable[[World, Case, UserId], Awaitable[object]]

ATTEMPTS: dict[str, Attempt] = {
    "get": lambda w, c, u: w.uc.escrows.get(Viewer(user_id=u), c.escrow_id),
    "timeline": lambda w, c, u: w.uc.escrows.timeline(Viewer(user_id=u), c.escrow_id),
    "ledger": lambda w, c, u: w.uc.escrows.ledger(Viewer(user_id=u), c.escrow_id),
    "dispute": lambda w, c, u: w.uc.disputes.get(Viewer(user_id=u), c.dispute_id),
    "accept": lambda w, c, u: w.uc.accept_escrow.execute(
        EscrowCommand(escrow_id=c.escrow_id, actor_id=u)
    ),
    "cancel": lambda w, c, u: w.uc.cancel_escrow.execute(
        EscrowCommand(escrow_id=c.escrow_id, actor_id=u)
    ),
    "approve": lambda w, c, u: w.uc.approve_release.execute(
        ApproveRelease(escrow_id=c.escrow_id, actor_id=u)
    ),
    "open dispute": lambda w, c, u: w.uc.open_dispute.execute(
        OpenDispute(escrow_id=c.escrow_id, actor_id=u, reason="mine", details="too")
    ),
    "message": lambda w, c, u: w.uc.post_dispute_message.execute(
        PostDisputeMessage(dispute_id=c.dispute_id, actor_id=u, is_admin=False, body="hello")
    ),
    "evidence": lambda w, c, u: w.uc.add_evidence.execute(
        AddEvidence(
            dispute_id=c.dispute_id,
            actor_id=u,
            is_admin=False,
            filename="receipt.txt",
            content_type="text/plain",
            data=b"proof",
        )
    ),
}


@pytest.mark.parametrize("action", sorted(ATTEMPTS))
async def test_an_outsider_gets_not_found_and_changes_nothing(world: World, action: str) -> None:
    case = await _disputed(world)
    before = world.snapshot()
    with pytest.raises(NotFoundError):
        await ATTEMPTS[action](world, case, world.outsider.id)
    assert not world.changed_since(before)


@pytest.mark.parametrize("action", ["get", "timeline", "ledger", "dispute"])
async def test_an_unknown_id_is_not_found_either(world: World, action: str) -> None:
    with pytest.raises(NotFoundError):
        await ATTEMPTS[action](world, Case("esc_999999", "dsp_999999"), world.payer.id)


async def test_an_outsider_lists_no_escrows_and_has_no_notifications(world: World) -> None:
    await _disputed(world)
    viewer = Viewer(user_id=world.outsider.id)
    assert await world.uc.escrows.list_mine(viewer) == []
    assert await world.uc.notifications.mine(viewer) == []


async def test_a_broker_sees_the_escrow_its_timeline_and_its_ledger(world: World) -> None:
    case = await _disputed(world)
    viewer = Viewer(user_id=world.broker.id)
    assert (await world.uc.escrows.get(viewer, case.escrow_id)).id == case.escrow_id
    assert [e.id for e in await world.uc.escrows.list_mine(viewer)] == [case.escrow_id]
    assert await world.uc.escrows.timeline(viewer, case.escrow_id)
    assert await world.uc.escrows.ledger(viewer, case.escrow_id)


async def test_a_broker_cannot_approve_cancel_or_dispute(world: World) -> None:
    escrow = await world.funded(commissions=((world.broker.email, 500),))
    before = world.snapshot()
    with pytest.raises(NotAPartyError):
        await ATTEMPTS["approve"](world, Case(escrow.id, ""), world.broker.id)
    with pytest.raises(NotAPartyError):
        await ATTEMPTS["cancel"](world, Case(escrow.id, ""), world.broker.id)
    with pytest.raises(NotADisputePartyError):
        await ATTEMPTS["open dispute"](world, Case(escrow.id, ""), world.broker.id)
    assert not world.changed_since(before)
    assert (await world.escrow(escrow.id)).state is EscrowState.FUNDED


async def test_a_broker_is_not_part_of_the_dispute(world: World) -> None:
    case = await _disputed(world)
    for action in ("dispute", "message", "evidence"):
        with pytest.raises(NotFoundError):
            await ATTEMPTS[action](world, case, world.broker.id)


async def test_both_parties_see_the_escrow_and_the_dispute(world: World) -> None:
    case = await _disputed(world)
    for user in (world.payer, world.payee):
        viewer = Viewer(user_id=user.id)
        assert (await world.uc.escrows.get(viewer, case.escrow_id)).id == case.escrow_id
        assert (await world.uc.disputes.get(viewer, case.dispute_id)).id == case.dispute_id


async def test_an_admin_sees_every_escrow_and_dispute_only_as_an_admin(world: World) -> None:
    case = await _disputed(world)
    as_admin = Viewer(user_id=world.admin.id, is_admin=True)
    assert (await world.uc.escrows.get(as_admin, case.escrow_id)).id == case.escrow_id
    timeline = await world.uc.escrows.timeline(as_admin, case.escrow_id)
    assert timeline == await world.timeline(case.escrow_id)
    ledger = await world.uc.escrows.ledger(as_admin, case.escrow_id)
    assert list(ledger) == list(await world.ledger(case.escrow_id))
    assert (await world.uc.disputes.get(as_admin, case.dispute_id)).id == case.dispute_id
    with pytest.raises(NotFoundError):
        await world.uc.escrows.get(Viewer(user_id=world.admin.id), case.escrow_id)
