"""A narrated walk through a whole escrow, run on whatever adapters the caller wires.

Story: buyer and seller have verified their identity (KYC N3) and set their accounts up a few
days before the sale; the seller asks for payment with a broker's commission, the buyer accepts
and funds in two deposits (the excess goes back), the buyer disputes, the policy assesses, an
admin splits the custody, the payouts are sent and confirmed, and the ledger is shown to balance.
Every step passes the fraud screen: new, unverified accounts would be held at these amounts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from kustodia_domain.escrow.custody import Resolution
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.terms import CreatorRole, EscrowKind
from kustodia_domain.identity.model import KycLevel, Role, User
from kustodia_domain.services.dispute_commands import OpenDispute, PostDisputeMessage
from kustodia_domain.services.escrow_commands import EscrowCommand
from kustodia_domain.services.open_escrow import OpenEscrow
from kustodia_domain.services.payouts import PayoutNotice
from kustodia_domain.services.queries import Viewer
from kustodia_domain.services.record_deposit import RecordDeposit
from kustodia_domain.services.resolve_dispute import AssessDispute, ResolveDispute
from kustodia_domain.services.use_cases import UseCases
from kustodia_domain.services.users import RegisterUser, SetPayoutAccount
from kustodia_domain.shared.money import Money

BUYER_BANK = "012180012345678909"
SELLER_BANK = "002115016003269411"
BROKER_BANK = "014180060000000011"


class WalkthroughApp(Protocol):
    """What the walkthrough needs: the use cases, a clock to move, and the rail's sent payouts."""

    @property
    def use_cases(self) -> UseCases: ...

    def now(self) -> datetime: ...

    def advance(self, delta: timedelta) -> datetime: ...

    def sent_payouts(self) -> Sequence[str]: ...


async def _user(uc: UseCases, email: str, name: str, bank: str | None, role: Role) -> User:
    user = await uc.register_user.execute(RegisterUser(email=email, full_name=name, role=role))
    if bank is not None:
        await uc.set_payout_account.execute(
            SetPayoutAccount(user_id=user.id, clabe=bank, holder_name=name)
        )
    return user


async def run_walkthrough(app: WalkthroughApp, say: Callable[[str], None] = print) -> Escrow:
    """Play the story, narrating each step through ``say``; returns the final escrow."""
    uc = app.use_cases
    buyer = await _user(uc, "ana@example.mx", "Ana Buyer", BUYER_BANK, Role.USER)
    seller = await _user(uc, "luis@example.mx", "Luis Seller", SELLER_BANK, Role.USER)
    await _user(uc, "bea@example.mx", "Bea Broker", BROKER_BANK, Role.USER)
    admin = await _user(uc, "admin@example.mx", "Ops Admin", None, Role.ADMIN)
    for party in (buyer, seller):
        await uc.platform.admin.change_kyc_level(admin.id, party.id, KycLevel.N3)
    app.advance(timedelta(days=3))
    say(
        f"1. Registered buyer, seller, broker and admin; buyer and seller KYC-verified at N3; "
        f"buyer deposit CLABE {buyer.deposit_clabe}; three days pass"
    )

    escrow = await uc.open_escrow.execute(
        OpenEscrow(
            creator_id=seller.id,
            kind=EscrowKind.STANDARD,
            creator_role=CreatorRole.PAYEE,
            counterparty_email=buyer.email,
            amount_minor=1_500_000,
            currency="MXN",
            custody_percent=70,
            custody_days=5,
            description="Used motorcycle",
            commissions=(("bea@example.mx", 250),),
        )
    )
    say(f"2. Seller requested {escrow.terms.amount} (fee {escrow.fee}, broker 2.5 %)")
    escrow = await uc.accept_escrow.execute(EscrowCommand(escrow_id=escrow.id, actor_id=buyer.id))
    instructions = escrow.funding_instructions
    assert instructions is not None  # noqa: S101 - an accepted request awaits funds
    say(
        f"3. Buyer accepted: pay {instructions.amount_due} to {instructions.clabe} "
        f"reference {instructions.reference}"
    )
    escrow = await _deposit(uc, app, escrow, "SPEI-0001", 600_000)
    say(f"4. Partial deposit of 6000.00 MXN: {escrow.state}, funded {escrow.funded_amount}")
    escrow = await _deposit(uc, app, escrow, "SPEI-0002", 1_000_000)
    say(
        f"5. Second deposit covers the rest: {escrow.state}; custody {escrow.custody_balance} "
        f"until {escrow.custody_ends_at}; excess and immediate share scheduled as payouts"
    )
    app.advance(timedelta(days=2))
    dispute = await uc.open_dispute.execute(
        OpenDispute(
            escrow_id=escrow.id,
            actor_id=buyer.id,
            reason="Not as described",
            details="The engine does not start.",
        )
    )
    await uc.post_dispute_message.execute(
        PostDisputeMessage(
            dispute_id=dispute.id, actor_id=seller.id, is_admin=False, body="It ran on delivery."
        )
    )
    say(f"6. Buyer opened a dispute: release is frozen; seller answered ({dispute.id})")
    assessment = await uc.assess_dispute.execute(AssessDispute(dispute_id=dispute.id))
    say(
        f"7. Assessment ({assessment.model}): {assessment.outcome}, seller share "
        f"{assessment.payee_share_bps} bps, confidence {assessment.confidence_bps} bps"
    )
    custody = escrow.custody_balance.amount_minor
    await uc.resolve_dispute.execute(
        ResolveDispute(
            dispute_id=dispute.id,
            admin_id=admin.id,
            resolution=Resolution.SPLIT,
            reason="Repair costs shared",
            payee_amount_minor=custody // 2,
        )
    )
    escrow = await uc.escrows.get(Viewer(user_id=admin.id, is_admin=True), escrow.id)
    say(f"8. Admin split the custody: {escrow.state}")
    sent = await uc.dispatch_payouts.execute()
    for payout_id in app.sent_payouts():
        await uc.confirm_payout.execute(PayoutNotice(payout_id=payout_id))
    escrow = await uc.escrows.get(Viewer(user_id=admin.id, is_admin=True), escrow.id)
    say(f"9. {sent} payouts sent and confirmed by the rail: {escrow.state}")
    for payout in escrow.payouts:
        who = payout.beneficiary_id or "platform"
        say(f"   - {payout.leg:<14} {payout.amount!s:>14} to {payout.destination.masked()} ({who})")
    return escrow


async def _deposit(
    uc: UseCases, app: WalkthroughApp, escrow: Escrow, key: str, amount_minor: int
) -> Escrow:
    await uc.record_deposit.execute(
        RecordDeposit(
            tracking_key=key,
            clabe=escrow.deposit_clabe.value,
            reference=escrow.reference,
            amount_minor=amount_minor,
            currency=Money.mxn(amount_minor).currency.code,
            source_clabe=BUYER_BANK,
            sender_name="Ana Buyer",
            received_at=app.now(),
        )
    )
    return await uc.escrows.get(Viewer(user_id=escrow.payer_id), escrow.id)
