"""Using the response as the wrong type; mypy must reject it."""

from __future__ import annotations

from shop.inventory.contract import Inventory, ReservationRef, Stock


async def commit(url: str) -> Stock:
    async with Inventory.client(url) as client:
        return await client.commit(ReservationRef(reservation_id="r-1"))
