"""The follow-up actions fired rules ask for, applied as data by the use cases.

Lists change at once (the rest of the use case must see them). Notifications, compliance
reports and freezes are written after the use case's own transaction has ended, each in a
transaction of its own: writing them inside it would lose them whenever a ``block`` rolls it
back, and would race the caller's own save of the escrow it is changing. Actions that only ask a
person to look (``review_related_accounts``, ``enhanced_due_diligence``, ``business_hours_review``,
``extend_release_window``, ``refund_to_source_only``) are carried by the decision's alert.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import attrs

from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.fraud.lists import ListEntry, ListKind, ListName, RiskLists, identifier
from kustodia_domain.fraud.screening import FiredRule, RiskEvent
from kustodia_domain.fraud.vocabulary import PARTY_ROLES, party_id, payout_clabe, text_attribute
from kustodia_domain.ports.back_office import BackOfficeReads, EscrowFilter
from kustodia_domain.ports.clock import IdGenerator
from kustodia_domain.ports.notifications import Notification
from kustodia_domain.ports.outbox import OutboxMessage
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.persistence import persist_escrow
from kustodia_domain.services.risk_screening import Screening
from kustodia_domain.shared.errors import ConcurrencyConflictError, NotFoundError

COMPLIANCE_TOPIC = "compliance.report"
RISK_ACTOR = "risk-screen"
"""``added_by`` of list entries the rules asked for (their ``source`` is the rule id)."""
_PAGE = 100
_ATTEMPTS = 3

_LIST_ACTIONS: dict[str, tuple[ListName, str]] = {
    "watchlist_parties": (ListName.WATCHLIST, "parties"),
    "watchlist_clabe": (ListName.WATCHLIST, "clabe"),
    "blocklist_clabe": (ListName.BLOCKLIST, "clabe"),
}
_NOTICES: dict[str, tuple[str, str]] = {
    "step_up": (
        "risk_step_up",
        "A recent change needs you to sign in again before we continue with {what}.",
    ),
    "kyc_upgrade": (
        "risk_kyc_upgrade",
        "Your KYC level limits {what}: verify a higher level to continue.",
    ),
}


def _recipients(event: RiskEvent, action: str) -> list[str]:
    # A step-up re-authenticates whoever acts and the payee, whose payout account or device is
    # what the rules doubt when money is about to reach them; a KYC upgrade is asked of the party
    # whose monthly inflow the cap limits: the payer when funding, the payee when money goes out.
    if action == "step_up":
        users = [event.actor_id, party_id(event, "payee")]
    else:
        role = "payer" if event.kind == "escrow.fund" else "payee"
        users = [party_id(event, role) or event.actor_id]
    return list(dict.fromkeys(user for user in users if user))


@attrs.frozen
class FollowUps:
    """Applies the actions of screenings (see the module docstring for when)."""

    uow: Callable[[], UnitOfWork]
    ids: IdGenerator
    lists: RiskLists
    reads: BackOfficeReads

    async def update_lists(self, screening: Screening) -> None:
        """Add the identifiers the fired rules name to the watchlist or blocklist."""
        event = screening.event
        for action, (list_name, what) in _LIST_ACTIONS.items():
            for rule in screening.asks(action):
                for kind, value in self._identifiers(event, what):
                    await self._list(list_name, kind, value, rule, event.occurred_at)

    async def apply(self, screenings: Sequence[Screening]) -> None:
        """Notifications, compliance reports and freezes of ``screenings`` (each once)."""
        for screening in screenings:
            if screening.lifted or screening.repeated:
                continue
            await self._notify_and_report(screening)
            for escrow_id in await self._to_freeze(screening):
                await self._hold(escrow_id, screening)

    @staticmethod
    def _identifiers(event: RiskEvent, what: str) -> list[tuple[ListKind, str]]:
        if what == "parties":
            users = {party_id(event, role) for role in PARTY_ROLES} - {None}
            return [(ListKind.USER, user) for user in sorted(u for u in users if u)]
        clabe = payout_clabe(event) or text_attribute(event, "source_clabe")
        return [] if clabe is None else [(ListKind.CLABE, clabe)]

    async def _list(
        self, list_name: ListName, kind: ListKind, value: str, rule: FiredRule, at: datetime
    ) -> None:
        active = await self.lists.active_matches([identifier(kind, value)], at)
        if any(entry.list_name is list_name for entry in active):
            return
        await self.lists.add(
            ListEntry.create(
                entry_id=self.ids.new_id("lst"),
                list_name=list_name,
                kind=kind,
                value=value,
                reason=rule.explanation,
                source=rule.rule_id,
                added_by=RISK_ACTOR,
                added_at=at,
            )
        )

    async def _notify_and_report(self, screening: Screening) -> None:
        event = screening.event
        notices = [
            (user, kind, template)
            for action, (kind, template) in _NOTICES.items()
            if any(screening.asks(action))
            for user in _recipients(event, action)
        ]
        report = any(screening.asks("compliance_report"))
        if not notices and not report:
            return
        async with self.uow() as uow:
            for user, kind, template in notices:
                if not await _exists(uow, user):
                    continue  # a blocked sign-up has nobody to tell
                await uow.notifications.add(
                    Notification(
                        id=self.ids.new_id("ntf"),
                        user_id=user,
                        kind=kind,
                        message=template.format(what=event.kind),
                        escrow_id=event.escrow_id,
                        created_at=event.occurred_at,
                    )
                )
            if report:
                await uow.outbox.add(_report(screening))
            await uow.commit()

    async def _to_freeze(self, screening: Screening) -> list[str]:
        event = screening.event
        found: list[str] = []
        if event.escrow_id and any(screening.asks("pause_payouts")):
            found.append(event.escrow_id)
        if any(screening.asks("freeze_open_escrows")):
            users = {party_id(event, role) for role in PARTY_ROLES} - {None}
            for user in sorted(u for u in users if u):
                found.extend(await self._funded_escrows_of(user))
        return list(dict.fromkeys(found))

    async def _funded_escrows_of(self, user: str) -> list[str]:
        found: list[str] = []
        while True:
            criteria = EscrowFilter(
                party_id=user, status=EscrowState.FUNDED, limit=_PAGE, offset=len(found)
            )
            page = await self.reads.search_escrows(criteria)
            found.extend(escrow.id for escrow in page)
            if len(page) < _PAGE:
                return found

    async def _hold(self, escrow_id: str, screening: Screening) -> None:
        event = screening.event
        reason = f"risk screening of {event.kind} ({event.event_id}): " + ", ".join(
            screening.decision.reasons
        )
        # A freeze must not be lost to a party's concurrent command: retry on a lost race.
        for _ in range(_ATTEMPTS):
            try:
                async with self.uow() as uow:
                    escrow = await uow.escrows.get(escrow_id)
                    if escrow.state is not EscrowState.FUNDED:
                        return
                    escrow.hold(reason, event.occurred_at, by_risk=True)
                    await persist_escrow(uow, escrow, self.ids)
                    await uow.commit()
                    return
            except ConcurrencyConflictError:
                continue


async def _exists(uow: UnitOfWork, user_id: str) -> bool:
    try:
        await uow.users.get(user_id)
    except NotFoundError:
        return False
    return True


def _report(screening: Screening) -> OutboxMessage:
    event, decision = screening.event, screening.decision
    return OutboxMessage(
        key=f"{COMPLIANCE_TOPIC}:{event.event_id}",
        topic=COMPLIANCE_TOPIC,
        payload={
            "event_id": event.event_id,
            "event_kind": event.kind,
            "escrow_id": event.escrow_id,
            "outcome": decision.outcome.label,
            "rules": ",".join(decision.reasons),
            "ruleset": decision.ruleset,
        },
        created_at=event.occurred_at,
    )
