"""Reading a request's body in a middleware and handing it on unchanged to what runs next."""

from __future__ import annotations

from litestar.types import Receive, ReceiveMessage


async def read_body(receive: Receive) -> tuple[bytes, list[ReceiveMessage]]:
    """The whole request body, and the messages it came in (to hand on unchanged)."""
    messages: list[ReceiveMessage] = []
    chunks: list[bytes] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks), messages


def replaying(messages: list[ReceiveMessage]) -> Receive:
    """A ``receive`` that hands out ``messages``, then a disconnect."""
    pending = list(messages)

    async def receive() -> ReceiveMessage:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    return receive
