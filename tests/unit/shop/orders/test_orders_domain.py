"""The order aggregate, without any I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shop.orders.domain.exceptions import InvalidOrder, InvalidTransition
from shop.orders.domain.holds import PaymentHold, PricedLine, StockHold
from shop.orders.domain.model import Order, OrderLine, OrderStatus, RequestedItem

NOW = datetime(2025, 6, 7, 8, 9, 10, tzinfo=UTC)


def place(*items: RequestedItem) -> Order:
    return Order.place(
        order_id="ord-1",
        customer_id="cust-1",
        items=items or (RequestedItem("A", 2), RequestedItem("B", 1)),
        currency="EUR",
        created_at=NOW,
    )


def hold(*lines: PricedLine) -> StockHold:
    return StockHold("res-1", lines or (PricedLine("A", 2, 1999), PricedLine("B", 1, 1)))


def test_a_new_order_is_pending_and_unpriced() -> None:
    order = place()
    assert order.status is OrderStatus.PENDING
    assert order.lines == (OrderLine("A", 2), OrderLine("B", 1))
    assert order.items == (RequestedItem("A", 2), RequestedItem("B", 1))
    assert not order.priced
    assert order.total_cents == 0


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ((), "items"),
        ((RequestedItem("A", 0),), "items[0].quantity"),
        ((RequestedItem("A", -3),), "items[0].quantity"),
        ((RequestedItem("", 1),), "items[0].sku"),
    ],
)
def test_orders_that_cannot_exist_point_at_the_item(
    items: tuple[RequestedItem, ...], field: str
) -> None:
    with pytest.raises(InvalidOrder) as info:
        Order.place(order_id="o", customer_id="c", items=items, currency="EUR", created_at=NOW)
    assert info.value.field == field


def test_a_sku_asked_for_twice_is_refused_at_the_second_item() -> None:
    items = (RequestedItem("A", 1), RequestedItem("B", 4), RequestedItem("A", 2))
    with pytest.raises(InvalidOrder, match="more than once") as info:
        Order.place(order_id="o", customer_id="c", items=items, currency="EUR", created_at=NOW)
    assert info.value.field == "items[2].sku"


def test_each_sku_is_one_line_in_the_order_asked() -> None:
    items = (RequestedItem("B", 4), RequestedItem("A", 1))
    order = Order.place(order_id="o", customer_id="c", items=items, currency="EUR", created_at=NOW)
    assert order.items == items


def test_currency_and_time_are_checked() -> None:
    with pytest.raises(InvalidOrder, match="currency"):
        Order.place(
            order_id="o",
            customer_id="c",
            items=[RequestedItem("A", 1)],
            currency="eur",
            created_at=NOW,
        )
    with pytest.raises(InvalidOrder, match="timezone"):
        Order.place(
            order_id="o",
            customer_id="c",
            items=[RequestedItem("A", 1)],
            currency="EUR",
            created_at=datetime(2025, 1, 1),
        )


def test_holding_stock_prices_the_lines_exactly() -> None:
    order = place()
    order.hold_stock(hold())
    assert order.priced
    assert order.reservation_id == "res-1"
    assert order.lines == (OrderLine("A", 2, 1999), OrderLine("B", 1, 1))
    assert order.total_cents == 2 * 1999 + 1


@pytest.mark.parametrize(
    "lines",
    [
        (PricedLine("A", 2, 1999),),
        (PricedLine("A", 2, 1999), PricedLine("B", 2, 1)),
        (PricedLine("A", 2, 1999), PricedLine("C", 1, 1)),
        (PricedLine("A", 2, 1999), PricedLine("B", 1, 1), PricedLine("B", 1, 1)),
        (PricedLine("A", 2, -1), PricedLine("B", 1, 1)),
    ],
)
def test_a_hold_that_does_not_match_the_order_is_refused(lines: tuple[PricedLine, ...]) -> None:
    order = place()
    with pytest.raises(InvalidTransition, match="does not match"):
        order.hold_stock(hold(*lines))
    assert order.reservation_id is None and not order.priced


def test_the_happy_path_confirms() -> None:
    order = place()
    order.hold_stock(hold())
    order.hold_payment(PaymentHold("auth-1"))
    order.confirm()
    assert order.status is OrderStatus.CONFIRMED
    assert order.authorization_id == "auth-1"


def test_payment_needs_stock_first_and_confirmation_needs_both() -> None:
    order = place()
    with pytest.raises(InvalidTransition):
        order.hold_payment(PaymentHold("auth-1"))
    with pytest.raises(InvalidTransition, match="no stock"):
        order.confirm()
    order.hold_stock(hold())
    with pytest.raises(InvalidTransition, match="no payment"):
        order.confirm()


def test_a_free_order_confirms_without_payment() -> None:
    order = place(RequestedItem("A", 1))
    order.hold_stock(StockHold("r", (PricedLine("A", 1, 0),)))
    order.confirm()
    assert order.status is OrderStatus.CONFIRMED and order.total_cents == 0


def test_rejected_and_confirmed_are_final() -> None:
    rejected = place()
    rejected.reject("out_of_stock")
    assert (rejected.status, rejected.rejection) == (OrderStatus.REJECTED, "out_of_stock")
    for step in (
        rejected.confirm,
        lambda: rejected.reject("x"),
        lambda: rejected.hold_stock(hold()),
    ):
        with pytest.raises(InvalidTransition, match="rejected"):
            step()
    confirmed = place()
    confirmed.hold_stock(hold())
    confirmed.hold_payment(PaymentHold("a"))
    confirmed.confirm()
    with pytest.raises(InvalidTransition, match="confirmed"):
        confirmed.reject("late")
    assert confirmed.status is OrderStatus.CONFIRMED


def test_stock_is_held_once() -> None:
    order = place()
    order.hold_stock(hold())
    with pytest.raises(InvalidTransition, match="already"):
        order.hold_stock(hold())


def test_an_order_is_visible_to_its_customer_only() -> None:
    order = place(RequestedItem("MUG", 1))
    assert order.visible_to(order.customer_id)
    assert not order.visible_to("someone-else")
    assert order.visible_to(None)  # a reader speaking for no customer
