"""Blob storage: content-addressed by SHA-256, so storing twice is safe."""

from __future__ import annotations

import asyncio
import hashlib
from abc import ABC, abstractmethod

import pytest

from kustodia_adapters.in_memory.blobs import InMemoryBlobStore
from kustodia_domain.disputes.model import MAX_EVIDENCE_BYTES
from kustodia_domain.ports.blobs import BlobStore
from kustodia_domain.shared.errors import NotFoundError

PDF = b"%PDF-1.7 receipt of the laptop"
EVERY_BYTE = bytes(range(256))
"""Binary content: NUL, bytes above 0x7F and invalid UTF-8 must come back unchanged."""


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
        with pytest.raises(NotFoundError):
            await blobs.get("not-a-sha256")

    async def test_binary_content_reads_back_byte_for_byte(self, blobs: BlobStore) -> None:
        stored = await blobs.put(EVERY_BYTE, "image/png")

        assert await blobs.get(stored.key) == EVERY_BYTE
        assert stored.size_bytes == len(EVERY_BYTE)

    async def test_the_largest_evidence_file_is_stored_whole(self, blobs: BlobStore) -> None:
        largest = EVERY_BYTE * (MAX_EVIDENCE_BYTES // len(EVERY_BYTE))

        stored = await blobs.put(largest, "application/pdf")

        assert stored.size_bytes == MAX_EVIDENCE_BYTES
        assert await blobs.get(stored.key) == largest

    async def test_storing_again_under_another_content_type_rewrites_nothing(
        self, blobs: BlobStore
    ) -> None:
        stored = await blobs.put(PDF, "application/pdf")

        again = await blobs.put(PDF, "image/jpeg")

        assert again == stored
        assert await blobs.get(stored.key) == PDF

    async def test_concurrent_puts_of_the_same_bytes_all_succeed_with_one_key(
        self, blobs: BlobStore
    ) -> None:
        stored = await asyncio.gather(*(blobs.put(PDF, "application/pdf") for _ in range(5)))

        assert {s.key for s in stored} == {hashlib.sha256(PDF).hexdigest()}
        assert await blobs.get(stored[0].key) == PDF


class TestInMemoryBlobStore(BlobStoreContract):
    @pytest.fixture
    async def blobs(self) -> InMemoryBlobStore:
        return InMemoryBlobStore()
