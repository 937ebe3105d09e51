"""Webhook payloads of the SPEI rail and the sandbox's bodies."""

from __future__ import annotations

from datetime import datetime

import attrs

from kustodia_entrypoints.http.wire import MinorUnits, WholeNumber


@attrs.frozen(kw_only=True)
class WebhookEnvelope:
    """What every rail notice carries; the rest depends on ``type``."""

    event_id: str
    type: str


@attrs.frozen(kw_only=True)
class DepositNotice:
    event_id: str
    type: str
    tracking_key: str
    clabe: str
    reference: str
    amount: int
    currency: str
    sender_clabe: str
    sender_name: str
    received_at: datetime


@attrs.frozen(kw_only=True)
class PayoutNoticeIn:
    event_id: str
    type: str
    payout_id: str


@attrs.frozen(kw_only=True)
class WebhookOut:
    """``applied``, ``duplicate``, ``unmatched``, ``confirmed``, ``returned`` or ``ignored``."""

    status: str


@attrs.frozen(kw_only=True)
class SandboxDepositIn:
    """``sender_name`` is the ordering account's holder; the caller's own name by default."""

    escrow_id: str
    amount: MinorUnits
    sender_clabe: str | None = None
    sender_name: str | None = None


@attrs.frozen(kw_only=True)
class ClockOut:
    now: datetime


@attrs.frozen(kw_only=True)
class AdvanceIn:
    seconds: WholeNumber


@attrs.frozen(kw_only=True)
class AdvanceOut:
    now: datetime
    released: int
    expired: int
    reminded: int
    payouts_sent: int
    payouts_confirmed: int
