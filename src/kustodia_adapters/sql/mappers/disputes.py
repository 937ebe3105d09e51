"""``disputes`` rows <-> :class:`~kustodia_domain.disputes.model.Dispute`."""

from __future__ import annotations

from typing import Any, Final

import attrs

from kustodia_adapters.sql.mappers import CONVERTER, Row
from kustodia_domain.disputes.assessment import Assessment
from kustodia_domain.disputes.model import (
    Dispute,
    DisputeStatus,
    Evidence,
    Message,
    ResolutionDecision,
)


@attrs.frozen(kw_only=True)
class DisputeParts:
    """The nested parts of a dispute, stored as its JSON ``document``."""

    messages: list[Message]
    evidence: list[Evidence]
    assessment: Assessment | None
    proposal: ResolutionDecision | None
    resolution: ResolutionDecision | None


_DISPUTE_SCALARS: Final = [
    "id",
    "escrow_id",
    "payer_id",
    "payee_id",
    "opened_by",
    "reason",
    "details",
    "opened_at",
    "response_due_at",
    "event_sequence",
]


def dispute_values(dispute: Dispute, *, version: int) -> dict[str, Any]:
    """The ``disputes`` row of ``dispute`` stored at ``version``."""
    parts = DisputeParts(
        messages=dispute.messages,
        evidence=dispute.evidence,
        assessment=dispute.assessment,
        proposal=dispute.proposal,
        resolution=dispute.resolution,
    )
    decision = dispute.resolution
    return {
        **{name: getattr(dispute, name) for name in _DISPUTE_SCALARS},
        "status": dispute.status.value,
        # Denormalised from the document so party histories count wins and losses in SQL.
        "resolution": None if decision is None else decision.resolution.value,
        "resolution_proposed_at": None if decision is None else decision.proposed_at,
        "version": version,
        "document": CONVERTER.unstructure(parts),
    }


def dispute_from_row(row: Row) -> Dispute:
    """The dispute stored in ``row``."""
    parts = CONVERTER.structure(row["document"], DisputeParts)
    scalars = {name: row[name] for name in _DISPUTE_SCALARS}
    return Dispute(
        **scalars,
        status=DisputeStatus(row["status"]),
        messages=parts.messages,
        evidence=parts.evidence,
        assessment=parts.assessment,
        proposal=parts.proposal,
        resolution=parts.resolution,
        version=row["version"],
    )
