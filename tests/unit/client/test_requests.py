"""What goes on the wire: method, path, query, body and headers."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from accord.observability.context import correlation_id
from tests.unit.client.catalog import ITEM, Catalog, ItemRef, Line, PlaceOrder, Search, SetPrice
from tests.unit.client.conftest import Recorder

pytestmark = pytest.mark.anyio

PLACED = {"order_id": "o-1", "items": [{"sku": "A-1", "qty": 2}]}


def client(transport: httpx.MockTransport, **kwargs: object) -> Catalog:
    return Catalog.client("http://catalog.test:8080/base", transport=transport, **kwargs)  # type: ignore[arg-type]


async def test_path_parameter_is_escaped_and_get_has_no_body(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: httpx.Response(200, json=ITEM)
    async with client(transport) as c:
        item = await c.get_item(ItemRef(sku="A/B C?#"))
    assert item.name == "Anvil"
    req = recorder.last
    assert req.method == "GET"
    assert req.url.raw_path == b"/base/v1/items/A%2FB%20C%3F%23"
    assert req.url.host == "catalog.test"
    assert req.content == b""
    assert "content-type" not in req.headers
    assert req.headers["accept"] == "application/json, application/problem+json"
    assert "idempotency-key" not in req.headers


async def test_get_fields_travel_in_the_query(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: httpx.Response(200, json={"items": [ITEM]})
    async with client(transport) as c:
        found = await c.search(Search(q="anvil & co", tags=["heavy", "iron"], in_stock=True))
    assert [i.sku for i in found.items] == ["A-1"]
    params = recorder.last.url.params
    assert params["q"] == "anvil & co"
    assert params.get_list("tags") == ["heavy", "iron"]
    assert params["limit"] == "10"
    assert params["in_stock"] == "true"


async def test_none_query_values_are_left_out(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: httpx.Response(200, json={"items": []})
    async with client(transport) as c:
        await c.search(Search(q="x"))
    assert "in_stock" not in recorder.last.url.params
    assert recorder.last.url.params.get_list("tags") == []


async def test_post_sends_the_json_body_and_an_idempotency_key(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: httpx.Response(201, json=PLACED)
    async with client(transport) as c:
        placed = await c.place(PlaceOrder(lines=[Line(sku="A-1", qty=2)]))
        await c.place(PlaceOrder(lines=[Line(sku="A-1", qty=2)]))
    assert placed.items == [Line(sku="A-1", qty=2)]
    first, second = recorder.requests
    assert first.method == "POST"
    assert first.url.path == "/base/v1/orders"
    assert first.headers["content-type"] == "application/json"
    assert json.loads(first.content) == {"lines": [{"sku": "A-1", "qty": 2}]}
    key = first.headers["idempotency-key"]
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    assert second.headers["idempotency-key"] != key, "each call gets its own key"


async def test_a_given_idempotency_key_is_sent(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: httpx.Response(201, json=PLACED)
    order = PlaceOrder(lines=[Line(sku="A-1", qty=2)])
    async with client(transport, headers={"Idempotency-Key": "from-client"}) as c:
        await c.place(order, idempotency_key="from-argument")
        await c.place(order, headers={"idempotency-key": "from-call"})
        await c.place(order)
    assert [r.headers["idempotency-key"] for r in recorder.requests] == [
        "from-argument",
        "from-call",
        "from-client",
    ]


async def test_path_parameters_are_not_repeated_in_the_body(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: httpx.Response(200, json=ITEM)
    async with client(transport) as c:
        await c.set_price(SetPrice(sku="A 1", price_cents=5))
    req = recorder.last
    assert req.method == "PUT"
    assert req.url.raw_path == b"/base/v1/items/A%201/price"
    assert json.loads(req.content) == {"price_cents": 5}


async def test_correlation_id_is_created_once_and_shared(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: httpx.Response(200, json=ITEM)
    assert correlation_id.get() is None
    async with client(transport) as c:
        await c.get_item(ItemRef(sku="A-1"))
        await c.get_item(ItemRef(sku="A-1"))
    sent = [r.headers["x-correlation-id"] for r in recorder.requests]
    assert re.fullmatch(r"[0-9a-f]{32}", sent[0])
    assert sent[0] == sent[1] == correlation_id.get()


async def test_the_current_correlation_id_is_sent(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: httpx.Response(200, json=ITEM)
    correlation_id.set("order-flow-42")
    async with client(transport) as c:
        await c.get_item(ItemRef(sku="A-1"))
    assert recorder.last.headers["x-correlation-id"] == "order-flow-42"


async def test_extra_headers_merge_but_cannot_replace_protocol_headers(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: httpx.Response(200, json=ITEM)
    base = {"authorization": "Bearer client", "x-tenant": "t1", "accept": "text/html"}
    async with client(transport, headers=base) as c:
        await c.get_item(
            ItemRef(sku="A-1"),
            headers={"authorization": "Bearer call", "traceparent": "00-bogus", "x-extra": "1"},
        )
    h = recorder.last.headers
    assert h["authorization"] == "Bearer call"
    assert h["x-tenant"] == "t1"
    assert h["x-extra"] == "1"
    assert h["accept"] == "application/json, application/problem+json"
    assert h.get_list("traceparent") != ["00-bogus"]
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}", h["traceparent"])


async def test_traceparent_is_sent_even_without_telemetry(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: httpx.Response(200, json=ITEM)
    async with client(transport) as c:
        await c.get_item(ItemRef(sku="A-1"))
    assert re.fullmatch(
        r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}", recorder.last.headers["traceparent"]
    )


async def test_a_request_of_the_wrong_type_is_refused(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    async with client(transport) as c:
        wrong = r"catalog\.get_item expects a ItemRef request, got Search"
        with pytest.raises(TypeError, match=wrong):
            await c.get_item(Search(q="x"))  # type: ignore[arg-type]
    assert recorder.requests == []
