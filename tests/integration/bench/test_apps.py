"""Every benchmarked app does the same work: same answers, same validation."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from bench.harness.variants import BAD_ORDER, ORDER, ORDER_TOTAL, VARIANTS

JSON = {"content-type": "application/json"}


@pytest.fixture(params=list(VARIANTS))
async def client(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    variant = VARIANTS[request.param]
    for key, value in variant.env.items():
        monkeypatch.setenv(key, value.replace("{tmp}", str(tmp_path)))
    module: Any = importlib.import_module(variant.module)
    app = module.create_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        yield http, variant.paths()
    telemetry = getattr(app, "telemetry", None)
    if telemetry is not None:
        telemetry.shutdown()


@pytest.mark.anyio
async def test_ping(client: tuple[httpx.AsyncClient, dict[str, str]]) -> None:
    http, paths = client
    response = await http.get(paths["ping"])
    assert response.status_code == 200
    assert response.json() == {"ok": True}


@pytest.mark.anyio
async def test_order_is_placed(client: tuple[httpx.AsyncClient, dict[str, str]]) -> None:
    http, paths = client
    response = await http.post(paths["order"], content=ORDER, headers=JSON)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"order_id", "total_items"}
    assert body["total_items"] == ORDER_TOTAL
    again = (await http.post(paths["order"], content=ORDER, headers=JSON)).json()
    assert isinstance(body["order_id"], str)
    assert again["order_id"] != body["order_id"]


def _order(**changes: Any) -> bytes:
    order = msgspec.json.decode(ORDER)
    order.update(changes)
    return msgspec.json.encode({k: v for k, v in order.items() if v is not None})


@pytest.mark.anyio
@pytest.mark.parametrize(
    "body",
    [
        BAD_ORDER,
        _order(items=[]),
        _order(items=[{"sku": "SKU-1", "qty": 1}] * 51),
        _order(items=[{"sku": "SKU-1", "qty": "one"}]),
        _order(customer_id=42),
        b'{"customer_id": "c", "items": [',
    ],
    ids=["zero-qty", "no-items", "51-items", "qty-not-int", "customer-not-str", "broken-json"],
)
async def test_invalid_orders_get_422(
    client: tuple[httpx.AsyncClient, dict[str, str]], body: bytes
) -> None:
    http, paths = client
    response = await http.post(paths["order"], content=body, headers=JSON)
    assert response.status_code == 422


@pytest.mark.anyio
async def test_note_is_optional(client: tuple[httpx.AsyncClient, dict[str, str]]) -> None:
    http, paths = client
    body = _order(note=None)
    assert b"note" not in body
    response = await http.post(paths["order"], content=body, headers=JSON)
    assert response.status_code == 201
