"""The dispute assessor backed by an OpenAI-compatible chat-completions model.

Invariant: :meth:`LlmDisputeAssessor.assess` always returns a valid :class:`Assessment`. The
model's answer is used only when it arrives and validates; otherwise (no configuration, timeout,
transport failure, error status, refusal, content filter, truncated, malformed or out-of-schema
answer) the fallback assessor answers and the result says ``fallback_used=True``. The reason is
logged on the ``kustodia.llm`` logger, never the dispute's text.
"""

from __future__ import annotations

import logging
from datetime import datetime

import attrs
import httpx

from kustodia_adapters.llm.client import (
    ChatCompletionError,
    ChatCompletionsClient,
    ClientOptions,
    Sleep,
)
from kustodia_adapters.llm.payloads import (
    InvalidAnswerError,
    ResponseFormat,
    chat_request,
    read_answer,
)
from kustodia_domain.disputes.assessment import Assessment, AssessmentRequest
from kustodia_domain.ports.assessor import DisputeAssessor
from kustodia_domain.services.policy_assessor import PolicyDisputeAssessor
from kustodia_domain.shared.errors import ValidationError
from kustodia_domain.shared.time import ensure_utc

log = logging.getLogger("kustodia.llm")


@attrs.frozen(kw_only=True)
class LlmOptions:
    """How the model is asked, and the client's timeouts and retries."""

    max_tokens: int = 1_000
    temperature: float = 0.0
    response_format: ResponseFormat = ResponseFormat.JSON_SCHEMA
    client: ClientOptions = ClientOptions()


def _setting(value: str | None) -> str | None:
    return value.strip() if value is not None and value.strip() else None


class LlmDisputeAssessor(DisputeAssessor):
    """A :class:`DisputeAssessor` that asks a chat-completions model and falls back safely.

    ``model`` is the configured model name; ``model_version`` is the ``model`` the server
    reports answering with (e.g. ``gpt-4o-mini-2024-07-18``), or the configured name when it
    reports none. The fallback's result is always stored with ``fallback_used=True``.
    """

    def __init__(
        self,
        *,
        base_url: str | None,
        model: str | None,
        api_key: str | None = None,
        fallback: DisputeAssessor | None = None,
        options: LlmOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        """Configure from the settings ``KUSTODIA_LLM_BASE_URL``, ``_MODEL`` and ``_API_KEY``.

        Args:
            base_url: the API root, e.g. ``https://api.openai.com/v1`` or
                ``http://localhost:11434/v1``; blank or None: every assessment falls back.
            model: the model to ask, e.g. ``gpt-4o-mini``; blank or None: as ``base_url``.
            api_key: sent as a bearer token when given (local servers need none).
            fallback: answers when the model does not (default: the deterministic policy).
            options: request and client settings (defaults suit hosted and local servers).
            transport: an httpx transport to send through (tests, shared pools).
            sleep: how retries wait (default ``asyncio.sleep``).

        Raises:
            ValueError: ``base_url`` is given but is not an ``http(s)`` URL.
        """
        self._options = options or LlmOptions()
        self._fallback = fallback or PolicyDisputeAssessor(fallback_used=True)
        self._model = _setting(model)
        url = _setting(base_url)
        self._client: ChatCompletionsClient | None = None
        if url is not None and self._model is not None:
            self._client = ChatCompletionsClient(
                url,
                api_key=_setting(api_key),
                options=self._options.client,
                transport=transport,
                sleep=sleep,
            )

    @property
    def configured(self) -> bool:
        """Whether a model is configured (otherwise every assessment is the fallback's)."""
        return self._client is not None

    async def assess(self, request: AssessmentRequest, at: datetime) -> Assessment:
        """Ask the model about ``request`` as of ``at``; fall back on any failure.

        Raises:
            ValidationError: the request itself is invalid (unknown opener, naive timestamp),
                which no assessor could answer.
        """
        created_at = ensure_utc(at)
        if self._client is None or self._model is None:
            return await self._fall_back(request, created_at, "not_configured")
        options = self._options
        body = chat_request(
            request,
            created_at,
            model=self._model,
            max_tokens=options.max_tokens,
            temperature=options.temperature,
            answer_format=options.response_format,
        )
        try:
            completion = await self._client.create(body)
            answer = read_answer(completion)
            return Assessment(
                outcome=answer.outcome,
                payee_share_bps=answer.payee_share_bps,
                confidence_bps=answer.confidence_bps,
                factors=answer.factors,
                summary=answer.summary,
                model=self._model,
                model_version=completion.model or self._model,
                fallback_used=False,
                created_at=created_at,
            )
        except (ChatCompletionError, InvalidAnswerError) as error:
            return await self._fall_back(request, created_at, error.reason, str(error))
        except ValidationError as error:  # the domain's own checks on the answer
            return await self._fall_back(request, created_at, "schema", str(error))

    async def _fall_back(
        self, request: AssessmentRequest, at: datetime, reason: str, detail: str = ""
    ) -> Assessment:
        log.warning(
            "dispute assessment fell back to the policy",
            extra={
                "dispute_id": request.dispute_id,
                "reason": reason,
                "detail": detail,
                "model": self._model,
            },
        )
        assessment = await self._fallback.assess(request, at)
        if assessment.fallback_used:
            return assessment
        return attrs.evolve(assessment, fallback_used=True)
