"""The orders contract, version 2, implemented over the same use cases as version 1.

Only the translation differs: requests are version 1's, and an order goes out with its
amounts as :class:`~shop.orders.contract_v2.Money`. Domain errors become contract
errors through the one table of :mod:`shop.orders.entrypoint`.
"""

from __future__ import annotations

from shop.orders import contract_v2 as c
from shop.orders.domain.model import Order
from shop.orders.entrypoint import OrderEndpointBase, order_message

__all__ = ["OrdersV2Endpoint"]


def _money(amount_minor: int, currency: str) -> c.Money:
    return c.Money(amount_minor=amount_minor, currency=currency)


def _order(order: Order) -> c.Order:
    """Version 2's order: every amount as Money, an unpriced line's price null."""
    currency = order.currency
    lines = [
        c.OrderLine(
            sku=line.sku,
            quantity=line.quantity,
            unit_price=(
                None if line.unit_price_cents is None else _money(line.unit_price_cents, currency)
            ),
        )
        for line in order.lines
    ]
    return order_message(order, c.Order, lines, total=_money(order.total_cents, currency))


class OrdersV2Endpoint(OrderEndpointBase[c.Order, c.OrderList]):
    """Serves :class:`shop.orders.contract_v2.OrdersV2` with an :class:`OrderService`."""

    def present(self, order: Order) -> c.Order:
        """The order with its amounts as Money."""
        return _order(order)

    def listing(self, orders: list[c.Order]) -> c.OrderList:
        """Version 2's list message."""
        return c.OrderList(orders=orders)
