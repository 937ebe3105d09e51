"""LLM adapter: the dispute assessor on any OpenAI-compatible chat-completions server.

:mod:`.client` speaks the protocol (timeouts, bounded retries with backoff), :mod:`.payloads`
decides what the model is told and how its answer is checked, and :mod:`.assessor` implements
the ``DisputeAssessor`` port, falling back to the deterministic policy whenever the model's
answer cannot be used. ADR 0007 records the boundary.
"""

from kustodia_adapters.llm.assessor import LlmDisputeAssessor, LlmOptions
from kustodia_adapters.llm.client import ChatCompletionsClient, ClientOptions
from kustodia_adapters.llm.payloads import ResponseFormat

__all__ = [
    "ChatCompletionsClient",
    "ClientOptions",
    "LlmDisputeAssessor",
    "LlmOptions",
    "ResponseFormat",
]
