"""Bare Starlette with msgspec decoding and validation: the fast peer."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["PATHS", "create_app"]

#: Endpoint name → URL path.
PATHS = {"ping": "/ping", "order": "/orders"}


class Item(msgspec.Struct):
    """One line of an order."""

    sku: str
    qty: Annotated[int, msgspec.Meta(gt=0)]


class PlaceOrder(msgspec.Struct):
    """The order a client sends."""

    customer_id: str
    items: Annotated[list[Item], msgspec.Meta(min_length=1, max_length=50)]
    note: str | None = None


class OrderPlaced(msgspec.Struct):
    """What the server answers."""

    order_id: str
    total_items: int


_decoder = msgspec.json.Decoder(PlaceOrder)
_encoder = msgspec.json.Encoder()
_PONG = _encoder.encode({"ok": True})
_JSON = "application/json"


async def ping(request: Request) -> Response:
    """``GET /ping``."""
    return Response(_PONG, media_type=_JSON)


async def place_order(request: Request) -> Response:
    """``POST /orders``: decode and validate in one step, 422 on bad input."""
    try:
        order = _decoder.decode(await request.body())
    except msgspec.DecodeError as exc:  # ValidationError is a DecodeError
        return Response(_encoder.encode({"detail": str(exc)}), 422, media_type=_JSON)
    placed = OrderPlaced(
        order_id=uuid.uuid4().hex, total_items=sum(item.qty for item in order.items)
    )
    return Response(_encoder.encode(placed), 201, media_type=_JSON)


def create_app() -> Starlette:
    """The Starlette app with its two routes."""
    return Starlette(
        routes=[
            Route(PATHS["ping"], ping, methods=["GET"]),
            Route(PATHS["order"], place_order, methods=["POST"]),
        ]
    )
