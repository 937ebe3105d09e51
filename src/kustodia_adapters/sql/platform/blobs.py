"""Evidence blobs, content-addressed: the key is the SHA-256 of the bytes, and the primary key."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.standalone import own_transaction
from kustodia_adapters.sql.tables import blobs
from kustodia_domain.ports.blobs import BlobStore, StoredBlob
from kustodia_domain.shared.errors import NotFoundError

_b = blobs.c


class SqlBlobStore(BlobStore):
    """One statement per call; the bytes are a ``bytea`` (PostgreSQL) or ``BLOB`` (SQLite).

    ``put`` is ``INSERT ... ON CONFLICT DO NOTHING``: a row is never rewritten, so the bytes
    under a key are the ones first stored, and storing them again (even concurrently, even with
    another content type) is a no-op that returns the same key. No size limit is applied here:
    the port has none, and evidence is held to its own limit before it is stored.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def put(self, data: bytes, content_type: str) -> StoredBlob:
        content = bytes(data)
        digest = hashlib.sha256(content).hexdigest()
        async with own_transaction(self._engine) as transaction:
            statement = (
                transaction.dialect.upsert(blobs)
                .values(sha256=digest, content_type=content_type, content=content)
                .on_conflict_do_nothing(index_elements=[_b.sha256])
            )
            await transaction.execute(statement)
        return StoredBlob(key=digest, sha256=digest, size_bytes=len(content))

    async def get(self, key: str) -> bytes:
        """Raises ``NotFoundError`` if nothing is stored under ``key``."""
        query = select(_b.content).where(_b.sha256 == key)
        async with own_transaction(self._engine) as transaction:
            content = (await transaction.execute(query)).scalar()
        if content is None:
            raise NotFoundError("blob", key)
        return bytes(content)
