"""What a running service answers fits the document it publishes.

The sample contract is served in-process by ``accord.runtime.App``; each answer —
success, declared error, standard error — is checked against the response the document
describes for its operation and status.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import jsonschema
import msgspec
import pytest

from accord import openapi, runtime
from tests.unit.openapi.sample_contract import (
    AddBook,
    Book,
    BookList,
    BookNotFound,
    Catalog,
    Genre,
    GetBook,
    ListBooks,
    ShelfFull,
    ShelfFullInfo,
    UpdateBook,
    WithdrawBook,
)

DOC = openapi.document(Catalog)


class _Library:
    async def get_book(self, request: GetBook) -> Book:
        if request.book_id != "b-1":
            raise BookNotFound(f"no book {request.book_id}")
        return Book(
            book_id="b-1", isbn="9780000000001", title="Dune", genre=Genre.FICTION, copies=2
        )

    async def list_books(self, request: ListBooks) -> BookList:
        return BookList(books=[])

    async def add_book(self, request: AddBook) -> Book:
        raise ShelfFull("shelf A is full", ShelfFullInfo(shelf="A", capacity=3))

    async def update_book(self, request: UpdateBook) -> Book:
        raise RuntimeError("the database is on fire")

    async def withdraw_book(self, request: WithdrawBook) -> Book:
        raise BookNotFound()


def _schema_validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({**schema, "components": DOC["components"]})


def _check(response: httpx.Response, path: str, method: str) -> dict[str, Any]:
    """Assert ``response`` is one the document describes for the operation; its body."""
    described = DOC["paths"][path][method]["responses"]
    status = str(response.status_code)
    assert status in described, f"{method.upper()} {path} answered {status}, not documented"
    media = response.headers["content-type"].split(";")[0].strip()
    assert media in described[status]["content"], f"{status} came as {media}"
    assert response.headers.get("x-correlation-id"), "X-Correlation-ID is documented"
    body: dict[str, Any] = response.json()
    schema = described[status]["content"][media]["schema"]
    errors = [e.message for e in _schema_validator(schema).iter_errors(body)]
    assert not errors, f"{status} body breaks the document: {errors}: {body}"
    return body


@pytest.fixture
async def client() -> Any:
    app = runtime.App(Catalog, _Library(), max_body_bytes=256)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://catalog"
    ) as c:
        yield c


@pytest.mark.anyio
async def test_success_and_declared_errors_fit(client: httpx.AsyncClient) -> None:
    found = _check(await client.get("/v2/books/b-1"), "/v2/books/{book_id}", "get")
    assert found["genre"] == "fiction"
    missing = _check(await client.get("/v2/books/b-2"), "/v2/books/{book_id}", "get")
    assert missing["code"] == "catalog.book_not_found"

    full = await client.post(
        "/v2/books",
        json={"isbn": "9780000000001", "title": "Dune", "genre": "fiction"},
        headers={"Idempotency-Key": "k-1"},
    )
    body = _check(full, "/v2/books", "post")
    assert (body["code"], body["shelf"], body["capacity"]) == ("catalog.shelf_full", "A", 3)


@pytest.mark.anyio
async def test_standard_errors_fit(client: httpx.AsyncClient) -> None:
    invalid = _check(await client.get("/v2/books", params={"limit": "x"}), "/v2/books", "get")
    assert invalid["code"] == "validation_failed"
    assert invalid["errors"]

    ok = await client.get("/v2/books", params={"author": "Herbert", "genre": ["fiction"]})
    assert _check(ok, "/v2/books", "get") == {"books": []}

    crashed = await client.put("/v2/books/b-1", json={"copies": 1})
    assert _check(crashed, "/v2/books/{book_id}", "put")["code"] == "internal"

    no_key = await client.post("/v2/books", json={"isbn": "9780000000001", "title": "Dune"})
    assert _check(no_key, "/v2/books", "post")["code"] == "idempotency_key_required"

    wrong_type = await client.post(
        "/v2/books",
        content=b"isbn=1",
        headers={"content-type": "text/plain", "idempotency-key": "k-2"},
    )
    assert _check(wrong_type, "/v2/books", "post")["code"] == "unsupported_media_type"

    too_big = await client.post(
        "/v2/books/b-1/withdraw", content=json.dumps({"reason": "x" * 1000}).encode()
    )
    assert too_big.headers["content-type"].startswith("application/problem+json")
    assert _check(too_big, "/v2/books/{book_id}/withdraw", "post")["code"] == ("payload_too_large")


@pytest.mark.anyio
async def test_the_service_serves_the_rendered_document(client: httpx.AsyncClient) -> None:
    served = await client.get("/openapi.json")
    assert served.status_code == 200
    assert served.content == openapi.render(Catalog)
    versioned = await client.get("/v2/openapi.json")
    assert versioned.content == openapi.render(Catalog)
    assert msgspec.json.decode(served.content)["info"]["version"] == "2.3.1"
