"""SKUs, their stock, and reservations holding it for orders.

A SKU's stock is split three ways: ``available`` (may be reserved), ``reserved`` (held
for an order) and ``sold``. None is ever negative, and their sum — the SKU's total —
changes only by a restock. A reservation holds stock of several SKUs for one order; it
is ``held`` until it is committed (held → sold) or released (held → available).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from shop.inventory.domain.exceptions import (
    InvalidQuantity,
    OutOfStock,
    ReservationClosed,
    UnknownSku,
)

__all__ = [
    "Reservation",
    "ReservationLine",
    "ReservationStatus",
    "Sku",
    "reserve",
    "sum_quantities",
]


def _positive(quantity: int, what: str = "quantity") -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise InvalidQuantity(f"{what} must be a positive integer, got {quantity!r}")
    return quantity


@dataclass(eq=False)
class Sku:
    """One SKU (an aggregate): its name, unit price and where its stock is.

    ``version`` counts the stored changes; the repository uses it to detect a
    concurrent change.
    """

    code: str
    name: str
    unit_price_cents: int
    available: int = 0
    reserved: int = 0
    sold: int = 0
    version: int = 0

    def __post_init__(self) -> None:
        if not self.code:
            raise InvalidQuantity("a SKU needs a code")
        if not self.name:
            raise InvalidQuantity(f"SKU {self.code} needs a name")
        if self.unit_price_cents < 0:
            raise InvalidQuantity(f"SKU {self.code}: price must not be negative")
        if min(self.available, self.reserved, self.sold) < 0:
            raise InvalidQuantity(f"SKU {self.code}: stock must not be negative")

    @property
    def total(self) -> int:
        """Every unit ever stocked: available + reserved + sold."""
        return self.available + self.reserved + self.sold

    def restock(self, quantity: int) -> None:
        """Add ``quantity`` units to what is available."""
        self.available += _positive(quantity)

    def can_hold(self, quantity: int) -> bool:
        """True when ``quantity`` units are available."""
        return _positive(quantity) <= self.available

    def hold(self, quantity: int) -> None:
        """Move ``quantity`` units from available to reserved (raises :class:`OutOfStock`)."""
        if not self.can_hold(quantity):
            raise OutOfStock(self.code, quantity, self.available)
        self.available -= quantity
        self.reserved += quantity

    def sell(self, quantity: int) -> None:
        """Move ``quantity`` held units to sold."""
        self._take_reserved(quantity)
        self.sold += quantity

    def unhold(self, quantity: int) -> None:
        """Move ``quantity`` held units back to available."""
        self._take_reserved(quantity)
        self.available += quantity

    def _take_reserved(self, quantity: int) -> None:
        if _positive(quantity) > self.reserved:
            # Only a reservation's own lines are ever moved, so this is a broken record.
            raise InvalidQuantity(
                f"SKU {self.code}: cannot move {quantity} held units, {self.reserved} held"
            )
        self.reserved -= quantity


class ReservationStatus(enum.StrEnum):
    """Where a reservation is: ``held``, then ``committed`` or ``released`` for good."""

    HELD = "held"
    COMMITTED = "committed"
    RELEASED = "released"


@dataclass(frozen=True)
class ReservationLine:
    """Units of one SKU held by a reservation, at the price when they were reserved."""

    sku: str
    quantity: int
    unit_price_cents: int

    @property
    def total_cents(self) -> int:
        """Quantity times unit price."""
        return self.quantity * self.unit_price_cents


@dataclass(eq=False)
class Reservation:
    """Stock held for one order (an aggregate)."""

    reservation_id: str
    order_id: str
    lines: tuple[ReservationLine, ...]
    status: ReservationStatus = ReservationStatus.HELD
    version: int = 0

    def __post_init__(self) -> None:
        if not self.lines:
            raise InvalidQuantity("a reservation needs at least one line")
        if len(self.skus) != len(self.lines):
            raise InvalidQuantity("a reservation has one line per SKU")

    @property
    def total_cents(self) -> int:
        """What the reserved units cost, at reservation-time prices."""
        return sum(line.total_cents for line in self.lines)

    @property
    def skus(self) -> frozenset[str]:
        """The SKUs this reservation holds stock of."""
        return frozenset(line.sku for line in self.lines)

    def commit(self, skus: Mapping[str, Sku]) -> bool:
        """Sell the held units; True when something changed (False: already committed).

        Raises :class:`ReservationClosed` when the reservation was released.
        """
        return self._close(ReservationStatus.COMMITTED, skus)

    def release(self, skus: Mapping[str, Sku]) -> bool:
        """Give the held units back; True when something changed (False: already released).

        Raises :class:`ReservationClosed` when the reservation was committed.
        """
        return self._close(ReservationStatus.RELEASED, skus)

    def _close(self, target: ReservationStatus, skus: Mapping[str, Sku]) -> bool:
        if self.status is target:
            return False
        if self.status is not ReservationStatus.HELD:
            raise ReservationClosed(self.reservation_id, self.status.value)
        for line in self.lines:
            sku = skus.get(line.sku)
            if sku is None:
                raise UnknownSku(line.sku)
            if target is ReservationStatus.COMMITTED:
                sku.sell(line.quantity)
            else:
                sku.unhold(line.quantity)
        self.status = target
        return True


def sum_quantities(items: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Quantities per SKU, a SKU listed twice counted once with the sum, in first-seen order."""
    totals: dict[str, int] = {}
    for sku, quantity in items:
        totals[sku] = totals.get(sku, 0) + _positive(quantity)
    return totals


def reserve(
    reservation_id: str,
    order_id: str,
    items: Iterable[tuple[str, int]],
    skus: Mapping[str, Sku],
) -> Reservation:
    """Hold stock of every item for ``order_id``, all or nothing.

    Every SKU is checked before any stock moves: an unknown one raises
    :class:`UnknownSku`, a short one :class:`OutOfStock`, and then nothing has changed.
    Lines are priced at each SKU's current unit price.
    """
    wanted = sum_quantities(items)
    if not wanted:
        raise InvalidQuantity("a reservation needs at least one item")
    for code in wanted:
        if code not in skus:
            raise UnknownSku(code)
    for code, quantity in wanted.items():
        if not skus[code].can_hold(quantity):
            raise OutOfStock(code, quantity, skus[code].available)
    lines = []
    for code, quantity in wanted.items():
        sku = skus[code]
        sku.hold(quantity)
        lines.append(ReservationLine(code, quantity, sku.unit_price_cents))
    return Reservation(reservation_id, order_id, tuple(lines))
