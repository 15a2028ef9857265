"""What can go wrong with orders, in the domain's own words.

    OrdersError
    ├── InvalidOrder            an order that cannot exist (no items, a SKU twice …)
    ├── OrderNotFound           no order with that id
    ├── InvalidTransition       the order cannot move that way
    └── PlacementFailed         the order was rejected while being placed
        ├── UnknownSku          an item names a SKU the stock does not know
        ├── OutOfStock          not enough stock for an item
        ├── PaymentDeclined     the card was declined (carries the reason)
        ├── DependencyUnavailable  a service the order needs did not answer
        └── DependencyFailed    a service answered something it should not have

Every ``PlacementFailed`` names the ``reason`` the rejected order records.
"""

from __future__ import annotations

from typing import ClassVar

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
    "UnknownSku",
]


class OrdersError(Exception):
    """Root of every orders domain error."""


class InvalidOrder(OrdersError, ValueError):
    """An order that cannot exist; ``field`` points at the offending value (``items[1].sku``)."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class OrderNotFound(OrdersError):
    """No order has this id."""

    def __init__(self, order_id: str) -> None:
        super().__init__(f"no order {order_id!r}")
        self.order_id = order_id


class InvalidTransition(OrdersError):
    """The order is not in a state that allows this step."""


class PlacementFailed(OrdersError):
    """The order was rejected while being placed; ``reason`` is what it records."""

    reason: ClassVar[str] = "internal"


class UnknownSku(PlacementFailed):
    """An item names a SKU that the stock does not know."""

    reason = "unknown_sku"

    def __init__(self, sku: str) -> None:
        super().__init__(f"unknown SKU {sku!r}")
        self.sku = sku


class OutOfStock(PlacementFailed):
    """Not enough stock of one SKU."""

    reason = "out_of_stock"

    def __init__(self, sku: str, requested: int, available: int) -> None:
        super().__init__(f"{sku}: {requested} requested, {available} available")
        self.sku = sku
        self.requested = requested
        self.available = available


class PaymentDeclined(PlacementFailed):
    """The card was declined; ``decline`` says why (``insufficient_funds`` …)."""

    reason = "payment_declined"

    def __init__(self, decline: str) -> None:
        super().__init__(f"payment declined: {decline}")
        self.decline = decline


class DependencyUnavailable(PlacementFailed):
    """A service the order needs did not answer, or answered that it cannot now."""

    reason = "dependency_unavailable"

    def __init__(self, dependency: str, detail: str) -> None:
        super().__init__(f"{dependency} unavailable: {detail}")
        self.dependency = dependency
        self.detail = detail


class DependencyFailed(PlacementFailed):
    """A service answered in a way the order flow cannot make sense of."""

    reason = "dependency_failed"

    def __init__(self, dependency: str, detail: str) -> None:
        super().__init__(f"{dependency} failed: {detail}")
        self.dependency = dependency
        self.detail = detail
