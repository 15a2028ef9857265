"""The orders contract, version 2, implemented over the same use cases as version 1.

Only the translation differs: requests are version 1's, and an order goes out with its
amounts as :class:`~shop.orders.contract_v2.Money`. Domain errors become contract
errors through the one table of :mod:`shop.orders.entrypoint`.
"""

from __future__ import annotations

from shop.orders import contract_v2 as c
from shop.orders.application.services import OrderService
from shop.orders.domain.model import Order, RequestedItem
from shop.orders.entrypoint import declared_errors, timestamp

__all__ = ["OrdersV2Endpoint"]


def _money(amount_minor: int, currency: str) -> c.Money:
    return c.Money(amount_minor=amount_minor, currency=currency)


def _order(order: Order) -> c.Order:
    return c.Order(
        order_id=order.order_id,
        customer_id=order.customer_id,
        status=order.status.value,
        lines=[
            c.OrderLine(
                sku=line.sku,
                quantity=line.quantity,
                unit_price=(
                    None
                    if line.unit_price_cents is None
                    else _money(line.unit_price_cents, order.currency)
                ),
            )
            for line in order.lines
        ],
        total=_money(order.total_cents, order.currency),
        created_at=timestamp(order.created_at),
        note=order.note,
    )


class OrdersV2Endpoint:
    """Serves :class:`shop.orders.contract_v2.OrdersV2` with an :class:`OrderService`."""

    def __init__(self, service: OrderService) -> None:
        self._service = service

    async def place_order(self, request: c.PlaceOrder) -> c.Order:
        """Place the order: stock held, payment taken, or rejected with nothing held."""
        with declared_errors():
            order = await self._service.place_order(
                customer_id=request.customer_id,
                items=[RequestedItem(item.sku, item.quantity) for item in request.items],
                card_token=request.card_token,
                note=request.note,
            )
        return _order(order)

    async def get_order(self, request: c.GetOrder) -> c.Order:
        """Read one order."""
        with declared_errors():
            order = await self._service.get_order(request.order_id)
        return _order(order)

    async def list_orders(self, request: c.ListOrders) -> c.OrderList:
        """A customer's newest orders, newest first."""
        with declared_errors():
            orders = await self._service.list_orders(request.customer_id, request.limit)
        return c.OrderList(orders=[_order(order) for order in orders])
