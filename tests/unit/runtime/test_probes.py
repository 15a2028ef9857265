"""Liveness, readiness, metrics and OpenAPI answered by the runtime itself."""

from __future__ import annotations

import re

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
    await client.get("/v1/orders/ord-unlisted-id")
    await client.get("/v1/no/such/path/unlisted-tail")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    text = response.text
    assert "http_server_request_duration_seconds_bucket" in text
    assert 'http_route="/v1/orders/{order_id}"' in text
    assert 'http_route="unmatched"' in text
    assert "ord-unlisted-id" not in text
    assert "unlisted-tail" not in text
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


async def test_probes_are_counted_but_neither_traced_nor_logged(observed: Observed) -> None:
    app = App(Sample, SampleService(), telemetry=observed.telemetry)
    async with client_of(app) as c:
        for _ in range(3):
            assert (await c.get("/livez")).status_code == 200
            ready = await c.get("/readyz", headers={"x-correlation-id": "probe-1"})
            assert ready.status_code == 200
        assert ready.headers["x-correlation-id"] == "probe-1"
        metrics = (await c.get("/metrics")).text
    assert observed.requests() == [
        line for line in observed.requests() if line["path"] == "/metrics"
    ]
    assert [s.name for s in observed.spans.get_finished_spans()] == ["GET /metrics"]
    counted = [
        line
        for line in metrics.splitlines()
        if line.startswith("http_server_request_duration_seconds_count")
        and ('route="/readyz"' in line or 'route="/livez"' in line)
    ]
    assert len(counted) == 2, counted
    assert all(line.endswith(" 3.0") for line in counted), counted


async def test_a_probe_that_fails_writes_its_line_untraced(observed: Observed) -> None:
    app = App(Sample, SampleService(), telemetry=observed.telemetry)
    app.begin_shutdown()
    async with client_of(app) as c:
        response = await c.get("/readyz")
    assert response.status_code == 503
    assert response.json()["trace_id"] == "0" * 32
    [line] = observed.requests()
    assert (line["path"], line["status"], line["code"]) == ("/readyz", 503, "unavailable")
    assert observed.spans.get_finished_spans() == ()


async def test_probes_are_traced_and_logged_when_asked(observed: Observed) -> None:
    app = App(Sample, SampleService(), telemetry=observed.telemetry, quiet_probes=False)
    async with client_of(app) as c:
        assert (await c.get("/readyz")).status_code == 200
    assert [line["path"] for line in observed.requests()] == ["/readyz"]
    assert [s.name for s in observed.spans.get_finished_spans()] == ["GET /readyz"]


async def test_readyz_echoes_the_instance_it_was_given(observed: Observed) -> None:
    app = App(Sample, SampleService(), telemetry=observed.telemetry)
    async with client_of(app) as c:
        assert "accord-instance" not in (await c.get("/readyz")).headers
        app.identify("3f2a9c")
        assert (await c.get("/readyz")).headers["accord-instance"] == "3f2a9c"


async def test_docs_is_a_self_contained_reference_of_every_contract(observed: Observed) -> None:
    from tests.unit.runtime.sample import SampleServiceV2, SampleV2

    app = App(Sample, SampleService(), telemetry=observed.telemetry)
    app.mount(SampleV2, SampleServiceV2())
    async with client_of(app) as c:
        page = await c.get("/docs")
        documents = [(await c.get(f"/v{v}/openapi.json")).status_code for v in (1, 2)]
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "connect-src 'self'" in page.headers["content-security-policy"]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    html = page.text
    assert '"url":"/v1/openapi.json"' in html and '"url":"/v2/openapi.json"' in html
    assert documents == [200, 200]
    # Nothing is loaded from elsewhere: no external script, style, font or image.
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<script src" not in html and "<link" not in html
