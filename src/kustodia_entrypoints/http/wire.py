"""Wire types that decode strictly, whatever Litestar's lax default.

Litestar converts request bodies with ``strict=False``, which would turn ``"150000"`` into an
int. Money must be an integer on the wire (a float, a string or a negative amount is a 422), so
amounts and other integers are subclasses of ``int`` with their own decoder and schema.
"""

from __future__ import annotations

from typing import Any

from litestar.openapi.spec import Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.plugins import OpenAPISchemaPluginProtocol
from litestar.typing import FieldDefinition


class MinorUnits(int):
    """A non-negative integer amount of minor units (centavos for MXN)."""


class WholeNumber(int):
    """An integer that must arrive as a JSON integer (never a string, float or boolean)."""


def _is_wire_int(value: Any) -> bool:
    return value in (MinorUnits, WholeNumber)


def _decode(target: type, value: Any) -> Any:
    if type(value) is not int:
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    if target is MinorUnits:
        if value < 0:
            raise TypeError("an amount cannot be negative")
        return MinorUnits(value)
    return WholeNumber(value)


TYPE_DECODERS = [(_is_wire_int, _decode)]
"""Registered on the app: decodes every :class:`MinorUnits` and :class:`WholeNumber` field."""


class WireIntSchemaPlugin(OpenAPISchemaPluginProtocol):
    """Describes the wire integers in the OpenAPI document."""

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return _is_wire_int(value)

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        if field_definition.annotation is MinorUnits:
            return Schema(
                type=OpenAPIType.INTEGER,
                minimum=0,
                description="Amount in minor units (centavos): 150000 is 1,500.00 MXN.",
            )
        return Schema(type=OpenAPIType.INTEGER)
