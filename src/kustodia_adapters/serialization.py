"""The project's one converter between domain objects and JSON-ready values.

Every adapter that writes a wire or storage format gets its converter from
:func:`make_converter`, so hooks and the extra-key policy never drift between modules. The
domain knows nothing of it: the hooks live here, not on the domain classes.

Formats: ``Money`` is ``{"amount_minor": int, "currency": "MXN"}``; a ``Currency`` is its code;
a ``Clabe`` is its 18 digits; datetimes are RFC 3339 in UTC (``2026-01-15T12:00:00Z``) and
naive ones are refused; dates are ISO 8601; enums are their values, except a risk ``Outcome``,
which is its label (``"hold"``). Unstructured values are plain JSON types, so any JSON encoder
can write them. Domain events are a tagged union: the ``type`` key names the event class, so a
stored event reads back as the class it was.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from enum import StrEnum
from types import ModuleType
from typing import Any, Final, Union
from uuid import UUID

from cattrs.preconf.orjson import OrjsonConverter
from cattrs.preconf.orjson import make_converter as make_orjson_converter
from cattrs.strategies import configure_tagged_union

from kustodia_domain.disputes import events as dispute_events
from kustodia_domain.escrow import events as escrow_events
from kustodia_domain.fraud.screening import Outcome
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.events import DomainEvent
from kustodia_domain.shared.money import Currency, Money

EVENT_TAG: Final = "type"
"""The key that names an event's class in its stored form."""


def _event_classes(*modules: ModuleType) -> Iterator[type[DomainEvent]]:
    for module in modules:
        for value in vars(module).values():
            defined_here = inspect.isclass(value) and value.__module__ == module.__name__
            if defined_here and issubclass(value, DomainEvent):
                yield value


EVENT_TYPES: Final[tuple[type[DomainEvent], ...]] = (
    DomainEvent,
    *_event_classes(escrow_events, dispute_events),
)
"""Every event class the event log can store: the base and each escrow and dispute event.

Scanning the two event modules means a new event defined there is storable without editing
this list; an event class defined anywhere else is refused when it is appended.
"""

# A runtime Union built from the tuple above: the tagged-union strategy dispatches on it.
DOMAIN_EVENT: Final[Any] = Union[EVENT_TYPES]  # noqa: UP007


def _money(value: Mapping[str, Any], _: type) -> Money:
    if set(value) != {"amount_minor", "currency"}:
        raise ValueError(f"money needs exactly amount_minor and currency, got {sorted(value)}")
    return Money(value["amount_minor"], Currency.of(value["currency"]))


def _rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetimes have no place in stored data")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _utc(value: str, _: type) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return moment.astimezone(UTC)


def _outcome(label: str, _: type) -> Outcome:
    try:
        return Outcome[label.upper()]
    except KeyError:
        raise ValueError(f"unknown risk outcome {label!r}") from None


def make_converter() -> OrjsonConverter:
    """Build the converter every adapter uses (see the module docstring for the formats)."""
    converter = make_orjson_converter(forbid_extra_keys=True)
    converter.register_unstructure_hook(
        Money, lambda m: {"amount_minor": m.amount_minor, "currency": m.currency.code}
    )
    converter.register_structure_hook(Money, _money)
    converter.register_unstructure_hook(Currency, lambda c: c.code)
    converter.register_structure_hook(Currency, lambda code, _: Currency.of(code))
    converter.register_unstructure_hook(Clabe, lambda c: c.value)
    converter.register_structure_hook(Clabe, lambda value, _: Clabe(value))
    converter.register_unstructure_hook(datetime, _rfc3339)
    converter.register_structure_hook(datetime, _utc)
    converter.register_unstructure_hook(date, lambda d: d.isoformat())
    converter.register_structure_hook(date, lambda value, _: date.fromisoformat(value))
    # StrEnum before str in the MRO: without this hook the orjson preset passes enums through.
    converter.register_unstructure_hook(StrEnum, lambda e: e.value)
    # An IntEnum, but stored and sent as its label ("hold"), which reads the same everywhere.
    converter.register_unstructure_hook(Outcome, lambda o: o.label)
    converter.register_structure_hook(Outcome, _outcome)
    converter.register_unstructure_hook(UUID, str)
    converter.register_structure_hook(UUID, lambda value, _: UUID(value))
    configure_tagged_union(
        DOMAIN_EVENT, converter, tag_generator=lambda cls: cls.__name__, tag_name=EVENT_TAG
    )
    return converter
