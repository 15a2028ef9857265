"""A request of the wrong type; mypy must reject it."""

from __future__ import annotations

from shop.inventory.contract import Inventory, SkuRef


async def reserve(url: str) -> None:
    async with Inventory.client(url) as client:
        await client.reserve(SkuRef(sku="SKU-1"))
