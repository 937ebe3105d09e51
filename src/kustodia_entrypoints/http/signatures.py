"""Verification of the rail's ``Kustodia-Signature: t=<unix seconds>,v1=<hex>`` header.

``v1`` is HMAC-SHA256 with the shared secret over ``"<t>.<raw body>"``. The signature is checked
before the timestamp, and both before anything reads the body, so a forged or stale call learns
nothing and changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

import attrs


@attrs.frozen
class SignatureRejected(Exception):  # noqa: N818 - a refusal, not a failure of the server
    """Why a webhook was refused: a stable code and the HTTP status to answer with."""

    code: str
    status: int = 401


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``v1`` value for ``body`` sent at ``timestamp`` (the rail computes the same)."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify(header: str, body: bytes, *, secret: str, now: datetime, tolerance: timedelta) -> str:
    """The verified ``v1`` signature (the key for replay protection).

    Raises:
        SignatureRejected: missing or malformed header, wrong signature, or a timestamp more
            than ``tolerance`` away from ``now``.
    """
    parts = dict(p.strip().split("=", 1) for p in header.split(",") if "=" in p)
    timestamp, given = parts.get("t", ""), parts.get("v1", "")
    if not timestamp.isdigit() or not given:
        raise SignatureRejected("webhook.signature_missing")
    if not hmac.compare_digest(sign(secret, int(timestamp), body), given.lower()):
        raise SignatureRejected("webhook.signature_invalid")
    if abs(now.timestamp() - int(timestamp)) > tolerance.total_seconds():
        raise SignatureRejected("webhook.signature_stale")
    return given.lower()
