"""The rule engine behind the ``RiskScreen`` port."""

from __future__ import annotations

from collections.abc import Sequence

from kustodia_domain.fraud.evaluation import decide_event
from kustodia_domain.fraud.facts.context import FactSources
from kustodia_domain.fraud.history import RiskHistory
from kustodia_domain.fraud.lists import RiskLists
from kustodia_domain.fraud.profiles import PartyProfiles
from kustodia_domain.fraud.ruleset import Ruleset
from kustodia_domain.fraud.screening import RiskDecision, RiskEvent


class RuleEngineRiskScreen:
    """Screens events with the active ruleset, runs candidate rulesets in shadow, records both.

    Implements :class:`kustodia_domain.ports.risk.RiskScreen` (structurally: the port lives in a
    ring above this package). Screening is idempotent per ``event_id``: a retried event gets the
    decision recorded the first time and is not recorded twice.

    Args:
        ruleset: the active ruleset; its decisions take effect.
        history: where every screened event and its decisions are appended.
        profiles: party profiles, read as of each event.
        lists: block/watch/external lists, read as of each event.
        shadow: candidate rulesets evaluated beside the active one; their decisions are stored
            in the history entry and never returned.
    """

    def __init__(
        self,
        *,
        ruleset: Ruleset,
        history: RiskHistory,
        profiles: PartyProfiles,
        lists: RiskLists,
        shadow: Sequence[Ruleset] = (),
    ) -> None:
        self._ruleset = ruleset
        self._history = history
        self._sources = FactSources(history=history, profiles=profiles, lists=lists)
        self._shadow = tuple(shadow)

    @property
    def ruleset(self) -> Ruleset:
        """The active ruleset."""
        return self._ruleset

    @property
    def history(self) -> RiskHistory:
        """Where every screened event is appended, once per ``event_id``."""
        return self._history

    async def screen(self, event: RiskEvent) -> RiskDecision:
        """Decide ``event``, append it to the history, and return the active decision.

        Raises:
            ValidationError: ``event.occurred_at`` has no time zone.
        """
        recorded = await self._history.entry(event.event_id)
        if recorded is not None:
            return recorded.decision
        decision, shadow = await decide_event(
            event, self._ruleset, self._sources, shadow=self._shadow
        )
        await self._history.append(event, decision, shadow)
        return decision
