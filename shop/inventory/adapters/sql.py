"""SKUs and reservations in SQL (SQLAlchemy Core), on SQLite or PostgreSQL.

The tables are described here for queries only; the migrations in ``migrations/``
create and change them. Every write of an existing row is an
``UPDATE … WHERE version = :seen``: a row not touched means a concurrent transaction
won, and is reported as :class:`ConcurrencyConflict`, as are the database errors that
mean the same (:func:`accord.sql.is_conflict`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from accord.sql import Repository, UnitOfWork, compare_and_set, conflicts_as, keyset_page, prepared
from shop.common.listing import Listing
from shop.inventory.application.ports import ConcurrencyConflict, UnitOfWorkFactory
from shop.inventory.domain.model import Reservation, ReservationLine, ReservationStatus, Sku

__all__ = [
    "MIGRATIONS",
    "SqlReservationRepository",
    "SqlSkuRepository",
    "SqlUnitOfWork",
    "lines",
    "metadata",
    "reservations",
    "skus",
    "unit_of_work",
]

#: Inventory's Alembic migrations.
MIGRATIONS = Path(__file__).parent / "migrations"

metadata = sa.MetaData()

skus = sa.Table(
    "inventory_skus",
    metadata,
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("unit_price_cents", sa.BigInteger, nullable=False),
    sa.Column("available", sa.BigInteger, nullable=False),
    sa.Column("reserved", sa.BigInteger, nullable=False),
    sa.Column("sold", sa.BigInteger, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)

reservations = sa.Table(
    "inventory_reservations",
    metadata,
    sa.Column("reservation_id", sa.String(64), primary_key=True),
    sa.Column("order_id", sa.String(64), nullable=False, unique=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)

lines = sa.Table(
    "inventory_reservation_lines",
    metadata,
    sa.Column("reservation_id", sa.String(64), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("quantity", sa.BigInteger, nullable=False),
    sa.Column("unit_price_cents", sa.BigInteger, nullable=False),
)


# The statements of the order path, built once with bound parameters and prepared
# (compiled once, run on the driver: accord.sql.prepared).
_LOCK_SKUS = prepared(
    skus.select()
    .where(skus.c.code.in_(sa.bindparam("codes", expanding=True)))
    .order_by(skus.c.code)
    .with_for_update()
)
_SAVE_SKU = prepared(
    skus.update()
    .where(skus.c.code == sa.bindparam("w_code"), skus.c.version == sa.bindparam("w_seen"))
    .values(
        available=sa.bindparam("new_available"),
        reserved=sa.bindparam("new_reserved"),
        sold=sa.bindparam("new_sold"),
        version=sa.bindparam("new_version"),
    )
)
_ADD_RESERVATION = prepared(reservations.insert())
_ADD_LINES = prepared(lines.insert())


def _with_lines(condition: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """A reservation and its lines in one statement (one row per line, in position
    order; one row of NULL line columns when it has none): one snapshot, one round trip."""
    return prepared(
        sa.select(reservations, lines.c.sku, lines.c.quantity, lines.c.unit_price_cents)
        .select_from(
            reservations.outerjoin(lines, lines.c.reservation_id == reservations.c.reservation_id)
        )
        .where(condition)
        .order_by(lines.c.position)
    )


_RESERVATION_BY_ID = _with_lines(reservations.c.reservation_id == sa.bindparam("w_value"))
_RESERVATION_BY_ORDER = _with_lines(reservations.c.order_id == sa.bindparam("w_value"))
_SAVE_RESERVATION = prepared(
    reservations.update()
    .where(
        reservations.c.reservation_id == sa.bindparam("w_id"),
        reservations.c.version == sa.bindparam("w_seen"),
    )
    .values(status=sa.bindparam("new_status"), version=sa.bindparam("new_version"))
)


def _sku(row: Any) -> Sku:
    return Sku(
        code=row.code,
        name=row.name,
        unit_price_cents=int(row.unit_price_cents),
        available=int(row.available),
        reserved=int(row.reserved),
        sold=int(row.sold),
        version=int(row.version),
    )


class SqlSkuRepository(Repository):
    """The ``SkuRepository`` port on one open connection."""

    async def add(self, sku: Sku) -> None:
        """Insert a new SKU; a code already taken is a ConcurrencyConflict."""
        async with conflicts_as(ConcurrencyConflict):
            # A SKU's fields are its row's columns, name for name.
            await self._connection.execute(skus.insert().values(asdict(sku)))

    async def get(self, code: str) -> Sku | None:
        """The SKU with this code, or None."""
        async with conflicts_as(ConcurrencyConflict):
            row = (await self._connection.execute(skus.select().where(skus.c.code == code))).first()
        return None if row is None else _sku(row)

    async def get_many(self, codes: Iterable[str]) -> dict[str, Sku]:
        """The SKUs with these codes that exist, by code, locked until the transaction ends.

        Both callers (a reservation, closing one) write the rows they read. On PostgreSQL
        ``FOR UPDATE`` (rows taken in code order) makes concurrent writers of a popular
        SKU queue on its row lock instead of all reading one version, all but one then
        losing the version check and starting over. SQLite (one writer at a time,
        ``BEGIN IMMEDIATE``) has no ``FOR UPDATE`` and SQLAlchemy leaves it out there.
        """
        wanted = sorted(set(codes))
        if not wanted:
            return {}
        async with conflicts_as(ConcurrencyConflict):
            result = await self._connection.execute(_LOCK_SKUS, {"codes": wanted})
        return {row.code: _sku(row) for row in result}

    async def list(self, limit: int) -> list[Sku]:
        """Up to ``limit`` SKUs, ordered by code."""
        async with conflicts_as(ConcurrencyConflict):
            result = await self._connection.execute(
                skus.select().order_by(skus.c.code).limit(limit)
            )
        return [_sku(row) for row in result]

    async def count(self) -> int:
        """How many SKUs there are."""
        async with conflicts_as(ConcurrencyConflict):
            found = await self._connection.scalar(sa.select(sa.func.count()).select_from(skus))
        return int(found or 0)

    async def save(self, sku: Sku) -> None:
        """Write the new stock if nobody changed the row since it was read."""
        values = {
            "w_code": sku.code,
            "new_available": sku.available,
            "new_reserved": sku.reserved,
            "new_sold": sku.sold,
        }
        sku.version = await compare_and_set(
            self._connection, _SAVE_SKU, values, seen=sku.version, what=f"SKU {sku.code!r}"
        )


class SqlReservationRepository(Repository):
    """The ``ReservationRepository`` port on one open connection."""

    async def add(self, reservation: Reservation) -> None:
        """Insert a reservation and its lines; an order already reserved is a conflict."""
        async with conflicts_as(ConcurrencyConflict):
            await self._connection.execute(
                _ADD_RESERVATION,
                {
                    "reservation_id": reservation.reservation_id,
                    "order_id": reservation.order_id,
                    "status": reservation.status.value,
                    "version": reservation.version,
                },
            )
            await self._connection.execute(
                _ADD_LINES,
                [
                    {
                        "reservation_id": reservation.reservation_id,
                        "position": position,
                        "sku": line.sku,
                        "quantity": line.quantity,
                        "unit_price_cents": line.unit_price_cents,
                    }
                    for position, line in enumerate(reservation.lines)
                ],
            )

    async def get(self, reservation_id: str) -> Reservation | None:
        """The reservation with this id, or None."""
        return await self._one(_RESERVATION_BY_ID, reservation_id)

    async def get_for_order(self, order_id: str) -> Reservation | None:
        """The reservation made for this order, or None."""
        return await self._one(_RESERVATION_BY_ORDER, order_id)

    async def find(self, listing: Listing[ReservationStatus]) -> list[Reservation]:
        """The reservations ``listing`` asks for, in id order."""
        query = keyset_page(reservations, "reservation_id", listing)
        async with conflicts_as(ConcurrencyConflict):
            heads = (await self._connection.execute(query)).all()
            if not heads:
                return []
            rows = (
                await self._connection.execute(
                    lines.select()
                    .where(lines.c.reservation_id.in_([h.reservation_id for h in heads]))
                    .order_by(lines.c.reservation_id, lines.c.position)
                )
            ).all()
        by_id: dict[str, list[Any]] = {h.reservation_id: [] for h in heads}
        for row in rows:
            by_id[row.reservation_id].append(row)
        return [_reservation(head, by_id[head.reservation_id]) for head in heads]

    async def save(self, reservation: Reservation) -> None:
        """Write the new status if nobody changed the row since it was read."""
        values = {"w_id": reservation.reservation_id, "new_status": reservation.status.value}
        what = f"reservation {reservation.reservation_id!r}"
        reservation.version = await compare_and_set(
            self._connection, _SAVE_RESERVATION, values, seen=reservation.version, what=what
        )

    async def _one(self, query: sa.Select[Any], value: str) -> Reservation | None:
        """The reservation ``query`` (:func:`_with_lines`) finds for ``value``, or None."""
        async with conflicts_as(ConcurrencyConflict):
            rows = (await self._connection.execute(query, {"w_value": value})).all()
        if not rows:
            return None
        return _reservation(rows[0], [row for row in rows if row.sku is not None])


def _reservation(head: Any, rows: Iterable[Any]) -> Reservation:
    return Reservation(
        reservation_id=head.reservation_id,
        order_id=head.order_id,
        lines=tuple(
            ReservationLine(row.sku, int(row.quantity), int(row.unit_price_cents)) for row in rows
        ),
        status=ReservationStatus(head.status),
        version=int(head.version),
    )


class SqlUnitOfWork(UnitOfWork):
    """One transaction on ``engine``; rolled back unless :meth:`commit` is called."""

    conflict = ConcurrencyConflict
    skus: SqlSkuRepository
    reservations: SqlReservationRepository

    def bind(self, connection: AsyncConnection) -> None:
        """Attach the repositories to this transaction's connection."""
        self.skus = SqlSkuRepository(connection)
        self.reservations = SqlReservationRepository(connection)


def unit_of_work(engine: AsyncEngine) -> UnitOfWorkFactory:
    """A factory of units of work on ``engine``."""
    return lambda read_only=False: SqlUnitOfWork(engine, read_only=read_only)
