"""What orders needs from inventory: reserve (held, or out of stock), commit, release.

Each response declares only what orders' gateway reads — every field its typed client
decodes, and the problem members it turns into ``OutOfStock`` — with type matching on
ids and numbers (the provider chooses the values) and a regex on each status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shop.inventory.contract import Inventory
from shop.orders.adapters.inventory import InventoryGateway
from shop.orders.domain.exceptions import OutOfStock
from shop.orders.domain.holds import PricedLine
from shop.orders.domain.model import RequestedItem
from tests.contract.consumer.recording import Need, State, match, path_like

__all__ = ["PROVIDER", "connect", "needs"]

PROVIDER = "inventory"

_JSON = "application/json"
_PROBLEM = "application/problem+json"
_KEY = r"^[!-~]{1,255}$"


def connect(url: str) -> InventoryGateway:
    """Orders' real inventory gateway, pointed at ``url``."""
    return InventoryGateway.connect(url)


def _reservation(reservation_id: str, order_id: str, status: str, sku: str, qty: int) -> object:
    return {
        "reservation_id": match.str(reservation_id),
        "order_id": match.str(order_id),
        "status": match.regex(status, regex=r"^(held|committed|released)$"),
        "lines": match.each_like(
            {
                "sku": match.str(sku),
                "quantity": match.int(qty),
                "unit_price_cents": match.int(120),
            }
        ),
        "total_cents": match.int(120 * qty),
    }


# -- reserve: stock is held -------------------------------------------------------------


def _declare_reserve(i: Any) -> None:
    (
        i.with_request("POST", Inventory.reserve.path)
        .with_header("Idempotency-Key", match.regex("ord-1001:reserve", regex=_KEY))
        .with_body({"order_id": "ord-1001", "items": [{"sku": "SKU-APPLE", "quantity": 2}]}, _JSON)
        .will_respond_with(201)
        .with_body(_reservation("res-1001", "ord-1001", "held", "SKU-APPLE", 2), _JSON)
    )


async def _exercise_reserve(gateway: InventoryGateway) -> None:
    hold = await gateway.reserve("ord-1001", [RequestedItem("SKU-APPLE", 2)])
    assert hold.reservation_id == "res-1001"
    assert hold.lines == (PricedLine("SKU-APPLE", 2, 120),)


# -- reserve: out of stock --------------------------------------------------------------


def _declare_out_of_stock(i: Any) -> None:
    (
        i.with_request("POST", Inventory.reserve.path)
        .with_header("Idempotency-Key", match.regex("ord-1002:reserve", regex=_KEY))
        .with_body({"order_id": "ord-1002", "items": [{"sku": "SKU-PEAR", "quantity": 5}]}, _JSON)
        .will_respond_with(409)
        .with_body(
            {
                "code": "inventory.out_of_stock",
                "sku": match.str("SKU-PEAR"),
                "requested": match.int(5),
                "available": match.int(2),
            },
            _PROBLEM,
        )
    )


async def _exercise_out_of_stock(gateway: InventoryGateway) -> None:
    with pytest.raises(OutOfStock) as caught:
        await gateway.reserve("ord-1002", [RequestedItem("SKU-PEAR", 5)])
    assert (caught.value.sku, caught.value.requested, caught.value.available) == (
        "SKU-PEAR",
        5,
        2,
    )


# -- commit and release -----------------------------------------------------------------


def _declare_close(
    action: str, reservation_id: str, order_id: str, status: str
) -> Callable[[Any], None]:
    op = Inventory.commit if action == "commit" else Inventory.release

    def declare(i: Any) -> None:
        (
            i.with_request("POST", path_like(op, reservation_id=reservation_id))
            .with_body({}, _JSON)
            .will_respond_with(200)
            .with_body(_reservation(reservation_id, order_id, status, "SKU-CHERRY", 1), _JSON)
        )

    return declare


async def _exercise_commit(gateway: InventoryGateway) -> None:
    assert await gateway.commit("res-2001") is None


async def _exercise_release(gateway: InventoryGateway) -> None:
    assert await gateway.release("res-3001") is None


def _held(reservation_id: str, order_id: str) -> State:
    return State(
        "a reservation is held",
        {
            "reservation_id": reservation_id,
            "order_id": order_id,
            "sku": "SKU-CHERRY",
            "quantity": 1,
        },
    )


def needs() -> list[Need[InventoryGateway]]:
    """Every interaction orders relies on, in the order orders makes them."""
    return [
        Need(
            "a request to reserve 2 SKU-APPLE for an order",
            (State("a SKU has stock", {"sku": "SKU-APPLE", "available": 5}),),
            _declare_reserve,
            _exercise_reserve,
        ),
        Need(
            "a request to reserve more SKU-PEAR than is available",
            (State("a SKU has stock", {"sku": "SKU-PEAR", "available": 2}),),
            _declare_out_of_stock,
            _exercise_out_of_stock,
        ),
        Need(
            "a request to commit a held reservation",
            (_held("res-2001", "ord-2001"),),
            _declare_close("commit", "res-2001", "ord-2001", "committed"),
            _exercise_commit,
        ),
        Need(
            "a request to release a held reservation",
            (_held("res-3001", "ord-3001"),),
            _declare_close("release", "res-3001", "ord-3001", "released"),
            _exercise_release,
        ),
    ]
