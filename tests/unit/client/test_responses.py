"""How answers become results or errors: the client's half of the error table."""

from __future__ import annotations

import httpx
import pytest

from accord.errors import (
    FieldError,
    RemoteError,
    TransportError,
    UnexpectedResponse,
    ValidationDetails,
    ValidationFailed,
)
from tests.support.processes import free_port
from tests.unit.client.catalog import (
    ITEM,
    Catalog,
    ItemRef,
    Line,
    OutOfStock,
    OutOfStockInfo,
    PlaceOrder,
    UnknownItem,
)
from tests.unit.client.conftest import Recorder

pytestmark = pytest.mark.anyio

ORDER = PlaceOrder(lines=[Line(sku="A-1", qty=3)])


def problem(status: int, code: str, detail: str, **members: object) -> httpx.Response:
    body = {
        "type": f"https://errors.test/{code}",
        "title": "t",
        "status": status,
        "detail": detail,
        "code": code,
        "trace_id": "0" * 32,
        "correlation_id": "c-1",
        "instance": "/v1/orders",
        **members,
    }
    return httpx.Response(
        status, json=body, headers={"content-type": "application/problem+json; charset=utf-8"}
    )


def client(transport: httpx.AsyncBaseTransport) -> Catalog:
    return Catalog.client("http://catalog.test", transport=transport)


async def test_a_declared_error_comes_back_as_its_class_with_typed_info(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: problem(
        409, "catalog.out_of_stock", "only 1 left of A-1", sku="A-1", available=1
    )
    async with client(transport) as c:
        with pytest.raises(OutOfStock) as caught:
            await c.place(ORDER)
    err = caught.value
    assert err.detail == "only 1 left of A-1"
    assert err.info == OutOfStockInfo(sku="A-1", available=1)
    assert err.problem["correlation_id"] == "c-1"  # type: ignore[attr-defined]


async def test_a_contract_wide_standard_error_is_typed_too(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: problem(
        422,
        "validation_failed",
        "Expected `int` at $.lines[0].qty",
        errors=[{"path": "$.lines[0].qty", "message": "Expected `int`"}],
    )
    async with client(transport) as c:
        with pytest.raises(ValidationFailed) as caught:
            await c.place(ORDER)
    assert caught.value.info == ValidationDetails(
        errors=[FieldError(path="$.lines[0].qty", message="Expected `int`")]
    )


async def test_info_that_does_not_fit_still_raises_the_declared_class(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: problem(409, "catalog.out_of_stock", "gone", sku="A-1")
    async with client(transport) as c:
        with pytest.raises(OutOfStock) as caught:
            await c.place(ORDER)
    assert caught.value.info is None
    assert caught.value.problem["sku"] == "A-1"  # type: ignore[attr-defined]


async def test_an_error_the_operation_does_not_declare_is_remote(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    # catalog.out_of_stock is declared on ``place``, not on ``get_item``.
    recorder.respond = lambda _: problem(409, "catalog.out_of_stock", "nope", sku="A-1")
    async with client(transport) as c:
        with pytest.raises(RemoteError) as caught:
            await c.get_item(ItemRef(sku="A-1"))
    err = caught.value
    assert (err.status, err.code, err.detail) == (409, "catalog.out_of_stock", "nope")
    assert err.problem["sku"] == "A-1"
    assert not isinstance(err, OutOfStock)


async def test_an_unknown_code_is_remote(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: problem(429, "shop.slow_down", "slow down")
    async with client(transport) as c:
        with pytest.raises(RemoteError) as caught:
            await c.get_item(ItemRef(sku="A-1"))
    assert caught.value.code == "shop.slow_down"
    assert caught.value.retryable


async def test_an_error_without_a_problem_body_is_remote_with_a_synthesized_problem(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: httpx.Response(
        502, text="upstream connect error", headers={"content-type": "text/plain"}
    )
    async with client(transport) as c:
        with pytest.raises(RemoteError) as caught:
            await c.get_item(ItemRef(sku="A-1"))
    err = caught.value
    assert err.status == 502
    assert err.code == "http_502"
    assert err.problem["title"] == "Bad Gateway"
    assert err.detail == "upstream connect error"


async def test_a_plain_json_error_is_not_mistaken_for_a_problem(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: httpx.Response(404, json={"code": "catalog.unknown_item"})
    async with client(transport) as c:
        with pytest.raises(RemoteError) as caught:
            await c.get_item(ItemRef(sku="A-1"))
    assert caught.value.code == "http_404"
    assert not isinstance(caught.value, UnknownItem)


async def test_a_problem_without_a_code_is_remote(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: httpx.Response(
        404,
        json={"title": "Not Found", "status": 404},
        headers={"content-type": "application/problem+json"},
    )
    async with client(transport) as c:
        with pytest.raises(RemoteError) as caught:
            await c.get_item(ItemRef(sku="A-1"))
    assert caught.value.code == "http_404"
    assert caught.value.problem["title"] == "Not Found"


async def test_a_body_that_breaks_the_schema_names_the_operation_and_the_path(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: httpx.Response(
        201, json={"order_id": "o-1", "items": [{"sku": "A-1", "qty": "two"}]}
    )
    async with client(transport) as c:
        with pytest.raises(UnexpectedResponse) as caught:
            await c.place(ORDER)
    assert str(caught.value) == (
        "catalog.place: response does not match OrderPlaced: "
        "Expected `int`, got `str` at `$.items[0].qty`"
    )
    assert caught.value.status == 201


async def test_a_missing_field_is_named(recorder: Recorder, transport: httpx.MockTransport) -> None:
    recorder.respond = lambda _: httpx.Response(200, json={"sku": "A-1", "name": "Anvil"})
    async with client(transport) as c:
        with pytest.raises(UnexpectedResponse, match=r"missing required field `price_cents`"):
            await c.get_item(ItemRef(sku="A-1"))


async def test_a_non_json_success_is_unexpected(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: httpx.Response(200, html="<h1>hello</h1>")
    async with client(transport) as c:
        wrong = r"catalog\.get_item: expected a JSON response, got text/html with status 200"
        with pytest.raises(UnexpectedResponse, match=wrong):
            await c.get_item(ItemRef(sku="A-1"))


async def test_invalid_json_is_unexpected(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: httpx.Response(
        200, content=b"{not json", headers={"content-type": "application/json"}
    )
    async with client(transport) as c:
        with pytest.raises(UnexpectedResponse, match=r"catalog\.get_item: .*not valid JSON"):
            await c.get_item(ItemRef(sku="A-1"))


async def test_a_json_suffix_media_type_is_json(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: httpx.Response(
        200, json=ITEM, headers={"content-type": "application/vnd.catalog+json"}
    )
    async with client(transport) as c:
        assert (await c.get_item(ItemRef(sku="A-1"))).sku == "A-1"


async def test_a_connect_error_is_a_transport_error(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    recorder.respond = refuse
    async with client(transport) as c:
        with pytest.raises(TransportError) as caught:
            await c.get_item(ItemRef(sku="A-1"))
    message = str(caught.value)
    assert "catalog.get_item" in message
    assert "http://catalog.test/v1/items/A-1" in message
    assert "ConnectError: connection refused" in message
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


async def test_nothing_listening_on_loopback_is_a_transport_error() -> None:
    port = free_port()
    async with Catalog.client(f"http://127.0.0.1:{port}") as c:
        with pytest.raises(TransportError, match=rf"127\.0\.0\.1:{port}/v1/items/A-1"):
            await c.get_item(ItemRef(sku="A-1"))


async def test_a_read_error_mid_response_is_a_transport_error(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    def reset(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("peer closed connection", request=request)

    recorder.respond = reset
    async with client(transport) as c:
        with pytest.raises(TransportError, match="RemoteProtocolError"):
            await c.place(ORDER)


async def test_a_transport_error_without_a_message_still_says_what_happened(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    def reset(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("", request=request)

    recorder.respond = reset
    async with client(transport) as c:
        with pytest.raises(TransportError, match=r"ReadError: no detail$"):
            await c.get_item(ItemRef(sku="A-1"))
