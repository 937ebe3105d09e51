"""Person-name normalisation and an integer similarity score for fuzzy matching.

SPEI ordering-account names and list names arrive upper-cased, without accents and often with
the surnames first, so names are compared after folding case and accents and sorting tokens. The
score is per-mille (0..1000) computed with integers from ``difflib``'s matching blocks: no float
ever reaches a threshold comparison.
"""

from __future__ import annotations

import unicodedata
from difflib import SequenceMatcher
from functools import lru_cache

PERMILLE = 1_000


@lru_cache(maxsize=65_536)
def normalize_name(name: str) -> str:
    """Casefolded, accent-free, punctuation-free tokens of ``name``, sorted and space-joined.

    Cached: the same KYC and sender names come back with every event of a party.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    cleaned = "".join(ch if ch.isalnum() else " " for ch in plain)
    return " ".join(sorted(cleaned.split()))


@lru_cache(maxsize=65_536)
def name_tokens(name: str) -> frozenset[str]:
    """The distinct tokens of the normalised ``name``."""
    return frozenset(normalize_name(name).split())


@lru_cache(maxsize=65_536)
def similarity_permille(left: str, right: str) -> int:
    """Similarity of two names in per-mille, ``2 * matched / total`` rounded down.

    Both names are normalised first; equal normalised names score 1000 without running the
    matcher (the common case for a payer paying from their own account).
    """
    a, b = normalize_name(left), normalize_name(right)
    if a == b:
        return PERMILLE if a else 0
    total = len(a) + len(b)
    if total == 0:
        return 0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    return 2 * matched * PERMILLE // total
