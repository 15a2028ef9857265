"""Bare FastAPI with pydantic models: the reference every ratio is computed against."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import FastAPI
from pydantic import BaseModel, Field

__all__ = ["PATHS", "create_app"]

#: Endpoint name → URL path.
PATHS = {"ping": "/ping", "order": "/orders"}


class Item(BaseModel):
    """One line of an order."""

    sku: str
    qty: Annotated[int, Field(gt=0)]


class PlaceOrder(BaseModel):
    """The order a client sends."""

    customer_id: str
    items: Annotated[list[Item], Field(min_length=1, max_length=50)]
    note: str | None = None


class OrderPlaced(BaseModel):
    """What the server answers."""

    order_id: str
    total_items: int


class Pong(BaseModel):
    """The ping answer."""

    ok: bool


def create_app() -> FastAPI:
    """The FastAPI app, with the docs routes off (they are not part of the benchmark)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get(PATHS["ping"])
    async def ping() -> Pong:
        return Pong(ok=True)

    @app.post(PATHS["order"], status_code=201)
    async def place_order(order: PlaceOrder) -> OrderPlaced:
        return OrderPlaced(
            order_id=uuid.uuid4().hex, total_items=sum(item.qty for item in order.items)
        )

    return app
