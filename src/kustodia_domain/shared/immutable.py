"""Marking value objects as immutable for copying.

A frozen attrs value never changes after construction, so a copy of it can be the object itself.
Adapters that deep-copy aggregates (to keep stored state isolated from callers) then copy only
the mutable parts, which is most of the cost saved.
"""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T", bound=type)


def immutable(cls: T) -> T:
    """Class decorator for frozen values: ``copy`` and ``deepcopy`` return the same object."""

    def _copy(self: Any) -> Any:
        return self

    def _deepcopy(self: Any, memo: dict[int, Any]) -> Any:
        return self

    cls.__copy__ = _copy  # type: ignore[attr-defined]
    cls.__deepcopy__ = _deepcopy  # type: ignore[attr-defined]
    return cls
