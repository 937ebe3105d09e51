"""``tickets`` rows <-> :class:`~kustodia_domain.support.model.Ticket`."""

from __future__ import annotations

from typing import Any, Final

from kustodia_adapters.sql.mappers import CONVERTER, Row
from kustodia_domain.support.model import Reply, Ticket, TicketStatus

_TICKET_SCALARS: Final = ["id", "owner_id", "subject", "body", "created_at", "updated_at"]


def ticket_values(ticket: Ticket, *, version: int) -> dict[str, Any]:
    """The ``tickets`` row of ``ticket`` stored at ``version``; the replies are its document."""
    return {
        **{name: getattr(ticket, name) for name in _TICKET_SCALARS},
        "status": ticket.status.value,
        "version": version,
        "replies": CONVERTER.unstructure(ticket.replies, list[Reply]),
    }


def ticket_from_row(row: Row) -> Ticket:
    """The ticket stored in ``row``."""
    return Ticket(
        **{name: row[name] for name in _TICKET_SCALARS},
        status=TicketStatus(row["status"]),
        replies=CONVERTER.structure(row["replies"], list[Reply]),
        version=row["version"],
    )
