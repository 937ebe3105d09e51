"""The catalog of every fact the engine can compute."""

from __future__ import annotations

from functools import cache

from kustodia_domain.fraud.facts import escrow_facts, event_facts, network_facts
from kustodia_domain.fraud.facts.catalog import FactCatalog
from kustodia_domain.fraud.facts.list_facts import list_families
from kustodia_domain.fraud.facts.pair_facts import pair_families
from kustodia_domain.fraud.facts.party_facts import party_families
from kustodia_domain.fraud.facts.velocity_facts import velocity_families


@cache
def default_catalog() -> FactCatalog:
    """Every fact family: event, party, list, velocity, escrow, pair and network facts."""
    return FactCatalog(
        [
            *event_facts.FAMILIES,
            *party_families(),
            *list_families(),
            *velocity_families(),
            *network_facts.FAMILIES,
            *escrow_facts.FAMILIES,
            *pair_families(),
        ]
    )
