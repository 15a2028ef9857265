"""Layers declare the headers they read; the pipeline picks them out and names no layer."""

from __future__ import annotations

from typing import Any

import httpx
import msgspec
import pytest

from accord import Contract, operation
from accord.contract import Operation
from accord.runtime import App, Request
from accord.runtime.layers import Handler, reads_of
from accord.runtime.responses import Response

pytestmark = pytest.mark.anyio


class Ping(msgspec.Struct):
    pass


class Pong(msgspec.Struct):
    ok: bool


class Echo(Contract, name="echo", version="1.0.0"):
    ping = operation(Ping, Pong, method="GET", path="/ping")


class Service:
    async def ping(self, request: Ping) -> Pong:
        return Pong(ok=True)


class Recording:
    """A layer of the test's own: reads one declared header and one undeclared."""

    reads = frozenset({b"x-tenant"})

    def __init__(self) -> None:
        self.seen: list[tuple[Any, Any, Any]] = []

    def wrap(self, operation: Operation[Any, Any], handler: Handler) -> Handler:
        async def record(request: Request) -> Response:
            self.seen.append(
                (
                    request.headers.get(b"x-tenant", "not picked"),
                    request.header(b"x-tenant"),
                    request.header(b"x-other"),
                )
            )
            return await handler(request)

        return record


async def test_a_new_layer_gets_its_declared_header_picked_out_and_any_other_by_name() -> None:
    layer = Recording()
    app = App(Echo, Service(), layers=[layer])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://echo.test") as client:
        sent = await client.get("/v1/ping", headers={"x-tenant": "t1", "x-other": "o"})
        bare = await client.get("/v1/ping")
    assert (sent.status_code, bare.status_code) == (200, 200)
    assert layer.seen == [(b"t1", b"t1", b"o"), (None, None, None)]


async def test_the_first_of_repeated_headers_is_the_one_read() -> None:
    layer = Recording()
    app = App(Echo, Service(), layers=[layer])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://echo.test") as client:
        answer = await client.get("/v1/ping", headers=[("x-tenant", "a"), ("x-tenant", "b")])
    assert answer.status_code == 200
    assert layer.seen == [(b"a", b"a", None)]


async def test_a_repeated_once_only_header_is_refused_before_any_layer_runs() -> None:
    layer = Recording()
    app = App(Echo, Service(), layers=[layer])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://echo.test") as client:
        answer = await client.get(
            "/v1/ping", headers=[("authorization", "Bearer a"), ("authorization", "Bearer b")]
        )
    assert answer.status_code == 400
    assert answer.json()["code"] == "duplicate_header"
    assert layer.seen == []


def test_reads_of_gathers_every_declaration_and_ignores_parts_without_one() -> None:
    assert reads_of(Recording(), object(), Recording()) == frozenset({b"x-tenant"})


def test_a_request_made_by_hand_finds_headers_in_its_scope() -> None:
    scope = {"type": "http", "method": "POST", "path": "/", "headers": [(b"content-type", b"x/y")]}
    request = Request(scope, None, {})  # type: ignore[arg-type]
    assert request.content_type == b"x/y"
    assert request.header(b"content-type") == b"x/y"
    assert request.header(b"absent") is None


def test_a_repeat_a_proxy_joined_with_a_comma_is_still_a_repeat() -> None:
    from accord.errors import DuplicateHeader
    from accord.runtime.singletons import joined_repeat, refuse_repeated

    joined = [(b"authorization", b"Bearer garbage, Bearer eyJ.x.y")]
    assert joined_repeat(dict(joined)) == b"authorization"
    with pytest.raises(DuplicateHeader, match="the authorization header may appear once"):
        refuse_repeated(joined)
    assert joined_repeat({b"content-type": b"application/json; charset=utf-8"}) is None
    assert joined_repeat({b"content-type": b"application/json, text/plain"}) == b"content-type"
    refuse_repeated([(b"authorization", b"Bearer eyJ.x.y"), (b"idempotency-key", b"a,b")])
