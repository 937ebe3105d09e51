"""Deciding one event: gather the facts as of its time, then apply the pure ruleset."""

from __future__ import annotations

from collections.abc import Sequence

from kustodia_domain.fraud.facts.context import FactContext, FactSources
from kustodia_domain.fraud.facts.gather import gather_facts
from kustodia_domain.fraud.ruleset import Ruleset
from kustodia_domain.fraud.screening import FactValue, RiskDecision, RiskEvent


async def decide_event(
    event: RiskEvent,
    ruleset: Ruleset,
    sources: FactSources,
    *,
    shadow: Sequence[Ruleset] = (),
    recorded_before: int | None = None,
) -> tuple[RiskDecision, tuple[RiskDecision, ...]]:
    """The decision of ``ruleset`` and of each ``shadow`` ruleset for ``event``.

    Facts are computed as of ``event.occurred_at`` (and, for replays, from history entries
    recorded before ``recorded_before``). Shadow rulesets with the same settings reuse the facts
    already computed; the others get their own context. A shadow ruleset that cannot be
    evaluated gets a decision at its failure outcome that says why; the active decision stands.

    Raises:
        ValidationError: ``event.occurred_at`` has no time zone.
    """
    ctx = FactContext(event, ruleset.settings, sources, recorded_before)
    await ctx.prepare(ruleset.needs_for(event.kind))
    values, errors = await gather_facts(ruleset.facts_for(event.kind), ctx)
    decision = ruleset.decide(event.event_id, values, errors)
    if not shadow:  # the usual case; spares building an empty comprehension per event
        return decision, ()
    shadows = [await _shadow(candidate, ruleset, ctx, values, errors) for candidate in shadow]
    return decision, tuple(shadows)


async def _shadow(
    candidate: Ruleset,
    active: Ruleset,
    ctx: FactContext,
    values: dict[str, FactValue],
    errors: dict[str, str],
) -> RiskDecision:
    """The candidate's decision; a failure is recorded on it and never reaches the active one."""
    same = candidate.settings == active.settings
    own = (
        ctx
        if same
        else FactContext(ctx.event, candidate.settings, ctx.sources, ctx.recorded_before)
    )
    try:
        await own.prepare(candidate.needs_for(ctx.event.kind))
        found, failed = await gather_facts(
            candidate.facts_for(ctx.event.kind),
            own,
            values if same else None,
            errors if same else None,
        )
    except Exception as exc:  # shadow mode must never change what the active ruleset decided
        return RiskDecision(
            event_id=ctx.event.event_id,
            outcome=candidate.scoring.error_outcome,
            ruleset=candidate.digest,
            ruleset_label=candidate.label,
            fact_errors={"*": f"{type(exc).__name__}: {exc}"},
        )
    return candidate.decide(ctx.event.event_id, found, failed)
