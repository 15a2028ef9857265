"""The ``StockGateway`` port, spoken to the inventory service through its typed client."""

from __future__ import annotations

from collections.abc import Sequence

from shop.inventory.contract import (
    Inventory,
    OrderRef,
    Reservation,
    ReservationNotFound,
    ReservationRef,
    ReserveItem,
    ReserveStock,
)
from shop.inventory.contract import (
    OutOfStock as InventoryOutOfStock,
)
from shop.inventory.contract import (
    UnknownSku as InventoryUnknownSku,
)
from shop.orders.adapters.dependencies import dependency_errors
from shop.orders.adapters.gateway import Gateway
from shop.orders.domain.exceptions import OutOfStock, UnknownSku
from shop.orders.domain.holds import FoundStock, PricedLine, StockHold
from shop.orders.domain.model import RequestedItem

__all__ = ["InventoryGateway"]

_NAME = "inventory"


class InventoryGateway(Gateway[Inventory]):
    """Reserve, commit and release stock for orders.

    The reservation's idempotency key is derived from the order id, so sending it again
    (after a lost answer) cannot hold stock twice.
    """

    contract = Inventory

    async def reserve(self, order_id: str, items: Sequence[RequestedItem]) -> StockHold:
        """Hold every item, all or nothing; ``UnknownSku``/``OutOfStock`` otherwise."""
        request = ReserveStock(
            order_id=order_id,
            items=[ReserveItem(sku=item.sku, quantity=item.quantity) for item in items],
        )
        try:
            with dependency_errors(_NAME, declared=(InventoryUnknownSku, InventoryOutOfStock)):
                reservation = await self._client.reserve(
                    request, idempotency_key=f"{order_id}:reserve"
                )
        except InventoryUnknownSku as exc:
            raise UnknownSku(exc.info.sku if exc.info else "?") from exc
        except InventoryOutOfStock as exc:
            info = exc.info
            if info is None:
                raise OutOfStock("?", 0, 0) from exc
            raise OutOfStock(info.sku, info.requested, info.available) from exc
        return _hold(reservation)

    async def commit(self, reservation_id: str) -> None:
        """Turn the held stock into sold stock."""
        with dependency_errors(_NAME):
            await self._client.commit(ReservationRef(reservation_id=reservation_id))

    async def release(self, reservation_id: str) -> None:
        """Give the held stock back."""
        with dependency_errors(_NAME):
            await self._client.release(ReservationRef(reservation_id=reservation_id))

    async def find_for_order(self, order_id: str) -> FoundStock | None:
        """The order's reservation, priced, and its status (found by order id)."""
        try:
            with dependency_errors(_NAME, declared=(ReservationNotFound,)):
                reservation = await self._client.reservation_for_order(OrderRef(order_id=order_id))
        except ReservationNotFound:
            return None
        return FoundStock(_hold(reservation), reservation.status)

    async def release_for_order(self, order_id: str) -> int:
        """Release the reservation still held for the order (found by order id)."""
        found = await self.find_for_order(order_id)
        if found is None or found.status != "held":
            return 0
        await self.release(found.hold.reservation_id)
        return 1


def _hold(reservation: Reservation) -> StockHold:
    """Inventory's reservation in orders' words: the stock held, line by line, priced."""
    return StockHold(
        reservation_id=reservation.reservation_id,
        lines=tuple(
            PricedLine(line.sku, line.quantity, line.unit_price_cents) for line in reservation.lines
        ),
    )
