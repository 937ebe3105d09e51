"""Blob storage for evidence files."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol

import attrs


@attrs.frozen(kw_only=True)
class StoredBlob:
    """Where a blob was stored and its SHA-256 (hex) and size in bytes."""

    key: str
    sha256: str
    size_bytes: int


class BlobStore(Protocol):
    """Content storage; the key is derived from the content hash, so storing twice is safe."""

    @abstractmethod
    async def put(self, data: bytes, content_type: str) -> StoredBlob:
        """Store ``data``; returns its key and hash."""

    @abstractmethod
    async def get(self, key: str) -> bytes:
        """The stored bytes, or ``NotFoundError``."""
