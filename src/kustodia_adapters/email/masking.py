"""Masks for what the e-mail adapters print and log: addresses, CLABEs, card-length numbers."""

from __future__ import annotations

import re

MASK = "***"
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_LONG_NUMBER = re.compile(r"(?<!\d)\d{11,}(\d{4})(?!\d)")
"""15 digits or more (CLABEs have 18, cards 15 to 19): only the last four are kept."""


def mask_address(address: str) -> str:
    """``payer@example.mx`` as ``p***@example.mx``; anything that is not an address as ``***``."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        return MASK
    return f"{local[0]}{MASK}@{domain}"


def redact(text: str) -> str:
    """``text`` with every e-mail address masked and long numbers cut to their last four digits."""
    text = _EMAIL.sub(lambda m: mask_address(m.group(0)), text)
    return _LONG_NUMBER.sub(lambda m: "*" * (len(m.group(0)) - 4) + m.group(1), text)
