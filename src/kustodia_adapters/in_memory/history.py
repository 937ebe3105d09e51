"""Party histories computed from the committed users, escrows and disputes."""

from __future__ import annotations

from datetime import datetime

from kustodia_adapters.in_memory.store import InMemoryStore
from kustodia_domain.disputes.assessment import PartyHistory
from kustodia_domain.disputes.model import Dispute, DisputeStatus
from kustodia_domain.escrow.custody import Resolution
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.ports.assessor import PartyHistoryReader
from kustodia_domain.shared.errors import NotFoundError
from kustodia_domain.shared.time import ensure_utc


def _completed_before(escrow: Escrow, user_id: str, as_of: datetime) -> bool:
    # COMPLETED is terminal and only transitions move ``updated_at``, so for a completed
    # escrow ``updated_at`` is the moment it completed.
    return (
        escrow.party_of(user_id) is not None
        and escrow.state is EscrowState.COMPLETED
        and escrow.updated_at < as_of
    )


def _winner(dispute: Dispute, as_of: datetime) -> str | None:
    """The winning user of a dispute resolved before ``as_of``; a split has no winner."""
    decision = dispute.resolution
    if dispute.status is not DisputeStatus.RESOLVED or decision is None:
        return None
    if decision.proposed_at >= as_of:
        return None
    if decision.resolution is Resolution.RELEASE:
        return dispute.payee_id
    if decision.resolution is Resolution.REFUND:
        return dispute.payer_id
    return None


class InMemoryPartyHistoryReader(PartyHistoryReader):
    """Counts what happened strictly before ``as_of``.

    Strictly: asked as of the moment a dispute was opened, that dispute is not yet history.
    """

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def history(self, user_id: str, as_of: datetime) -> PartyHistory:
        """Raises ``NotFoundError`` for an unknown user."""
        as_of = ensure_utc(as_of, field="as_of")
        state = self._store.state
        user = state.users.get(user_id)
        if user is None:
            raise NotFoundError("user", user_id)
        disputes = [
            d
            for d in state.disputes.values()
            if user_id in (d.payer_id, d.payee_id) and d.opened_at < as_of
        ]
        winners = [_winner(d, as_of) for d in disputes]
        return PartyHistory(
            account_age_days=max((as_of - user.created_at).days, 0),
            escrows_completed=sum(
                _completed_before(e, user_id, as_of) for e in state.escrows.values()
            ),
            disputes_opened=sum(d.opened_by == user_id for d in disputes),
            disputes_won=sum(w == user_id for w in winners),
            disputes_lost=sum(w is not None and w != user_id for w in winners),
            kyc_level=user.kyc_level.value,
        )
