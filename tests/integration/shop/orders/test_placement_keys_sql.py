"""What a placement keeps with its order, on SQLite and PostgreSQL alike: one order per
customer and key, a drive only one placement holds, the failure, the second look."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.orders.adapters.sql import SqlUnitOfWork
from shop.orders.application.placements import PlacementKey
from shop.orders.application.ports import ConcurrencyConflict
from shop.orders.domain.model import Order, RequestedItem

pytestmark = pytest.mark.anyio

T0 = datetime(2025, 2, 3, 4, 5, 6, tzinfo=UTC)
LEASE = timedelta(seconds=16)


def make(oid: str, customer: str = "c") -> Order:
    return Order.place(
        order_id=oid,
        customer_id=customer,
        items=[RequestedItem("MUG", 1)],
        currency="EUR",
        created_at=T0,
    )


async def add(engine: AsyncEngine, order: Order, key: PlacementKey | None) -> None:
    async with SqlUnitOfWork(engine) as uow:
        await uow.orders.add(order, driven_until=T0 + LEASE, key=key)
        await uow.commit()


async def test_a_key_places_one_order_per_customer(engine: AsyncEngine) -> None:
    key = PlacementKey("k-1", "f" * 64, T0 + LEASE)
    await add(engine, make("ord-1"), key)
    with pytest.raises(ConcurrencyConflict):
        await add(engine, make("ord-2"), key)
    await add(engine, make("ord-3", customer="other"), key)  # another customer's key
    await add(engine, make("ord-4"), None)  # orders without a key do not collide
    await add(engine, make("ord-5"), None)
    async with SqlUnitOfWork(engine) as uow:
        found = await uow.orders.find_by_key("c", "k-1")
        assert await uow.orders.find_by_key("c", "k-2") is None
    assert found is not None
    assert (found.order.order_id, found.fingerprint, found.failure) == ("ord-1", "f" * 64, None)


async def test_two_placements_storing_one_key_at_once_store_one_order(
    engine: AsyncEngine,
) -> None:
    key = PlacementKey("k-race", "f" * 64, T0 + LEASE)
    outcomes = await asyncio.gather(
        *(add(engine, make(f"ord-{n}"), key) for n in range(8)), return_exceptions=True
    )
    assert sum(1 for o in outcomes if o is None) == 1
    assert all(isinstance(o, ConcurrencyConflict) for o in outcomes if o is not None)


async def test_only_one_placement_drives_an_order(engine: AsyncEngine) -> None:
    await add(engine, make("ord-1"), None)
    async with SqlUnitOfWork(engine) as uow:
        order = await uow.orders.get("ord-1")
    assert order is not None
    rival = await _read(engine, "ord-1")
    now = T0 + timedelta(seconds=1)
    async with SqlUnitOfWork(engine) as uow:  # its first placement still drives it
        assert not await uow.orders.drive(order, until=now + LEASE, now=now)
    now = T0 + LEASE
    async with SqlUnitOfWork(engine) as uow:
        assert await uow.orders.drive(order, until=now + LEASE, now=now)
        await uow.commit()
    assert order.version == 1
    async with SqlUnitOfWork(engine) as uow:  # read before: beaten
        assert not await uow.orders.drive(rival, until=now + LEASE, now=now + LEASE)
    async with SqlUnitOfWork(engine) as uow:  # let go: taken at once
        await uow.orders.let_go(order)
        await uow.commit()
    again = await _read(engine, "ord-1")
    async with SqlUnitOfWork(engine) as uow:
        assert await uow.orders.drive(again, until=now + LEASE, now=now)
        await uow.commit()
    order.reject("interrupted")
    with pytest.raises(ConcurrencyConflict):  # its drive was taken: its write loses
        async with SqlUnitOfWork(engine) as uow:
            await uow.orders.save(order)


async def test_a_pending_order_is_due_for_recovery_once_its_drive_ended(
    engine: AsyncEngine,
) -> None:
    await add(engine, make("ord-1"), None)
    async with SqlUnitOfWork(engine) as uow:
        early = await uow.orders.needing_recovery(
            owing_before=T0, abandoned_before=T0 + LEASE - timedelta(seconds=1), limit=5
        )
        late = await uow.orders.needing_recovery(
            owing_before=T0, abandoned_before=T0 + LEASE + timedelta(seconds=1), limit=5
        )
    assert early == [] and [o.order_id for o in late] == ["ord-1"]


async def test_the_failure_and_the_second_look_are_kept(engine: AsyncEngine) -> None:
    key = PlacementKey("k-1", "f" * 64, T0 + LEASE)
    await add(engine, make("ord-1"), key)
    order = await _read(engine, "ord-1")
    order.reject("out_of_stock")
    failure = {"rejection": "out_of_stock", "sku": "MUG", "requested": 1, "available": 0}
    async with SqlUnitOfWork(engine) as uow:
        await uow.orders.save(order, failure=failure, look_again_at=T0 + timedelta(seconds=60))
        await uow.commit()
    async with SqlUnitOfWork(engine) as uow:
        found = await uow.orders.find_by_key("c", "k-1")
        assert await uow.orders.looks_due(T0 + timedelta(seconds=59), 10) == []
        assert await uow.orders.looks_due(T0 + timedelta(seconds=60), 10) == ["ord-1"]
        await uow.orders.looked("ord-1")
        await uow.commit()
    assert found is not None and found.failure == failure
    async with SqlUnitOfWork(engine) as uow:
        assert await uow.orders.looks_due(T0 + timedelta(days=1), 10) == []


async def _read(engine: AsyncEngine, oid: str) -> Order:
    async with SqlUnitOfWork(engine) as uow:
        order = await uow.orders.get(oid)
    assert order is not None
    return order
