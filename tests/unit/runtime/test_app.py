"""The HTTP boundary of App: success, every problem answer, and contract checks."""

from __future__ import annotations

import httpx
import msgspec
import pytest

from accord.errors import ContractError, Unavailable
from accord.runtime import App
from tests.unit.runtime.conftest import Observed, call_raw
from tests.unit.runtime.sample import (
    SECRET,
    GetOrder,
    Order,
    Sample,
    SampleService,
    SampleServiceV2,
    SampleV2,
)

pytestmark = pytest.mark.anyio

ORDER = {"customer_id": "c-1", "items": [{"sku": "A", "qty": 2}, {"sku": "B", "qty": 3}]}
PROBLEM_MEMBERS = {
    "type",
    "title",
    "status",
    "detail",
    "code",
    "trace_id",
    "correlation_id",
    "instance",
}


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_MEMBERS
    assert body["type"] == f"urn:accord:problem:{code}"
    assert body["code"] == code
    assert body["status"] == status
    assert len(body["trace_id"]) == 32
    assert body["correlation_id"] == response.headers["x-correlation-id"]
    return body  # type: ignore[no-any-return]


async def test_valid_request_is_answered_with_the_operation_status(
    client: httpx.AsyncClient, service: SampleService
) -> None:
    response = await client.post("/v1/orders", json=ORDER)
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"order_id": "o-1", "total_items": 5}
    assert service.seen[0].items[1].qty == 3  # type: ignore[attr-defined]


async def test_invalid_field_is_422_pointing_at_it(client: httpx.AsyncClient) -> None:
    bad = {"customer_id": "c-1", "items": [{"sku": "A", "qty": 0}]}
    body = assert_problem(await client.post("/v1/orders", json=bad), 422, "validation_failed")
    assert body["errors"][0]["path"] == "$.items[0].qty"  # type: ignore[index]
    assert body["instance"] == "/v1/orders"


async def test_malformed_json_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/orders", content=b'{"customer_id": ', headers={"content-type": "application/json"}
    )
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"][0]["path"] == "$"  # type: ignore[index]


async def test_unknown_path_is_404(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/v1/nothing/here"), 404, "not_found")
    assert body["instance"] == "/v1/nothing/here"


async def test_wrong_method_is_405_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.delete("/v1/orders/42")
    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET"


async def test_body_that_is_not_json_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/orders", content=b"customer_id=c-1", headers={"content-type": "text/plain"}
    )
    assert_problem(response, 415, "unsupported_media_type")


async def test_vendor_json_media_type_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/orders",
        content=msgspec.json.encode(ORDER),
        headers={"content-type": "application/vnd.sample+json; charset=utf-8"},
    )
    assert response.status_code == 201


async def test_empty_body_is_decoded_as_none(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.post("/v1/orders"), 422, "validation_failed")
    assert "customer_id" in body["detail"]  # type: ignore[operator]


async def test_declared_content_length_over_the_limit_is_413_before_reading(app: App) -> None:
    result = await call_raw(
        app,
        "POST",
        "/v1/orders",
        headers=[(b"content-type", b"application/json"), (b"content-length", b"5000")],
        chunks=[b"{}"],
    )
    assert result.status == 413
    assert result.json()["code"] == "payload_too_large"
    assert result.received == 0


async def test_chunked_body_over_the_limit_is_413(app: App) -> None:
    result = await call_raw(
        app,
        "POST",
        "/v1/orders",
        headers=[(b"content-type", b"application/json")],
        chunks=[b"[" + b" " * 3000, b" " * 3000, b"]"],
    )
    assert result.status == 413
    assert result.headers[b"content-type"] == b"application/problem+json"
    assert result.received == 2


async def test_chunked_body_within_the_limit_is_read_whole(app: App) -> None:
    encoded = msgspec.json.encode(ORDER)
    result = await call_raw(
        app,
        "POST",
        "/v1/orders",
        headers=[(b"content-type", b"application/json")],
        chunks=[encoded[:10], encoded[10:20], encoded[20:]],
    )
    assert result.status == 201
    assert result.json()["total_items"] == 5


async def test_declared_error_keeps_code_status_and_members(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/v1/orders/missing"), 404, "sample.unknown_order")
    assert body["title"] == "No such order"
    assert body["detail"] == "order missing does not exist"
    assert body["order_id"] == "missing"


async def test_unexpected_exception_is_a_500_that_leaks_nothing(
    client: httpx.AsyncClient, observed: Observed
) -> None:
    response = await client.post("/v1/explode", json={})
    body = assert_problem(response, 500, "internal")
    for leak in (SECRET, "RuntimeError", "Traceback", ".py", "/home"):
        assert leak not in response.text
    errors = [line for line in observed.lines() if line["event"] == "unhandled_error"]
    assert len(errors) == 1
    assert "RuntimeError: " + SECRET in errors[0]["exception"]
    assert "Traceback" in errors[0]["exception"]
    assert errors[0]["trace_id"] == body["trace_id"]
    assert errors[0]["correlation_id"] == body["correlation_id"]
    assert errors[0]["level"] == "error"


async def test_service_error_the_operation_does_not_declare_is_a_500(
    client: httpx.AsyncClient, observed: Observed
) -> None:
    response = await client.post("/v1/wrong-error", json={})
    assert_problem(response, 500, "internal")
    assert "should not reach" not in response.text
    assert any(line["event"] == "undeclared_error" for line in observed.lines())


async def test_response_of_the_wrong_type_is_a_500(
    client: httpx.AsyncClient, observed: Observed
) -> None:
    assert_problem(await client.post("/v1/wrong-type", json={}), 500, "internal")
    logged = [line for line in observed.lines() if line["event"] == "unhandled_error"]
    assert "returned OrderPlaced, not Nothing" in logged[0]["exception"]


async def test_query_parameters_are_decoded_including_lists(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/v1/search", params=[("customer_id", "c-9"), ("tags", "a"), ("tags", "b"), ("limit", "3")]
    )
    assert response.json() == {"customer_id": "c-9", "limit": 3, "tags": ["a", "b"]}


async def test_bad_query_parameter_is_422_pointing_at_it(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/search", params={"customer_id": "c", "limit": "many"})
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"][0]["path"] == "$.limit"  # type: ignore[index]


async def test_instance_is_the_path_still_percent_encoded(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/orders/missing%20%C3%A9/x")
    body = assert_problem(response, 404, "not_found")
    assert body["instance"] == "/v1/orders/missing%20%C3%A9/x"


async def test_encoded_slash_stays_inside_a_path_parameter(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/orders/a%2Fb")
    assert response.status_code == 200
    assert response.json()["order_id"] == "a/b"


async def test_missing_operations_are_named_at_construction() -> None:
    class Partial:
        async def place_order(self, request: object) -> object:
            return request

        def get_order(self, request: object) -> object:
            return request

    with pytest.raises(ContractError) as caught:
        App(Sample, Partial())
    message = str(caught.value)
    assert "get_order is not an async def" in message
    assert "search is missing" in message
    assert "nap is missing" in message


async def test_another_major_version_is_mounted_beside_the_first(app: App) -> None:
    app.mount(SampleV2, SampleServiceV2())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sample.test"
    ) as c:
        assert (await c.get("/v2/orders/7")).json()["customer_id"] == "v2"
        assert (await c.get("/v1/orders/7")).json()["customer_id"] == "c-1"
    with pytest.raises(ContractError, match="/v2"):
        app.mount(SampleV2, SampleServiceV2())


class _Lost(Exception):
    """A domain's own error, which the implementation does not translate itself."""


class _Forgetful(SampleService):
    async def get_order(self, request: GetOrder) -> Order:
        raise _Lost(f"order {request.order_id} was lost")


class _ForgetfulV2(SampleServiceV2):
    async def get_order(self, request: GetOrder) -> Order:
        raise _Lost(f"order {request.order_id} is lost in v2")


async def test_the_errors_table_answers_every_operation_mounted_ones_too() -> None:
    app = App(Sample, _Forgetful(), errors={_Lost: lambda e: Unavailable(str(e))})
    app.mount(SampleV2, _ForgetfulV2())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sample.test"
    ) as c:
        body = assert_problem(await c.get("/v1/orders/7"), 503, "unavailable")
        assert body["detail"] == "order 7 was lost"
        body = assert_problem(await c.get("/v2/orders/7"), 503, "unavailable")
        assert body["detail"] == "order 7 is lost in v2"
