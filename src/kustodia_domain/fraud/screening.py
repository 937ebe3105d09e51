"""What the use cases send to the risk screen and what they get back.

The decision is data: the use case applies it (``block`` raises ``OperationBlockedError`` and
changes nothing, ``hold`` puts the escrow ``on_hold``, ``review`` raises an alert) so that the
screen itself stays a pure function of facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import IntEnum

import attrs

from kustodia_domain.shared.money import Money

FactValue = str | int | bool | None


class Outcome(IntEnum):
    """The decision lattice ``allow < flag < review < hold < block``."""

    ALLOW = 0
    FLAG = 1
    REVIEW = 2
    HOLD = 3
    BLOCK = 4

    @property
    def label(self) -> str:
        """Lower-case name used on the wire and in storage."""
        return self.name.lower()


@attrs.frozen(kw_only=True)
class RiskEvent:
    """A money-relevant event described by plain facts.

    ``kind`` is one of the catalogue's event names (``account.created``, ``escrow.create``,
    ``escrow.fund``, ``release``, ``payout``, ``refund``, ``dispute.opened``,
    ``payout_account.changed``, ``override.requested``, ...). ``amount`` is in minor units.
    ``attributes`` carries identifiers the rules may read (``payer_id``, ``payee_id``,
    ``clabe``, ``source_clabe``, ``email``, ``ip``, ``device`` ...).
    """

    event_id: str
    kind: str
    occurred_at: datetime
    actor_id: str | None
    escrow_id: str | None = None
    amount: Money | None = None
    attributes: Mapping[str, FactValue] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class FiredRule:
    """A rule that fired: why, how much it added to the score and with which parameters."""

    rule_id: str
    outcome: Outcome
    score: int
    explanation: str
    parameters: Mapping[str, FactValue] = attrs.field(factory=dict)
    actions: tuple[str, ...] = ()
    """Follow-up actions the use case applies (``step_up``, ``watchlist_clabe`` ...), as data."""
    failed: bool = False
    """The rule raised or read a fact that could not be computed; it failed closed."""


@attrs.frozen(kw_only=True)
class RiskDecision:
    """The screen's answer for one event.

    Invariants (guaranteed by the rule engine): ``outcome`` is the maximum of the fired rules'
    outcomes and of the outcome the ``score`` reaches; ``score`` is the sum of the fired rules'
    scores; ``ruleset`` is the content hash of the ruleset, so the same ``facts`` and ``ruleset``
    always give the same decision.
    """

    event_id: str
    outcome: Outcome
    score: int = 0
    fired: tuple[FiredRule, ...] = ()
    ruleset: str = "allow-all"
    facts: Mapping[str, FactValue] = attrs.field(factory=dict)
    actions: tuple[str, ...] = ()
    """The union of the fired rules' actions, sorted."""
    fact_errors: Mapping[str, str] = attrs.field(factory=dict)
    """Facts that could not be computed (their value in ``facts`` is ``None``) and why."""
    ruleset_label: str = ""
    """Human label of the ruleset (``name@version``); ``ruleset`` is its content hash."""

    @property
    def reasons(self) -> tuple[str, ...]:
        """The ids of the rules that fired, in order."""
        return tuple(rule.rule_id for rule in self.fired)
