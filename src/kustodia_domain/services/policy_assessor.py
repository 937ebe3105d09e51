"""The dispute assessor backed by the deterministic evidence-and-history policy.

It answers when no model is configured, and stands in for a model that fails or answers badly;
in that second role it is built with ``fallback_used=True`` so every stored assessment says so.
"""

from __future__ import annotations

from datetime import datetime

from kustodia_domain.disputes.assessment import Assessment, AssessmentRequest
from kustodia_domain.disputes.policy import EvidenceAndHistoryPolicy
from kustodia_domain.ports.assessor import DisputeAssessor


class PolicyDisputeAssessor(DisputeAssessor):
    """A :class:`DisputeAssessor` that never calls out and always returns a valid assessment.

    Invariant: the result is a pure function of the request, ``at`` and the policy; model
    ``kustodia-policy`` version ``1``, with ``fallback_used`` as given to the constructor.
    """

    def __init__(
        self, policy: EvidenceAndHistoryPolicy | None = None, *, fallback_used: bool = False
    ) -> None:
        """Wrap ``policy`` (the default policy when omitted).

        Args:
            policy: the scoring policy; its response window decides when silence counts.
            fallback_used: mark every result as a fallback (set when an LLM adapter falls back).
        """
        self._policy = policy if policy is not None else EvidenceAndHistoryPolicy()
        self._fallback_used = fallback_used

    async def assess(self, request: AssessmentRequest, at: datetime) -> Assessment:
        """Assess ``request`` as of ``at`` (timezone-aware) with the policy.

        Raises:
            ValidationError: the request names an unknown opener or carries a naive timestamp.
        """
        return self._policy.assess(request, at, fallback_used=self._fallback_used)
