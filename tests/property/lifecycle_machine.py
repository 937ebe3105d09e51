"""A Hypothesis state machine that drives escrows through the use cases in random orders.

It is written against :class:`~kustodia_domain.services.use_cases.UseCases` and a unit of work,
so the same machine runs on every adapter set: subclasses provide ``build_app``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from kustodia_domain.escrow.custody import Resolution
from kustodia_domain.escrow.events import SETTLEMENT_EVENTS, FundsReleased, YieldAccrued
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.payouts import PayoutLeg, PayoutStatus
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.escrow.terms import CreatorRole, EscrowKind
from kustodia_domain.identity.model import Role
from kustodia_domain.ledger.accounts import Account, AccountKind
from kustodia_domain.ledger.balances import held
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.dispute_commands import OpenDispute
from kustodia_domain.services.escrow_commands import ApproveRelease, EscrowCommand
from kustodia_domain.services.holds import HoldEscrow
from kustodia_domain.services.open_escrow import OpenEscrow
from kustodia_domain.services.payouts import PayoutNotice, ReissuePayout
from kustodia_domain.services.record_deposit import DepositOutcome, RecordDeposit
from kustodia_domain.services.resolve_dispute import ResolveDispute
from kustodia_domain.services.use_cases import UseCases
from kustodia_domain.services.users import RegisterUser, SetPayoutAccount
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.errors import KustodiaError
from kustodia_domain.shared.ids import UserId

T = TypeVar("T")


class MovableClock(Protocol):
    def now(self) -> datetime: ...

    def advance(self, delta: timedelta) -> datetime: ...


class LifecycleApp(Protocol):
    """What the machine needs from an adapter set."""

    @property
    def use_cases(self) -> UseCases: ...

    @property
    def clock(self) -> MovableClock: ...

    def uow(self) -> UnitOfWork: ...


SOURCES = (Clabe.build("012", "180", "5001"), Clabe.build("014", "180", "5002"))
LIABILITIES = {
    AccountKind.ESCROW_CUSTODY,
    AccountKind.ESCROW_YIELD,
    AccountKind.USER_PAYABLE,
    AccountKind.PLATFORM_FEES,
    AccountKind.PLATFORM_YIELD,
    AccountKind.SUSPENSE,
}


class EscrowLifecycle(RuleBasedStateMachine):
    """Random interleavings of every command; invariants checked after each step."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.escrow_ids: list[str] = []
        self.deposit_keys: list[tuple[str, RecordDeposit]] = []
        self.deposited = 0
        self.paid_out = 0
        self.tick = 0

    def build(self) -> LifecycleApp:
        """The adapter set under test (subclasses override)."""
        raise NotImplementedError

    def teardown(self) -> None:
        self.loop.close()

    def run(self, coroutine: Awaitable[T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def attempt(self, coroutine: Awaitable[object]) -> bool:
        """Run a command that may be refused; a refusal must change nothing."""
        before = self.run(self.snapshot())
        try:
            self.run(coroutine)
        except KustodiaError:
            assert self.run(self.snapshot()) == before, "a refused command changed state"
            return False
        return True

    async def snapshot(self) -> tuple[tuple[str, int, str], ...]:
        async with self.uow() as uow:
            escrows = [await uow.escrows.get(i) for i in self.escrow_ids]
            totals = await uow.ledger.signed_totals()
        return tuple((e.id, e.version, e.state.value) for e in escrows) + tuple(
            (a.code, v, "") for a, v in sorted(totals.items())
        )

    async def escrow(self, escrow_id: str) -> Escrow:
        async with self.uow() as uow:
            escrow: Escrow = await uow.escrows.get(escrow_id)
            return escrow

    # ------------------------------------------------------------------ set-up
    @initialize()
    def register_parties(self) -> None:
        app = self.build()
        self.use_cases, self.uow, self.clock = app.use_cases, app.uow, app.clock
        self.users: dict[str, UserId] = {}
        for n, name in enumerate(("payer", "payee", "broker", "admin")):
            role = Role.ADMIN if name == "admin" else Role.USER
            user = self.run(
                self.use_cases.register_user.execute(
                    RegisterUser(email=f"{name}@example.mx", full_name=name.title(), role=role)
                )
            )
            self.users[name] = user.id
            self.run(
                self.use_cases.set_payout_account.execute(
                    SetPayoutAccount(
                        user_id=user.id,
                        clabe=Clabe.build("002", "180", str(7000 + n)).value,
                        holder_name=name.title(),
                    )
                )
            )

    # ------------------------------------------------------------------ rules
    @precondition(lambda self: len(self.escrow_ids) < 4)
    @rule(
        kind=st.sampled_from(EscrowKind),
        by_payee=st.booleans(),
        amount=st.integers(1, 5_000_000),
        custody=st.sampled_from([0, 1, 50, 99, 100]),
        days=st.integers(1, 10),
        broker=st.booleans(),
    )
    def open_escrow(  # noqa: PLR0917 - Hypothesis passes rule arguments by keyword
        self, kind: EscrowKind, by_payee: bool, amount: int, custody: int, days: int, broker: bool
    ) -> None:
        creator, other = ("payee", "payer") if by_payee else ("payer", "payee")
        escrow = self.run(
            self.use_cases.open_escrow.execute(
                OpenEscrow(
                    creator_id=self.users[creator],
                    kind=kind,
                    creator_role=CreatorRole.PAYEE if by_payee else CreatorRole.PAYER,
                    counterparty_email=f"{other}@example.mx",
                    amount_minor=amount,
                    currency="MXN",
                    custody_percent=custody,
                    custody_days=days,
                    description="goods",
                    commissions=(("broker@example.mx", 500),) if broker else (),
                )
            )
        )
        self.escrow_ids.append(escrow.id)

    def pick(self, data: st.DataObject) -> str:
        return data.draw(st.sampled_from(self.escrow_ids))

    @precondition(lambda self: self.escrow_ids)
    @rule(data=st.data())
    def accept(self, data: st.DataObject) -> None:
        cmd = EscrowCommand(escrow_id=self.pick(data), actor_id=self.users["payer"])
        self.attempt(self.use_cases.accept_escrow.execute(cmd))

    @precondition(lambda self: self.escrow_ids)
    @rule(
        data=st.data(),
        share=st.sampled_from(["partial", "exact", "excess"]),
        source=st.integers(0, 1),
    )
    def deposit(self, data: st.DataObject, share: str, source: int) -> None:
        escrow = self.run(self.escrow(self.pick(data)))
        remaining = (escrow.amount_due - escrow.funded_amount).amount_minor
        amount = {
            "partial": max(1, remaining // 2),
            "exact": max(1, remaining),
            "excess": remaining + 12_345,
        }[share]
        self.tick += 1
        cmd = RecordDeposit(
            tracking_key=f"trk{self.tick}",
            clabe=escrow.deposit_clabe.value,
            reference=escrow.reference,
            amount_minor=amount,
            currency="MXN",
            source_clabe=SOURCES[source].value,
            sender_name="Payer",
            received_at=self.clock.now(),
        )
        outcome = self.run(self.use_cases.record_deposit.execute(cmd))
        assert outcome is DepositOutcome.APPLIED
        self.deposited += amount
        self.deposit_keys.append((escrow.id, cmd))

    @precondition(lambda self: self.deposit_keys)
    @rule(data=st.data())
    def replay_a_deposit(self, data: st.DataObject) -> None:
        _, cmd = data.draw(st.sampled_from(self.deposit_keys))
        before = self.run(self.snapshot())
        assert self.run(self.use_cases.record_deposit.execute(cmd)) is DepositOutcome.DUPLICATE
        assert self.run(self.snapshot()) == before

    @precondition(lambda self: self.escrow_ids)
    @rule(amount=st.integers(1, 100_000))
    def unmatched_deposit(self, amount: int) -> None:
        self.tick += 1
        cmd = RecordDeposit(
            tracking_key=f"trk{self.tick}",
            clabe=SOURCES[0].value,
            reference="0000000",
            amount_minor=amount,
            currency="MXN",
            source_clabe=SOURCES[1].value,
            sender_name="Stranger",
            received_at=self.clock.now(),
        )
        assert self.run(self.use_cases.record_deposit.execute(cmd)) is DepositOutcome.UNMATCHED
        self.deposited += amount

    @precondition(lambda self: self.escrow_ids)
    @rule(data=st.data(), party=st.sampled_from(["payer", "payee", "broker"]))
    def approve(self, data: st.DataObject, party: str) -> None:
        cmd = ApproveRelease(escrow_id=self.pick(data), actor_id=self.users[party])
        self.attempt(self.use_cases.approve_release.execute(cmd))

    @precondition(lambda self: self.escrow_ids)
    @rule(data=st.data(), party=st.sampled_from(["payer", "payee"]))
    def dispute(self, data: st.DataObject, party: str) -> None:
        cmd = OpenDispute(
            escrow_id=self.pick(data), actor_id=self.users[party], reason="late", details="no show"
        )
        self.attempt(self.use_cases.open_dispute.execute(cmd))

    @precondition(lambda self: self.escrow_ids)
    @rule(
        data=st.data(),
        resolution=st.sampled_from(Resolution),
        share=st.integers(0, 100),
    )
    def resolve(self, data: st.DataObject, resolution: Resolution, share: int) -> None:
        escrow = self.run(self.escrow(self.pick(data)))
        if escrow.dispute_id is None:
            return
        cmd = ResolveDispute(
            dispute_id=escrow.dispute_id,
            admin_id=self.users["admin"],
            resolution=resolution,
            reason="reviewed",
            payee_amount_minor=escrow.custody_balance.amount_minor * share // 100,
        )
        self.attempt(self.use_cases.resolve_dispute.execute(cmd))

    @precondition(lambda self: self.escrow_ids)
    @rule(data=st.data(), clear=st.booleans())
    def hold_or_clear(self, data: st.DataObject, clear: bool) -> None:
        cmd = HoldEscrow(escrow_id=self.pick(data), admin_id=self.users["admin"], reason="check")
        handler = self.use_cases.clear_hold if clear else self.use_cases.hold_escrow
        self.attempt(handler.execute(cmd))

    @precondition(lambda self: self.escrow_ids)
    @rule(data=st.data(), party=st.sampled_from(["payer", "payee"]))
    def cancel(self, data: st.DataObject, party: str) -> None:
        cmd = EscrowCommand(escrow_id=self.pick(data), actor_id=self.users[party])
        self.attempt(self.use_cases.cancel_escrow.execute(cmd))

    @precondition(lambda self: self.escrow_ids)
    @rule(hours=st.sampled_from([1, 6, 24, 24 * 3, 24 * 8]))
    def advance_clock(self, hours: int) -> None:
        frozen = {
            e.id: e.state
            for e in (self.run(self.escrow(i)) for i in self.escrow_ids)
            if e.state in (EscrowState.DISPUTED, EscrowState.ON_HOLD)
        }
        now = self.clock.advance(timedelta(hours=hours))
        self.run(self.use_cases.run_due_jobs.execute(now))
        for escrow_id, state in frozen.items():
            assert self.run(self.escrow(escrow_id)).state is state, (
                "the clock moved a frozen escrow"
            )

    @precondition(lambda self: self.escrow_ids)
    @rule()
    def dispatch_payouts(self) -> None:
        self.run(self.use_cases.dispatch_payouts.execute())

    def payouts(self, *statuses: PayoutStatus) -> list[tuple[str, int]]:
        escrows = [self.run(self.escrow(i)) for i in self.escrow_ids]
        return [
            (p.id, p.amount.amount_minor)
            for e in escrows
            for p in e.live_payouts
            if p.status in statuses and e.state is not EscrowState.ON_HOLD
        ]

    @precondition(lambda self: self.escrow_ids)
    @rule(data=st.data())
    def confirm_payout(self, data: st.DataObject) -> None:
        candidates = self.payouts(PayoutStatus.SENT)
        if candidates:
            payout_id, amount = data.draw(st.sampled_from(candidates))
            self.run(self.use_cases.confirm_payout.execute(PayoutNotice(payout_id=payout_id)))
            self.paid_out += amount

    @precondition(lambda self: self.escrow_ids)
    @rule(data=st.data())
    def return_payout(self, data: st.DataObject) -> None:
        candidates = self.payouts(PayoutStatus.SENT, PayoutStatus.CONFIRMED)
        if not candidates:
            return
        payout_id, amount = data.draw(st.sampled_from(candidates))
        escrow = self.run(self.escrow(payout_id.split("-p")[0]))
        was_confirmed = escrow.payout(payout_id).status is PayoutStatus.CONFIRMED
        self.run(self.use_cases.return_payout.execute(PayoutNotice(payout_id=payout_id)))
        if was_confirmed:
            self.paid_out -= amount
        self.run(self.use_cases.reissue_payout.execute(ReissuePayout(payout_id=payout_id)))

    # ------------------------------------------------------------------ invariants
    @invariant()
    def ledger_sums_to_zero_and_nothing_is_overdrawn(self) -> None:
        if not hasattr(self, "use_cases"):
            return
        totals = self.run(self.totals())
        assert sum(totals.values()) == 0
        for account, signed in totals.items():
            assert held(account, signed) >= 0, account.code

    async def totals(self) -> dict[Account, int]:
        async with self.uow() as uow:
            return dict(await uow.ledger.signed_totals())

    async def events(self, escrow_id: str) -> list[object]:
        async with self.uow() as uow:
            return list(await uow.events.for_aggregate(escrow_id))

    @invariant()
    def money_is_conserved_to_the_centavo(self) -> None:
        if not hasattr(self, "use_cases"):
            return
        totals = self.run(self.totals())
        liabilities = sum(held(a, v) for a, v in totals.items() if a.kind in LIABILITIES)
        accrued = sum(
            e.amount.amount_minor
            for i in self.escrow_ids
            for e in self.run(self.events(i))
            if isinstance(e, YieldAccrued)
        )
        # deposited + yield earned = paid out + everything still held or owed
        assert self.deposited + accrued == self.paid_out + liabilities

    @invariant()
    def each_escrow_agrees_with_the_ledger_and_settles_at_most_once(self) -> None:
        if not hasattr(self, "use_cases"):
            return
        totals = self.run(self.totals())
        for escrow_id in self.escrow_ids:
            escrow = self.run(self.escrow(escrow_id))
            custody = Account.custody(escrow.id, escrow.terms.amount.currency)
            assert escrow.custody_balance.amount_minor == held(custody, totals.get(custody, 0))
            events = self.run(self.events(escrow_id))
            assert sum(isinstance(e, SETTLEMENT_EVENTS) for e in events) <= 1
            if escrow.funded_at is not None:
                deadline = escrow.funded_at + timedelta(days=escrow.terms.custody_days)
                assert escrow.custody_ends_at == deadline
            if escrow.state in (EscrowState.COMPLETED, EscrowState.CANCELLED, EscrowState.EXPIRED):
                assert escrow.custody_balance.is_zero
            if escrow.state is EscrowState.COMPLETED and not escrow.needs_review:
                # Completion means the escrow's own payouts were all confirmed; a payout returned
                # later flags the escrow, and a late deposit is bounced on its own payout.
                own = [p for p in escrow.live_payouts if p.leg is not PayoutLeg.BOUNCE]
                assert all(p.status is PayoutStatus.CONFIRMED for p in own)
            released = [e for e in events if isinstance(e, FundsReleased)]
            assert all(
                e.reason != "deadline" or escrow.kind is EscrowKind.STANDARD for e in released
            )
