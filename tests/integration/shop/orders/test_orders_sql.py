"""The order repository and unit of work, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.orders.adapters.sql import SqlUnitOfWork, order_lines, orders
from shop.orders.application.ports import ConcurrencyConflict
from shop.orders.domain.holds import PaymentHold, PricedLine, StockHold
from shop.orders.domain.model import Order, OrderLine, OrderStatus, RequestedItem

pytestmark = pytest.mark.anyio

T0 = datetime(2025, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)


def make(n: int = 1, *, customer: str = "cust-1", at: datetime = T0) -> Order:
    return Order.place(
        order_id=f"ord-{n}",
        customer_id=customer,
        items=[RequestedItem("MUG", 2), RequestedItem("TEE-XL", 1)],
        currency="EUR",
        created_at=at,
        note="ring twice" if n == 1 else None,
    )


async def add(engine: AsyncEngine, *items: Order) -> None:
    async with SqlUnitOfWork(engine) as uow:
        for order in items:
            await uow.orders.add(order)
        await uow.commit()


async def get(engine: AsyncEngine, order_id: str) -> Order | None:
    async with SqlUnitOfWork(engine) as uow:
        return await uow.orders.get(order_id)


async def test_a_pending_order_round_trips(engine: AsyncEngine) -> None:
    order = make()
    await add(engine, order)
    assert await get(engine, "ord-1") == order
    stored = await get(engine, "ord-1")
    assert stored is not None and stored.created_at == T0 and stored.created_at.tzinfo
    assert stored.lines == (OrderLine("MUG", 2), OrderLine("TEE-XL", 1))


async def test_a_confirmed_order_keeps_prices_and_holds(engine: AsyncEngine) -> None:
    order = make()
    await add(engine, order)
    order.hold_stock(
        StockHold("res-9", (PricedLine("MUG", 2, 1250), PricedLine("TEE-XL", 1, 10**11)))
    )
    order.hold_payment(PaymentHold("auth-9"))
    order.confirm()
    async with SqlUnitOfWork(engine) as uow:
        await uow.orders.save(order)
        await uow.commit()
    stored = await get(engine, "ord-1")
    assert stored == order
    assert stored is not None
    assert stored.total_cents == 2500 + 10**11
    assert (stored.status, stored.version, stored.reservation_id, stored.authorization_id) == (
        OrderStatus.CONFIRMED,
        1,
        "res-9",
        "auth-9",
    )
    async with engine.connect() as conn:
        total = await conn.scalar(sa.select(orders.c.total_cents))
    assert total == 2500 + 10**11


async def test_uncommitted_work_is_rolled_back(engine: AsyncEngine) -> None:
    async with SqlUnitOfWork(engine) as uow:
        await uow.orders.add(make())
    assert await get(engine, "ord-1") is None


async def test_a_stale_save_is_a_conflict(engine: AsyncEngine) -> None:
    await add(engine, make())
    first, stale = await get(engine, "ord-1"), await get(engine, "ord-1")
    assert first is not None and stale is not None
    first.reject("out_of_stock")
    async with SqlUnitOfWork(engine) as uow:
        await uow.orders.save(first)
        await uow.commit()
    stale.reject("payment_declined")
    async with SqlUnitOfWork(engine) as uow:
        with pytest.raises(ConcurrencyConflict):
            await uow.orders.save(stale)
    stored = await get(engine, "ord-1")
    assert stored is not None and stored.rejection == "out_of_stock"


async def test_a_taken_id_is_a_conflict(engine: AsyncEngine) -> None:
    await add(engine, make())
    with pytest.raises(ConcurrencyConflict):
        await add(engine, make())


async def test_listing_is_newest_first_per_customer_and_limited(engine: AsyncEngine) -> None:
    await add(
        engine,
        *(make(n, at=T0 + timedelta(minutes=n)) for n in range(1, 6)),
        make(6, customer="someone-else", at=T0 + timedelta(hours=1)),
    )
    async with SqlUnitOfWork(engine) as uow:
        top = await uow.orders.list_for_customer("cust-1", 3)
        everything = await uow.orders.list_for_customer("cust-1", 100)
        nobody = await uow.orders.list_for_customer("nobody", 10)
    assert [o.order_id for o in top] == ["ord-5", "ord-4", "ord-3"]
    assert len(everything) == 5 and nobody == []
    assert all(len(o.lines) == 2 for o in everything)


async def test_check_constraints_guard_the_rows(engine: AsyncEngine) -> None:
    await add(engine, make())
    bad_statements = [
        orders.update().values(status="shipped"),
        orders.update().values(total_cents=-1),
        orders.update().values(status="confirmed", reservation_id=None),
        order_lines.update().values(quantity=0),
        order_lines.update().values(unit_price_cents=-5),
    ]
    for statement in bad_statements:
        async with engine.connect() as conn:
            with pytest.raises(IntegrityError):
                await conn.execute(statement)


class _Recording:
    """A connection that records the statements the repository sends through it."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection
        self.sent: list[str] = []

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        self.sent.append(type(statement).__name__ + " " + statement.table.name)
        return await self._connection.execute(statement, parameters)


async def test_a_save_writes_the_prices_of_the_lines_in_one_update(engine: AsyncEngine) -> None:
    order = make()
    await add(engine, order)
    order.hold_stock(StockHold("res-9", (PricedLine("MUG", 2, 1250), PricedLine("TEE-XL", 1, 3))))
    async with SqlUnitOfWork(engine) as uow:
        recording = _Recording(uow.orders._connection)
        uow.orders._connection = recording  # type: ignore[assignment]
        await uow.orders.save(order)
        await uow.commit()
    # the order's row, then its lines' prices: no line deleted, none inserted
    assert recording.sent == ["Update orders_orders", "Update orders_lines"]
    stored = await get(engine, "ord-1")
    assert stored is not None and stored.lines == order.lines
    assert [line.unit_price_cents for line in stored.lines] == [1250, 3]
    async with SqlUnitOfWork(engine) as uow:  # saved again: the same prices, one update
        recording = _Recording(uow.orders._connection)
        uow.orders._connection = recording  # type: ignore[assignment]
        order.reject("internal")
        await uow.orders.save(order)
        await uow.commit()
    assert recording.sent == ["Update orders_orders", "Update orders_lines"]
    assert await get(engine, "ord-1") == order


@pytest.mark.parametrize(
    "stored_otherwise",
    [
        order_lines.update().where(order_lines.c.position == 1).values(sku="CAP"),
        order_lines.update().where(order_lines.c.position == 0).values(quantity=7),
        order_lines.delete().where(order_lines.c.position == 1),
    ],
    ids=["another sku", "another quantity", "a line missing"],
)
async def test_lines_stored_otherwise_than_the_orders_are_written_again_whole(
    engine: AsyncEngine, stored_otherwise: Any
) -> None:
    order = make()
    await add(engine, order)
    async with engine.begin() as conn:
        await conn.execute(stored_otherwise)
    order.hold_stock(StockHold("res-9", (PricedLine("MUG", 2, 1250), PricedLine("TEE-XL", 1, 3))))
    async with SqlUnitOfWork(engine) as uow:
        recording = _Recording(uow.orders._connection)
        uow.orders._connection = recording  # type: ignore[assignment]
        await uow.orders.save(order)
        await uow.commit()
    assert recording.sent[-2:] == ["Delete orders_lines", "Insert orders_lines"]
    stored = await get(engine, "ord-1")
    assert stored is not None and stored.lines == order.lines
    assert stored.lines == (OrderLine("MUG", 2, 1250), OrderLine("TEE-XL", 1, 3))


async def test_an_unpriced_order_saved_keeps_its_lines_unpriced(engine: AsyncEngine) -> None:
    order = make()
    await add(engine, order)
    order.reject("out_of_stock")
    async with SqlUnitOfWork(engine) as uow:
        await uow.orders.save(order)
        await uow.commit()
    assert await get(engine, "ord-1") == order
    assert order.lines == (OrderLine("MUG", 2), OrderLine("TEE-XL", 1))
