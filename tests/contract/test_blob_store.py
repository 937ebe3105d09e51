"""Blob storage: content-addressed by SHA-256, so storing twice is safe."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod

import pytest

from kustodia_adapters.in_memory.blobs import InMemoryBlobStore
from kustodia_domain.ports.blobs import BlobStore
from kustodia_domain.shared.errors import NotFoundError

PDF = b"%PDF-1.7 receipt of the laptop"


class BlobStoreContract(ABC):
    @pytest.fixture
    @abstractmethod
    async def blobs(self) -> BlobStore:
        """An empty blob store of the adapter under test."""

    async def test_a_stored_blob_is_keyed_by_its_sha256_and_reads_back(
        self, blobs: BlobStore
    ) -> None:
        stored = await blobs.put(PDF, "application/pdf")

        digest = hashlib.sha256(PDF).hexdigest()
        assert (stored.key, stored.sha256, stored.size_bytes) == (digest, digest, len(PDF))
        assert await blobs.get(stored.key) == PDF

    async def test_storing_the_same_bytes_twice_gives_the_same_key(self, blobs: BlobStore) -> None:
        first = await blobs.put(PDF, "application/pdf")
        again = await blobs.put(PDF, "application/pdf")
        other = await blobs.put(PDF + b"!", "application/pdf")

        assert first == again
        assert other.key != first.key

    async def test_an_unknown_key_is_not_found(self, blobs: BlobStore) -> None:
        with pytest.raises(NotFoundError):
            await blobs.get(hashlib.sha256(b"never stored").hexdigest())


class TestInMemoryBlobStore(BlobStoreContract):
    @pytest.fixture
    async def blobs(self) -> InMemoryBlobStore:
        return InMemoryBlobStore()
