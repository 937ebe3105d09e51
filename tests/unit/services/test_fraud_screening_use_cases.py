"""The rule engine wired into the use cases: blocks refuse, holds hold, reviews raise alerts.

Every test runs ``build_in_memory()`` with the shipped ruleset (see ``fraud_world``).
"""

from __future__ import annotations

import asyncio
import copy
from datetime import timedelta

import attrs
import pytest

from kustodia_domain.escrow.custody import Resolution
from kustodia_domain.escrow.events import (
    EscrowHoldCleared,
    FundsReleased,
    MilestoneReleased,
    RiskOverrideDecided,
    RiskOverrideRequested,
)
from kustodia_domain.escrow.payouts import PayoutLeg
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.fraud.errors import SecondApproverRequiredError
from kustodia_domain.fraud.lists import ListKind, ListName
from kustodia_domain.fraud.screen import RuleEngineRiskScreen
from kustodia_domain.fraud.screening import Outcome, RiskDecision, RiskEvent
from kustodia_domain.services.dispute_commands import AddEvidence, OpenDispute
from kustodia_domain.services.payouts import PayoutNotice, ReissuePayout
from kustodia_domain.services.record_deposit import DepositOutcome
from kustodia_domain.services.resolve_dispute import ResolveDispute
from kustodia_domain.services.risk_lists_admin import AddListEntry
from kustodia_domain.services.risk_overrides import DecideOverride
from kustodia_domain.services.users import RegisterUser, SetPayoutAccount
from kustodia_domain.shared.errors import ConcurrencyConflictError, OperationBlockedError
from tests.unit.services.fraud_world import (
    AMOUNT,
    OTHER_BANK,
    PAYER_BANK,
    FraudWorld,
    build_fraud_world,
)


@pytest.fixture
async def fraud() -> FraudWorld:
    return await build_fraud_world()


async def test_a_sign_up_on_the_blocklist_is_blocked_and_nothing_is_created(
    fraud: FraudWorld,
) -> None:
    await fraud.uc.platform.lists.add(
        AddListEntry(
            admin_id=fraud.admin.id,
            list_name=ListName.BLOCKLIST,
            kind=ListKind.EMAIL,
            value="Mule@Example.mx",
            reason="confirmed mule account",
        )
    )
    before = copy.deepcopy(fraud.app.store.state)
    with pytest.raises(OperationBlockedError) as blocked:
        await fraud.uc.register_user.execute(
            RegisterUser(email="mule@example.mx", full_name="Mule")
        )
    assert blocked.value.code == "risk.blocked"
    assert blocked.value.reasons == ("ESC-LST-03",)
    assert fraud.app.store.state == before
    [alert] = await fraud.open_alerts()
    assert (alert.event_kind, alert.outcome, alert.rule_ids) == (
        "account.created",
        Outcome.BLOCK,
        ("ESC-LST-03",),
    )


async def test_a_payout_clabe_changed_just_before_release_holds_the_escrow_and_raises_an_alert(
    fraud: FraudWorld,
) -> None:
    escrow = await fraud.funded()
    fraud.delivered()
    await fraud.change_payee_account()
    released = await fraud.release(escrow)
    assert released.state is EscrowState.ON_HOLD
    stored = await fraud.escrow(escrow.id)
    assert (stored.state, stored.payouts, stored.custody_balance.amount_minor) == (
        EscrowState.ON_HOLD,
        [],
        AMOUNT,
    )
    [alert] = await fraud.open_alerts()
    assert (alert.event_kind, alert.escrow_id, alert.outcome) == (
        "release",
        escrow.id,
        Outcome.HOLD,
    )
    assert "ESC-SPEI-02" in alert.rule_ids
    assert fraud.payee.id in alert.party_ids
    step_up = [n for n in await fraud.notifications(fraud.payee) if n.kind == "risk_step_up"]
    assert [n.escrow_id for n in step_up] == [escrow.id]


async def test_a_refund_to_a_destination_that_is_not_the_source_is_blocked(
    fraud: FraudWorld,
) -> None:
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
    assert await fraud.uc.dispatch_payouts.execute() == 1
    [refund] = (await fraud.escrow(escrow.id)).payouts
    assert (refund.leg, refund.destination) == (PayoutLeg.REFUND, PAYER_BANK)
    await fraud.uc.return_payout.execute(PayoutNotice(payout_id=refund.id))
    before = await fraud.escrow(escrow.id)

    with pytest.raises(OperationBlockedError) as blocked:
        await fraud.uc.reissue_payout.execute(
            ReissuePayout(payout_id=refund.id, destination=OTHER_BANK.value)
        )

    assert "ESC-SPEI-05" in blocked.value.reasons
    assert (await fraud.escrow(escrow.id)).payouts == before.payouts
    back_home = await fraud.uc.reissue_payout.execute(ReissuePayout(payout_id=refund.id))
    assert [p.destination for p in back_home.payouts] == [PAYER_BANK, PAYER_BANK]


async def test_a_watchlist_action_adds_a_list_entry(fraud: FraudWorld) -> None:
    shared = fraud.payee.payout_account
    assert shared is not None
    for name in ("mule1", "mule2"):
        user = await fraud.uc.register_user.execute(
            RegisterUser(email=f"{name}@example.mx", full_name=name)
        )
        account = SetPayoutAccount(user_id=user.id, clabe=shared.clabe.value, holder_name=name)
        if name == "mule1":
            await fraud.uc.set_payout_account.execute(account)
            continue
        with pytest.raises(OperationBlockedError) as blocked:
            await fraud.uc.set_payout_account.execute(account)
        assert blocked.value.reasons == ("ESC-SPEI-03",)
    [entry] = await fraud.listed(ListName.WATCHLIST)
    assert (entry.kind, entry.value, entry.source, entry.added_by) == (
        ListKind.CLABE,
        shared.clabe.value,
        "ESC-SPEI-03",
        "risk-screen",
    )
    assert entry.reason.startswith("3 users used this payout CLABE")


async def test_an_override_by_the_same_admin_is_refused_and_by_a_second_admin_clears_the_hold(
    fraud: FraudWorld,
) -> None:
    escrow = await fraud.funded()
    fraud.delivered()
    await fraud.change_payee_account()
    await fraud.release(escrow)
    [alert] = await fraud.open_alerts()

    with pytest.raises(SecondApproverRequiredError):
        await fraud.override(alert, approver=fraud.admin)
    assert (await fraud.escrow(escrow.id)).state is EscrowState.ON_HOLD

    [pending] = await fraud.uc.platform.overrides.overrides.for_event(alert.event_id)
    approved = await fraud.uc.platform.overrides.approve(
        DecideOverride(admin_id=fraud.second_admin.id, override_id=pending.override_id)
    )
    assert (approved.state.value, approved.decided_by) == ("approved", fraud.second_admin.id)
    cleared = await fraud.escrow(escrow.id)
    assert cleared.state is EscrowState.FUNDED
    timeline = await fraud.timeline(escrow.id)
    assert [type(e) for e in timeline[-4:]] == [
        RiskOverrideRequested,
        type(timeline[-3]),
        RiskOverrideDecided,
        EscrowHoldCleared,
    ]
    assert await fraud.open_alerts() == []
    # The two admins lifted ESC-SPEI-02 for this escrow's release: asking again releases it.
    assert (await fraud.release(escrow)).state is EscrowState.RELEASED
    screened = [e for e in await fraud.screened(escrow.id) if e.operation == "release"]
    assert [(e.outcome, e.override_id) for e in screened] == [
        ("hold", None),
        ("hold", approved.override_id),
    ]


async def test_the_screening_of_each_event_kind_appears_in_the_escrows_timeline(
    fraud: FraudWorld,
) -> None:
    escrow = await fraud.funded(custody_percent=80, milestones=(5_000, 5_000))
    await fraud.uc.dispatch_payouts.execute()  # the immediate 20 % to the payee
    [immediate] = (await fraud.escrow(escrow.id)).payouts
    await fraud.uc.return_payout.execute(PayoutNotice(payout_id=immediate.id))
    fraud.delivered()
    await fraud.change_payee_account()
    await fraud.release(escrow, "m1")  # held: the payee's CLABE changed a moment ago
    [alert] = await fraud.open_alerts()
    await fraud.override(alert)
    await fraud.release(escrow, "m1")
    dispute = await fraud.uc.open_dispute.execute(
        OpenDispute(escrow_id=escrow.id, actor_id=fraud.payer.id, reason="r", details="d")
    )
    await fraud.uc.add_evidence.execute(
        AddEvidence(
            dispute_id=dispute.id,
            actor_id=fraud.payer.id,
            is_admin=False,
            filename="photo.txt",
            content_type="text/plain",
            data=b"the second wheel never arrived",
        )
    )
    await fraud.uc.resolve_dispute.execute(
        ResolveDispute(
            dispute_id=dispute.id,
            admin_id=fraud.admin.id,
            resolution=Resolution.REFUND,
            reason="half delivered",
        )
    )
    await fraud.uc.dispatch_payouts.execute()

    operations = {e.operation for e in await fraud.screened(escrow.id)}
    assert operations == {
        "escrow.create",
        "escrow.fund",
        "payout",
        "payout.returned",
        "release",
        "override.requested",
        "dispute.opened",
        "dispute.evidence_uploaded",
        "refund",
    }
    assert await fraud.timeline(escrow.id)  # and the release of m1 did happen once lifted
    assert [type(e) for e in await fraud.timeline(escrow.id) if isinstance(e, MilestoneReleased)]
    assert not [e for e in await fraud.timeline(escrow.id) if isinstance(e, FundsReleased)]


class ScreenOnceAllRead:
    """The worst case of a race: every contender has read before any screens or commits."""

    def __init__(self, engine: RuleEngineRiskScreen, contenders: int) -> None:
        self._engine = engine
        self._all_read = asyncio.Barrier(contenders)

    async def screen(self, event: RiskEvent) -> RiskDecision:
        await self._all_read.wait()
        return await self._engine.screen(event)


def rule_engine(fraud: FraudWorld) -> RuleEngineRiskScreen:
    engine = fraud.app.risk
    assert isinstance(engine, RuleEngineRiskScreen)
    return engine


async def recorded(engine: RuleEngineRiskScreen, kind: str, escrow_id: str) -> int:
    """How many events of ``kind`` about ``escrow_id`` the fraud history holds."""
    entries = await engine.history.entries()
    return sum(e.event.kind == kind and e.event.escrow_id == escrow_id for e in entries)


async def test_two_workers_running_due_jobs_at_once_screen_the_clocks_release_once(
    fraud: FraudWorld,
) -> None:
    escrow = await fraud.funded()
    fraud.app.clock.advance(timedelta(days=11))
    engine = rule_engine(fraud)
    scheduler = fraud.uc.run_due_jobs
    gate = attrs.evolve(scheduler.risk, screen=ScreenOnceAllRead(engine, 2))
    racing = attrs.evolve(scheduler, risk=gate)
    now = fraud.app.clock.now()

    reports = await asyncio.gather(racing.execute(now), racing.execute(now))

    assert sorted(report.released for report in reports) == [0, 1]
    assert sorted(len(report.skipped) for report in reports) == [0, 1]
    assert (await fraud.escrow(escrow.id)).state is EscrowState.RELEASED
    assert await recorded(engine, "release", escrow.id) == 1


async def test_a_deposit_reported_twice_at_once_is_screened_once(fraud: FraudWorld) -> None:
    escrow = await fraud.open()
    engine = rule_engine(fraud)
    handler = fraud.uc.record_deposit
    racing = attrs.evolve(
        handler, risk=attrs.evolve(handler.risk, screen=ScreenOnceAllRead(engine, 2))
    )
    command = fraud.deposit_of(escrow)

    outcomes = await asyncio.gather(
        racing.execute(command), racing.execute(command), return_exceptions=True
    )

    # One applies it; the other lost the race for the escrow and, retried, finds a duplicate.
    assert DepositOutcome.APPLIED in outcomes
    assert any(isinstance(outcome, ConcurrencyConflictError) for outcome in outcomes)
    assert await handler.execute(command) is DepositOutcome.DUPLICATE
    assert (await fraud.escrow(escrow.id)).state is EscrowState.FUNDED
    assert await recorded(engine, "escrow.fund", escrow.id) == 1


async def test_an_ordinary_escrow_between_settled_accounts_passes_without_alerts(
    fraud: FraudWorld,
) -> None:
    escrow = await fraud.funded()
    fraud.delivered()
    assert (await fraud.release(escrow)).state is EscrowState.RELEASED
    assert await fraud.uc.dispatch_payouts.execute() == 1
    assert await fraud.open_alerts() == []
    assert {(e.operation, e.outcome) for e in await fraud.screened(escrow.id)} == {
        ("escrow.create", "allow"),
        ("escrow.fund", "allow"),
        ("release", "allow"),
        ("payout", "allow"),
    }
