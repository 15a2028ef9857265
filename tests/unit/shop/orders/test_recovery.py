"""Compensation owed and the recovery that settles it, on in-memory ports."""

from __future__ import annotations

from datetime import timedelta

import anyio
import pytest

from shop.orders.application.recovery import Recovery
from shop.orders.domain.exceptions import DependencyFailed, DependencyUnavailable, OutOfStock
from shop.orders.domain.holds import FoundPayment, StockHold
from shop.orders.domain.model import Order, OrderStatus, RequestedItem
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


class LostAnswer(FakeStock):
    """Holds the stock, then the answer is lost on the way back."""

    async def reserve(self, order_id: str, items: object) -> StockHold:
        await super().reserve(order_id, items)  # type: ignore[arg-type]
        raise DependencyUnavailable("inventory", "read timed out")


async def test_a_clean_refusal_owes_nothing(
    store: FakeStore, stock: FakeStock, payments: FakePayments, clock: Clock
) -> None:
    with pytest.raises(OutOfStock):
        await order_service(store, stock, payments, clock).place_order(
            customer_id="c", items=[RequestedItem("MUG", 99)], card_token="tok_ok"
        )
    (order,) = store.rows.values()
    assert order.status is OrderStatus.REJECTED
    assert not order.compensation_due


async def test_a_lost_reservation_answer_is_released_by_order_id(
    store: FakeStore, payments: FakePayments, clock: Clock
) -> None:
    stock = LostAnswer({"MUG": (10, 1250)})
    with pytest.raises(DependencyUnavailable):
        await order_service(store, stock, payments, clock).place_order(
            customer_id="c", items=ITEMS, card_token="tok_ok"
        )
    (order,) = store.rows.values()
    assert order.compensation_due and stock.held() == 2

    recovery = recovery_on(store, stock, payments, clock)
    assert await recovery.run_once() == 0  # too young: a hold may still be in flight
    assert stock.held() == 2
    assert stock.calls.count("release_for_order") == 0

    clock.now += timedelta(seconds=11)
    assert await recovery.run_once() == 0
    assert stock.held() == 0
    settled = store.rows[order.order_id]
    assert not settled.compensation_due
    assert (settled.status, settled.rejection) == (OrderStatus.REJECTED, "dependency_unavailable")


async def test_a_failed_compensation_waits_for_the_dependency(
    store: FakeStore, stock: FakeStock, payments: FakePayments, clock: Clock
) -> None:
    payments.down.add("authorize")
    stock.down.add("release")
    with pytest.raises(DependencyUnavailable):
        await order_service(store, stock, payments, clock).place_order(
            customer_id="c", items=ITEMS, card_token="tok_ok"
        )
    assert stock.held() == 2
    stock.down.add("release_for_order")
    clock.now += timedelta(seconds=60)
    recovery = recovery_on(store, stock, payments, clock)
    assert await recovery.run_once() == 1
    assert stock.held() == 2

    stock.down.clear()
    assert await recovery.run_once() == 0
    assert stock.held() == 0
    assert not next(iter(store.rows.values())).compensation_due


async def test_an_interrupted_order_is_compensated_and_rejected(
    store: FakeStore, stock: FakeStock, payments: FakePayments, clock: Clock
) -> None:
    order = Order.place(
        order_id="ord-old", customer_id="c", items=ITEMS, currency="EUR", created_at=START
    )
    async with FakeUnitOfWork(store) as uow:
        await uow.orders.add(order, driven_until=START + LEASE)
        await uow.commit()
    await stock.reserve("ord-old", ITEMS)
    await payments.authorize("ord-old", 2500, "EUR", "tok_ok")

    clock.now = START + timedelta(seconds=30)  # the process started after the order
    recovery = recovery_on(store, stock, payments, clock)
    assert await recovery.run_once() == 0
    assert stock.held() == 0
    assert [s for s, _ in payments.authorizations.values()] == ["voided"]
    settled = store.rows["ord-old"]
    assert (settled.status, settled.rejection) == (OrderStatus.REJECTED, "interrupted")
    assert not settled.compensation_due


async def test_orders_in_flight_and_confirmed_ones_are_left_alone(
    store: FakeStore, stock: FakeStock, payments: FakePayments, clock: Clock
) -> None:
    recovery = recovery_on(store, stock, payments, clock)  # started at START
    service = order_service(store, stock, payments, clock)
    confirmed = await service.place_order(customer_id="c", items=ITEMS, card_token="tok_ok")
    pending = Order.place(
        order_id="ord-new", customer_id="c", items=ITEMS, currency="EUR", created_at=START
    )
    async with FakeUnitOfWork(store) as uow:
        await uow.orders.add(pending, driven_until=START + LEASE)
        await uow.commit()
    assert await recovery.run_once() == 0
    assert store.rows["ord-new"].status is OrderStatus.PENDING
    assert store.rows[confirmed.order_id].status is OrderStatus.CONFIRMED
    assert stock.calls.count("release_for_order") == 0


async def test_the_loop_settles_interrupted_orders_until_it_is_stopped(
    store: FakeStore, stock: FakeStock, payments: FakePayments, clock: Clock
) -> None:
    async def interrupted(order_id: str) -> None:
        order = Order.place(
            order_id=order_id, customer_id="c", items=ITEMS, currency="EUR", created_at=START
        )
        async with FakeUnitOfWork(store) as uow:
            await uow.orders.add(order)
            await uow.commit()
        await stock.reserve(order_id, ITEMS)

    await interrupted("ord-1")
    clock.now = START + timedelta(seconds=30)  # the process started after the order
    recovery = Recovery(
        lambda read_only=False: FakeUnitOfWork(store, read_only=read_only),
        stock,
        payments,
        clock=clock,
        interval=0.01,
    )
    await recovery.start()
    await recovery.start()  # once only
    with anyio.fail_after(10):  # the loop, not a call of run_once, settles it
        while store.rows["ord-1"].status is OrderStatus.PENDING:  # noqa: ASYNC110 - no event to wait on
            await anyio.sleep(0.01)
    assert store.rows["ord-1"].rejection == "interrupted"
    assert stock.held() == 0
    await recovery.stop()
    await recovery.stop()

    await interrupted("ord-2")
    await anyio.sleep(0.1)  # ten of its intervals: a loop still running would settle it
    assert store.rows["ord-2"].status is OrderStatus.PENDING
    assert stock.held() == 2


async def test_a_call_never_sent_owes_nothing(
    store: FakeStore, payments: FakePayments, clock: Clock
) -> None:
    class BreakerOpen(FakeStock):
        async def reserve(self, order_id: str, items: object) -> StockHold:
            raise DependencyUnavailable("inventory", "circuit breaker is open", sent=False)

    with pytest.raises(DependencyUnavailable):
        await order_service(store, BreakerOpen({"MUG": (10, 1250)}), payments, clock).place_order(
            customer_id="c", items=ITEMS, card_token="tok_ok"
        )
    (order,) = store.rows.values()
    assert order.status is OrderStatus.REJECTED and not order.compensation_due


def test_an_open_breaker_reads_as_a_call_never_sent() -> None:
    from accord.resilience import BreakerOpen
    from shop.orders.adapters.dependencies import dependency_errors

    with pytest.raises(DependencyUnavailable) as refused, dependency_errors("payments"):
        raise BreakerOpen("payments", 1.0)
    assert refused.value.sent is False
    with pytest.raises(DependencyUnavailable) as lost, dependency_errors("payments"):
        from accord.errors import Timeout

        raise Timeout("no response within 2s")
    assert lost.value.sent is True


async def _interrupted(
    store: FakeStore, stock: FakeStock, payments: FakePayments, *, commit: bool, capture: bool
) -> str:
    """An order whose placement stopped (its process died) after some of its steps."""
    order = Order.place(
        order_id="ord-cut", customer_id="c", items=ITEMS, currency="EUR", created_at=START
    )
    async with FakeUnitOfWork(store) as uow:
        await uow.orders.add(order, driven_until=START + LEASE)
        await uow.commit()
    hold = await stock.reserve("ord-cut", ITEMS)
    payment = await payments.authorize("ord-cut", 2500, "EUR", "tok_ok")
    if commit:
        await stock.commit(hold.reservation_id)
    if capture:
        await payments.capture(payment.authorization_id)
    return order.order_id


@pytest.mark.parametrize("captured", [True, False])
async def test_an_order_interrupted_after_its_stock_was_sold_is_confirmed(
    store: FakeStore, stock: FakeStock, payments: FakePayments, clock: Clock, captured: bool
) -> None:
    oid = await _interrupted(store, stock, payments, commit=True, capture=captured)
    clock.now = START + timedelta(seconds=30)
    assert await recovery_on(store, stock, payments, clock).run_once() == 0
    done = store.rows[oid]
    assert done.status is OrderStatus.CONFIRMED
    assert [(line.sku, line.unit_price_cents) for line in done.lines] == [("MUG", 1250)]
    assert done.total_cents == 2500
    assert [s for s, _ in payments.authorizations.values()] == ["captured"]
    assert stock.calls.count("release") == 0


async def test_an_order_interrupted_after_sold_stock_and_a_void_stays_rejected(
    store: FakeStore, stock: FakeStock, payments: FakePayments, clock: Clock
) -> None:
    oid = await _interrupted(store, stock, payments, commit=True, capture=False)
    (aid,) = payments.authorizations
    await payments.void(aid)
    clock.now = START + timedelta(seconds=30)
    assert await recovery_on(store, stock, payments, clock).run_once() == 0
    assert (store.rows[oid].status, store.rows[oid].rejection) == (
        OrderStatus.REJECTED,
        "interrupted",
    )


async def test_an_interrupted_order_waits_while_payments_is_down(
    store: FakeStore, stock: FakeStock, payments: FakePayments, clock: Clock
) -> None:
    oid = await _interrupted(store, stock, payments, commit=True, capture=False)
    payments.down.add("capture")
    clock.now = START + timedelta(seconds=30)
    recovery = recovery_on(store, stock, payments, clock)
    assert await recovery.run_once() == 1
    assert store.rows[oid].status is OrderStatus.PENDING
    payments.down.clear()
    assert await recovery.run_once() == 0
    assert store.rows[oid].status is OrderStatus.CONFIRMED


async def test_a_capture_whose_answer_was_lost_confirms_the_order(
    store: FakeStore, stock: FakeStock, clock: Clock
) -> None:
    class LostCapture(FakePayments):
        async def capture(self, authorization_id: str) -> None:
            await super().capture(authorization_id)
            raise DependencyUnavailable("payments", "read timed out")

    payments = LostCapture()
    placed = await order_service(store, stock, payments, clock).place_order(
        customer_id="c", items=ITEMS, card_token="tok_ok"
    )
    assert placed.status is OrderStatus.CONFIRMED
    assert store.rows[placed.order_id].status is OrderStatus.CONFIRMED
    assert [s for s, _ in payments.authorizations.values()] == ["captured"]
    assert "void" not in payments.calls


async def test_a_capture_that_did_not_go_through_is_taken_by_the_recovery(
    store: FakeStore, stock: FakeStock, payments: FakePayments, clock: Clock
) -> None:
    payments.down.add("capture")
    with pytest.raises(DependencyUnavailable):
        await order_service(store, stock, payments, clock).place_order(
            customer_id="c", items=ITEMS, card_token="tok_ok"
        )
    (order,) = store.rows.values()
    assert order.status is OrderStatus.PENDING
    payments.down.clear()
    clock.now += timedelta(seconds=30)
    assert await recovery_on(store, stock, payments, clock).run_once() == 0
    assert store.rows[order.order_id].status is OrderStatus.CONFIRMED
    assert [s for s, _ in payments.authorizations.values()] == ["captured"]


async def test_a_capture_landing_late_never_leaves_a_rejected_order_charged(
    store: FakeStore, stock: FakeStock, clock: Clock
) -> None:
    class LateCapture(FakePayments):
        """The capture's caller times out while payments still works on it: it lands
        before whatever orders sends next (as a slow capture wins a void's row lock)."""

        landing: str | None = None

        async def capture(self, authorization_id: str) -> None:
            self.calls.append("capture")
            self.landing = authorization_id
            raise DependencyUnavailable("payments", "read timed out")

        async def find_for_order(self, order_id: str) -> FoundPayment | None:
            found = await super().find_for_order(order_id)
            self._land()
            return found

        async def void(self, authorization_id: str) -> None:
            self._land()
            if self.authorizations[authorization_id][0] == "captured":
                raise DependencyFailed("payments", "409 payments.invalid_transition")
            await super().void(authorization_id)

        def _land(self) -> None:
            if self.landing is not None:
                _, amount = self.authorizations[self.landing]
                self.authorizations[self.landing] = ("captured", amount)
                self.landing = None

    payments = LateCapture()
    with pytest.raises(DependencyUnavailable):
        await order_service(store, stock, payments, clock).place_order(
            customer_id="c", items=ITEMS, card_token="tok_ok"
        )
    (order,) = store.rows.values()
    assert [s for s, _ in payments.authorizations.values()] == ["captured"]
    assert order.status is OrderStatus.PENDING  # never rejected with its money taken
    clock.now += timedelta(seconds=30)
    assert await recovery_on(store, stock, payments, clock).run_once() == 0
    assert store.rows[order.order_id].status is OrderStatus.CONFIRMED
    assert "void" not in payments.calls


def test_a_refused_token_reads_as_unavailable_not_failed() -> None:
    from accord.errors import Forbidden, Unauthenticated
    from shop.orders.adapters.dependencies import dependency_errors
    from shop.orders.domain.exceptions import DependencyFailed

    with pytest.raises(DependencyUnavailable), dependency_errors("inventory"):
        raise Unauthenticated("the bearer token is not valid: unknown key")
    with pytest.raises(DependencyFailed), dependency_errors("inventory"):
        raise Forbidden("insufficient scope")


async def test_an_interrupted_order_waits_out_the_grace(
    store: FakeStore, stock: FakeStock, payments: FakePayments, clock: Clock
) -> None:
    oid = await _interrupted(store, stock, payments, commit=False, capture=False)
    clock.now = START + timedelta(seconds=3)  # the process came back at once
    recovery = recovery_on(store, stock, payments, clock)
    assert await recovery.run_once() == 0
    assert store.rows[oid].status is OrderStatus.PENDING  # its placement's lease runs
    clock.now = START + LEASE + timedelta(seconds=9)
    assert await recovery.run_once() == 0
    assert store.rows[oid].status is OrderStatus.PENDING  # its calls may still land
    clock.now = START + LEASE + timedelta(seconds=11)
    assert await recovery.run_once() == 0
    assert store.rows[oid].status is OrderStatus.REJECTED
    assert stock.held() == 0


async def test_a_hold_landing_late_is_let_go_on_a_second_look(
    store: FakeStore, stock: FakeStock, payments: FakePayments, clock: Clock
) -> None:
    frozen, order = await placed_while_frozen(store, payments, clock)
    recovery = recovery_on(store, frozen, payments, clock, grace=5, second_look=60)
    clock.now = START + timedelta(seconds=6)
    assert await recovery.run_once() == 0
    assert not store.rows[order.order_id].compensation_due  # nothing was held then

    await FakeStock.reserve(frozen, order.order_id, ITEMS)  # the frozen call lands now
    clock.now = START + timedelta(seconds=30)
    await recovery.run_once()
    assert frozen.held() == 2  # not yet: the second look is at 60 s
    clock.now = START + timedelta(seconds=61)
    await recovery.run_once()
    assert frozen.held() == 0
    clock.now = START + timedelta(seconds=62)
    await recovery.run_once()
    assert frozen.calls.count("release_for_order") == 2  # once, then the second look
