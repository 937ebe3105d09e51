"""The reconciliation queue of unmatched deposits, deduplicated by tracking key."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from kustodia_adapters.sql.mappers import Row
from kustodia_adapters.sql.session import CurrentTransaction
from kustodia_adapters.sql.tables import unmatched_deposits
from kustodia_domain.ports.reconciliation import UnmatchedDeposit, UnmatchedDepositRepository
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.money import Currency, Money

_deposits = unmatched_deposits.c


class SqlUnmatchedDepositRepository(UnmatchedDepositRepository):
    """One statement per call; open deposits are read through a partial index."""

    def __init__(self, transaction: CurrentTransaction) -> None:
        self._transaction = transaction

    async def add(self, deposit: UnmatchedDeposit) -> bool:
        transaction = self._transaction()
        statement = (
            transaction.dialect.upsert(unmatched_deposits)
            .values(
                tracking_key=deposit.tracking_key,
                clabe=deposit.clabe,
                reference=deposit.reference,
                currency=deposit.amount.currency.code,
                amount_minor=deposit.amount.amount_minor,
                source_clabe=deposit.source_clabe.value,
                sender_name=deposit.sender_name,
                received_at=deposit.received_at,
                resolved=deposit.resolved,
            )
            .on_conflict_do_nothing(index_elements=[_deposits.tracking_key])
            .returning(_deposits.tracking_key)
        )
        return (await transaction.execute(statement)).first() is not None

    async def get(self, tracking_key: str) -> UnmatchedDeposit | None:
        query = select(unmatched_deposits).where(_deposits.tracking_key == tracking_key)
        row = (await self._transaction().execute(query)).mappings().first()
        return None if row is None else _deposit_of(row)

    async def list_open(self) -> Sequence[UnmatchedDeposit]:
        query = (
            select(unmatched_deposits)
            .where(~_deposits.resolved)
            .order_by(_deposits.received_at, _deposits.tracking_key)
        )
        rows = (await self._transaction().execute(query)).mappings()
        return [_deposit_of(row) for row in rows]


def _deposit_of(row: Row) -> UnmatchedDeposit:
    return UnmatchedDeposit(
        tracking_key=row["tracking_key"],
        clabe=row["clabe"],
        reference=row["reference"],
        amount=Money(row["amount_minor"], Currency.of(row["currency"])),
        source_clabe=Clabe(row["source_clabe"]),
        sender_name=row["sender_name"],
        received_at=row["received_at"],
        resolved=row["resolved"],
    )
