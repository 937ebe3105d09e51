r"""Refuses text with the NUL character before any handler sees it.

PostgreSQL cannot store U+0000 in a text column (it refused it with an untranslated error, a
500) and SQLite stores it, so the same request behaved differently per database. A JSON body
that spells it (``\u0000``) and a URL that carries it (a path with it, ``%00`` in the query)
are a 422 on every database, naming where it was, and nothing runs. Other bodies (uploads) are
bytes, not text, and pass.
"""

from __future__ import annotations

import re
from typing import Final

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from kustodia_domain.shared.errors import ValidationError
from kustodia_entrypoints.http.bodies import read_body, replaying

_NUL_ESCAPE: Final = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
r"""``\u0000`` in JSON text, unless its backslash is itself escaped (``\\u0000`` is text)."""
_MESSAGE: Final = "text may not contain the NUL character (U+0000)"


def _is_json(scope: Scope) -> bool:
    content_type = dict(scope.get("headers", [])).get(b"content-type", b"").lower()
    media_type = content_type.partition(b";")[0].strip()
    return media_type == b"application/json" or media_type.endswith(b"+json")


def plain_text(app: ASGIApp) -> ASGIApp:
    """Middleware: a 422 (``ValidationError``) for NUL in the URL or in a JSON body.

    Raises:
        ValidationError: field ``url`` or ``body``.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b""):
            raise ValidationError(_MESSAGE, field="url")
        if not _is_json(scope):
            await app(scope, receive, send)
            return
        body, messages = await read_body(receive)
        if _NUL_ESCAPE.search(body):
            raise ValidationError(_MESSAGE, field="body")
        await app(scope, replaying(messages), send)

    return middleware
