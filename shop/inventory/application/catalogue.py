"""The demo catalogue a fresh inventory starts with (unless told not to)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEMO_CATALOGUE", "CatalogueItem"]


@dataclass(frozen=True)
class CatalogueItem:
    """A SKU to create, with its first stock."""

    code: str
    name: str
    unit_price_cents: int
    quantity: int


#: Five SKUs, the last one nearly sold out.
DEMO_CATALOGUE: tuple[CatalogueItem, ...] = (
    CatalogueItem("SKU-APPLE", "Apple", 120, 1000),
    CatalogueItem("SKU-PEAR", "Pear", 95, 1000),
    CatalogueItem("SKU-COFFEE", "Coffee beans 1kg", 1899, 200),
    CatalogueItem("SKU-TEA", "Green tea", 650, 300),
    CatalogueItem("SKU-RARE-VINYL", "Rare vinyl", 4999, 3),
)
