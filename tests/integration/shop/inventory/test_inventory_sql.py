"""The SQL adapter's behaviour, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import anyio
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.inventory.adapters.sql import SqlUnitOfWork, skus
from shop.inventory.application.ports import ConcurrencyConflict
from shop.inventory.application.services import InventoryService
from shop.inventory.domain.exceptions import OutOfStock
from shop.inventory.domain.model import Reservation, ReservationLine, ReservationStatus, Sku

pytestmark = pytest.mark.anyio


async def add_sku(engine: AsyncEngine, sku: Sku) -> None:
    async with SqlUnitOfWork(engine) as uow:
        await uow.skus.add(sku)
        await uow.commit()


async def test_sku_round_trip(engine: AsyncEngine) -> None:
    await add_sku(engine, Sku("SKU-B", "Bee", 3, available=7, reserved=2, sold=1))
    await add_sku(engine, Sku("SKU-A", "Ay", 10**12, available=10**12))
    async with SqlUnitOfWork(engine) as uow:
        b = await uow.skus.get("SKU-B")
        assert b is not None
        assert (b.name, b.unit_price_cents, b.available, b.reserved, b.sold, b.version) == (
            "Bee",
            3,
            7,
            2,
            1,
            0,
        )
        assert (await uow.skus.get("SKU-A")).available == 10**12  # type: ignore[union-attr]
        assert await uow.skus.get("SKU-NOPE") is None
        assert sorted(await uow.skus.get_many(["SKU-A", "SKU-NOPE", "SKU-B"])) == [
            "SKU-A",
            "SKU-B",
        ]
        assert await uow.skus.get_many([]) == {}
        assert [s.code for s in await uow.skus.list(1)] == ["SKU-A"]
        assert await uow.skus.count() == 2


async def test_without_commit_nothing_is_kept(engine: AsyncEngine) -> None:
    async with SqlUnitOfWork(engine) as uow:
        await uow.skus.add(Sku("SKU-A", "A", 1))
    async with SqlUnitOfWork(engine) as uow:
        assert await uow.skus.count() == 0


async def test_a_code_is_taken_once(engine: AsyncEngine) -> None:
    await add_sku(engine, Sku("SKU-A", "A", 1))
    with pytest.raises(ConcurrencyConflict):
        await add_sku(engine, Sku("SKU-A", "A again", 1))


async def test_save_bumps_the_version_and_detects_a_stale_write(engine: AsyncEngine) -> None:
    await add_sku(engine, Sku("SKU-A", "A", 1, available=5))
    async with SqlUnitOfWork(engine) as uow:
        first = await uow.skus.get("SKU-A")
    async with SqlUnitOfWork(engine) as uow:
        second = await uow.skus.get("SKU-A")
    assert first is not None and second is not None
    first.restock(1)
    async with SqlUnitOfWork(engine) as uow:
        await uow.skus.save(first)
        await uow.commit()
    assert first.version == 1
    second.restock(2)
    async with SqlUnitOfWork(engine) as uow:
        with pytest.raises(ConcurrencyConflict):
            await uow.skus.save(second)
    async with SqlUnitOfWork(engine) as uow:
        stored = await uow.skus.get("SKU-A")
    assert stored is not None and (stored.available, stored.version) == (6, 1)


async def test_check_constraints_guard_the_counts(engine: AsyncEngine) -> None:
    await add_sku(engine, Sku("SKU-A", "A", 1, available=1))
    for column in ("available", "reserved", "sold", "unit_price_cents"):
        async with engine.connect() as conn:
            with pytest.raises(sa.exc.IntegrityError):
                await conn.execute(skus.update().values({column: -1}))


async def test_reservation_round_trip_and_one_per_order(engine: AsyncEngine) -> None:
    await add_sku(engine, Sku("SKU-A", "A", 120, available=10))
    await add_sku(engine, Sku("SKU-B", "B", 95, available=10))
    reservation = Reservation(
        "res_1",
        "order-1",
        (ReservationLine("SKU-B", 2, 95), ReservationLine("SKU-A", 1, 120)),
    )
    async with SqlUnitOfWork(engine) as uow:
        await uow.reservations.add(reservation)
        await uow.commit()
    async with SqlUnitOfWork(engine) as uow:
        by_id = await uow.reservations.get("res_1")
        by_order = await uow.reservations.get_for_order("order-1")
        assert await uow.reservations.get("res_2") is None
        assert await uow.reservations.get_for_order("order-2") is None
    assert by_id is not None and by_order is not None
    assert by_id.lines == reservation.lines  # the order of lines is kept
    assert (by_id.status, by_id.version, by_id.total_cents) == (ReservationStatus.HELD, 0, 310)
    assert by_order.reservation_id == "res_1"

    by_id.status = ReservationStatus.COMMITTED
    async with SqlUnitOfWork(engine) as uow:
        await uow.reservations.save(by_id)
        await uow.commit()
    by_order.status = ReservationStatus.RELEASED
    async with SqlUnitOfWork(engine) as uow:
        with pytest.raises(ConcurrencyConflict):
            await uow.reservations.save(by_order)
    with pytest.raises(ConcurrencyConflict):
        async with SqlUnitOfWork(engine) as uow:
            await uow.reservations.add(
                Reservation("res_2", "order-1", (ReservationLine("SKU-A", 1, 120),))
            )
            await uow.commit()


async def test_use_cases_end_to_end(service: InventoryService) -> None:
    await service.restock("SKU-A", 5, name="A", unit_price_cents=100)
    r = await service.reserve("o1", [("SKU-A", 2), ("SKU-A", 1)])
    assert r.lines == (ReservationLine("SKU-A", 3, 100),)
    assert (await service.commit(r.reservation_id)).status is ReservationStatus.COMMITTED
    a = await service.get_stock("SKU-A")
    assert (a.available, a.reserved, a.sold) == (2, 0, 3)
    with pytest.raises(OutOfStock):
        await service.reserve("o2", [("SKU-A", 3)])


async def test_fifty_concurrent_reservations_for_the_last_units(
    service: InventoryService,
) -> None:
    """Stock never goes negative, and exactly the units there were are held."""
    await service.restock("SKU-LAST", 7, name="Last units", unit_price_cents=10)
    await service.restock("SKU-MANY", 1000, name="Plenty", unit_price_cents=1)
    held: list[Reservation] = []
    refused: list[OutOfStock] = []

    async def order(n: int) -> None:
        # Half ask for the scarce SKU first, half last: rows are still locked in one order.
        items = [("SKU-LAST", 1), ("SKU-MANY", 2)]
        try:
            held.append(await service.reserve(f"order-{n}", items if n % 2 else items[::-1]))
        except OutOfStock as exc:
            refused.append(exc)

    with anyio.fail_after(120):
        async with anyio.create_task_group() as tg:
            for n in range(50):
                tg.start_soon(order, n)

    assert len(held) == 7
    assert len(refused) == 43
    assert all(e.sku == "SKU-LAST" and e.available == 0 for e in refused)
    last = await service.get_stock("SKU-LAST")
    many = await service.get_stock("SKU-MANY")
    assert (last.available, last.reserved, last.sold) == (0, 7, 0)
    assert (many.available, many.reserved) == (1000 - 14, 14)  # all or nothing: no strays

    # Now close them concurrently, each twice, half each way.
    async def close(r: Reservation, n: int) -> None:
        call = service.commit if n % 2 else service.release
        await call(r.reservation_id)
        await call(r.reservation_id)

    with anyio.fail_after(120):
        async with anyio.create_task_group() as tg:
            for n, r in enumerate(held):
                tg.start_soon(close, r, n)
    last = await service.get_stock("SKU-LAST")
    assert last.reserved == 0 and last.available + last.sold == 7
    assert last.sold == sum(1 for n in range(len(held)) if n % 2)


async def test_a_reservation_is_read_with_its_lines_in_one_statement(
    engine: AsyncEngine,
) -> None:
    for code in "ABC":
        await add_sku(engine, Sku(f"SKU-{code}", code, 10, available=10))
    lines = (ReservationLine("SKU-C", 3, 10), ReservationLine("SKU-A", 1, 10))
    async with SqlUnitOfWork(engine) as uow:
        await uow.reservations.add(Reservation("res_1", "order-1", lines))
        await uow.reservations.add(
            Reservation("res_2", "order-2", (ReservationLine("SKU-B", 2, 10),))
        )
        await uow.commit()
    async with SqlUnitOfWork(engine, read_only=True) as uow:
        connection = uow.reservations._connection
        sent: list[object] = []

        async def recording(statement: object, parameters: object = None) -> object:
            sent.append(statement)
            return await connection.execute(statement, parameters)  # type: ignore[arg-type]

        uow.reservations._connection = type("Recording", (), {"execute": staticmethod(recording)})()  # type: ignore[assignment]
        found = await uow.reservations.get("res_1")
        by_order = await uow.reservations.get_for_order("order-2")
    assert len(sent) == 2  # one statement for each, lines included
    assert found is not None and found.lines == lines  # in their order, none of res_2's
    assert by_order is not None and by_order.lines == (ReservationLine("SKU-B", 2, 10),)
