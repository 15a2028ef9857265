"""The inventory contract: SKUs, their stock, and reservations against it.

Stock of a SKU is split three ways — available, reserved, sold — and the sum never
changes except by a restock. A reservation holds stock for an order until it is
committed (sold) or released (available again).
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from accord import Contract, Idempotency, ServiceError, operation
from accord.contract import create, read

__all__ = [
    "Inventory",
    "ListReservations",
    "ListStock",
    "OrderRef",
    "OutOfStock",
    "OutOfStockInfo",
    "Reservation",
    "ReservationClosed",
    "ReservationLine",
    "ReservationList",
    "ReservationNotFound",
    "ReservationRef",
    "ReserveItem",
    "ReserveStock",
    "Restock",
    "SkuRef",
    "Stock",
    "StockList",
    "UnknownSku",
    "UnknownSkuInfo",
]

SkuCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9][A-Z0-9-]{0,63}$")]
Quantity = Annotated[int, msgspec.Meta(gt=0, le=10_000)]
MAX_UNIT_PRICE_CENTS = 100_000_000_000_000
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class Stock(msgspec.Struct, kw_only=True):
    """A SKU, its price and where its stock is."""

    sku: str
    name: str
    unit_price_cents: int
    available: int
    reserved: int
    sold: int


class StockList(msgspec.Struct, kw_only=True):
    items: list[Stock]


class SkuRef(msgspec.Struct, kw_only=True):
    sku: SkuCode


class ListStock(msgspec.Struct, kw_only=True):
    limit: Annotated[int, msgspec.Meta(ge=1, le=500)] = 100


class Restock(msgspec.Struct, kw_only=True):
    """Add stock to a SKU, creating it (with name and price) when it is new."""

    sku: SkuCode
    quantity: Quantity
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    #: At most a hundred thousand billion cents, so a price times the largest quantity
    #: still fits the 64-bit integers every database stores amounts in.
    unit_price_cents: Annotated[int, msgspec.Meta(ge=0, le=MAX_UNIT_PRICE_CENTS)] | None = None


class ReserveItem(msgspec.Struct, kw_only=True):
    sku: SkuCode
    quantity: Quantity


class ReserveStock(msgspec.Struct, kw_only=True):
    """Hold stock of every item for one order, all or nothing."""

    order_id: Id
    items: Annotated[list[ReserveItem], msgspec.Meta(min_length=1, max_length=50)]


class ReservationLine(msgspec.Struct, kw_only=True):
    sku: str
    quantity: int
    unit_price_cents: int


class Reservation(msgspec.Struct, kw_only=True):
    reservation_id: str
    order_id: str
    status: Literal["held", "committed", "released"]
    lines: list[ReservationLine]
    total_cents: int


class ReservationRef(msgspec.Struct, kw_only=True):
    reservation_id: Id


class OrderRef(msgspec.Struct, kw_only=True):
    order_id: Id


class ListReservations(msgspec.Struct, kw_only=True):
    """Reservations in id order, of one status or one order when asked; a page starts
    after the reservation id ``after``."""

    status: Literal["held", "committed", "released"] | None = None
    order_id: Id | None = None
    after: Id | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 100


class ReservationList(msgspec.Struct, kw_only=True):
    reservations: list[Reservation]


class UnknownSkuInfo(msgspec.Struct, kw_only=True):
    sku: str


class OutOfStockInfo(msgspec.Struct, kw_only=True):
    sku: str
    requested: int
    available: int


class UnknownSku(ServiceError[UnknownSkuInfo], code="inventory.unknown_sku", status=404):
    """Unknown SKU"""


class OutOfStock(ServiceError[OutOfStockInfo], code="inventory.out_of_stock", status=409):
    """Not enough stock"""


class ReservationNotFound(ServiceError[None], code="inventory.reservation_not_found", status=404):
    """Reservation not found"""


class ReservationClosed(ServiceError[None], code="inventory.reservation_closed", status=409):
    """Reservation already closed the other way"""


class Inventory(Contract, name="inventory", version="1.3.0"):
    """Stock of every SKU, and reservations that hold it for orders."""

    list_stock = read(ListStock, StockList, "/skus", timeout=2.0, scopes=("inventory:read",))
    get_stock = read(
        SkuRef, Stock, "/skus/{sku}", timeout=2.0, scopes=("inventory:read",), errors=(UnknownSku,)
    )
    restock = operation(
        Restock,
        Stock,
        method="POST",
        path="/skus/{sku}/restock",
        idempotency=Idempotency.REQUIRES_KEY,
        timeout=2.0,
        scopes=("inventory:admin",),
        errors=(UnknownSku,),
    )
    reserve = create(
        ReserveStock,
        Reservation,
        "/reservations",
        timeout=2.0,
        scopes=("inventory:reserve",),
        errors=(UnknownSku, OutOfStock),
    )
    list_reservations = read(
        ListReservations, ReservationList, "/reservations", timeout=2.0, scopes=("inventory:read",)
    )
    reservation_for_order = read(
        OrderRef,
        Reservation,
        "/orders/{order_id}/reservation",
        timeout=2.0,
        scopes=("inventory:reserve",),
        errors=(ReservationNotFound,),
    )
    get_reservation = read(
        ReservationRef,
        Reservation,
        "/reservations/{reservation_id}",
        timeout=2.0,
        scopes=("inventory:read",),
        errors=(ReservationNotFound,),
    )
    commit = operation(
        ReservationRef,
        Reservation,
        method="POST",
        path="/reservations/{reservation_id}/commit",
        idempotency=Idempotency.IDEMPOTENT,
        timeout=2.0,
        scopes=("inventory:reserve",),
        errors=(ReservationNotFound, ReservationClosed),
    )
    release = operation(
        ReservationRef,
        Reservation,
        method="POST",
        path="/reservations/{reservation_id}/release",
        idempotency=Idempotency.IDEMPOTENT,
        timeout=2.0,
        scopes=("inventory:reserve",),
        errors=(ReservationNotFound, ReservationClosed),
    )
