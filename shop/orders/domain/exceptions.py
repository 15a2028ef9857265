"""What can go wrong with orders, in the domain's own words.

    OrdersError
    ├── InvalidOrder            an order that cannot exist (no items, a bad quantity …)
    │   └── RepeatedSku         a SKU asked for on two lines
    ├── OrderNotFound           no order with that id
    ├── InvalidTransition       the order cannot move that way
    └── PlacementFailed         the order was rejected while being placed
        ├── UnknownSku          an item names a SKU the stock does not know
        ├── OutOfStock          not enough stock for an item
        ├── PaymentDeclined     the card was declined (carries the reason)
        ├── DependencyUnavailable  a service the order needs did not answer
        └── DependencyFailed    a service answered something it should not have

Every ``PlacementFailed`` names the ``rejection`` the rejected order records.
"""

from __future__ import annotations

from dataclasses import KW_ONLY
from typing import ClassVar

from shop.common.errors import ValuedError

__all__ = [
    "DependencyFailed",
    "DependencyUnavailable",
    "InvalidOrder",
    "InvalidTransition",
    "OrderNotFound",
    "OrdersError",
    "OutOfStock",
    "PaymentDeclined",
    "PlacementFailed",
    "RepeatedSku",
    "UnknownSku",
]


# The orders domain declares its own errors: each message and field is this service's
# word, answered through its own contract. One that carries values is declared by them
# and its message (shop.common.errors.ValuedError).
class OrdersError(Exception):
    """Root of every orders domain error."""


class InvalidOrder(OrdersError, ValueError):
    """An order that cannot exist; ``field`` points at the offending value (``items[1].sku``)."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class RepeatedSku(InvalidOrder):
    """A SKU asked for on more than one line: an order has one line per SKU, so the
    contract's per-line limits hold for the SKU."""

    def __init__(self, sku: str, *, field: str) -> None:
        super().__init__(
            f"SKU {sku!r} is asked for more than once; an order has one line per SKU",
            field=field,
        )
        self.sku = sku


class OrderNotFound(OrdersError, ValuedError):
    """No order has this id."""

    order_id: str
    message = "no order {order_id!r}"


class InvalidTransition(OrdersError):
    """The order is not in a state that allows this step."""


class PlacementFailed(OrdersError):
    """The order was rejected while being placed; ``rejection`` is what it records."""

    rejection: ClassVar[str] = "internal"


class UnknownSku(PlacementFailed, ValuedError):
    """An item names a SKU that the stock does not know."""

    rejection = "unknown_sku"
    sku: str
    message = "unknown SKU {sku!r}"


class OutOfStock(PlacementFailed, ValuedError):
    """Not enough stock of one SKU."""

    rejection = "out_of_stock"
    sku: str
    requested: int
    available: int
    message = "{sku}: {requested} requested, {available} available"


class PaymentDeclined(PlacementFailed, ValuedError):
    """The card was declined; ``reason`` says why (``insufficient_funds`` …)."""

    rejection = "payment_declined"
    reason: str
    message = "payment declined: {reason}"


class DependencyUnavailable(PlacementFailed, ValuedError):
    """A service the order needs did not answer, or answered that it cannot now.

    ``sent`` is False when the call is known never to have left orders (its circuit
    breaker was open): then it cannot have changed anything over there.
    """

    rejection = "dependency_unavailable"
    dependency: str
    detail: str
    _: KW_ONLY
    sent: bool = True
    message = "{dependency} unavailable: {detail}"


class DependencyFailed(PlacementFailed, ValuedError):
    """A service answered in a way the order flow cannot make sense of."""

    rejection = "dependency_failed"
    dependency: str
    detail: str
    message = "{dependency} failed: {detail}"
