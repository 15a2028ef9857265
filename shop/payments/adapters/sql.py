"""Authorizations in SQL (SQLAlchemy Core), on SQLite or PostgreSQL.

The tables are described here for queries only; they are created and changed by the
migrations in ``migrations/``. Every write of an existing row is an
``UPDATE … WHERE version = :seen``: a row not touched means a concurrent transaction
won, and is reported as :class:`ConcurrencyConflict`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from accord.sql import Repository, UnitOfWork, compare_and_set, conflicts_as, keyset_page, prepared
from shop.common.listing import Listing
from shop.payments.application.ports import ConcurrencyConflict, UnitOfWorkFactory
from shop.payments.domain.model import Authorization, AuthorizationStatus, Money

__all__ = [
    "MIGRATIONS",
    "SqlAuthorizationRepository",
    "SqlUnitOfWork",
    "authorizations",
    "metadata",
    "unit_of_work",
]

#: Payments' Alembic migrations.
MIGRATIONS = Path(__file__).parent / "migrations"

metadata = sa.MetaData()

authorizations = sa.Table(
    "payments_authorizations",
    metadata,
    sa.Column("authorization_id", sa.String(64), primary_key=True),
    sa.Column("order_id", sa.String(64), nullable=False, unique=True),
    sa.Column("amount_cents", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("processor_reference", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)


# The statements of the order path, built once with bound parameters and prepared
# (compiled once, run on the driver: accord.sql.prepared).
_ADD = prepared(authorizations.insert())
_BY_ID = prepared(
    sa.select(authorizations).where(authorizations.c.authorization_id == sa.bindparam("w_value"))
)
_BY_ORDER = prepared(
    sa.select(authorizations).where(authorizations.c.order_id == sa.bindparam("w_value"))
)
_SAVE = prepared(
    authorizations.update()
    .where(
        authorizations.c.authorization_id == sa.bindparam("w_id"),
        authorizations.c.version == sa.bindparam("w_seen"),
    )
    .values(status=sa.bindparam("new_status"), version=sa.bindparam("new_version"))
)


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _from_row(row: Any) -> Authorization:
    return Authorization(
        authorization_id=row.authorization_id,
        order_id=row.order_id,
        amount=Money(int(row.amount_cents), row.currency),
        processor_reference=row.processor_reference,
        created_at=_utc(row.created_at),
        status=AuthorizationStatus(row.status),
        version=row.version,
    )


class SqlAuthorizationRepository(Repository):
    """The ``AuthorizationRepository`` port on one open connection."""

    async def add(self, authorization: Authorization) -> None:
        """Insert a new authorization; a taken order id is a ConcurrencyConflict."""
        async with conflicts_as(ConcurrencyConflict):
            await self._connection.execute(
                _ADD,
                {
                    "authorization_id": authorization.authorization_id,
                    "order_id": authorization.order_id,
                    "amount_cents": authorization.amount.cents,
                    "currency": authorization.amount.currency,
                    "processor_reference": authorization.processor_reference,
                    "status": authorization.status.value,
                    "created_at": authorization.created_at.astimezone(UTC),
                    "version": authorization.version,
                },
            )

    async def get(self, authorization_id: str) -> Authorization | None:
        """The authorization with this id, or None."""
        return await self._one(_BY_ID, authorization_id)

    async def get_for_order(self, order_id: str) -> Authorization | None:
        """The authorization of this order, or None."""
        return await self._one(_BY_ORDER, order_id)

    async def find(self, listing: Listing[AuthorizationStatus]) -> list[Authorization]:
        """The authorizations ``listing`` asks for, in id order."""
        query = keyset_page(authorizations, "authorization_id", listing)
        async with conflicts_as(ConcurrencyConflict):
            result = await self._connection.execute(query)
        return [_from_row(row) for row in result]

    async def save(self, authorization: Authorization) -> None:
        """Write the new status if nobody changed the row since it was read."""
        values = {"w_id": authorization.authorization_id, "new_status": authorization.status.value}
        what = f"authorization {authorization.authorization_id!r}"
        authorization.version = await compare_and_set(
            self._connection, _SAVE, values, seen=authorization.version, what=what
        )

    async def _one(self, query: sa.Select[Any], value: str) -> Authorization | None:
        async with conflicts_as(ConcurrencyConflict):
            result = await self._connection.execute(query, {"w_value": value})
        row = result.first()
        return None if row is None else _from_row(row)


class SqlUnitOfWork(UnitOfWork):
    """One transaction on ``engine``; rolled back unless :meth:`commit` is called."""

    conflict = ConcurrencyConflict
    authorizations: SqlAuthorizationRepository

    def bind(self, connection: AsyncConnection) -> None:
        """Attach the repositories to this transaction's connection."""
        self.authorizations = SqlAuthorizationRepository(connection)


def unit_of_work(engine: AsyncEngine) -> UnitOfWorkFactory:
    """A factory of units of work on ``engine``."""
    return lambda read_only=False: SqlUnitOfWork(engine, read_only=read_only)
