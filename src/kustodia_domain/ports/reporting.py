"""Failures a use case absorbs on purpose, reported so that operators still see them.

Some work must not fail the command it follows: chaining an audit record after the command
committed it, say, where an error would turn a change that took effect into a 5xx and invite a
second run. Such a failure is handed to a :data:`Report` instead of raised.
"""

from __future__ import annotations

from collections.abc import Callable

Report = Callable[[str, BaseException], None]
"""``report(what, error)``: ``what`` says which work failed; it must not raise."""


def unreported(what: str, error: BaseException) -> None:
    """Keep nothing (for applications without a log, such as property tests)."""
