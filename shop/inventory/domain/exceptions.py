"""What can go wrong in inventory, in inventory's words."""

from __future__ import annotations

__all__ = [
    "InvalidQuantity",
    "InventoryError",
    "OutOfStock",
    "ReservationClosed",
    "ReservationNotFound",
    "UnknownSku",
]


# The inventory domain declares its own errors, alike in shape to the other services' (one
# value carried, a message made of it) but not shared with them: a domain imports the
# standard library and itself alone (tests/unit/test_boundaries.py), and each message
# and field is this service's word, answered through its own contract.
class InventoryError(Exception):
    """Root of inventory's domain errors."""


class InvalidQuantity(InventoryError, ValueError):
    """A quantity, price or count is not a positive (or, for prices, non-negative) integer."""


class UnknownSku(InventoryError):
    """No SKU has this code (and a restock did not say how to create it)."""

    def __init__(self, sku: str) -> None:
        super().__init__(f"unknown SKU {sku}")
        self.sku = sku


class OutOfStock(InventoryError):
    """Fewer units are available than were asked for."""

    def __init__(self, sku: str, requested: int, available: int) -> None:
        super().__init__(f"{sku}: {requested} requested, {available} available")
        self.sku = sku
        self.requested = requested
        self.available = available


class ReservationNotFound(InventoryError):
    """No reservation has this id."""

    def __init__(self, reservation_id: str) -> None:
        super().__init__(f"no reservation {reservation_id}")
        self.reservation_id = reservation_id


class ReservationClosed(InventoryError):
    """The reservation was already closed the other way (committed vs released)."""

    def __init__(self, reservation_id: str, status: str) -> None:
        super().__init__(f"reservation {reservation_id} is already {status}")
        self.reservation_id = reservation_id
        self.status = status
