"""The orders contract: place an order, read it back, list a customer's orders.

Placing an order reserves its stock, authorizes its payment and confirms both; when
the card is declined or stock is short, nothing stays held and the order is rejected.

Version 1 is deprecated: :class:`shop.orders.contract_v2.OrdersV2` replaces it, and it
stops answering on its sunset date (``docs/versioning.md``).
"""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

import msgspec

from accord import Contract, ServiceError
from accord.contract import Secret, create, read

__all__ = [
    "DependencyUnavailable",
    "GetOrder",
    "ListOrders",
    "Order",
    "OrderItem",
    "OrderLine",
    "OrderList",
    "OrderNotFound",
    "Orders",
    "OrdersPaused",
    "OutOfStock",
    "OutOfStockInfo",
    "PaymentDeclined",
    "PaymentDeclinedInfo",
    "PlaceOrder",
    "UnknownSku",
    "UnknownSkuInfo",
]

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class OrderItem(msgspec.Struct, kw_only=True):
    sku: Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9][A-Z0-9-]{0,63}$")]
    quantity: Annotated[int, msgspec.Meta(gt=0, le=1_000)]


class PlaceOrder(msgspec.Struct, kw_only=True):
    """A customer's order: what to buy and which card pays for it.

    The order is placed for the customer of the caller's token; ``customer_id`` may be
    left out, and when sent it must be that customer (else 403). Each SKU appears once
    among ``items``: a SKU sent twice is a 422 pointing at the second one
    (``$.items[i].sku``), so the quantity limit holds for everything ordered of a SKU.
    """

    customer_id: Id | None = None
    items: Annotated[list[OrderItem], msgspec.Meta(min_length=1, max_length=50)]
    card_token: Annotated[str, msgspec.Meta(min_length=4, max_length=64), Secret]
    note: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class OrderLine(msgspec.Struct, kw_only=True):
    sku: str
    quantity: int
    unit_price_cents: int


class Order(msgspec.Struct, kw_only=True):
    order_id: str
    customer_id: str
    status: Literal["confirmed", "rejected", "pending"]
    lines: list[OrderLine]
    total_cents: int
    currency: str
    created_at: str
    note: str | None = None


class GetOrder(msgspec.Struct, kw_only=True):
    order_id: Id


class ListOrders(msgspec.Struct, kw_only=True):
    """A customer's orders; a customer's token lists its own (``customer_id`` optional)."""

    customer_id: Id | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 20


class OrderList(msgspec.Struct, kw_only=True):
    orders: list[Order]


class UnknownSkuInfo(msgspec.Struct, kw_only=True):
    sku: str


class OutOfStockInfo(msgspec.Struct, kw_only=True):
    sku: str
    requested: int
    available: int


class PaymentDeclinedInfo(msgspec.Struct, kw_only=True):
    reason: str


class UnknownSku(ServiceError[UnknownSkuInfo], code="orders.unknown_sku", status=422):
    """An item names an unknown SKU"""


class RepeatedSkuInfo(msgspec.Struct, kw_only=True):
    """The SKU asked for on more than one line."""

    sku: str


class RepeatedSku(ServiceError[RepeatedSkuInfo], code="orders.repeated_sku", status=422):
    """A SKU is asked for on more than one line (an order has one line per SKU)"""


class OutOfStock(ServiceError[OutOfStockInfo], code="orders.out_of_stock", status=409):
    """Not enough stock for an item"""


class PaymentDeclined(
    ServiceError[PaymentDeclinedInfo], code="orders.payment_declined", status=402
):
    """Payment declined"""


class OrderNotFound(ServiceError[None], code="orders.order_not_found", status=404):
    """Order not found"""


class DependencyUnavailable(
    ServiceError[None], code="orders.dependency_unavailable", status=503, retryable=True
):
    """A service the order depends on is unavailable"""


class OrdersPaused(ServiceError[None], code="orders.paused", status=503, retryable=True):
    """Placing orders is paused for now; reading them still works"""


class Orders(
    Contract,
    name="orders",
    version="1.5.0",
    deprecated=datetime.date(2026, 11, 27),
    sunset=datetime.date(2027, 6, 30),
    successor="/v2/openapi.json",
):
    """Customers' orders: placed against stock and paid by card."""

    place_order = create(
        PlaceOrder,
        Order,
        "/orders",
        timeout=8.0,
        scopes=("orders:write",),
        errors=(
            UnknownSku,
            RepeatedSku,
            OutOfStock,
            PaymentDeclined,
            DependencyUnavailable,
            OrdersPaused,
        ),
    )
    get_order = read(
        GetOrder,
        Order,
        "/orders/{order_id}",
        timeout=2.0,
        scopes=("orders:read",),
        errors=(OrderNotFound,),
    )
    list_orders = read(ListOrders, OrderList, "/orders", timeout=2.0, scopes=("orders:read",))
