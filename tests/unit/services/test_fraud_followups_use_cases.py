"""What the use cases do with a decision beyond allowing it: suspense, holds, flags, lists,
notifications, compliance reports, profiles and overrides, with the shipped ruleset.
"""

from __future__ import annotations

import pytest

from kustodia_domain.escrow.custody import Resolution
from kustodia_domain.escrow.payouts import PayoutStatus
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.fraud.errors import JustificationTooShortError, OverrideNotNeededError
from kustodia_domain.fraud.lists import ListEntry, ListKind, ListName
from kustodia_domain.fraud.profiles import KycStatus
from kustodia_domain.fraud.screening import Outcome
from kustodia_domain.identity.model import KycLevel
from kustodia_domain.services.dispute_commands import AddEvidence, OpenDispute
from kustodia_domain.services.holds import HoldEscrow
from kustodia_domain.services.record_deposit import DepositOutcome
from kustodia_domain.services.resolve_dispute import ResolveDispute
from kustodia_domain.services.risk_followups import COMPLIANCE_TOPIC
from kustodia_domain.services.risk_lists_admin import AddListEntry
from kustodia_domain.services.risk_overrides import DecideOverride, RequestOverride
from kustodia_domain.services.users import ClientContext, RegisterUser
from kustodia_domain.shared.errors import ConflictError, OperationBlockedError, RuleViolationError
from tests.unit.services.fraud_world import (
    JUSTIFICATION,
    OTHER_BANK,
    PAYEE_BANK,
    FraudWorld,
    build_fraud_world,
)


@pytest.fixture
async def fraud() -> FraudWorld:
    return await build_fraud_world()


async def blocklist(fraud: FraudWorld, kind: ListKind, value: str) -> None:
    await fraud.uc.platform.lists.add(
        AddListEntry(
            admin_id=fraud.admin.id,
            list_name=ListName.BLOCKLIST,
            kind=kind,
            value=value,
            reason="reported by the bank",
        )
    )


async def test_a_review_decision_raises_an_alert_and_lets_the_operation_go_on(
    fraud: FraudWorld,
) -> None:
    escrow = await fraud.open()
    assert await fraud.deposit(escrow, source=OTHER_BANK) is DepositOutcome.APPLIED
    assert (await fraud.escrow(escrow.id)).state is EscrowState.FUNDED
    [alert] = await fraud.open_alerts()
    assert (alert.event_kind, alert.outcome, alert.rule_ids) == (
        "escrow.fund",
        Outcome.REVIEW,
        ("ESC-SPEI-04",),
    )


async def test_a_deposit_beyond_the_payers_kyc_cap_waits_in_suspense_and_asks_for_an_upgrade(
    fraud: FraudWorld,
) -> None:
    escrow = await fraud.open(amount=700_000)  # 7,000 MXN: above the N1 cap of 750 UDIs
    assert await fraud.deposit(escrow) is DepositOutcome.UNMATCHED
    assert (await fraud.escrow(escrow.id)).state is EscrowState.AWAITING_FUNDS
    notices = [n for n in await fraud.notifications(fraud.payer) if n.kind == "risk_kyc_upgrade"]
    assert [n.escrow_id for n in notices] == [escrow.id]
    [alert] = await fraud.open_alerts()
    assert "ESC-KYC-02" in alert.rule_ids


async def test_a_party_on_the_uif_list_is_blocked_its_escrows_frozen_and_compliance_told(
    fraud: FraudWorld,
) -> None:
    funded = await fraud.funded()
    await fraud.uc.platform.lists.lists.add(
        ListEntry.create(
            entry_id="uif-1",
            list_name=ListName.UIF_BLOCKED,
            kind=ListKind.EMAIL,
            value=fraud.payer.email,
            reason="UIF blocked persons list",
            source="uif",
            added_by="uif-feed",
            added_at=fraud.app.clock.now(),
        )
    )
    with pytest.raises(OperationBlockedError) as blocked:
        await fraud.open()
    assert "ESC-LST-01" in blocked.value.reasons
    assert (await fraud.escrow(funded.id)).state is EscrowState.ON_HOLD
    [report] = await fraud.pending(COMPLIANCE_TOPIC)
    assert report.payload["event_kind"] == "escrow.create"
    assert "ESC-LST-01" in str(report.payload["rules"])


async def test_a_blocked_payout_stays_pending_flags_the_escrow_until_an_override_lifts_it(
    fraud: FraudWorld,
) -> None:
    escrow = await fraud.funded()
    fraud.delivered()
    await fraud.release(escrow)
    await blocklist(fraud, ListKind.CLABE, PAYEE_BANK.value)

    assert await fraud.uc.dispatch_payouts.execute() == 0
    assert await fraud.uc.dispatch_payouts.execute() == 0  # a second pass adds nothing
    stored = await fraud.escrow(escrow.id)
    assert [p.status for p in stored.payouts] == [PayoutStatus.PENDING]
    assert stored.needs_review
    assert len(stored.review_reasons) == 1
    [alert] = await fraud.open_alerts()
    assert (alert.event_kind, alert.outcome) == ("payout", Outcome.BLOCK)

    await fraud.override(alert)
    assert await fraud.uc.dispatch_payouts.execute() == 1
    assert [o.destination for o in fraud.app.rail.sent] == [PAYEE_BANK]


async def test_a_payout_held_by_its_screening_holds_its_funded_escrow_and_is_not_sent(
    fraud: FraudWorld,
) -> None:
    escrow = await fraud.open(custody_percent=50)
    await fraud.change_payee_account()
    await fraud.deposit(escrow)
    assert await fraud.uc.dispatch_payouts.execute() == 0
    stored = await fraud.escrow(escrow.id)
    assert stored.state is EscrowState.ON_HOLD
    assert [p.status for p in stored.payouts] == [PayoutStatus.PENDING]
    assert fraud.app.rail.sent == []


async def test_the_third_sign_up_from_one_device_is_blocked(fraud: FraudWorld) -> None:
    device = ClientContext(ip="203.0.113.7", device="fp-1234")
    for name in ("one", "two"):
        await fraud.uc.register_user.execute(
            RegisterUser(email=f"{name}@example.mx", full_name=name, client=device)
        )
    with pytest.raises(OperationBlockedError) as blocked:
        await fraud.uc.register_user.execute(
            RegisterUser(email="three@example.mx", full_name="three", client=device)
        )
    assert blocked.value.reasons == ("ESC-VEL-03",)


async def test_a_kyc_level_change_the_screen_blocks_leaves_the_level_as_it_was(
    fraud: FraudWorld,
) -> None:
    await blocklist(fraud, ListKind.EMAIL, fraud.payee.email)
    with pytest.raises(OperationBlockedError):
        await fraud.uc.platform.admin.change_kyc_level(fraud.admin.id, fraud.payee.id, KycLevel.N3)
    async with fraud.app.uow() as uow:
        assert (await uow.users.get(fraud.payee.id)).kyc_level is KycLevel.N1


async def test_profiles_keep_a_version_per_change_of_what_the_rules_read(
    fraud: FraudWorld,
) -> None:
    profiles = fraud.uc.profiles.profiles
    newcomer = await fraud.uc.register_user.execute(
        RegisterUser(email="new@example.mx", full_name="Newcomer")
    )
    registered = await profiles.profile_as_of(newcomer.id, fraud.app.clock.now())
    assert registered is not None
    assert (registered.valid_from, registered.email, registered.payout_clabe) == (
        newcomer.created_at,
        "new@example.mx",
        None,
    )
    assert (registered.kyc_status, registered.kyc_level, registered.kyc_name) == (
        KycStatus.NONE,
        1,
        None,
    )
    await fraud.uc.platform.admin.change_kyc_level(fraud.admin.id, fraud.payee.id, KycLevel.N2)
    escrow = await fraud.funded()
    dispute = await fraud.uc.open_dispute.execute(
        OpenDispute(escrow_id=escrow.id, actor_id=fraud.payer.id, reason="r", details="d")
    )
    await fraud.uc.resolve_dispute.execute(
        ResolveDispute(
            dispute_id=dispute.id,
            admin_id=fraud.admin.id,
            resolution=Resolution.REFUND,
            reason="never delivered",
        )
    )
    now = fraud.app.clock.now()
    current = await profiles.profile_as_of(fraud.payee.id, now)
    assert current is not None
    assert (current.kyc_status, current.kyc_level, current.kyc_name) == (
        KycStatus.VERIFIED,
        2,
        "Payee",
    )
    assert current.payout_clabe == PAYEE_BANK.value
    assert len(current.disputes_lost_at) == 1
    payer = await profiles.profile_as_of(fraud.payer.id, now)
    assert payer is not None
    assert payer.disputes_lost_at == ()


async def test_evidence_reused_across_escrows_is_reviewed_and_puts_the_parties_on_the_watchlist(
    fraud: FraudWorld,
) -> None:
    for _ in range(2):
        escrow = await fraud.funded()
        dispute = await fraud.uc.open_dispute.execute(
            OpenDispute(escrow_id=escrow.id, actor_id=fraud.payer.id, reason="r", details="d")
        )
        await fraud.uc.add_evidence.execute(
            AddEvidence(
                dispute_id=dispute.id,
                actor_id=fraud.payer.id,
                is_admin=False,
                filename="receipt.txt",
                content_type="text/plain",
                data=b"the same receipt, again",
            )
        )
    [alert] = await fraud.open_alerts()
    assert (alert.event_kind, alert.rule_ids) == ("dispute.evidence_uploaded", ("ESC-DSP-04",))
    watched = await fraud.listed(ListName.WATCHLIST)
    assert {(e.kind, e.value, e.source) for e in watched} == {
        (ListKind.USER, fraud.payer.id, "ESC-DSP-04"),
        (ListKind.USER, fraud.payee.id, "ESC-DSP-04"),
    }


async def test_an_override_needs_a_hold_or_block_a_justification_and_no_other_request(
    fraud: FraudWorld,
) -> None:
    escrow = await fraud.open()
    await fraud.deposit(escrow, source=OTHER_BANK)  # a review: nothing to override
    [review] = await fraud.open_alerts()
    with pytest.raises(OverrideNotNeededError):
        await fraud.uc.platform.overrides.request(
            RequestOverride(
                admin_id=fraud.admin.id, alert_id=review.alert_id, justification=JUSTIFICATION
            )
        )
    await fraud.uc.platform.lists.add(
        AddListEntry(
            admin_id=fraud.admin.id,
            list_name=ListName.BLOCKLIST,
            kind=ListKind.USER,
            value=fraud.payee.id,
            reason="chargebacks",
        )
    )
    with pytest.raises(OperationBlockedError):
        await fraud.open()
    [block] = [a for a in await fraud.open_alerts() if a.outcome is Outcome.BLOCK]
    with pytest.raises(JustificationTooShortError):
        await fraud.uc.platform.overrides.request(
            RequestOverride(admin_id=fraud.admin.id, alert_id=block.alert_id, justification="ok")
        )
    first = RequestOverride(
        admin_id=fraud.admin.id, alert_id=block.alert_id, justification=JUSTIFICATION
    )
    await fraud.uc.platform.overrides.request(first)
    with pytest.raises(ConflictError):
        await fraud.uc.platform.overrides.request(first)


async def test_a_rejected_override_keeps_the_hold(fraud: FraudWorld) -> None:
    escrow = await fraud.funded()
    fraud.delivered()
    await fraud.change_payee_account()
    await fraud.release(escrow)
    [alert] = await fraud.open_alerts()
    requested = await fraud.uc.platform.overrides.request(
        RequestOverride(
            admin_id=fraud.admin.id, alert_id=alert.alert_id, justification=JUSTIFICATION
        )
    )
    rejected = await fraud.uc.platform.overrides.reject(
        DecideOverride(
            admin_id=fraud.second_admin.id,
            override_id=requested.override_id,
            reason="the bank letter is forged",
        )
    )
    assert rejected.state.value == "rejected"
    assert (await fraud.escrow(escrow.id)).state is EscrowState.ON_HOLD
    assert [a.alert_id for a in await fraud.open_alerts()] == [alert.alert_id]
    entries = await fraud.app.audit.entries(offset=0, limit=100)
    assert [e.record.action for e in entries][-2:] == [
        "fraud.override_requested",
        "fraud.override_rejected",
    ]


async def test_one_admin_cannot_clear_a_hold_the_risk_screen_placed(fraud: FraudWorld) -> None:
    escrow = await fraud.funded()
    fraud.delivered()
    await fraud.change_payee_account()
    await fraud.release(escrow)
    held = await fraud.escrow(escrow.id)
    assert held.state is EscrowState.ON_HOLD

    with pytest.raises(RuleViolationError, match="override"):
        await fraud.uc.clear_hold.execute(HoldEscrow(escrow_id=escrow.id, admin_id=fraud.admin.id))
    assert (await fraud.escrow(escrow.id)).version == held.version

    [alert] = await fraud.open_alerts()
    await fraud.override(alert)  # four eyes: requested by one admin, approved by another
    lifted = await fraud.escrow(escrow.id)
    assert lifted.state is EscrowState.FUNDED
    assert not lifted.hold_by_risk


async def test_an_admin_clears_a_hold_an_admin_placed(fraud: FraudWorld) -> None:
    escrow = await fraud.funded()
    hold = HoldEscrow(escrow_id=escrow.id, admin_id=fraud.admin.id, reason="chargeback report")
    await fraud.uc.hold_escrow.execute(hold)
    assert not (await fraud.escrow(escrow.id)).hold_by_risk

    await fraud.uc.clear_hold.execute(hold)
    assert (await fraud.escrow(escrow.id)).state is EscrowState.FUNDED
