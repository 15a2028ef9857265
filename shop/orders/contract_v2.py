"""The orders contract, version 2: every amount is a ``Money`` with its own currency.

Version 1 answers ``total_cents``, ``unit_price_cents`` and one ``currency`` per order.
That reads well until the shop sells in a currency without cents (JPY has no minor
unit, KWD has three) or prices a line in another currency than the order: "cents" is
then wrong, and a bare integer means nothing without the currency next to it. Version 2
answers every amount as ``{amount_minor, currency}``, in the currency's minor unit, and
a line that was never priced (its order was rejected first) has ``unit_price: null``
instead of a price of 0. Clients of version 1 read fields that are gone, so this is a
new major version, served beside version 1 (``docs/versioning.md``).

What a client sends, and the errors it may meet, did not change: version 2 declares its
operations as version 1's answering the new types.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from accord import Contract
from shop.orders.contract import GetOrder, ListOrders, OrderItem, Orders, PlaceOrder

__all__ = [
    "GetOrder",
    "ListOrders",
    "Money",
    "Order",
    "OrderItem",
    "OrderLine",
    "OrderList",
    "OrdersV2",
    "PlaceOrder",
]

Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]


class Money(msgspec.Struct, kw_only=True):
    """An amount in the minor unit of its ISO 4217 currency (cents for EUR, yen for JPY)."""

    amount_minor: Annotated[int, msgspec.Meta(ge=0)]
    currency: Currency


class OrderLine(msgspec.Struct, kw_only=True):
    """One line of an order; ``unit_price`` is null when it was never priced."""

    sku: str
    quantity: int
    unit_price: Money | None


class Order(msgspec.Struct, kw_only=True):
    """An order as version 2 answers it."""

    order_id: str
    customer_id: str
    status: Literal["confirmed", "rejected", "pending"]
    lines: list[OrderLine]
    total: Money
    created_at: str
    note: str | None = None


class OrderList(msgspec.Struct, kw_only=True):
    """A customer's orders, newest first."""

    orders: list[Order]


class OrdersV2(Contract, name="orders", version="2.4.0"):
    """Customers' orders: placed against stock and paid by card; amounts as money."""

    place_order = Orders.place_order.with_response(Order)
    get_order = Orders.get_order.with_response(Order)
    list_orders = Orders.list_orders.with_response(OrderList)
