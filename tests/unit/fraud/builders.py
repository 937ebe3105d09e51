"""Builders for the fraud engine's tests: events, profiles, stores and quiet fact sets."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import attrs

from kustodia_adapters.in_memory.fraud import (
    InMemoryPartyProfiles,
    InMemoryRiskHistory,
    InMemoryRiskLists,
)
from kustodia_domain.fraud.facts.context import FactContext, FactSources
from kustodia_domain.fraud.facts.default_catalog import default_catalog
from kustodia_domain.fraud.facts.gather import gather_facts
from kustodia_domain.fraud.lists import ListEntry, ListKind, ListName
from kustodia_domain.fraud.profiles import KycStatus, PartyProfile
from kustodia_domain.fraud.ruleset import Ruleset
from kustodia_domain.fraud.ruleset_files import default_ruleset
from kustodia_domain.fraud.screen import RuleEngineRiskScreen
from kustodia_domain.fraud.screening import FactValue, Outcome, RiskDecision, RiskEvent
from kustodia_domain.fraud.settings import Settings
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.money import Money

# Monday 2 March 2026, 12:00 in Mexico City (UTC-6, no daylight saving time since 2022).
T0 = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
PAYER, PAYEE, OTHER = "u_payer", "u_payee", "u_other"
DAY, HOUR, MINUTE, SECOND = (
    timedelta(days=1),
    timedelta(hours=1),
    timedelta(minutes=1),
    timedelta(seconds=1),
)
PAYER_CLABE = Clabe.build("002", "010", "1111").value
PAYEE_CLABE = Clabe.build("012", "180", "2222").value
OTHER_CLABE = Clabe.build("014", "320", "3333").value

_counter = iter(range(1, 10**9))


def event(
    kind: str,
    *,
    at: datetime = T0,
    actor: str | None = PAYER,
    escrow: str | None = "esc_1",
    amount: int | None = None,
    event_id: str | None = None,
    **attributes: str | int | bool,
) -> RiskEvent:
    """A risk event; ``amount`` in centavos; payer and payee default to PAYER and PAYEE."""
    attributes.setdefault("payer_id", PAYER)
    attributes.setdefault("payee_id", PAYEE)
    return RiskEvent(
        event_id=event_id or f"evt_{next(_counter)}",
        kind=kind,
        occurred_at=at,
        actor_id=actor,
        escrow_id=escrow,
        amount=None if amount is None else Money.mxn(amount),
        attributes=attributes,
    )


def profile(party: str, *, created: datetime = T0 - 400 * DAY, **fields: object) -> PartyProfile:
    """A verified N3 profile valid since ``created``; ``fields`` override anything."""
    values: dict[str, object] = {
        "party_id": party,
        "valid_from": created,
        "created_at": created,
        "kyc_status": KycStatus.VERIFIED,
        "kyc_level": 3,
        "kyc_name": {PAYER: "Ana Maria Lopez Soto", PAYEE: "Bruno Diaz Pena"}.get(party, party),
    } | fields
    return PartyProfile(**values)  # type: ignore[arg-type]


def list_entry(
    value: str,
    *,
    kind: ListKind = ListKind.EMAIL,
    list_name: ListName = ListName.BLOCKLIST,
    added_at: datetime = T0 - DAY,
    entry_id: str | None = None,
    expires_at: datetime | None = None,
) -> ListEntry:
    """A list entry for ``value``."""
    return ListEntry.create(
        entry_id=entry_id or f"le_{next(_counter)}",
        list_name=list_name,
        kind=kind,
        value=value,
        reason="test",
        source="internal",
        added_by="admin_1",
        added_at=added_at,
        expires_at=expires_at,
    )


@attrs.define
class Stores:
    """The three in-memory stores the engine reads, and screens built on them."""

    history: InMemoryRiskHistory = attrs.Factory(InMemoryRiskHistory)
    profiles: InMemoryPartyProfiles = attrs.Factory(InMemoryPartyProfiles)
    lists: InMemoryRiskLists = attrs.Factory(InMemoryRiskLists)

    @property
    def sources(self) -> FactSources:
        return FactSources(history=self.history, profiles=self.profiles, lists=self.lists)

    def screen(
        self, ruleset: Ruleset | None = None, shadow: tuple[Ruleset, ...] = ()
    ) -> RuleEngineRiskScreen:
        return RuleEngineRiskScreen(
            ruleset=ruleset or default_ruleset(),
            history=self.history,
            profiles=self.profiles,
            lists=self.lists,
            shadow=shadow,
        )

    async def with_parties(self) -> Stores:
        """Save long-standing verified profiles for PAYER and PAYEE."""
        await self.profiles.save(
            profile(
                PAYER,
                payout_clabe=PAYER_CLABE,
                payout_clabe_changed_at=T0 - 300 * DAY,
                registered_clabes=(PAYER_CLABE,),
            )
        )
        await self.profiles.save(
            profile(
                PAYEE,
                payout_clabe=PAYEE_CLABE,
                payout_clabe_changed_at=T0 - 300 * DAY,
                registered_clabes=(PAYEE_CLABE,),
            )
        )
        return self

    async def record(self, *events: RiskEvent) -> None:
        """Screen ``events`` in order (the way they reach the history in production)."""
        screen = self.screen()
        for item in events:
            await screen.screen(item)

    async def decide(self, item: RiskEvent, ruleset: Ruleset | None = None) -> RiskDecision:
        return await self.screen(ruleset).screen(item)

    async def remember(self, *events: RiskEvent) -> None:
        """Append ``events`` to the history without screening them (setting the scene)."""
        for item in events:
            await self.history.append(
                item, RiskDecision(event_id=item.event_id, outcome=Outcome.ALLOW)
            )

    async def facts(
        self, item: RiskEvent, *keys: str, settings: Settings | None = None
    ) -> dict[str, FactValue]:
        """The facts ``keys`` of ``item`` as of its time, computed like the engine does."""
        catalog = default_catalog()
        ctx = FactContext(item, settings or Settings(), self.sources)
        await ctx.prepare({"profiles", "lists"})
        values, errors = await gather_facts([catalog.resolve(key) for key in keys], ctx)
        assert not errors, errors
        return values

    async def fact(self, item: RiskEvent, key: str, settings: Settings | None = None) -> FactValue:
        """One fact of ``item``."""
        return (await self.facts(item, key, settings=settings))[key]


def fact(decision: RiskDecision, key: str) -> FactValue:
    """A fact the decision recorded (KeyError if the ruleset did not read it)."""
    return decision.facts[key]


_QUIET_BY_NAME: dict[str, FactValue] = {
    "event.amount_minor": 100_000,
    "event.local_hour": 12,
    "event.escrow_kind": "standard",
    "event.actor_role": "payer",
    "event.has_invoice": True,
    "event.invalid_clabe_count": 0,
    "event.destination_bank": "002",
    "event.source_clabe_registered": True,
    "event.sender_name_similarity_permille": 1000,
    "event.blocklist_hits": 0,
    "event.blocklist_match": "",
    "event.watchlist_hits": 0,
    "event.watchlist_match": "",
    "limits.n1_cap_minor": 652_500,
    "parties.uif_id_hit": False,
    "parties.uif_name_similarity_permille": 0,
    "parties.pep_hit": False,
    "escrow.amount_minor": 100_000,
    "escrow.funded_minor": 100_000,
    "escrow.overfunded_minor": 0,
    "escrow.distinct_source_clabes": 1,
    "escrow.seconds_since_funded": 2 * 86_400,
    "escrow.refund_to_unknown_clabe": False,
    "override.of_outcome": "hold",
    "override.justification_length": 60,
    "override.second_approver_ok": True,
    "clabe.distinct_users": 1,
    "clabe.returns": 1,
    "device.accounts": 1,
    "ip.accounts": 1,
    "evidence.other_escrows": 0,
}
_QUIET_BY_SUFFIX: dict[str, FactValue] = {
    "kyc_status": "verified",
    "kyc_level": 3,
    "kyc_cap_minor": 8_700_000,
    "account_age_seconds": 400 * 86_400,
    "payout_clabe_age_seconds": 300 * 86_400,
    "sat69b_status": "none",
    "is_business": False,
    "device_age_seconds": 100 * 86_400,
    "other_devices": 1,
    "escrow_median_minor": None,
    "funded_escrows": 1,
    "funded_minor": 100_000,
    "release_payers": 1,
    "disputes_opened": 1,
}


def quiet_facts(
    kind: str, overrides: Mapping[str, FactValue] | None = None, ruleset: Ruleset | None = None
) -> dict[str, FactValue]:
    """Facts for ``kind`` under which no rule of ``ruleset`` fires, updated with ``overrides``."""
    rules = ruleset or default_ruleset()
    facts: dict[str, FactValue] = {"event.kind": kind}
    for request in rules.facts_for(kind):
        name = request.family.name
        if name == "event.kind":
            continue
        suffix = name.rsplit(".", 1)[1]
        default: FactValue = 0
        if name in _QUIET_BY_NAME:
            default = _QUIET_BY_NAME[name]
        elif suffix in _QUIET_BY_SUFFIX:
            default = _QUIET_BY_SUFFIX[suffix]
        facts[request.key] = default
    facts.update(overrides or {})
    return facts
