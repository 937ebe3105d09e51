"""Signatures of the requests Kustodia sends to the rail provider.

``Rail-Signature: t=<unix seconds>,v1=<hex>`` where ``hex`` is HMAC-SHA256 with the API secret
over ``"<t>.<METHOD>.<request target>.<raw body>"``; the request target is the path with its
query string exactly as sent, and the body is empty for a GET. Binding the method and target
stops a captured signature from being replayed against another endpoint; the timestamp lets the
provider refuse old ones. It is the scheme of the provider's own webhooks
(``"<t>.<raw body>"``) with the request line added.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "Rail-Signature"
API_KEY_HEADER = "Rail-Api-Key"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def request_signature(secret: str, timestamp: int, method: str, target: str, body: bytes) -> str:
    """The ``v1`` value of a request."""
    message = f"{timestamp}.{method.upper()}.{target}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, method: str, target: str, body: bytes) -> str:
    """The ``Rail-Signature`` header value of a request."""
    return f"t={timestamp},v1={request_signature(secret, timestamp, method, target, body)}"
