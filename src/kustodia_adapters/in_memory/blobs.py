"""Content-addressed blobs in a dict: the key is the SHA-256 of the bytes."""

from __future__ import annotations

import hashlib

from kustodia_domain.ports.blobs import BlobStore, StoredBlob
from kustodia_domain.shared.errors import NotFoundError


class InMemoryBlobStore(BlobStore):
    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}

    async def put(self, data: bytes, content_type: str) -> StoredBlob:
        digest = hashlib.sha256(data).hexdigest()
        self._blobs.setdefault(digest, bytes(data))
        return StoredBlob(key=digest, sha256=digest, size_bytes=len(data))

    async def get(self, key: str) -> bytes:
        try:
            return self._blobs[key]
        except KeyError:
            raise NotFoundError("blob", key) from None
