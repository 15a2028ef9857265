"""A small contract that exercises every binding a client has to get right."""

from __future__ import annotations

from typing import Annotated

import msgspec

from accord import Contract, Idempotency, ServiceError, operation


class ItemRef(msgspec.Struct, kw_only=True):
    sku: str


class Item(msgspec.Struct, kw_only=True):
    sku: str
    name: str
    price_cents: int


class Search(msgspec.Struct, kw_only=True):
    q: str
    tags: list[str] = []
    limit: int = 10
    in_stock: bool | None = None


class ItemList(msgspec.Struct, kw_only=True):
    items: list[Item]


class Line(msgspec.Struct, kw_only=True):
    sku: str
    qty: Annotated[int, msgspec.Meta(gt=0)]


class PlaceOrder(msgspec.Struct, kw_only=True):
    lines: list[Line]


class OrderPlaced(msgspec.Struct, kw_only=True):
    order_id: str
    items: list[Line]


class SetPrice(msgspec.Struct, kw_only=True):
    sku: str
    price_cents: int


class Nap(msgspec.Struct, kw_only=True):
    seconds: float


class Slept(msgspec.Struct, kw_only=True):
    seconds: float


class UnknownItemInfo(msgspec.Struct, kw_only=True):
    sku: str


class OutOfStockInfo(msgspec.Struct, kw_only=True):
    sku: str
    available: int


class UnknownItem(ServiceError[UnknownItemInfo], code="catalog.unknown_item", status=404):
    """Unknown item"""


class OutOfStock(ServiceError[OutOfStockInfo], code="catalog.out_of_stock", status=409):
    """Not enough stock"""


class Catalog(Contract, name="catalog", version="1.2.0"):
    """Items, their prices, and orders placed against them."""

    get_item = operation(
        ItemRef,
        Item,
        method="GET",
        path="/items/{sku}",
        idempotency=Idempotency.READ_ONLY,
        errors=(UnknownItem,),
    )
    search = operation(
        Search, ItemList, method="GET", path="/items", idempotency=Idempotency.READ_ONLY
    )
    place = operation(
        PlaceOrder,
        OrderPlaced,
        method="POST",
        path="/orders",
        status=201,
        idempotency=Idempotency.REQUIRES_KEY,
        timeout=1.0,
        errors=(OutOfStock, UnknownItem),
    )
    set_price = operation(
        SetPrice, Item, method="PUT", path="/items/{sku}/price", errors=(UnknownItem,)
    )
    nap = operation(Nap, Slept, method="POST", path="/nap", timeout=0.2)


ITEM = {"sku": "A-1", "name": "Anvil", "price_cents": 1999}
