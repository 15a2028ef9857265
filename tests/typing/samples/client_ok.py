"""Correct use of a typed client; checked by mypy, never run."""

from __future__ import annotations

from typing import reveal_type

from shop.inventory.contract import Inventory, Reservation, ReserveItem, ReserveStock, SkuRef


async def reserve(url: str) -> Reservation:
    client = Inventory.client(url, timeout=1.5)
    reveal_type(client)
    reveal_type(client.reserve)
    reservation = await client.reserve(
        ReserveStock(order_id="o-1", items=[ReserveItem(sku="SKU-1", quantity=2)]),
        idempotency_key="k-1",
        timeout=None,
    )
    reveal_type(reservation)
    stock = await client.get_stock(SkuRef(sku="SKU-1"), headers={"x-tenant": "t"})
    reveal_type(stock)
    await client.aclose()
    return reservation
