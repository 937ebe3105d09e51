"""KYC: a level changes only through the provider's verdict on a session opened for the user.

On the in-memory product screened by the shipped ruleset, so a raised level is seen where it
matters: the monthly cap ESC-KYC-02 applies to the user's deposits.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from kustodia_adapters.in_memory.kyc import SandboxKycProvider
from kustodia_domain.audit.chain import AuditRecord
from kustodia_domain.fraud.lists import ListKind, ListName
from kustodia_domain.identity.model import KycLevel, User
from kustodia_domain.ports.kyc import KycResult, KycStatus
from kustodia_domain.services.kyc import KycOutcome, KycResultRefusedError, StartKyc
from kustodia_domain.services.record_deposit import DepositOutcome
from kustodia_domain.services.risk_lists_admin import AddListEntry
from kustodia_domain.services.risk_profiles import ProfileKeeper
from kustodia_domain.shared.errors import NotFoundError, OperationBlockedError, ValidationError
from tests.unit.services.fraud_world import FraudWorld, build_fraud_world

ABOVE_N1_CAP = 700_000
"""7,000.00 MXN: above the N1 monthly cap of 750 UDIs, well under the N3 cap of 10,000."""


@pytest.fixture
async def fraud() -> FraudWorld:
    return await build_fraud_world()


def provider(fraud: FraudWorld) -> SandboxKycProvider:
    sandbox = fraud.app.use_cases.platform.kyc.start.provider
    assert isinstance(sandbox, SandboxKycProvider)
    return sandbox


async def start(fraud: FraudWorld, user: User, level: KycLevel = KycLevel.N3) -> str:
    session = await fraud.uc.platform.kyc.start.execute(StartKyc(user_id=user.id, level=level))
    assert session.url.endswith(session.session_id)
    return session.session_id


async def verdict(fraud: FraudWorld, session_id: str, status: KycStatus) -> KycOutcome:
    record = await fraud.uc.platform.kyc.session(session_id)
    result = provider(fraud).settle(record, status, ("document unreadable",))
    return await fraud.uc.platform.kyc.record.execute(result)


async def level_of(fraud: FraudWorld, user: User) -> KycLevel:
    async with fraud.app.uow() as uow:
        return (await uow.users.get(user.id)).kyc_level


async def audited(fraud: FraudWorld, action: str) -> list[AuditRecord]:
    entries = await fraud.app.audit.entries(offset=0, limit=1_000)
    return [e.record for e in entries if e.record.action == action]


async def test_an_approved_verification_raises_the_level_and_the_monthly_cap_of_the_fraud_rules(
    fraud: FraudWorld,
) -> None:
    session_id = await start(fraud, fraud.payer)
    assert await level_of(fraud, fraud.payer) is KycLevel.N1  # nothing changes before the verdict

    assert await verdict(fraud, session_id, KycStatus.APPROVED) is KycOutcome.APPROVED

    assert await level_of(fraud, fraud.payer) is KycLevel.N3
    escrow = await fraud.open(amount=ABOVE_N1_CAP)
    assert await fraud.deposit(escrow) is DepositOutcome.APPLIED  # N1 would hold it (ESC-KYC-02)
    [record] = await audited(fraud, "user.kyc_level_changed")
    assert (record.actor_id, record.subject_id) == (None, fraud.payer.id)
    assert dict(record.details) == {
        "from": "N1",
        "to": "N3",
        "via": "kyc_provider",
        "session_id": session_id,
    }


async def test_without_a_verdict_the_monthly_cap_still_holds_the_deposit(
    fraud: FraudWorld,
) -> None:
    await start(fraud, fraud.payer)
    escrow = await fraud.open(amount=ABOVE_N1_CAP)
    assert await fraud.deposit(escrow) is DepositOutcome.UNMATCHED


async def test_a_rejection_leaves_the_level_and_is_recorded(fraud: FraudWorld) -> None:
    session_id = await start(fraud, fraud.payer)

    assert await verdict(fraud, session_id, KycStatus.REJECTED) is KycOutcome.REJECTED

    assert await level_of(fraud, fraud.payer) is KycLevel.N1
    session = await fraud.uc.platform.kyc.session(session_id)
    assert (session.status, session.reasons) == (KycStatus.REJECTED, ("document unreadable",))
    [record] = await audited(fraud, "user.kyc_rejected")
    assert (record.actor_id, record.subject_id) == (None, fraud.payer.id)
    assert await audited(fraud, "user.kyc_level_changed") == []


async def test_a_pending_result_changes_nothing(fraud: FraudWorld) -> None:
    session_id = await start(fraud, fraud.payer)
    assert await verdict(fraud, session_id, KycStatus.PENDING) is KycOutcome.PENDING
    assert (await fraud.uc.platform.kyc.session(session_id)).status is KycStatus.PENDING
    assert await level_of(fraud, fraud.payer) is KycLevel.N1


async def test_a_session_is_settled_once_whatever_arrives_after(fraud: FraudWorld) -> None:
    session_id = await start(fraud, fraud.payer)
    assert await verdict(fraud, session_id, KycStatus.APPROVED) is KycOutcome.APPROVED

    assert await verdict(fraud, session_id, KycStatus.APPROVED) is KycOutcome.DUPLICATE
    assert await verdict(fraud, session_id, KycStatus.REJECTED) is KycOutcome.DUPLICATE

    assert await level_of(fraud, fraud.payer) is KycLevel.N3
    assert len(await audited(fraud, "user.kyc_level_changed")) == 1


async def test_a_result_for_an_unknown_session_is_refused(fraud: FraudWorld) -> None:
    forged = KycResult(
        session_id="kyc_never_opened",
        user_id=fraud.payer.id,
        status=KycStatus.APPROVED,
        level=KycLevel.N4,
    )
    with pytest.raises(NotFoundError):
        await fraud.uc.platform.kyc.record.execute(forged)
    assert await level_of(fraud, fraud.payer) is KycLevel.N1


async def test_a_result_naming_another_user_than_its_session_is_refused(
    fraud: FraudWorld,
) -> None:
    session_id = await start(fraud, fraud.payer)
    record = await fraud.uc.platform.kyc.session(session_id)
    result = provider(fraud).settle(record, KycStatus.APPROVED)
    with pytest.raises(KycResultRefusedError):
        await fraud.uc.platform.kyc.record.execute(
            KycResult(
                session_id=result.session_id,
                user_id=fraud.payee.id,
                status=result.status,
                level=result.level,
            )
        )
    assert await level_of(fraud, fraud.payee) is KycLevel.N1
    assert (await fraud.uc.platform.kyc.session(session_id)).status is KycStatus.PENDING


async def test_a_result_verifying_more_than_the_level_asked_for_is_refused(
    fraud: FraudWorld,
) -> None:
    session_id = await start(fraud, fraud.payer, KycLevel.N2)
    with pytest.raises(KycResultRefusedError):
        await fraud.uc.platform.kyc.record.execute(
            KycResult(
                session_id=session_id,
                user_id=fraud.payer.id,
                status=KycStatus.APPROVED,
                level=KycLevel.N4,
            )
        )
    assert await level_of(fraud, fraud.payer) is KycLevel.N1


async def test_a_user_cannot_ask_for_a_level_they_already_hold(fraud: FraudWorld) -> None:
    with pytest.raises(ValidationError):
        await fraud.uc.platform.kyc.start.execute(
            StartKyc(user_id=fraud.payer.id, level=KycLevel.N1)
        )


async def test_a_level_change_the_screen_blocks_leaves_the_session_open_for_a_retry(
    fraud: FraudWorld,
) -> None:
    session_id = await start(fraud, fraud.payee)
    await fraud.uc.platform.lists.add(
        AddListEntry(
            admin_id=fraud.admin.id,
            list_name=ListName.BLOCKLIST,
            kind=ListKind.EMAIL,
            value=fraud.payee.email,
            reason="reported by the bank",
        )
    )
    for _ in range(2):  # the retry is screened again, not taken for a duplicate
        with pytest.raises(OperationBlockedError):
            await verdict(fraud, session_id, KycStatus.APPROVED)
    assert (await fraud.uc.platform.kyc.session(session_id)).status is KycStatus.PENDING
    assert await level_of(fraud, fraud.payee) is KycLevel.N1


async def test_an_admin_sets_a_level_through_the_same_audited_path(fraud: FraudWorld) -> None:
    await fraud.uc.platform.admin.change_kyc_level(fraud.admin.id, fraud.payer.id, KycLevel.N2)
    assert await level_of(fraud, fraud.payer) is KycLevel.N2
    [record] = await audited(fraud, "user.kyc_level_changed")
    assert (record.actor_id, dict(record.details)) == (fraud.admin.id, {"from": "N1", "to": "N2"})


async def test_a_verdict_retried_after_the_profile_update_failed_records_the_level_once(
    fraud: FraudWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The level commits before the risk profile is updated; the provider's retry finishes it."""
    session_id = await start(fraud, fraud.payer)
    verified: list[KycLevel] = []
    real = ProfileKeeper.kyc_verified

    async def fails_once(self: ProfileKeeper, user: User, at: datetime) -> None:
        if not verified:
            verified.append(user.kyc_level)
            raise OSError("risk database unreachable")
        verified.append(user.kyc_level)
        await real(self, user, at)

    monkeypatch.setattr(ProfileKeeper, "kyc_verified", fails_once)
    with pytest.raises(OSError, match="unreachable"):
        await verdict(fraud, session_id, KycStatus.APPROVED)
    assert (await fraud.uc.platform.kyc.session(session_id)).status is KycStatus.PENDING

    assert await verdict(fraud, session_id, KycStatus.APPROVED) is KycOutcome.APPROVED

    assert verified == [KycLevel.N3, KycLevel.N3]
    [record] = await audited(fraud, "user.kyc_level_changed")
    assert (record.details["from"], record.details["to"]) == ("N1", "N3")
