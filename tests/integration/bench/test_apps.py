"""Every benchmarked app does the same work: same answers, same validation."""

from __future__ import annotations

import importlib
import os
import re
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


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("name", "traced_all"), [("accord_sampled", False), ("accord_traced_all", True)]
)
async def test_accord_variants_observe_every_request(
    name: str, traced_all: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The accord variants do the work they claim: a log line, a metric, spans as sampled."""
    from accord.observability.otlp_json import decode_line

    variant = VARIANTS[name]
    for key in [k for k in os.environ if k.startswith("OTEL_")]:
        monkeypatch.delenv(key)
    for key, value in variant.env.items():
        monkeypatch.setenv(key, value.replace("{tmp}", str(tmp_path)))
    module: Any = importlib.import_module(variant.module)
    app = module.create_app()
    n = 200
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench"
    ) as http:
        for i in range(n):
            headers = {**JSON, "x-correlation-id": f"cid-{i}"}
            response = await http.post(variant.paths()["order"], content=ORDER, headers=headers)
            assert response.headers["x-correlation-id"] == f"cid-{i}"
        metrics = (await http.get("/metrics")).text
    app.telemetry.shutdown()

    lines = [
        msgspec.json.decode(line) for line in (tmp_path / "requests.log").read_bytes().splitlines()
    ]
    requests = [r for r in lines if r.get("event") == "request" and r.get("route") == "/v1/orders"]
    assert [r["correlation_id"] for r in requests] == [f"cid-{i}" for i in range(n)]
    count = re.search(
        r'http_server_request_duration_seconds_count\{[^}]*http_route="/v1/orders"[^}]*\} (\S+)',
        metrics,
    )
    assert count is not None and float(count.group(1)) == n
    spans = [
        span
        for line in (tmp_path / "telemetry" / "bench.jsonl").read_text().splitlines()
        for span in decode_line(line)
        if span.name == "POST /v1/orders"
    ]
    if traced_all:
        assert len(spans) == n
    else:  # 10% of root traces: 20 expected; more than 60 of 200 is out of reach
        assert len(spans) < 60
