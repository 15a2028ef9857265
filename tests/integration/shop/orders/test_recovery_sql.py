"""Orders owing a compensation, stored and found again, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.orders.adapters.sql import SqlUnitOfWork
from shop.orders.domain.model import Order, OrderStatus, RequestedItem

pytestmark = pytest.mark.anyio

T0 = datetime(2025, 2, 3, 4, 5, 6, tzinfo=UTC)


def make(n: int, at: datetime) -> Order:
    return Order.place(
        order_id=f"ord-{n}",
        customer_id="c",
        items=[RequestedItem("MUG", 1)],
        currency="EUR",
        created_at=at,
    )


async def store(engine: AsyncEngine, order: Order, *, owing: bool, rejected: bool) -> None:
    async with SqlUnitOfWork(engine) as uow:
        await uow.orders.add(order)
        await uow.commit()
    if rejected or owing:
        if rejected:
            order.reject("dependency_unavailable")
        if owing:
            order.owe_compensation()
        async with SqlUnitOfWork(engine) as uow:
            await uow.orders.save(order)
            await uow.commit()


async def test_owing_and_interrupted_orders_are_found_oldest_first(engine: AsyncEngine) -> None:
    await store(engine, make(1, T0 + timedelta(seconds=2)), owing=True, rejected=True)
    await store(engine, make(2, T0), owing=True, rejected=True)
    await store(engine, make(3, T0 + timedelta(seconds=9)), owing=True, rejected=True)  # young
    await store(engine, make(4, T0), owing=False, rejected=True)  # settled
    await store(engine, make(5, T0 + timedelta(seconds=1)), owing=False, rejected=False)
    await store(engine, make(6, T0 + timedelta(seconds=20)), owing=False, rejected=False)

    async with SqlUnitOfWork(engine) as uow:
        found = await uow.orders.needing_recovery(
            owing_before=T0 + timedelta(seconds=5),
            abandoned_before=T0 + timedelta(seconds=10),
            limit=10,
        )
        first = await uow.orders.needing_recovery(
            owing_before=T0 + timedelta(seconds=5),
            abandoned_before=T0 + timedelta(seconds=10),
            limit=1,
        )
    assert [o.order_id for o in found] == ["ord-2", "ord-5", "ord-1"]
    assert [o.order_id for o in first] == ["ord-2"]
    assert found[0].compensation_due and found[0].status is OrderStatus.REJECTED
    assert not found[1].compensation_due and found[1].status is OrderStatus.PENDING


async def test_a_compensated_order_is_found_no_more(engine: AsyncEngine) -> None:
    order = make(1, T0)
    await store(engine, order, owing=True, rejected=True)
    order.compensated()
    async with SqlUnitOfWork(engine) as uow:
        await uow.orders.save(order)
        await uow.commit()
    async with SqlUnitOfWork(engine) as uow:
        assert (
            await uow.orders.needing_recovery(
                owing_before=T0 + timedelta(hours=1), abandoned_before=T0, limit=10
            )
            == []
        )
        stored = await uow.orders.get("ord-1")
    assert stored is not None and not stored.compensation_due
