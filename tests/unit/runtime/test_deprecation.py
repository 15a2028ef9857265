"""A deprecated contract says so on every answer of its operations, and in its document."""

from __future__ import annotations

import datetime
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest
from openapi_spec_validator import validate

from accord import Contract, ContractError, Idempotency, ServiceError, openapi, operation
from accord.contract import Deprecation
from accord.runtime import App
from accord.runtime.endpoint import Endpoint, deprecation_headers
from accord.runtime.limits import Limits

pytestmark = pytest.mark.anyio

SINCE = datetime.date(2026, 11, 27)
SUNSET = datetime.date(2027, 6, 30)
DEPRECATION = "@1795737600"  # 2026-11-27T00:00:00Z
SUNSET_DATE = "Wed, 30 Jun 2027 00:00:00 GMT"
LINK = '</v2/openapi.json>; rel="successor-version"'
HEADERS = ("deprecation", "sunset", "link")


class Lookup(msgspec.Struct, kw_only=True):
    key: str
    fail: str = ""


class Found(msgspec.Struct, kw_only=True):
    key: str


class Missing(ServiceError[None], code="shelf.missing", status=404):
    """No such key"""


class Undeclared(ServiceError[None], code="shelf.undeclared", status=409):
    """Raised but not declared by the operation"""


class ShelfV1(
    Contract,
    name="shelf",
    version="1.3.0",
    deprecated=SINCE,
    sunset=SUNSET,
    successor="/v2/openapi.json",
):
    """The old shelf."""

    get = operation(
        Lookup,
        Found,
        method="GET",
        path="/items/{key}",
        idempotency=Idempotency.READ_ONLY,
        errors=(Missing,),
    )
    put = operation(
        Found, Found, method="POST", path="/items", idempotency=Idempotency.REQUIRES_KEY
    )


class ShelfV2(Contract, name="shelf", version="2.0.0"):
    """The new shelf."""

    get = operation(
        Lookup,
        Found,
        method="GET",
        path="/items/{key}",
        idempotency=Idempotency.READ_ONLY,
        errors=(Missing,),
    )


class Shelf:
    """Both versions' implementation: ``fail`` picks how a lookup goes wrong."""

    async def get(self, request: Lookup) -> Found:
        if request.fail == "missing":
            raise Missing(f"no {request.key}")
        if request.fail == "undeclared":
            raise Undeclared("not declared here")
        if request.fail == "crash":
            raise RuntimeError("boom")
        return Found(key=request.key)

    async def put(self, request: Found) -> Found:
        return request


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = App(ShelfV1, Shelf(), freeze_gc=False)
    app.mount(ShelfV2, Shelf())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://shelf.test") as http:
        yield http


def announced(response: httpx.Response) -> dict[str, str | None]:
    return {name: response.headers.get(name) for name in HEADERS}


EXPECTED = {"deprecation": DEPRECATION, "sunset": SUNSET_DATE, "link": LINK}
NONE = dict.fromkeys(HEADERS)


# -- the declaration -------------------------------------------------------------------


def test_the_declaration_is_kept_on_the_contract() -> None:
    assert ShelfV1.deprecation == Deprecation(SINCE, sunset=SUNSET, successor="/v2/openapi.json")
    assert ShelfV2.deprecation is None


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"sunset": SUNSET}, "a sunset or successor needs deprecated=<date>"),
        ({"successor": "/v2/openapi.json"}, "a sunset or successor needs deprecated=<date>"),
        ({"deprecated": True}, "deprecated must be a datetime.date, got True"),
        (
            {"deprecated": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)},
            "deprecated must be a datetime.date",
        ),
        ({"deprecated": SINCE, "sunset": "2027-06-30"}, "sunset must be a datetime.date"),
        (
            {"deprecated": SUNSET, "sunset": SINCE},
            "sunset 2026-11-27 comes before the deprecation 2027-06-30",
        ),
        ({"deprecated": SINCE, "successor": "<x>"}, "successor '<x>' must be a URI reference"),
        ({"deprecated": SINCE, "successor": "/v 2"}, "must be a URI reference"),
    ],
)
def test_a_wrong_declaration_is_refused_by_name(keywords: dict[str, Any], message: str) -> None:
    with pytest.raises(ContractError, match=r"^bad 1\.0\.0: ") as caught:

        class Bad(Contract, name="bad", version="1.0.0", **keywords):
            get = operation(Lookup, Found)

    assert message in str(caught.value)


def test_headers_are_built_from_the_dates_at_midnight_utc() -> None:
    assert deprecation_headers(None) is None
    assert deprecation_headers(Deprecation(datetime.date(1970, 1, 2))) == [
        (b"deprecation", b"@86400")
    ]
    assert deprecation_headers(ShelfV1.deprecation) == [
        (b"deprecation", DEPRECATION.encode()),
        (b"sunset", SUNSET_DATE.encode()),
        (b"link", LINK.encode()),
    ]


def test_the_endpoint_builds_its_headers_at_start_up() -> None:
    endpoint = Endpoint(ShelfV1.put, Shelf().put, limits=Limits(max_body_bytes=1024))
    assert endpoint.response_headers == deprecation_headers(ShelfV1.deprecation)
    assert (
        Endpoint(ShelfV2.get, Shelf().get, limits=Limits(max_body_bytes=1024)).response_headers
        is None
    )


# -- the wire --------------------------------------------------------------------------


async def test_a_success_of_the_deprecated_version_announces_it(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/v1/items/a")
    assert answer.status_code == 200
    assert answer.json() == {"key": "a"}
    assert announced(answer) == EXPECTED


@pytest.mark.parametrize(
    ("fail", "status", "code"),
    [
        ("missing", 404, "shelf.missing"),
        ("undeclared", 500, "internal"),
        ("crash", 500, "internal"),
    ],
)
async def test_every_problem_of_the_deprecated_version_announces_it(
    client: httpx.AsyncClient, fail: str, status: int, code: str
) -> None:
    answer = await client.get("/v1/items/a", params={"fail": fail})
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == code
    assert announced(answer) == EXPECTED


async def test_problems_raised_before_the_implementation_announce_it(
    client: httpx.AsyncClient,
) -> None:
    no_key = await client.post("/v1/items", json={"key": "a"})
    assert no_key.status_code == 400
    assert announced(no_key) == EXPECTED
    invalid = await client.post("/v1/items", json={"key": 1}, headers={"idempotency-key": "k"})
    assert invalid.status_code == 422
    assert announced(invalid) == EXPECTED
    ok = await client.post("/v1/items", json={"key": "a"}, headers={"idempotency-key": "k"})
    assert ok.status_code == 200
    assert announced(ok) == EXPECTED


@pytest.mark.parametrize("fail", ["", "missing", "crash"])
async def test_the_current_version_announces_nothing(client: httpx.AsyncClient, fail: str) -> None:
    answer = await client.get("/v2/items/a", params={"fail": fail})
    assert answer.status_code in (200, 404, 500)
    assert announced(answer) == NONE


@pytest.mark.parametrize("path", ["/livez", "/v1/openapi.json", "/v1/nothing-here"])
async def test_answers_that_are_no_operation_announce_nothing(
    client: httpx.AsyncClient, path: str
) -> None:
    answer = await client.get(path)
    assert announced(answer) == NONE


async def test_a_method_not_allowed_keeps_its_allow_header(client: httpx.AsyncClient) -> None:
    answer = await client.delete("/v1/items/a")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET"


# -- the document ----------------------------------------------------------------------


def operations(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for item in doc["paths"].values() for op in item.values()]


def test_the_deprecated_document_marks_every_operation_and_response() -> None:
    doc = openapi.document(ShelfV1)
    validate(doc)
    assert doc["info"]["x-sunset"] == "2027-06-30"
    assert doc["x-accord-service"] == {
        "name": "shelf",
        "version": "1.3.0",
        "major": 1,
        "deprecated": "2026-11-27",
        "sunset": "2027-06-30",
        "successor": "/v2/openapi.json",
    }
    assert set(doc["components"]["headers"]) == {
        "CorrelationId",
        "Deprecation",
        "Sunset",
        "SuccessorLink",
    }
    for op in operations(doc):
        assert op["deprecated"] is True
        assert op["x-sunset"] == "2027-06-30"
        for status, response in op["responses"].items():
            assert response["headers"]["Deprecation"] == {
                "$ref": "#/components/headers/Deprecation"
            }, status
            assert response["headers"]["Sunset"] == {"$ref": "#/components/headers/Sunset"}
            assert response["headers"]["Link"] == {"$ref": "#/components/headers/SuccessorLink"}


def test_the_documented_header_schemas_accept_what_is_sent() -> None:
    headers = openapi.document(ShelfV1)["components"]["headers"]
    assert re.match(headers["Deprecation"]["schema"]["pattern"], DEPRECATION)
    assert re.match(headers["Sunset"]["schema"]["pattern"], SUNSET_DATE)
    assert "2026-11-27" in headers["Deprecation"]["description"]


def test_a_deprecation_without_sunset_or_successor_documents_only_what_is_sent() -> None:
    class Old(Contract, name="old", version="1.0.0", deprecated=SINCE):
        get = operation(Lookup, Found, idempotency=Idempotency.READ_ONLY)

    doc = openapi.document(Old)
    assert "x-sunset" not in doc["info"]
    (op,) = operations(doc)
    assert op["deprecated"] is True
    assert "x-sunset" not in op
    assert set(op["responses"]["200"]["headers"]) == {"X-Correlation-ID", "Deprecation"}
    assert deprecation_headers(Old.deprecation) == [(b"deprecation", DEPRECATION.encode())]


def test_the_current_document_marks_nothing() -> None:
    doc = openapi.document(ShelfV2)
    assert "x-sunset" not in doc["info"]
    assert set(doc["x-accord-service"]) == {"name", "version", "major"}
    assert set(doc["components"]["headers"]) == {"CorrelationId"}
    for op in operations(doc):
        assert "deprecated" not in op
        assert "x-sunset" not in op
        for response in op["responses"].values():
            assert set(response["headers"]) == {"X-Correlation-ID"}
