"""What can go wrong in inventory, in inventory's words."""

from __future__ import annotations

from shop.common.errors import ValuedError

__all__ = [
    "InvalidQuantity",
    "InventoryError",
    "OutOfStock",
    "ReservationClosed",
    "ReservationNotFound",
    "UnknownSku",
]


# The inventory domain declares its own errors: each message and field is this service's
# word, answered through its own contract. One that carries values is declared by them
# and its message (shop.common.errors.ValuedError).
class InventoryError(Exception):
    """Root of inventory's domain errors."""


class InvalidQuantity(InventoryError, ValueError):
    """A quantity, price or count is not a positive (or, for prices, non-negative) integer."""


class UnknownSku(InventoryError, ValuedError):
    """No SKU has this code (and a restock did not say how to create it)."""

    sku: str
    message = "unknown SKU {sku}"


class OutOfStock(InventoryError, ValuedError):
    """Fewer units are available than were asked for."""

    sku: str
    requested: int
    available: int
    message = "{sku}: {requested} requested, {available} available"


class ReservationNotFound(InventoryError, ValuedError):
    """No reservation has this id."""

    reservation_id: str
    message = "no reservation {reservation_id}"


class ReservationClosed(InventoryError, ValuedError):
    """The reservation was already closed the other way (committed vs released)."""

    reservation_id: str
    status: str
    message = "reservation {reservation_id} is already {status}"
