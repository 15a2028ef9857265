"""The inventory contract, implemented on the use cases.

Each method turns a contract request into a use-case call and the domain's answer into
the contract's response; domain exceptions become the contract's declared errors in one
table, :data:`ERRORS`, which the app answers every operation through (``errors=``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from accord.errors import BadRequest, ServiceError, Unavailable
from shop.common.listing import Listing
from shop.inventory.application.ports import ConcurrencyConflict
from shop.inventory.application.services import InventoryService
from shop.inventory.contract import (
    ListReservations,
    ListStock,
    OrderRef,
    OutOfStock,
    OutOfStockInfo,
    Reservation,
    ReservationClosed,
    ReservationLine,
    ReservationList,
    ReservationNotFound,
    ReservationRef,
    ReserveStock,
    Restock,
    SkuRef,
    Stock,
    StockList,
    UnknownSku,
    UnknownSkuInfo,
)
from shop.inventory.domain import exceptions as domain
from shop.inventory.domain import model

__all__ = ["ERRORS", "InventoryEndpoint"]


def _unknown_sku(e: domain.UnknownSku) -> ServiceError[Any]:
    return UnknownSku(f"no SKU {e.sku}", UnknownSkuInfo(sku=e.sku))


def _out_of_stock(e: domain.OutOfStock) -> ServiceError[Any]:
    return OutOfStock(
        f"{e.sku}: {e.requested} requested, {e.available} available",
        OutOfStockInfo(sku=e.sku, requested=e.requested, available=e.available),
    )


#: Domain exception → the contract error answered for it.
ERRORS: Mapping[type[Exception], Callable[[Any], ServiceError[Any]]] = {
    domain.UnknownSku: _unknown_sku,
    domain.OutOfStock: _out_of_stock,
    domain.ReservationNotFound: lambda e: ReservationNotFound(f"no reservation {e.reservation_id}"),
    domain.ReservationClosed: lambda e: ReservationClosed(
        f"reservation {e.reservation_id} is already {e.status}"
    ),
    domain.InvalidQuantity: lambda e: BadRequest(str(e)),
    ConcurrencyConflict: lambda e: Unavailable("too many concurrent changes; try again"),
}


def _stock(sku: model.Sku) -> Stock:
    return Stock(
        sku=sku.code,
        name=sku.name,
        unit_price_cents=sku.unit_price_cents,
        available=sku.available,
        reserved=sku.reserved,
        sold=sku.sold,
    )


def _reservation(r: model.Reservation) -> Reservation:
    return Reservation(
        reservation_id=r.reservation_id,
        order_id=r.order_id,
        status=r.status.value,
        lines=[
            ReservationLine(
                sku=line.sku, quantity=line.quantity, unit_price_cents=line.unit_price_cents
            )
            for line in r.lines
        ],
        total_cents=r.total_cents,
    )


class InventoryEndpoint:
    """Implements :class:`~shop.inventory.contract.Inventory` with :class:`InventoryService`."""

    def __init__(self, service: InventoryService) -> None:
        self._service = service

    async def list_stock(self, request: ListStock) -> StockList:
        """Up to ``limit`` SKUs, ordered by code."""
        skus = await self._service.list_stock(request.limit)
        return StockList(items=[_stock(s) for s in skus])

    async def get_stock(self, request: SkuRef) -> Stock:
        """One SKU and its stock."""
        return _stock(await self._service.get_stock(request.sku))

    async def restock(self, request: Restock) -> Stock:
        """Add stock, creating the SKU when name and price are given."""
        sku = await self._service.restock(
            request.sku,
            request.quantity,
            name=request.name,
            unit_price_cents=request.unit_price_cents,
        )
        return _stock(sku)

    async def reserve(self, request: ReserveStock) -> Reservation:
        """Hold every item for the order, all or nothing."""
        items = [(item.sku, item.quantity) for item in request.items]
        return _reservation(await self._service.reserve(request.order_id, items))

    async def list_reservations(self, request: ListReservations) -> ReservationList:
        """Reservations in id order, filtered by status and order when asked."""
        status = model.ReservationStatus(request.status) if request.status else None
        listing = Listing(
            status=status, order_id=request.order_id, after=request.after, limit=request.limit
        )
        found = await self._service.list_reservations(listing)
        return ReservationList(reservations=[_reservation(r) for r in found])

    async def reservation_for_order(self, request: OrderRef) -> Reservation:
        """The reservation of one order (what the order's own service looks up)."""
        return _reservation(await self._service.reservation_for_order(request.order_id))

    async def get_reservation(self, request: ReservationRef) -> Reservation:
        """One reservation."""
        return _reservation(await self._service.get_reservation(request.reservation_id))

    async def commit(self, request: ReservationRef) -> Reservation:
        """Sell what the reservation holds (idempotent)."""
        return _reservation(await self._service.commit(request.reservation_id))

    async def release(self, request: ReservationRef) -> Reservation:
        """Give back what the reservation holds (idempotent)."""
        return _reservation(await self._service.release(request.reservation_id))
