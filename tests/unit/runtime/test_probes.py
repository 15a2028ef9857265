"""Liveness, readiness, metrics and OpenAPI answered by the runtime itself."""

from __future__ import annotations

import anyio
import httpx
import pytest

from accord.runtime import App
from accord.runtime.probes import Probes
from accord.runtime.requests import Request
from tests.unit.runtime.conftest import Observed
from tests.unit.runtime.sample import Sample, SampleService

pytestmark = pytest.mark.anyio


def client_of(app: App) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_livez(client: httpx.AsyncClient) -> None:
    response = await client.get("/livez")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_runs_every_check(observed: Observed) -> None:
    calls: list[str] = []

    async def database() -> None:
        calls.append("database")

    async def cache() -> None:
        calls.append("cache")

    app = App(
        Sample,
        SampleService(),
        telemetry=observed.telemetry,
        readiness={"database": database, "cache": cache},
    )
    async with client_of(app) as c:
        response = await c.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "cache": "ok"}}
    assert sorted(calls) == ["cache", "database"]


async def test_failing_readiness_is_503_naming_the_check(observed: Observed) -> None:
    async def database() -> None:
        raise ConnectionRefusedError("db down at 10.0.0.5")

    async def cache() -> None:
        return None

    app = App(
        Sample,
        SampleService(),
        telemetry=observed.telemetry,
        readiness={"database": database, "cache": cache},
    )
    async with client_of(app) as c:
        response = await c.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "unavailable"
    assert "database" in body["detail"]
    assert "cache" not in body["detail"]
    assert body["checks"] == {"database": "failed: ConnectionRefusedError", "cache": "ok"}
    assert "10.0.0.5" not in response.text


async def test_slow_readiness_check_times_out() -> None:
    async def hangs() -> None:
        await anyio.sleep(10)

    probes = Probes(App(Sample, SampleService()).telemetry.metrics, {"slow": hangs}, timeout=0.05)
    request = Request({"type": "http", "method": "GET", "path": "/readyz"}, None, {})  # type: ignore[arg-type]
    with anyio.fail_after(2):
        with pytest.raises(Exception) as caught:
            await probes.readyz(request)
    assert getattr(caught.value, "checks", None) == {"slow": "timed out after 0.05s"}


async def test_readyz_is_503_once_shutdown_begins(app: App, client: httpx.AsyncClient) -> None:
    assert (await client.get("/readyz")).status_code == 200
    app.begin_shutdown()
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"
    assert "shutting down" in response.json()["detail"]
    assert (await client.get("/livez")).status_code == 200


async def test_metrics_are_labelled_with_the_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/v1/orders/12345")
    await client.get("/v1/no/such/path/9876")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    text = response.text
    assert "http_server_request_duration_seconds_bucket" in text
    assert 'http_route="/v1/orders/{order_id}"' in text
    assert 'http_route="unmatched"' in text
    assert "12345" not in text
    assert "9876" not in text
    assert 'http_response_status_code="200"' in text


async def test_openapi_documents_are_served(app: App, client: httpx.AsyncClient) -> None:
    from tests.unit.runtime.sample import SampleServiceV2, SampleV2

    app.mount(SampleV2, SampleServiceV2())
    first = await client.get("/openapi.json")
    assert first.status_code == 200
    assert first.json()["info"]["version"] == "1.2.0"
    assert (await client.get("/v1/openapi.json")).content == first.content
    second = await client.get("/v2/openapi.json")
    assert second.json()["info"]["version"] == "2.0.0"
