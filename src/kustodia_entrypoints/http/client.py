"""Where a request comes from, for the fraud rules: the client's IP and device fingerprint."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.params import HeaderParameter

from kustodia_domain.services.users import ClientContext

DEVICE_HEADER = "Kustodia-Device"
_MAX_DEVICE = 200

DeviceHeader = Annotated[
    str | None,
    HeaderParameter(
        name=DEVICE_HEADER,
        max_length=_MAX_DEVICE,
        description="The app's device fingerprint; the fraud rules count sign-ups per device.",
    ),
]


def client_context(request: Request[Any, Any, Any], device: str | None) -> ClientContext:
    """The caller's address and device, as far as the edge knows them."""
    # The connection's peer: behind a proxy that is the proxy, unless the server is told to
    # trust its forwarded headers; X-Forwarded-For itself is never read here, as clients set it.
    host = request.client.host if request.client is not None else None
    return ClientContext(ip=host or None, device=(device or "").strip() or None)
