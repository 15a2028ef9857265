"""Inventory's use cases on in-memory ports."""

from __future__ import annotations

import itertools

import pytest

from shop.inventory.application.catalogue import DEMO_CATALOGUE, CatalogueItem
from shop.inventory.application.ports import ConcurrencyConflict
from shop.inventory.application.services import InventoryService
from shop.inventory.domain.exceptions import (
    OutOfStock,
    ReservationClosed,
    ReservationNotFound,
    UnknownSku,
)
from shop.inventory.domain.model import ReservationStatus
from tests.unit.shop.inventory.fakes import FakeUnitOfWork, Store


async def no_pause(_: int) -> None:
    return None


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def service(store: Store) -> InventoryService:
    ids = (f"res_{n}" for n in itertools.count(1))
    return InventoryService(
        lambda read_only=False: FakeUnitOfWork(store, read_only=read_only),
        new_id=lambda: next(ids),
        pause=no_pause,
    )


@pytest.mark.anyio
async def test_restock_creates_then_adds(service: InventoryService) -> None:
    sku = await service.restock("SKU-A", 5, name="A", unit_price_cents=100)
    assert (sku.code, sku.name, sku.unit_price_cents, sku.available) == ("SKU-A", "A", 100, 5)
    sku = await service.restock("SKU-A", 3, name="ignored", unit_price_cents=1)
    assert (sku.name, sku.unit_price_cents, sku.available) == ("A", 100, 8)
    assert (await service.get_stock("SKU-A")).available == 8


@pytest.mark.anyio
async def test_restock_of_unknown_sku_without_details(service: InventoryService) -> None:
    with pytest.raises(UnknownSku):
        await service.restock("SKU-NEW", 1)
    with pytest.raises(UnknownSku):
        await service.restock("SKU-NEW", 1, name="only a name")
    with pytest.raises(UnknownSku):
        await service.get_stock("SKU-NEW")


@pytest.mark.anyio
async def test_reserve_commit_release(service: InventoryService, store: Store) -> None:
    await service.restock("SKU-A", 10, name="A", unit_price_cents=100)
    await service.restock("SKU-B", 10, name="B", unit_price_cents=7)
    r = await service.reserve("o1", [("SKU-A", 2), ("SKU-B", 1), ("SKU-A", 1)])
    assert (r.reservation_id, r.status, r.total_cents) == ("res_1", ReservationStatus.HELD, 307)
    assert (await service.get_reservation("res_1")).lines == r.lines
    a = await service.get_stock("SKU-A")
    assert (a.available, a.reserved, a.sold) == (7, 3, 0)

    committed = await service.commit("res_1")
    assert committed.status is ReservationStatus.COMMITTED
    again = await service.commit("res_1")
    assert again.status is ReservationStatus.COMMITTED
    a = await service.get_stock("SKU-A")
    assert (a.available, a.reserved, a.sold) == (7, 0, 3)
    with pytest.raises(ReservationClosed):
        await service.release("res_1")

    r2 = await service.reserve("o2", [("SKU-B", 4)])
    assert (await service.release(r2.reservation_id)).status is ReservationStatus.RELEASED
    assert (await service.release(r2.reservation_id)).status is ReservationStatus.RELEASED
    with pytest.raises(ReservationClosed):
        await service.commit(r2.reservation_id)
    b = await service.get_stock("SKU-B")
    assert (b.available, b.reserved, b.sold) == (9, 0, 1)


@pytest.mark.anyio
async def test_reserve_for_the_same_order_answers_the_first(service: InventoryService) -> None:
    await service.restock("SKU-A", 10, name="A", unit_price_cents=100)
    first = await service.reserve("o1", [("SKU-A", 2)])
    second = await service.reserve("o1", [("SKU-A", 2)])
    assert second.reservation_id == first.reservation_id
    assert (await service.get_stock("SKU-A")).reserved == 2


@pytest.mark.anyio
async def test_failed_reserve_changes_nothing(service: InventoryService, store: Store) -> None:
    await service.restock("SKU-A", 10, name="A", unit_price_cents=100)
    await service.restock("SKU-B", 1, name="B", unit_price_cents=7)
    with pytest.raises(OutOfStock) as caught:
        await service.reserve("o1", [("SKU-A", 2), ("SKU-B", 2)])
    assert (caught.value.sku, caught.value.requested, caught.value.available) == ("SKU-B", 2, 1)
    with pytest.raises(UnknownSku):
        await service.reserve("o1", [("SKU-A", 2), ("SKU-Z", 2)])
    assert (await service.get_stock("SKU-A")).available == 10
    assert store.reservations == {}


@pytest.mark.anyio
async def test_unknown_reservation(service: InventoryService) -> None:
    for call in (service.get_reservation, service.commit, service.release):
        with pytest.raises(ReservationNotFound):
            await call("res_nope")


@pytest.mark.anyio
async def test_list_stock_is_ordered_and_limited(service: InventoryService) -> None:
    assert await service.seed(DEMO_CATALOGUE) is True
    assert await service.seed([CatalogueItem("SKU-X", "X", 1, 1)]) is False
    listed = await service.list_stock(3)
    assert [s.code for s in listed] == ["SKU-APPLE", "SKU-COFFEE", "SKU-PEAR"]
    assert len(await service.list_stock(100)) == 5
    vinyl = await service.get_stock("SKU-RARE-VINYL")
    assert (vinyl.name, vinyl.unit_price_cents, vinyl.available) == ("Rare vinyl", 4999, 3)


class FlakyUnitOfWork(FakeUnitOfWork):
    """Loses the commit race a set number of times."""

    losses = 0

    async def commit(self) -> None:
        if FlakyUnitOfWork.losses > 0:
            FlakyUnitOfWork.losses -= 1
            raise ConcurrencyConflict("lost the race")
        await super().commit()


@pytest.mark.anyio
async def test_conflicts_are_retried_then_reported(store: Store) -> None:
    pauses: list[int] = []

    async def pause(n: int) -> None:
        pauses.append(n)

    service = InventoryService(
        lambda read_only=False: FlakyUnitOfWork(store, read_only=read_only), attempts=3, pause=pause
    )
    await service.restock("SKU-A", 10, name="A", unit_price_cents=1)
    FlakyUnitOfWork.losses = 2
    assert (await service.restock("SKU-A", 1)).available == 11
    assert pauses == [1, 2]
    FlakyUnitOfWork.losses = 3
    with pytest.raises(ConcurrencyConflict, match="gave up after 3"):
        await service.restock("SKU-A", 1)
    assert (await service.get_stock("SKU-A")).available == 11
    with pytest.raises(ValueError):
        InventoryService(
            lambda read_only=False: FakeUnitOfWork(store, read_only=read_only), attempts=0
        )
