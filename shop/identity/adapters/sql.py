"""Customers in SQL (SQLAlchemy Core), on SQLite or PostgreSQL.

The table is described here for queries only; the migrations in ``migrations/`` create it.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from accord.sql import Repository, UnitOfWork, conflicts_as
from shop.identity.application.ports import ConcurrencyConflict, UnitOfWorkFactory
from shop.identity.domain.model import Customer

__all__ = [
    "MIGRATIONS",
    "SqlCustomerRepository",
    "SqlUnitOfWork",
    "customers",
    "metadata",
    "unit_of_work",
]

#: The folder of identity's Alembic migrations.
MIGRATIONS = Path(__file__).parent / "migrations"

metadata = sa.MetaData()

customers = sa.Table(
    "identity_customers",
    metadata,
    sa.Column("customer_id", sa.String(64), primary_key=True),
    sa.Column("email", sa.String(254), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(256), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


def _from_row(row: Any) -> Customer:
    created = row.created_at
    created = created.replace(tzinfo=UTC) if created.tzinfo is None else created.astimezone(UTC)
    return Customer(row.customer_id, row.email, row.password_hash, created)


class SqlCustomerRepository(Repository):
    """The ``CustomerRepository`` port on one open connection."""

    async def add(self, customer: Customer) -> None:
        """Insert a new customer; a taken email is a ConcurrencyConflict."""
        async with conflicts_as(ConcurrencyConflict):
            await self._connection.execute(
                customers.insert().values(
                    customer_id=customer.customer_id,
                    email=customer.email,
                    password_hash=customer.password_hash,
                    created_at=customer.created_at.astimezone(UTC),
                )
            )

    async def get_by_email(self, email: str) -> Customer | None:
        """The customer with this address, or None."""
        async with conflicts_as(ConcurrencyConflict):
            result = await self._connection.execute(
                sa.select(customers).where(customers.c.email == email)
            )
        row = result.first()
        return None if row is None else _from_row(row)


class SqlUnitOfWork(UnitOfWork):
    """One transaction on ``engine``; rolled back unless :meth:`commit` is called."""

    conflict = ConcurrencyConflict
    customers: SqlCustomerRepository

    def bind(self, connection: AsyncConnection) -> None:
        """Attach the repositories to this transaction's connection."""
        self.customers = SqlCustomerRepository(connection)


def unit_of_work(engine: AsyncEngine) -> UnitOfWorkFactory:
    """A factory of units of work on ``engine``."""
    return lambda read_only=False: SqlUnitOfWork(engine, read_only=read_only)
