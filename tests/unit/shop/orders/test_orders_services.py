"""The order saga and queries, on in-memory ports: every failure leaves nothing held."""

from __future__ import annotations

import itertools
import logging
from datetime import UTC, datetime, timedelta

import anyio
import pytest

from shop.orders.application.services import OrderService
from shop.orders.domain.exceptions import (
    DependencyFailed,
    DependencyUnavailable,
    InvalidOrder,
    OrderNotFound,
    OutOfStock,
    PaymentDeclined,
    UnknownSku,
)
from shop.orders.domain.holds import PricedLine, StockHold
from shop.orders.domain.model import OrderStatus, RequestedItem
from tests.unit.shop.orders.fakes import FakePayments, FakeStock, FakeStore, FakeUnitOfWork

START = datetime(2025, 1, 1, tzinfo=UTC)
ITEMS = [RequestedItem("MUG", 2), RequestedItem("TEE", 1)]


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def stock() -> FakeStock:
    return FakeStock({"MUG": (10, 1250), "TEE": (1, 1999)})


@pytest.fixture
def payments() -> FakePayments:
    return FakePayments()


@pytest.fixture
def service(store: FakeStore, stock: FakeStock, payments: FakePayments) -> OrderService:
    ticks = (START + timedelta(seconds=n) for n in itertools.count())
    ids = (f"ord-{n}" for n in itertools.count(1))
    return OrderService(
        lambda read_only=False: FakeUnitOfWork(store, read_only=read_only),
        stock,
        payments,
        clock=lambda: next(ticks),
        new_id=lambda: next(ids),
    )


def nothing_held(stock: FakeStock, payments: FakePayments) -> bool:
    return stock.held() == 0 and all(s != "authorized" for s, _ in payments.authorizations.values())


@pytest.mark.anyio
async def test_a_placed_order_is_confirmed_priced_and_paid(
    service: OrderService, store: FakeStore, stock: FakeStock, payments: FakePayments
) -> None:
    order = await service.place_order(customer_id="c1", items=ITEMS, card_token="tok_ok", note="hi")
    assert order.status is OrderStatus.CONFIRMED
    assert order.total_cents == 2 * 1250 + 1999
    assert [line.unit_price_cents for line in order.lines] == [1250, 1999]
    assert (order.currency, order.note, order.created_at) == ("EUR", "hi", START)
    assert stock.reservations[order.reservation_id or ""][0] == "committed"
    assert payments.authorizations[order.authorization_id or ""] == ("captured", 4499)
    assert store.rows[order.order_id].status is OrderStatus.CONFIRMED
    assert await service.get_order(order.order_id) == store.rows[order.order_id]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("items", "error"),
    [
        ([RequestedItem("NOPE", 1)], UnknownSku),
        ([RequestedItem("MUG", 1), RequestedItem("TEE", 2)], OutOfStock),
    ],
)
async def test_stock_refusals_reject_the_order(
    service: OrderService,
    store: FakeStore,
    stock: FakeStock,
    payments: FakePayments,
    items: list[RequestedItem],
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        await service.place_order(customer_id="c1", items=items, card_token="tok_ok")
    (order,) = store.rows.values()
    assert order.status is OrderStatus.REJECTED
    assert order.rejection == error.rejection  # type: ignore[attr-defined]
    assert payments.calls == []
    assert nothing_held(stock, payments)


@pytest.mark.anyio
async def test_out_of_stock_carries_what_is_available(service: OrderService) -> None:
    with pytest.raises(OutOfStock) as info:
        await service.place_order(
            customer_id="c", items=[RequestedItem("TEE", 5)], card_token="tok_ok"
        )
    assert (info.value.sku, info.value.requested, info.value.available) == ("TEE", 5, 1)


@pytest.mark.anyio
async def test_a_declined_card_releases_the_stock(
    service: OrderService, store: FakeStore, stock: FakeStock, payments: FakePayments
) -> None:
    with pytest.raises(PaymentDeclined) as info:
        await service.place_order(customer_id="c", items=ITEMS, card_token="tok_declined")
    assert info.value.reason == "do_not_honor"
    (order,) = store.rows.values()
    assert (order.status, order.rejection) == (OrderStatus.REJECTED, "payment_declined")
    assert next(iter(stock.reservations.values()))[0] == "released"
    assert stock.available == {"MUG": 10, "TEE": 1}
    assert nothing_held(stock, payments)


@pytest.mark.anyio
async def test_payments_down_releases_the_stock(
    service: OrderService, store: FakeStore, stock: FakeStock, payments: FakePayments
) -> None:
    payments.down.add("authorize")
    with pytest.raises(DependencyUnavailable, match="payments"):
        await service.place_order(customer_id="c", items=ITEMS, card_token="tok_ok")
    (order,) = store.rows.values()
    assert (order.status, order.rejection) == (OrderStatus.REJECTED, "dependency_unavailable")
    assert stock.calls == ["reserve", "release"]
    assert nothing_held(stock, payments)


@pytest.mark.anyio
async def test_inventory_down_rejects_without_touching_payments(
    service: OrderService, store: FakeStore, stock: FakeStock, payments: FakePayments
) -> None:
    stock.down.add("reserve")
    with pytest.raises(DependencyUnavailable, match="inventory"):
        await service.place_order(customer_id="c", items=ITEMS, card_token="tok_ok")
    assert next(iter(store.rows.values())).status is OrderStatus.REJECTED
    assert payments.calls == []


@pytest.mark.anyio
async def test_commit_failing_voids_and_releases(
    service: OrderService, store: FakeStore, stock: FakeStock, payments: FakePayments
) -> None:
    stock.down.add("commit")
    with pytest.raises(DependencyUnavailable):
        await service.place_order(customer_id="c", items=ITEMS, card_token="tok_ok")
    assert stock.calls == ["reserve", "commit", "commit", "commit", "release"]
    assert [s for s, _ in payments.authorizations.values()] == ["voided"]
    assert nothing_held(stock, payments)
    assert next(iter(store.rows.values())).status is OrderStatus.REJECTED


@pytest.mark.anyio
async def test_a_flaky_capture_is_tried_again(
    service: OrderService, payments: FakePayments
) -> None:
    payments.flaky["capture"] = 2
    order = await service.place_order(customer_id="c", items=ITEMS, card_token="tok_ok")
    assert order.status is OrderStatus.CONFIRMED
    assert payments.calls == ["authorize", "capture", "capture", "capture"]


@pytest.mark.anyio
async def test_a_failing_capture_leaves_the_sold_order_pending_for_a_retry(
    service: OrderService,
    store: FakeStore,
    stock: FakeStock,
    payments: FakePayments,
) -> None:
    payments.down.add("capture")
    with pytest.raises(DependencyUnavailable):
        await service.place_order(customer_id="c", items=ITEMS, card_token="tok_ok")
    # The stock is sold: the order only goes forward. Nothing is voided, nothing
    # rejected, and the placement gave up its drive so a retry may resume it at once.
    (order,) = store.rows.values()
    assert order.status is OrderStatus.PENDING
    assert [s for s, _ in payments.authorizations.values()] == ["authorized"]
    assert "void" not in payments.calls
    assert store.meta[order.order_id].driven_until is None


@pytest.mark.anyio
async def test_a_failing_compensation_is_logged_not_raised(
    service: OrderService,
    store: FakeStore,
    stock: FakeStock,
    payments: FakePayments,
    caplog: pytest.LogCaptureFixture,
) -> None:
    payments.down.add("authorize")
    stock.down.add("release")
    with caplog.at_level(logging.ERROR), pytest.raises(DependencyUnavailable, match="payments"):
        await service.place_order(customer_id="c", items=ITEMS, card_token="tok_ok")
    assert "could not release stock" in caplog.text
    assert next(iter(store.rows.values())).status is OrderStatus.REJECTED


@pytest.mark.anyio
async def test_a_hold_for_other_items_is_released_and_fails(
    store: FakeStore, payments: FakePayments
) -> None:
    class Confused(FakeStock):
        async def reserve(self, order_id: str, items: object) -> StockHold:
            await super().reserve(order_id, [RequestedItem("MUG", 1)])
            return StockHold("res-1", (PricedLine("MUG", 1, 5),))

    stock = Confused({"MUG": (5, 5)})
    service = OrderService(
        lambda read_only=False: FakeUnitOfWork(store, read_only=read_only), stock, payments
    )
    with pytest.raises(DependencyFailed, match="does not match"):
        await service.place_order(customer_id="c", items=ITEMS, card_token="tok_ok")
    assert stock.reservations["res-1"][0] == "released"
    assert next(iter(store.rows.values())).rejection == "dependency_failed"


@pytest.mark.anyio
async def test_a_cancelled_placement_still_lets_go(store: FakeStore, stock: FakeStock) -> None:
    class Hanging(FakePayments):
        async def authorize(self, *args: object) -> object:  # type: ignore[override]
            await anyio.sleep_forever()

    payments = Hanging()
    service = OrderService(
        lambda read_only=False: FakeUnitOfWork(store, read_only=read_only), stock, payments
    )
    with anyio.move_on_after(0.05):
        await service.place_order(customer_id="c", items=ITEMS, card_token="tok_ok")
    await anyio.sleep(0.01)
    assert stock.held() == 0
    (order,) = store.rows.values()
    assert (order.status, order.rejection) == (OrderStatus.REJECTED, "cancelled")


@pytest.mark.anyio
async def test_invalid_orders_store_nothing(service: OrderService, store: FakeStore) -> None:
    with pytest.raises(InvalidOrder):
        await service.place_order(
            customer_id="c", items=[RequestedItem("MUG", 0)], card_token="tok_ok"
        )
    assert store.rows == {}


@pytest.mark.anyio
async def test_get_and_list(service: OrderService) -> None:
    with pytest.raises(OrderNotFound):
        await service.get_order("nope")
    placed = [
        await service.place_order(customer_id=c, items=[RequestedItem("MUG", 1)], card_token="t")
        for c in ("a", "b", "a", "a")
    ]
    listed = await service.list_orders("a", 2)
    assert [o.order_id for o in listed] == [placed[3].order_id, placed[2].order_id]
    assert len(await service.list_orders("a", 20)) == 3
    assert await service.list_orders("nobody") == []
    with pytest.raises(ValueError, match="limit"):
        await service.list_orders("a", 0)


@pytest.mark.anyio
async def test_another_customers_order_is_not_found(service: OrderService) -> None:
    placed = await service.place_order(
        customer_id="a", items=[RequestedItem("MUG", 1)], card_token="t"
    )
    assert await service.get_order(placed.order_id, reader="a") == placed
    assert await service.get_order(placed.order_id) == placed
    with pytest.raises(OrderNotFound) as raised:
        await service.get_order(placed.order_id, reader="b")
    assert str(raised.value) == f"no order {placed.order_id!r}"


@pytest.mark.anyio
async def test_concurrent_orders_never_oversell(
    service: OrderService, stock: FakeStock, payments: FakePayments
) -> None:
    outcomes: list[str] = []

    async def buy() -> None:
        try:
            await service.place_order(
                customer_id="c", items=[RequestedItem("TEE", 1)], card_token="t"
            )
            outcomes.append("ok")
        except OutOfStock:
            outcomes.append("short")

    async with anyio.create_task_group() as tg:
        for _ in range(10):
            tg.start_soon(buy)
    assert sorted(outcomes) == ["ok"] + ["short"] * 9
    assert stock.available["TEE"] == 0
    assert nothing_held(stock, payments)


@pytest.mark.anyio
async def test_reading_orders_opens_units_of_work_that_only_read(
    service: OrderService, store: FakeStore
) -> None:
    placed = await service.place_order(
        customer_id="cust-1", items=[RequestedItem("MUG", 1)], card_token="tok_ok"
    )
    assert store.read_only_opened == 0  # placing writes: every unit of work may
    assert (await service.get_order(placed.order_id)).order_id == placed.order_id
    assert [o.order_id for o in await service.list_orders("cust-1")] == [placed.order_id]
    assert store.read_only_opened == 2
