"""The escrow state machine: one explicit table of allowed ``(state, action) -> state``.

Every state change in :class:`~kustodia_domain.escrow.model.Escrow` goes through
:func:`next_state`; anything not in the table raises ``InvalidEscrowTransitionError`` and the
aggregate is left untouched.
"""

from __future__ import annotations

from enum import StrEnum

from kustodia_domain.escrow.errors import InvalidEscrowTransitionError


class EscrowState(StrEnum):
    """Business states (payout legs are tracked separately on the payouts)."""

    REQUESTED = "requested"
    AWAITING_FUNDS = "awaiting_funds"
    FUNDED = "funded"
    ON_HOLD = "on_hold"
    DISPUTED = "disputed"
    RELEASED = "released"
    REFUNDED = "refunded"
    SPLIT = "split"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Action(StrEnum):
    """What can happen to an escrow."""

    ACCEPT = "accept"
    DEPOSIT = "deposit"
    FUND = "fund"
    CANCEL = "cancel"
    EXPIRE = "expire"
    APPROVE = "approve"
    RELEASE_MILESTONE = "release_milestone"
    RELEASE = "release"
    HOLD = "hold"
    CLEAR_HOLD = "clear_hold"
    DISPUTE = "dispute"
    RESOLVE_RELEASE = "resolve_release"
    RESOLVE_REFUND = "resolve_refund"
    RESOLVE_SPLIT = "resolve_split"
    ACCRUE_YIELD = "accrue_yield"
    COMPLETE = "complete"


S, A = EscrowState, Action

TRANSITIONS: dict[tuple[EscrowState, Action], EscrowState] = {
    (S.REQUESTED, A.ACCEPT): S.AWAITING_FUNDS,
    (S.REQUESTED, A.CANCEL): S.CANCELLED,
    (S.REQUESTED, A.EXPIRE): S.EXPIRED,
    (S.AWAITING_FUNDS, A.DEPOSIT): S.AWAITING_FUNDS,
    (S.AWAITING_FUNDS, A.FUND): S.FUNDED,
    (S.AWAITING_FUNDS, A.CANCEL): S.CANCELLED,
    (S.AWAITING_FUNDS, A.EXPIRE): S.EXPIRED,
    (S.FUNDED, A.APPROVE): S.FUNDED,
    (S.FUNDED, A.RELEASE_MILESTONE): S.FUNDED,
    (S.FUNDED, A.RELEASE): S.RELEASED,
    (S.FUNDED, A.HOLD): S.ON_HOLD,
    (S.FUNDED, A.DISPUTE): S.DISPUTED,
    (S.FUNDED, A.ACCRUE_YIELD): S.FUNDED,
    (S.ON_HOLD, A.CLEAR_HOLD): S.FUNDED,
    (S.ON_HOLD, A.ACCRUE_YIELD): S.ON_HOLD,
    (S.DISPUTED, A.RESOLVE_RELEASE): S.RELEASED,
    (S.DISPUTED, A.RESOLVE_REFUND): S.REFUNDED,
    (S.DISPUTED, A.RESOLVE_SPLIT): S.SPLIT,
    (S.DISPUTED, A.ACCRUE_YIELD): S.DISPUTED,
    (S.RELEASED, A.COMPLETE): S.COMPLETED,
    (S.REFUNDED, A.COMPLETE): S.COMPLETED,
    (S.SPLIT, A.COMPLETE): S.COMPLETED,
}
"""The only transitions there are. Holds and disputes have no ``RELEASE`` entry: the clock can
never release a held or disputed escrow."""

SETTLED = frozenset({S.RELEASED, S.REFUNDED, S.SPLIT, S.COMPLETED})
"""States in which custody has been settled (at most once)."""
TERMINAL = frozenset({S.COMPLETED, S.CANCELLED, S.EXPIRED})
"""States from which nothing further happens to the business state."""
CUSTODY = frozenset({S.FUNDED, S.ON_HOLD, S.DISPUTED})
"""States in which money is held in custody and yield accrues."""


def next_state(state: EscrowState, action: Action) -> EscrowState:
    """The state ``action`` leads to from ``state``.

    Raises:
        InvalidEscrowTransitionError: the table has no such transition.
    """
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise InvalidEscrowTransitionError(state=state.value, action=action.value) from None


def allows(state: EscrowState, action: Action) -> bool:
    """Whether the table allows ``action`` in ``state``."""
    return (state, action) in TRANSITIONS
