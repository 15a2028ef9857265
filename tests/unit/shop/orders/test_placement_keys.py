"""One order per Idempotency-Key, whatever placement of it runs, on in-memory ports."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shop.orders.application.placements import KeyReused, PlacementInProgress, PlacementKey
from shop.orders.application.recovery import Recovery
from shop.orders.application.services import CHECKPOINTS, OrderService
from shop.orders.domain.exceptions import DependencyUnavailable, OutOfStock
from shop.orders.domain.model import Order, OrderStatus
from tests.unit.shop.orders.fakes import (
    ITEMS,
    LEASE,
    START,
    Clock,
    FakePayments,
    FakeStock,
    FakeStore,
    FakeUnitOfWork,
    order_service,
    placed_while_frozen,
    recovery_on,
)

pytestmark = pytest.mark.anyio


def key(clock: Clock, fingerprint: str = "f1") -> PlacementKey:
    return PlacementKey("k1", fingerprint, clock.now + LEASE)


STEPS = ("order_stored", "reserved", "authorized", "committed", "captured")


async def died_after(
    step: str, store: FakeStore, stock: FakeStock, payments: FakePayments, clock: Clock
) -> str:
    """What a placement under ``key`` leaves when its process dies right after ``step``."""
    order = Order.place(
        order_id="ord-cut", customer_id="c", items=ITEMS, currency="EUR", created_at=clock.now
    )
    async with FakeUnitOfWork(store) as uow:
        await uow.orders.add(order, driven_until=clock.now + LEASE, key=key(clock))
        await uow.commit()
    done = STEPS[: STEPS.index(step) + 1]
    if "reserved" in done:
        hold = await stock.reserve(order.order_id, ITEMS)
    if "authorized" in done:
        payment = await payments.authorize(order.order_id, 2500, "EUR", "tok_ok")
    if "committed" in done:
        await stock.commit(hold.reservation_id)
    if "captured" in done:
        await payments.capture(payment.authorization_id)
    return order.order_id


async def test_a_key_placed_twice_gives_one_order(
    store: FakeStore, stock: FakeStock, payments: FakePayments, clock: Clock
) -> None:
    orders = order_service(store, stock, payments, clock)
    first = await orders.place_order(
        customer_id="c", items=ITEMS, card_token="tok_ok", key=key(clock)
    )
    assert store.key_lookups == 0  # a new key is stored at once, not looked up first
    again = await orders.place_order(
        customer_id="c", items=ITEMS, card_token="tok_ok", key=key(clock)
    )
    assert store.key_lookups == 1  # refused as taken, then looked up
    assert again.order_id == first.order_id and again.status is OrderStatus.CONFIRMED
    assert len(store.rows) == 1 and len(payments.authorizations) == 1
    assert stock.calls.count("reserve") == 1


async def test_another_customer_may_use_the_same_key(
    store: FakeStore, stock: FakeStock, payments: FakePayments, clock: Clock
) -> None:
    orders = order_service(store, stock, payments, clock)
    a = await orders.place_order(customer_id="a", items=ITEMS, card_token="tok_ok", key=key(clock))
    b = await orders.place_order(customer_id="b", items=ITEMS, card_token="tok_ok", key=key(clock))
    assert a.order_id != b.order_id


async def test_a_different_request_with_the_key_is_refused(
    store: FakeStore, stock: FakeStock, payments: FakePayments, clock: Clock
) -> None:
    orders = order_service(store, stock, payments, clock)
    await orders.place_order(customer_id="c", items=ITEMS, card_token="tok_ok", key=key(clock))
    with pytest.raises(KeyReused):
        await orders.place_order(
            customer_id="c", items=ITEMS, card_token="tok_ok", key=key(clock, "f2")
        )
    assert len(store.rows) == 1


@pytest.mark.parametrize("step", STEPS)
async def test_a_retry_after_a_crash_completes_the_first_order(
    store: FakeStore, stock: FakeStock, payments: FakePayments, clock: Clock, step: str
) -> None:
    await died_after(step, store, stock, payments, clock)
    (cut,) = store.rows.values()
    with pytest.raises(PlacementInProgress):  # its lease still runs
        await order_service(store, stock, payments, clock).place_order(
            customer_id="c", items=ITEMS, card_token="tok_ok", key=key(clock)
        )
    clock.now = START + LEASE
    done = await order_service(store, stock, payments, clock).place_order(
        customer_id="c", items=ITEMS, card_token="tok_ok", key=key(clock)
    )
    assert done.order_id == cut.order_id and done.status is OrderStatus.CONFIRMED
    assert len(store.rows) == 1
    assert [s for s, _ in stock.reservations.values()] == ["committed"]
    assert [s for s, _ in payments.authorizations.values()] == ["captured"]


async def test_recovery_and_retry_never_drive_one_order_together(
    store: FakeStore, stock: FakeStock, payments: FakePayments, clock: Clock
) -> None:
    await died_after("committed", store, stock, payments, clock)
    clock.now = START + LEASE + timedelta(seconds=30)
    retry_key = key(clock)
    recovery = recovery_on(store, stock, payments, clock, grace=5)
    assert await recovery.run_once() == 0  # the recovery takes it first and confirms it
    (order,) = store.rows.values()
    assert order.status is OrderStatus.CONFIRMED
    again = await order_service(store, stock, payments, clock).place_order(
        customer_id="c", items=ITEMS, card_token="tok_ok", key=retry_key
    )
    assert again.order_id == order.order_id
    assert [s for s, _ in payments.authorizations.values()] == ["captured"]


async def test_the_recovery_leaves_an_order_a_retry_drives(
    store: FakeStore, stock: FakeStock, payments: FakePayments, clock: Clock
) -> None:
    order = Order.place(
        order_id="ord-x", customer_id="c", items=ITEMS, currency="EUR", created_at=START
    )
    async with FakeUnitOfWork(store) as uow:
        await uow.orders.add(order, driven_until=START + LEASE, key=key(clock))
        await uow.commit()
    clock.now = START + LEASE
    async with FakeUnitOfWork(store) as uow:  # a retry takes the drive
        assert await uow.orders.drive(order, until=clock.now + LEASE, now=clock.now)
        await uow.commit()
    clock.now = START + LEASE + timedelta(seconds=10)
    recovery = recovery_on(store, stock, payments, clock, grace=5)
    await recovery.run_once()
    assert store.rows["ord-x"].status is OrderStatus.PENDING
    assert stock.calls == []


async def test_a_retry_of_a_503_gets_the_same_answer_not_a_second_order(
    store: FakeStore, stock: FakeStock, payments: FakePayments, clock: Clock
) -> None:
    payments.down.add("authorize")
    orders = order_service(store, stock, payments, clock)
    for _ in range(3):
        with pytest.raises(DependencyUnavailable) as refused:
            await orders.place_order(
                customer_id="c", items=ITEMS, card_token="tok_ok", key=key(clock)
            )
        assert refused.value.dependency == "payments"
    (order,) = store.rows.values()
    assert order.status is OrderStatus.REJECTED
    assert stock.calls.count("reserve") == 1


async def test_a_refusal_is_answered_again_with_its_details(
    store: FakeStore, payments: FakePayments, clock: Clock
) -> None:
    orders = order_service(store, FakeStock({"MUG": (1, 1250)}), payments, clock)
    for _ in range(2):
        with pytest.raises(OutOfStock) as refused:
            await orders.place_order(
                customer_id="c", items=ITEMS, card_token="tok_ok", key=key(clock)
            )
        assert (refused.value.sku, refused.value.requested, refused.value.available) == (
            "MUG",
            2,
            1,
        )
    assert len(store.rows) == 1


async def test_the_second_look_survives_a_restart(
    store: FakeStore, payments: FakePayments, clock: Clock
) -> None:
    frozen, order = await placed_while_frozen(store, payments, clock)

    def recovery() -> Recovery:  # a new one per "process"
        return recovery_on(store, frozen, payments, clock, grace=5, second_look=60)

    clock.now = START + timedelta(seconds=6)
    await recovery().run_once()
    await FakeStock.reserve(frozen, order.order_id, ITEMS)  # the frozen call lands now
    clock.now = START + timedelta(seconds=61)
    await recovery().run_once()  # orders restarted meanwhile
    assert frozen.held() == 0
    assert store.meta[order.order_id].look_again_at is None


async def test_a_placement_reports_each_step_to_its_checkpoint(
    store: FakeStore, stock: FakeStock, payments: FakePayments, clock: Clock
) -> None:
    seen: list[str] = []
    orders = OrderService(
        lambda read_only=False: FakeUnitOfWork(store, read_only=read_only),
        stock,
        payments,
        clock=clock,
        checkpoint=seen.append,
    )
    await orders.place_order(customer_id="c", items=ITEMS, card_token="tok_ok", key=key(clock))
    assert tuple(seen) == CHECKPOINTS


async def test_a_placement_that_died_letting_go_is_finished_backward_by_its_retry(
    store: FakeStore, stock: FakeStock, payments: FakePayments, clock: Clock
) -> None:
    oid = await died_after("authorized", store, stock, payments, clock)
    (rid,) = stock.reservations
    await stock.release(rid)  # its compensation had begun when it died
    clock.now = START + LEASE
    with pytest.raises(DependencyUnavailable) as refused:
        await order_service(store, stock, payments, clock).place_order(
            customer_id="c", items=ITEMS, card_token="tok_ok", key=key(clock)
        )
    assert refused.value.dependency == "orders"
    (order,) = store.rows.values()
    assert (order.order_id, order.status) == (oid, OrderStatus.REJECTED)
    assert not order.compensation_due
    assert [s for s, _ in payments.authorizations.values()] == ["voided"]
    assert "commit" not in stock.calls and "capture" not in payments.calls
    with pytest.raises(DependencyUnavailable):  # and so is every later retry
        await order_service(store, stock, payments, clock).place_order(
            customer_id="c", items=ITEMS, card_token="tok_ok", key=key(clock)
        )
