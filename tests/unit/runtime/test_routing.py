"""Router: exact lookup, segment matching, literal-before-parameter, encoded slashes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from accord.errors import ContractError
from accord.runtime.routing import Router


class Named:
    errors: Mapping[str, Any] = {}

    def __init__(self, name: str) -> None:
        self.name = name

    async def __call__(self, request: Any) -> Any:
        return None


def build() -> Router:
    router = Router()
    router.add("GET", "/v1/orders", Named("list"))
    router.add("POST", "/v1/orders", Named("place"))
    router.add("GET", "/v1/orders/{order_id}", Named("get"))
    router.add("DELETE", "/v1/orders/{order_id}", Named("cancel"))
    router.add("GET", "/v1/orders/search", Named("search"))
    router.add("GET", "/v1/{kind}/{id}/lines", Named("lines"))
    return router


def test_exact_template() -> None:
    match = build().match("/v1/orders")
    assert match is not None
    route, params = match
    assert route.template == "/v1/orders"
    assert route.allow == "GET, POST"
    assert dict(params) == {}


def test_parameters_are_captured() -> None:
    match = build().match("/v1/orders/o-7")
    assert match is not None
    assert match[0].template == "/v1/orders/{order_id}"
    assert dict(match[1]) == {"order_id": "o-7"}
    assert match[0].span_names["DELETE"] == "DELETE /v1/orders/{order_id}"


def test_literal_segment_wins_over_a_parameter() -> None:
    match = build().match("/v1/orders/search")
    assert match is not None
    assert match[0].template == "/v1/orders/search"


def test_two_parameters() -> None:
    match = build().match("/v1/invoices/9/lines")
    assert match is not None
    assert dict(match[1]) == {"kind": "invoices", "id": "9"}


@pytest.mark.parametrize("path", ["/v1/orders/", "/v1", "/v2/orders", "/v1/orders/a/b", "/"])
def test_no_match(path: str) -> None:
    assert build().match(path) is None


def test_raw_path_keeps_an_encoded_slash_in_the_value() -> None:
    match = build().match("/v1/orders/a/b", b"/v1/orders/a%2Fb")
    assert match is not None
    assert dict(match[1]) == {"order_id": "a/b"}


def test_the_same_method_and_template_twice_is_refused() -> None:
    router = build()
    with pytest.raises(ContractError, match="routed twice"):
        router.add("GET", "/v1/orders/{order_id}", Named("again"))
