"""The fact catalog: every fact family, its type, its arguments and its provider."""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Literal, cast

import attrs

from kustodia_domain.fraud.durations import format_duration, parse_duration
from kustodia_domain.fraud.screening import FactValue

if TYPE_CHECKING:
    from kustodia_domain.fraud.facts.context import FactContext

FactType = Literal["int", "str", "bool"]
ArgKind = Literal["duration", "int"]
SyncProvider = Callable[["FactContext", tuple[int, ...]], FactValue]
AsyncProvider = Callable[["FactContext", tuple[int, ...]], Awaitable[FactValue]]
Provider = SyncProvider | AsyncProvider
Need = Literal["profiles", "lists"]


PythonType = type[int] | type[str] | type[bool]
_PYTHON_TYPES: dict[str, PythonType] = {"int": int, "str": str, "bool": bool}


class FactKeyError(ValueError):
    """A fact key that names no fact, or has the wrong arguments."""


@attrs.frozen(kw_only=True)
class FactFamily:
    """A named fact, or a family of facts indexed by arguments (windows, basis points).

    ``args`` lists the argument kinds: a ``duration`` is written ``30m``/``24h``/``7d`` and
    passed to the provider in seconds; an ``int`` is passed as is. Providers may return ``None``
    when the fact does not apply to the event (a comparison with ``None`` is unknown).

    A provider is a coroutine function when it queries a port, or a plain function when it only
    reads the event and what the context prepared beforehand (``needs``: the parties' profiles,
    the list entries matching the event).
    """

    name: str
    type: FactType
    doc: str
    provider: Provider = attrs.field(eq=False)
    args: tuple[ArgKind, ...] = ()
    needs: frozenset[Need] = frozenset()
    asynchronous: bool = attrs.field(init=False, eq=False)
    python_type: PythonType = attrs.field(init=False, eq=False, repr=False)
    """The exact Python type of the values (``int``, ``str`` or ``bool``), checked per value."""

    @asynchronous.default
    def _is_coroutine(self) -> bool:
        return inspect.iscoroutinefunction(self.provider)

    as_sync: SyncProvider = attrs.field(init=False, eq=False, repr=False)
    """``provider`` typed as a plain function; call it only when not ``asynchronous``."""
    as_async: AsyncProvider = attrs.field(init=False, eq=False, repr=False)
    """``provider`` typed as a coroutine function; call it only when ``asynchronous``."""

    @python_type.default
    def _python_type(self) -> PythonType:
        return _PYTHON_TYPES[self.type]

    @as_sync.default
    def _as_sync(self) -> SyncProvider:
        return cast("SyncProvider", self.provider)

    @as_async.default
    def _as_async(self) -> AsyncProvider:
        return cast("AsyncProvider", self.provider)

    def key(self, args: tuple[int, ...]) -> str:
        """The fact key for ``args`` in canonical spelling, e.g. ``payer.funded_minor[1d]``."""
        if not self.args:
            return self.name
        spelled = (
            format_duration(value) if kind == "duration" else str(value)
            for kind, value in zip(self.args, args, strict=True)
        )
        return f"{self.name}[{','.join(spelled)}]"


@attrs.frozen(kw_only=True)
class FactRequest:
    """A concrete fact to compute: its key, its family and the argument values."""

    key: str
    family: FactFamily
    args: tuple[int, ...] = ()


def _parse_arg(kind: ArgKind, text: str) -> int:
    if kind == "duration":
        seconds = parse_duration(text)
        if seconds <= 0:
            raise ValueError("a window must be positive")
        return seconds
    value = int(text)
    if value < 0:
        raise ValueError("arguments must not be negative")
    return value


class FactCatalog:
    """Fact families by name. Immutable once built."""

    def __init__(self, families: Iterable[FactFamily]) -> None:
        table: dict[str, FactFamily] = {}
        for family in families:
            if family.name in table:
                raise ValueError(f"fact {family.name} is defined twice")
            table[family.name] = family
        self._families: Mapping[str, FactFamily] = table

    def __contains__(self, name: object) -> bool:
        return name in self._families

    def __len__(self) -> int:
        return len(self._families)

    def get(self, name: str) -> FactFamily | None:
        """The family called ``name``, if any."""
        return self._families.get(name)

    def families(self) -> tuple[FactFamily, ...]:
        """Every family, sorted by name."""
        return tuple(self._families[name] for name in sorted(self._families))

    def suggest(self, name: str) -> str:
        """A ``did you mean`` hint for an unknown name, or an empty string."""
        close = difflib.get_close_matches(name, self._families, n=3)
        return f" (did you mean {', '.join(close)}?)" if close else ""

    def request(self, name: str, args: tuple[int, ...] = ()) -> FactRequest:
        """The request for family ``name`` with ``args``.

        Raises:
            FactKeyError: unknown family, or arguments that do not match its signature.
        """
        family = self._families.get(name)
        if family is None:
            raise FactKeyError(f"unknown fact {name!r}{self.suggest(name)}")
        if len(args) != len(family.args):
            wanted = ", ".join(family.args) or "no arguments"
            raise FactKeyError(f"fact {name} takes [{wanted}], got {len(args)} argument(s)")
        return FactRequest(key=family.key(args), family=family, args=args)

    def resolve(self, key: str) -> FactRequest:
        """Parse a canonical key such as ``payer.near_cap_count[30d,9000]``.

        Raises:
            FactKeyError: the key names no fact or has bad arguments.
        """
        name, _, rest = key.partition("[")
        family = self._families.get(name)
        if family is None:
            raise FactKeyError(f"unknown fact {name!r}{self.suggest(name)}")
        texts = rest.removesuffix("]").split(",") if rest else []
        if len(texts) != len(family.args):
            raise FactKeyError(f"fact key {key!r} does not match [{', '.join(family.args)}]")
        try:
            args = tuple(
                _parse_arg(kind, text) for kind, text in zip(family.args, texts, strict=True)
            )
        except ValueError as exc:
            raise FactKeyError(f"fact key {key!r}: {exc}") from exc
        return FactRequest(key=family.key(args), family=family, args=args)
