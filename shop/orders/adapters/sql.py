"""Orders and their lines in SQL (SQLAlchemy Core), on SQLite or PostgreSQL.

The tables are described here for queries only; they are created and changed by the
migrations in ``migrations/``. Every write of an existing order is an
``UPDATE … WHERE version = :seen``: a row not touched means a concurrent transaction
won, and is reported as :class:`ConcurrencyConflict`.

Beside the order itself a row keeps what its placement needs: the ``Idempotency-Key``
it was placed under with the request's fingerprint (unique per customer and key, so a
key can never place a second order, on SQLite and PostgreSQL alike), ``driven_until``
(the lease of the placement driving a pending order; taking it over is a conditional
``UPDATE``), the ``failure`` that rejected it (JSON) and ``look_again_at``, when the
recovery looks at its holds a second time.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from accord.sql import Repository, UnitOfWork, compare_and_set, conflicts_as, prepared
from shop.orders.application.placements import KeyedOrder, PlacementKey
from shop.orders.application.ports import ConcurrencyConflict, UnitOfWorkFactory
from shop.orders.domain.model import Order, OrderLine, OrderStatus

__all__ = [
    "MIGRATIONS",
    "SqlOrderRepository",
    "SqlUnitOfWork",
    "metadata",
    "order_lines",
    "orders",
    "unit_of_work",
]

#: Orders' Alembic migrations.
MIGRATIONS = Path(__file__).parent / "migrations"

metadata = sa.MetaData()

orders = sa.Table(
    "orders_orders",
    metadata,
    sa.Column("order_id", sa.String(64), primary_key=True),
    sa.Column("customer_id", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("total_cents", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("note", sa.String(500)),
    sa.Column("reservation_id", sa.String(64)),
    sa.Column("authorization_id", sa.String(64)),
    sa.Column("rejection", sa.String(64)),
    sa.Column("compensation_due", sa.Boolean, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("idempotency_key", sa.String(255)),
    sa.Column("request_fingerprint", sa.String(64)),
    sa.Column("driven_until", sa.DateTime(timezone=True)),
    sa.Column("failure", sa.Text),
    sa.Column("look_again_at", sa.DateTime(timezone=True)),
)

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(dict[str, Any]).decode

order_lines = sa.Table(
    "orders_lines",
    metadata,
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders_orders.order_id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("unit_price_cents", sa.BigInteger),
)


# The statements of the order path, built once with bound parameters and prepared
# (compiled once, run on the driver: accord.sql.prepared).
_ADD = prepared(orders.insert())
_ADD_LINES = prepared(order_lines.insert())
_DROP_LINES = prepared(
    order_lines.delete().where(order_lines.c.order_id == sa.bindparam("w_order"))
)
_BY_KEY = (orders.c.customer_id == sa.bindparam("w_customer")) & (
    orders.c.idempotency_key == sa.bindparam("w_key")
)
_NEWEST_FIRST = (orders.c.created_at.desc(), orders.c.order_id.desc())
_FIND_BY_KEY = prepared(sa.select(orders).where(_BY_KEY).order_by(*_NEWEST_FIRST).limit(1))
_KEY_DETAILS = prepared(sa.select(orders.c.request_fingerprint, orders.c.failure).where(_BY_KEY))
_LINES_OF = prepared(
    sa.select(order_lines)
    .where(order_lines.c.order_id.in_(sa.bindparam("w_orders", expanding=True)))
    .order_by(order_lines.c.order_id, order_lines.c.position)
)
_SAVED = ("status", "total_cents", "reservation_id", "authorization_id", "rejection")
_SAVE = prepared(
    orders.update()
    .where(orders.c.order_id == sa.bindparam("w_order"), orders.c.version == sa.bindparam("w_seen"))
    .values(
        {name: sa.bindparam(f"new_{name}") for name in (*_SAVED, "compensation_due", "version")}
    )
)


@functools.cache
def _price_lines(count: int) -> sa.Update:
    """An order's ``count`` lines priced in one ``UPDATE``, each line found by its
    position and guarded by its SKU and quantity (``w_sku_N``, ``w_quantity_N``,
    ``new_price_N``): it touches ``count`` rows exactly when the stored lines are the
    order's. One statement per number of lines, prepared."""
    position = order_lines.c.position
    matches = [
        (position == n)
        & (order_lines.c.sku == sa.bindparam(f"w_sku_{n}"))
        & (order_lines.c.quantity == sa.bindparam(f"w_quantity_{n}"))
        for n in range(count)
    ]
    prices = {n: sa.bindparam(f"new_price_{n}", type_=sa.BigInteger) for n in range(count)}
    return prepared(
        order_lines.update()
        .where(order_lines.c.order_id == sa.bindparam("w_order"), sa.or_(*matches))
        .values(unit_price_cents=sa.case(prices, value=position))
    )


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _order(row: Any, lines: Sequence[Any]) -> Order:
    return Order(
        order_id=row.order_id,
        customer_id=row.customer_id,
        lines=tuple(
            OrderLine(
                line.sku,
                line.quantity,
                None if line.unit_price_cents is None else int(line.unit_price_cents),
            )
            for line in lines
        ),
        currency=row.currency,
        created_at=_utc(row.created_at),
        note=row.note,
        status=OrderStatus(row.status),
        reservation_id=row.reservation_id,
        authorization_id=row.authorization_id,
        rejection=row.rejection,
        compensation_due=bool(row.compensation_due),
        version=row.version,
    )


def _line_rows(order: Order) -> list[dict[str, Any]]:
    return [
        {
            "order_id": order.order_id,
            "position": position,
            "sku": line.sku,
            "quantity": line.quantity,
            "unit_price_cents": line.unit_price_cents,
        }
        for position, line in enumerate(order.lines)
    ]


class SqlOrderRepository(Repository):
    """The ``OrderRepository`` port on one open connection."""

    async def add(
        self,
        order: Order,
        *,
        driven_until: datetime | None = None,
        key: PlacementKey | None = None,
    ) -> None:
        """Insert a new order and its lines; a taken id, or a key that placed an order
        for the customer already, is a ConcurrencyConflict."""
        async with conflicts_as(ConcurrencyConflict):
            await self._connection.execute(
                _ADD,
                {
                    "order_id": order.order_id,
                    "customer_id": order.customer_id,
                    "status": order.status.value,
                    "currency": order.currency,
                    "total_cents": order.total_cents,
                    "created_at": order.created_at.astimezone(UTC),
                    "note": order.note,
                    "reservation_id": order.reservation_id,
                    "authorization_id": order.authorization_id,
                    "rejection": order.rejection,
                    "compensation_due": order.compensation_due,
                    "version": order.version,
                    "idempotency_key": key.key if key is not None else None,
                    "request_fingerprint": key.fingerprint if key is not None else None,
                    "driven_until": driven_until.astimezone(UTC) if driven_until else None,
                },
            )
            await self._connection.execute(_ADD_LINES, _line_rows(order))

    async def find_by_key(self, customer_id: str, key: str) -> KeyedOrder | None:
        """The order ``key`` placed for ``customer_id``, with its fingerprint and failure."""
        which = {"w_customer": customer_id, "w_key": key}
        found = await self._heads_and_lines(_FIND_BY_KEY, which)
        if not found:
            return None
        async with conflicts_as(ConcurrencyConflict):
            row = (await self._connection.execute(_KEY_DETAILS, which)).one()
        failure = _decode(row.failure) if row.failure else None
        return KeyedOrder(found[0], row.request_fingerprint or "", failure)

    async def drive(self, order: Order, *, until: datetime, now: datetime) -> bool:
        """Take the drive of the pending order (conditional ``UPDATE``); True when taken."""
        seen = order.version
        lapsed = orders.c.driven_until.is_(None) | (orders.c.driven_until <= now.astimezone(UTC))
        async with conflicts_as(ConcurrencyConflict):
            touched = (
                await self._connection.execute(
                    orders.update()
                    .where(
                        orders.c.order_id == order.order_id,
                        orders.c.version == seen,
                        orders.c.status == OrderStatus.PENDING.value,
                        lapsed,
                    )
                    .values(driven_until=until.astimezone(UTC), version=seen + 1)
                )
            ).rowcount
        if touched != 1:
            return False
        order.version = seen + 1
        return True

    async def let_go(self, order: Order) -> None:
        """Clear the order's drive if it is still at the version it was read at."""
        async with conflicts_as(ConcurrencyConflict):
            await self._connection.execute(
                orders.update()
                .where(orders.c.order_id == order.order_id, orders.c.version == order.version)
                .values(driven_until=None)
            )

    async def looks_due(self, now: datetime, limit: int) -> list[str]:
        """Ids of orders whose second look is due by ``now``, the earliest first."""
        async with conflicts_as(ConcurrencyConflict):
            rows = await self._connection.execute(
                sa.select(orders.c.order_id)
                .where(orders.c.look_again_at <= now.astimezone(UTC))
                .order_by(orders.c.look_again_at, orders.c.order_id)
                .limit(limit)
            )
            return [row.order_id for row in rows]

    async def looked(self, order_id: str) -> None:
        """Clear the order's second look."""
        async with conflicts_as(ConcurrencyConflict):
            await self._connection.execute(
                orders.update().where(orders.c.order_id == order_id).values(look_again_at=None)
            )

    async def get(self, order_id: str) -> Order | None:
        """The order with this id and its lines, or None."""
        found = await self._load(orders.c.order_id == order_id, limit=1)
        return found[0] if found else None

    async def list_for_customer(self, customer_id: str, limit: int) -> list[Order]:
        """The customer's newest ``limit`` orders, newest first."""
        return await self._load(orders.c.customer_id == customer_id, limit=limit)

    async def needing_recovery(
        self, *, owing_before: datetime, abandoned_before: datetime, limit: int
    ) -> list[Order]:
        """Owing orders created before ``owing_before`` and pending ones whose drive ended
        before ``abandoned_before`` (rows from before drives: their creation), oldest
        first."""
        return await self._load(
            sa.or_(
                sa.and_(
                    orders.c.compensation_due.is_(True),
                    orders.c.created_at < owing_before.astimezone(UTC),
                ),
                sa.and_(
                    orders.c.status == OrderStatus.PENDING.value,
                    sa.func.coalesce(orders.c.driven_until, orders.c.created_at)
                    < abandoned_before.astimezone(UTC),
                ),
            ),
            limit=limit,
            oldest_first=True,
        )

    async def save(
        self,
        order: Order,
        *,
        failure: Mapping[str, Any] | None = None,
        look_again_at: datetime | None = None,
    ) -> None:
        """Write the order's new state if nobody changed it since it was read (with
        ``failure`` and ``look_again_at`` when given; unchanged otherwise)."""
        seen = order.version
        extra: dict[str, Any] = {}
        if failure is not None:
            extra["failure"] = _encode(dict(failure)).decode()
        if look_again_at is not None:
            extra["look_again_at"] = look_again_at.astimezone(UTC)
        values = {f"new_{name}": getattr(order, name) for name in _SAVED}
        values["new_status"] = order.status.value
        values |= {"new_compensation_due": order.compensation_due, "w_order": order.order_id}
        statement = _SAVE.values(extra) if extra else _SAVE
        what = f"order {order.order_id!r}"
        version = await compare_and_set(self._connection, statement, values, seen=seen, what=what)
        async with conflicts_as(ConcurrencyConflict):
            await self._save_lines(order)
        order.version = version

    async def _save_lines(self, order: Order) -> None:
        """Write the lines' prices: after :meth:`add` only they change (the domain prices
        the lines it was placed with; SKU, quantity and position stay), so one guarded
        ``UPDATE`` (:func:`_price_lines`) instead of deleting and inserting every line.
        Lines stored otherwise than the order's are written again whole."""
        lines = order.lines
        if lines:
            values: dict[str, Any] = {"w_order": order.order_id}
            for n, line in enumerate(lines):
                values[f"w_sku_{n}"] = line.sku
                values[f"w_quantity_{n}"] = line.quantity
                values[f"new_price_{n}"] = line.unit_price_cents
            result = await self._connection.execute(_price_lines(len(lines)), values)
            if result.rowcount == len(lines):
                return
        await self._connection.execute(_DROP_LINES, {"w_order": order.order_id})
        if lines:
            await self._connection.execute(_ADD_LINES, _line_rows(order))

    async def _load(
        self, condition: sa.ColumnElement[bool], *, limit: int, oldest_first: bool = False
    ) -> list[Order]:
        order_by = (orders.c.created_at, orders.c.order_id) if oldest_first else _NEWEST_FIRST
        query = sa.select(orders).where(condition).order_by(*order_by).limit(limit)
        return await self._heads_and_lines(query, {})

    async def _heads_and_lines(
        self, query: sa.Select[Any], parameters: Mapping[str, Any]
    ) -> list[Order]:
        async with conflicts_as(ConcurrencyConflict):
            heads = (await self._connection.execute(query, parameters)).all()
            if not heads:
                return []
            ids = [row.order_id for row in heads]
            lines = (await self._connection.execute(_LINES_OF, {"w_orders": ids})).all()
        by_order: dict[str, list[Any]] = {oid: [] for oid in ids}
        for line in lines:
            by_order[line.order_id].append(line)
        return [_order(row, by_order[row.order_id]) for row in heads]


class SqlUnitOfWork(UnitOfWork):
    """One transaction on ``engine``; rolled back unless :meth:`commit` is called."""

    conflict = ConcurrencyConflict
    orders: SqlOrderRepository

    def bind(self, connection: AsyncConnection) -> None:
        """Attach the repositories to this transaction's connection."""
        self.orders = SqlOrderRepository(connection)


def unit_of_work(engine: AsyncEngine) -> UnitOfWorkFactory:
    """A factory of units of work on ``engine``."""
    return lambda read_only=False: SqlUnitOfWork(engine, read_only=read_only)
