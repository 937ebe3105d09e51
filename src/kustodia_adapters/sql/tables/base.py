"""The one ``MetaData``, its naming convention, and the column helpers every table uses."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, MetaData

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Names the database can be asked about later: Alembic can only alter what it can name."""

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def one_of(column: str, values: tuple[str, ...]) -> str:
    """A CHECK expression: ``column`` holds one of ``values``."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def money(name: str) -> Column[int]:
    """An amount in minor units (BIGINT); its currency code is a column beside it."""
    return Column(name, BigInteger, nullable=False)
