"""Disputes: opening, the thread, evidence, the stored assessment and the admin's resolution."""

from __future__ import annotations

import hashlib

import pytest

from kustodia_domain.disputes.errors import (
    DisputeClosedError,
    FourEyesError,
    NotADisputePartyError,
)
from kustodia_domain.disputes.events import DisputeAssessed, DisputeResolved, ResolutionProposed
from kustodia_domain.disputes.model import MAX_EVIDENCE_BYTES, Dispute, DisputeStatus
from kustodia_domain.escrow.custody import Resolution
from kustodia_domain.escrow.errors import InvalidEscrowTransitionError, SettlementRuleError
from kustodia_domain.escrow.events import SETTLEMENT_EVENTS, EscrowRefunded, EscrowSplit
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.payouts import PayoutLeg
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.services.config import PlatformPolicy
from kustodia_domain.services.dispute_commands import AddEvidence, OpenDispute, PostDisputeMessage
from kustodia_domain.services.escrow_commands import ApproveRelease
from kustodia_domain.services.holds import HoldEscrow
from kustodia_domain.services.persistence import ASSESSMENT_TOPIC
from kustodia_domain.services.policy_assessor import PolicyDisputeAssessor
from kustodia_domain.services.queries import Viewer
from kustodia_domain.services.resolve_dispute import (
    ApproveResolution,
    AssessDispute,
    ResolveDispute,
)
from kustodia_domain.services.users import SetPayoutAccount
from kustodia_domain.shared.errors import NotFoundError, ValidationError
from kustodia_domain.shared.ids import UserId
from kustodia_domain.shared.money import MXN
from tests.unit.services.scenario import (
    AMOUNT,
    PAYEE_PAYOUT,
    PAYER_PAYOUT,
    SOURCE_A,
    SOURCE_B,
    World,
    build_world,
    mxn,
)


async def _dispute(world: World, escrow: Escrow, by: UserId | None = None) -> Dispute:
    return await world.uc.open_dispute.execute(
        OpenDispute(
            escrow_id=escrow.id,
            actor_id=by or world.payer.id,
            reason="goods not delivered",
            details="The seller stopped answering after I paid.",
        )
    )


def _evidence(
    world: World,
    dispute: Dispute,
    *,
    actor: UserId | None = None,
    is_admin: bool = False,
    content_type: str = "text/plain",
    data: bytes = b"tracking number 123",
    filename: str = "tracking.txt",
) -> AddEvidence:
    return AddEvidence(
        dispute_id=dispute.id,
        actor_id=actor or world.payer.id,
        is_admin=is_admin,
        filename=filename,
        content_type=content_type,
        data=data,
    )


async def _resolve(
    world: World,
    dispute: Dispute,
    resolution: Resolution,
    *,
    payee_amount: int | None = None,
    admin: UserId | None = None,
    reason: str = "reviewed the evidence",
) -> Dispute:
    return await world.uc.resolve_dispute.execute(
        ResolveDispute(
            dispute_id=dispute.id,
            admin_id=admin or world.admin.id,
            resolution=resolution,
            reason=reason,
            payee_amount_minor=payee_amount,
        )
    )


async def _settlements(world: World, escrow_id: str) -> int:
    return sum(isinstance(e, SETTLEMENT_EVENTS) for e in await world.timeline(escrow_id))


async def _blob_exists(world: World, data: bytes) -> bool:
    try:
        await world.uc.add_evidence.blobs.get(hashlib.sha256(data).hexdigest())
    except NotFoundError:
        return False
    return True


# ---------------------------------------------------------------------- opening
async def test_a_party_opens_a_dispute_on_a_funded_escrow_and_release_freezes(
    world: World,
) -> None:
    escrow = await world.funded()
    dispute = await _dispute(world, escrow)
    stored = await world.escrow(escrow.id)
    assert (stored.state, stored.dispute_id) == (EscrowState.DISPUTED, dispute.id)
    saved = await world.dispute(dispute.id)
    assert (saved.status, saved.opened_by) == (DisputeStatus.OPEN, world.payer.id)
    assert saved.response_due_at == world.app.clock.now() + PlatformPolicy().dispute_response_window
    [assess] = await world.pending(ASSESSMENT_TOPIC)
    assert assess.payload == {"dispute_id": dispute.id}
    payee_news = [n.kind for n in await world.uc.notifications.mine(Viewer(user_id=world.payee.id))]
    assert {"dispute_opened", "escrow_disputed"} <= set(payee_news)
    with pytest.raises(InvalidEscrowTransitionError):
        await world.uc.approve_release.execute(
            ApproveRelease(escrow_id=escrow.id, actor_id=world.payer.id)
        )


async def test_the_payee_may_open_a_dispute_too(world: World) -> None:
    escrow = await world.funded()
    dispute = await _dispute(world, escrow, world.payee.id)
    assert (await world.dispute(dispute.id)).opened_by == world.payee.id


async def test_a_broker_cannot_open_a_dispute(world: World) -> None:
    escrow = await world.funded(commissions=((world.broker.email, 500),))
    before = world.snapshot()
    with pytest.raises(NotADisputePartyError):
        await _dispute(world, escrow, world.broker.id)
    assert not world.changed_since(before)


async def test_a_dispute_needs_a_funded_escrow(world: World) -> None:
    unfunded = await world.open()
    released = await world.funded()
    await world.uc.approve_release.execute(
        ApproveRelease(escrow_id=released.id, actor_id=world.payer.id)
    )
    held = await world.funded()
    await world.uc.hold_escrow.execute(
        HoldEscrow(escrow_id=held.id, admin_id=world.admin.id, reason="aml check")
    )
    disputed = await world.funded()
    await _dispute(world, disputed)
    before = world.snapshot()
    for escrow in (unfunded, released, held, disputed):
        with pytest.raises(InvalidEscrowTransitionError):
            await _dispute(world, escrow)
    assert not world.changed_since(before)


async def test_a_dispute_without_a_reason_is_a_validation_error(world: World) -> None:
    escrow = await world.funded()
    with pytest.raises(ValidationError) as error:
        await world.uc.open_dispute.execute(
            OpenDispute(escrow_id=escrow.id, actor_id=world.payer.id, reason=" ", details="d")
        )
    assert error.value.field == "reason"


# ---------------------------------------------------------------------- the thread
async def test_both_parties_and_an_admin_write_in_the_thread_and_all_see_every_message(
    world: World,
) -> None:
    dispute = await _dispute(world, await world.funded())
    for author, is_admin in ((world.payer, False), (world.payee, False), (world.admin, True)):
        await world.uc.post_dispute_message.execute(
            PostDisputeMessage(
                dispute_id=dispute.id,
                actor_id=author.id,
                is_admin=is_admin,
                body=f"{author.full_name} here",
            )
        )
    for viewer in (
        Viewer(user_id=world.payer.id),
        Viewer(user_id=world.payee.id),
        Viewer(user_id=world.admin.id, is_admin=True),
    ):
        seen = await world.uc.disputes.get(viewer, dispute.id)
        assert [(m.author_role, m.body) for m in seen.messages] == [
            ("payer", "Payer here"),
            ("payee", "Payee here"),
            ("admin", "Admin here"),
        ]
    payer_news = [n.kind for n in await world.uc.notifications.mine(Viewer(user_id=world.payer.id))]
    assert payer_news.count("dispute_message") == 2  # the payee's and the admin's, not its own


async def test_an_admin_acting_without_the_admin_role_is_an_outsider(world: World) -> None:
    dispute = await _dispute(world, await world.funded())
    with pytest.raises(NotFoundError):
        await world.uc.post_dispute_message.execute(
            PostDisputeMessage(
                dispute_id=dispute.id, actor_id=world.admin.id, is_admin=False, body="hi"
            )
        )


async def test_an_empty_message_is_a_validation_error_and_stores_nothing(world: World) -> None:
    dispute = await _dispute(world, await world.funded())
    before = world.snapshot()
    with pytest.raises(ValidationError) as error:
        await world.uc.post_dispute_message.execute(
            PostDisputeMessage(
                dispute_id=dispute.id, actor_id=world.payee.id, is_admin=False, body="   "
            )
        )
    assert error.value.field == "body"
    assert not world.changed_since(before)


# ---------------------------------------------------------------------- evidence
async def test_evidence_is_stored_by_its_sha256_and_listed_on_the_dispute(world: World) -> None:
    dispute = await _dispute(world, await world.funded())
    data = b"%PDF-1.7 delivery receipt"
    evidence = await world.uc.add_evidence.execute(
        _evidence(
            world,
            dispute,
            actor=world.payee.id,
            content_type="application/pdf",
            data=data,
            filename="receipt.pdf",
        )
    )
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert await world.uc.add_evidence.blobs.get(evidence.blob_key) == data
    seen = await world.uc.disputes.get(Viewer(user_id=world.payer.id), dispute.id)
    assert [(e.uploaded_by, e.size_bytes, e.sha256) for e in seen.evidence] == [
        (world.payee.id, len(data), evidence.sha256)
    ]
    admin_file = await world.uc.add_evidence.execute(
        _evidence(world, dispute, actor=world.admin.id, is_admin=True, data=b"admin note")
    )
    assert admin_file.uploaded_by == world.admin.id


@pytest.mark.parametrize(
    ("content_type", "data", "filename", "field"),
    [
        ("application/zip", b"PK\x03\x04", "archive.zip", "file"),
        ("text/html", b"<script>", "page.html", "file"),
        ("text/plain", b"", "empty.txt", "file"),
        ("image/png", b"\x89PNG" + b"\x00" * MAX_EVIDENCE_BYTES, "huge.png", "file"),
        ("text/plain", b"fine", " ", "filename"),
    ],
)
async def test_evidence_outside_the_type_and_size_limits_is_refused_before_it_is_stored(
    world: World, content_type: str, data: bytes, filename: str, field: str
) -> None:
    dispute = await _dispute(world, await world.funded())
    before = world.snapshot()
    with pytest.raises(ValidationError) as error:
        await world.uc.add_evidence.execute(
            _evidence(world, dispute, content_type=content_type, data=data, filename=filename)
        )
    assert error.value.field == field
    assert not world.changed_since(before)
    assert not await _blob_exists(world, data)


async def test_evidence_for_a_resolved_dispute_is_refused_before_it_is_stored(
    world: World,
) -> None:
    dispute = await _dispute(world, await world.funded())
    await _resolve(world, dispute, Resolution.RELEASE)
    data = b"too late"
    before = world.snapshot()
    with pytest.raises(DisputeClosedError):
        await world.uc.add_evidence.execute(_evidence(world, dispute, data=data))
    assert not world.changed_since(before)
    assert not await _blob_exists(world, data)


# ---------------------------------------------------------------------- assessment
async def test_the_assessment_is_stored_with_its_model_and_fallback_flag(world: World) -> None:
    dispute = await _dispute(world, await world.funded())
    assessment = await world.uc.assess_dispute.execute(AssessDispute(dispute_id=dispute.id))
    stored = await world.dispute(dispute.id)
    assert stored.assessment == assessment
    assert (assessment.model, assessment.model_version, assessment.fallback_used) == (
        "kustodia-policy",
        "1",
        False,
    )
    assert assessment.factors
    [event] = await world.events(dispute.id, DisputeAssessed)
    assert (event.model, event.fallback_used, event.outcome) == (
        "kustodia-policy",
        False,
        assessment.outcome.value,
    )


async def test_an_assessment_by_the_fallback_policy_says_so() -> None:
    world = await build_world(assessor=PolicyDisputeAssessor(fallback_used=True))
    dispute = await _dispute(world, await world.funded())
    await world.uc.assess_dispute.execute(AssessDispute(dispute_id=dispute.id))
    stored = (await world.dispute(dispute.id)).assessment
    assert stored is not None
    assert stored.fallback_used is True


async def test_a_resolved_dispute_is_not_assessed_again(world: World) -> None:
    dispute = await _dispute(world, await world.funded())
    await _resolve(world, dispute, Resolution.REFUND)
    with pytest.raises(DisputeClosedError):
        await world.uc.assess_dispute.execute(AssessDispute(dispute_id=dispute.id))


# ---------------------------------------------------------------------- resolution
async def test_a_release_resolution_pays_the_seller_and_settles_once(world: World) -> None:
    escrow = await world.funded()
    dispute = await _dispute(world, escrow)
    resolved = await _resolve(world, dispute, Resolution.RELEASE)
    assert resolved.status is DisputeStatus.RESOLVED
    stored = await world.escrow(escrow.id)
    assert stored.state is EscrowState.RELEASED
    assert [(p.leg, p.amount, p.destination) for p in stored.payouts] == [
        (PayoutLeg.RELEASE, mxn(AMOUNT), PAYEE_PAYOUT)
    ]
    [event] = await world.events(dispute.id, DisputeResolved)
    assert (event.resolution, event.resolved_by, event.approved_by) == (
        "release",
        world.admin.id,
        None,
    )
    before = world.snapshot()
    for resolution in Resolution:
        with pytest.raises(DisputeClosedError):
            await _resolve(world, dispute, resolution, payee_amount=0)
    assert not world.changed_since(before)
    assert await _settlements(world, escrow.id) == 1
    await world.assert_books_balance()


async def test_a_refund_goes_only_to_the_accounts_the_deposits_came_from(world: World) -> None:
    await world.uc.set_payout_account.execute(
        SetPayoutAccount(user_id=world.payer.id, clabe=PAYER_PAYOUT.value, holder_name="Payer")
    )
    escrow = await world.open()
    await world.deposit(escrow, 3_000_000, source=SOURCE_A)
    await world.deposit(escrow, AMOUNT - 3_000_000, source=SOURCE_B)
    dispute = await _dispute(world, escrow)
    await _resolve(world, dispute, Resolution.REFUND)
    stored = await world.escrow(escrow.id)
    assert stored.state is EscrowState.REFUNDED
    assert sorted((p.leg, p.amount, p.destination) for p in stored.payouts) == sorted(
        [
            (PayoutLeg.REFUND, mxn(3_000_000), SOURCE_A),
            (PayoutLeg.REFUND, mxn(AMOUNT - 3_000_000), SOURCE_B),
        ]
    )
    assert PAYER_PAYOUT not in {p.destination for p in stored.payouts}
    assert [e.amount for e in await world.events(escrow.id, EscrowRefunded)] == [mxn(AMOUNT)]
    assert await world.held(Account.payable(world.payer.id, MXN)) == AMOUNT
    await world.assert_books_balance()


async def test_a_split_pays_the_seller_its_part_and_refunds_the_rest_to_the_source(
    world: World,
) -> None:
    escrow = await world.funded(commissions=((world.broker.email, 1_000),))
    dispute = await _dispute(world, escrow)
    await _resolve(world, dispute, Resolution.SPLIT, payee_amount=2_000_000)
    stored = await world.escrow(escrow.id)
    assert stored.state is EscrowState.SPLIT
    [split] = await world.events(escrow.id, EscrowSplit)
    assert (split.payee_amount, split.payer_amount) == (mxn(2_000_000), mxn(AMOUNT - 2_000_000))
    by_leg: dict[PayoutLeg, int] = {}
    for payout in stored.payouts:
        by_leg[payout.leg] = by_leg.get(payout.leg, 0) + payout.amount.amount_minor
    assert by_leg == {
        PayoutLeg.RELEASE: 1_800_000,
        PayoutLeg.COMMISSION: 200_000,
        PayoutLeg.REFUND: AMOUNT - 2_000_000,
    }
    assert {p.destination for p in stored.payouts if p.leg is PayoutLeg.REFUND} == {SOURCE_A}
    await world.assert_books_balance()


@pytest.mark.parametrize(("payee_amount", "error"), [(None, ValidationError), (AMOUNT + 1, None)])
async def test_a_split_without_a_payee_amount_within_custody_is_refused_and_changes_nothing(
    world: World, payee_amount: int | None, error: type[Exception] | None
) -> None:
    escrow = await world.funded()
    dispute = await _dispute(world, escrow)
    before = world.snapshot()
    with pytest.raises(error or SettlementRuleError):
        await _resolve(world, dispute, Resolution.SPLIT, payee_amount=payee_amount)
    assert not world.changed_since(before)


async def test_a_resolution_needs_a_written_reason(world: World) -> None:
    dispute = await _dispute(world, await world.funded())
    before = world.snapshot()
    with pytest.raises(ValidationError):
        await _resolve(world, dispute, Resolution.RELEASE, reason="  ")
    assert not world.changed_since(before)


async def test_a_high_value_resolution_waits_for_a_second_different_admin() -> None:
    world = await build_world(policy=PlatformPolicy(high_value_threshold=mxn(AMOUNT)))
    escrow = await world.funded()
    dispute = await _dispute(world, escrow)

    proposed = await _resolve(world, dispute, Resolution.REFUND)
    assert proposed.status is DisputeStatus.AWAITING_SECOND_APPROVAL
    assert (await world.escrow(escrow.id)).state is EscrowState.DISPUTED
    assert await world.payouts(escrow.id) == []
    assert [e.proposed_by for e in await world.events(dispute.id, ResolutionProposed)] == [
        world.admin.id
    ]

    before = world.snapshot()
    with pytest.raises(FourEyesError):
        await world.uc.approve_resolution.execute(
            ApproveResolution(dispute_id=dispute.id, admin_id=world.admin.id)
        )
    assert not world.changed_since(before)

    approved = await world.uc.approve_resolution.execute(
        ApproveResolution(dispute_id=dispute.id, admin_id=world.second_admin.id)
    )
    assert approved.status is DisputeStatus.RESOLVED
    assert approved.resolution is not None
    assert approved.resolution.approved_by == world.second_admin.id
    assert (await world.escrow(escrow.id)).state is EscrowState.REFUNDED
    assert [p.destination for p in await world.payouts(escrow.id)] == [SOURCE_A]

    with pytest.raises(FourEyesError):
        await world.uc.approve_resolution.execute(
            ApproveResolution(dispute_id=dispute.id, admin_id=world.second_admin.id)
        )
    assert await _settlements(world, escrow.id) == 1
    await world.assert_books_balance()


async def test_a_resolution_below_the_high_value_threshold_takes_effect_at_once() -> None:
    world = await build_world(policy=PlatformPolicy(high_value_threshold=mxn(AMOUNT + 1)))
    escrow = await world.funded()
    dispute = await _dispute(world, escrow)
    assert (await _resolve(world, dispute, Resolution.RELEASE)).status is DisputeStatus.RESOLVED
    with pytest.raises(FourEyesError):
        await world.uc.approve_resolution.execute(
            ApproveResolution(dispute_id=dispute.id, admin_id=world.second_admin.id)
        )


async def test_a_dispute_on_partial_custody_settles_only_what_is_still_held(
    world: World,
) -> None:
    escrow = await world.funded(custody_percent=25)
    dispute = await _dispute(world, escrow)
    await _resolve(world, dispute, Resolution.REFUND)
    refunds = await world.payouts(escrow.id, PayoutLeg.REFUND)
    assert [(p.amount, p.destination) for p in refunds] == [(mxn(AMOUNT // 4), SOURCE_A)]
    assert [p.amount for p in await world.payouts(escrow.id, PayoutLeg.IMMEDIATE)] == [
        mxn(AMOUNT * 3 // 4)
    ]
    await world.assert_books_balance()
