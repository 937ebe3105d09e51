"""Small helpers that turn provider functions into fact families."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from kustodia_domain.fraud.facts.catalog import ArgKind, FactFamily, FactType, Need, Provider
from kustodia_domain.fraud.screening import FactValue

if TYPE_CHECKING:
    from kustodia_domain.fraud.facts.context import FactContext

RoleProvider = Callable[[str, "FactContext", tuple[int, ...]], FactValue | Awaitable[FactValue]]
P = TypeVar("P", bound=Provider)
NONE: frozenset[Need] = frozenset()
PROFILES: frozenset[Need] = frozenset({"profiles"})
LISTS: frozenset[Need] = frozenset({"profiles", "lists"})


class FamilyList(list[FactFamily]):
    """Fact families declared by one module, in declaration order."""

    def fact(
        self, name: str, type_: FactType, doc: str, *args: ArgKind, needs: frozenset[Need] = NONE
    ) -> Callable[[P], P]:
        """Register the decorated provider as the family ``name``."""

        def register(provider: P) -> P:
            self.append(
                FactFamily(
                    name=name, type=type_, doc=doc, provider=provider, args=args, needs=needs
                )
            )
            return provider

        return register


def role_family(
    role: str,
    suffix: str,
    type_: FactType,
    doc: str,
    provider: RoleProvider,
    *args: ArgKind,
    needs: frozenset[Need] = NONE,
) -> FactFamily:
    """The family ``<role>.<suffix>`` whose provider is ``provider`` bound to ``role``."""
    bound: Provider = partial(provider, role)  # type: ignore[assignment]
    return FactFamily(
        name=f"{role}.{suffix}", type=type_, doc=doc, provider=bound, args=args, needs=needs
    )
