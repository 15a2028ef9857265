"""The OpenAPI document of a contract: bindings, errors and accord's extensions."""

from __future__ import annotations

from typing import Any

import jsonschema
import msgspec
import pytest
from openapi_spec_validator import validate

from accord import Contract, Idempotency, openapi, operation
from accord.contract import create, read
from tests.unit.openapi.sample_contract import Catalog

CORRELATION_PARAM = {"$ref": "#/components/parameters/CorrelationId"}
IDEMPOTENCY_PARAM = {"$ref": "#/components/parameters/IdempotencyKey"}
CORRELATION_HEADER = {"X-Correlation-ID": {"$ref": "#/components/headers/CorrelationId"}}


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return openapi.document(Catalog)


def op(doc: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    result: dict[str, Any] = doc["paths"][path][method]
    return result


def problem_schema(doc: dict[str, Any], path: str, method: str, status: str) -> dict[str, Any]:
    response = op(doc, path, method)["responses"][status]
    assert list(response["content"]) == ["application/problem+json"]
    schema: dict[str, Any] = response["content"]["application/problem+json"]["schema"]
    return schema


def validator(doc: dict[str, Any], schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """A JSON Schema validator for one schema of the document, its $refs resolvable."""
    root = {**schema, "components": doc["components"]}
    return jsonschema.Draft202012Validator(root)


def test_the_document_is_valid_openapi_3_1(doc: dict[str, Any]) -> None:
    validate(doc)
    assert doc["openapi"] == "3.1.0"


def test_info_tags_and_service(doc: dict[str, Any]) -> None:
    assert doc["info"] == {
        "title": "Catalog",
        "version": "2.3.1",
        "description": "Books of a small library.",
    }
    assert doc["tags"] == [{"name": "catalog", "description": "Books of a small library."}]
    assert doc["x-accord-service"] == {"name": "catalog", "version": "2.3.1", "major": 2}


def test_every_operation_is_under_its_full_path(doc: dict[str, Any]) -> None:
    found = {
        (method, path): item["operationId"]
        for path, methods in doc["paths"].items()
        for method, item in methods.items()
    }
    assert found == {
        ("get", "/v2/books/{book_id}"): "get_book",
        ("get", "/v2/books"): "list_books",
        ("post", "/v2/books"): "add_book",
        ("put", "/v2/books/{book_id}"): "update_book",
        ("post", "/v2/books/{book_id}/withdraw"): "withdraw_book",
    }
    for methods in doc["paths"].values():
        for item in methods.values():
            assert item["tags"] == ["catalog"]


def test_path_parameter_is_required_and_keeps_its_constraints(doc: dict[str, Any]) -> None:
    get_book = op(doc, "/v2/books/{book_id}", "get")
    assert get_book["parameters"] == [
        {
            "name": "book_id",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "minLength": 1, "maxLength": 32},
        },
        CORRELATION_PARAM,
    ]
    assert "requestBody" not in get_book


def test_query_parameters_defaults_and_lists(doc: dict[str, Any]) -> None:
    params = op(doc, "/v2/books", "get")["parameters"]
    assert params == [
        {"name": "author", "in": "query", "required": True, "schema": {"type": "string"}},
        {
            "name": "genre",
            "in": "query",
            "required": False,
            "schema": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Genre"},
                "default": [],
            },
            "style": "form",
            "explode": True,
        },
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
        },
        CORRELATION_PARAM,
    ]
    assert doc["components"]["schemas"]["Genre"]["enum"] == ["fiction", "history", "science"]


def test_body_without_path_parameters_refers_to_the_request(doc: dict[str, Any]) -> None:
    add_book = op(doc, "/v2/books", "post")
    assert add_book["requestBody"] == {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AddBook"}}},
    }
    assert add_book["parameters"] == [IDEMPOTENCY_PARAM, CORRELATION_PARAM]
    body = doc["components"]["schemas"]["AddBook"]
    assert body["required"] == ["isbn", "title", "genre"]
    assert body["properties"]["isbn"] == {"type": "string", "pattern": r"^\d{13}$"}
    assert body["properties"]["copies"] == {"type": "integer", "minimum": 1, "default": 1}


def test_body_with_path_parameters_leaves_them_out(doc: dict[str, Any]) -> None:
    update = op(doc, "/v2/books/{book_id}", "put")
    assert update["parameters"][0]["name"] == "book_id"
    assert update["parameters"][0]["in"] == "path"
    # every field of the body is optional, so the body may be left out
    assert update["requestBody"] == {
        "required": False,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/UpdateBookBody"}}
        },
    }
    body = doc["components"]["schemas"]["UpdateBookBody"]
    assert set(body["properties"]) == {"title", "copies"}
    assert body.get("required", []) == []

    withdraw = op(doc, "/v2/books/{book_id}/withdraw", "post")
    assert withdraw["requestBody"]["required"] is True
    assert doc["components"]["schemas"]["WithdrawBookBody"]["required"] == ["reason"]


def test_summary_description_and_deprecation(doc: dict[str, Any]) -> None:
    withdraw = op(doc, "/v2/books/{book_id}/withdraw", "post")
    assert withdraw["summary"] == "Withdraw a book"
    assert withdraw["description"].startswith("Takes a book out of circulation.")
    assert withdraw["deprecated"] is True
    get_book = op(doc, "/v2/books/{book_id}", "get")
    assert get_book["summary"] == "Get book"
    assert "deprecated" not in get_book
    assert "description" not in get_book


def test_success_response(doc: dict[str, Any]) -> None:
    responses = op(doc, "/v2/books", "post")["responses"]
    assert responses["201"] == {
        "description": "Created",
        "headers": CORRELATION_HEADER,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Book"}}},
    }
    assert "200" not in responses


def test_each_operation_answers_its_errors_and_the_standard_ones(doc: dict[str, Any]) -> None:
    statuses = {
        (method, path): sorted(item["responses"])
        for path, methods in doc["paths"].items()
        for method, item in methods.items()
    }
    common = ["400", "422", "429", "431", "500", "503", "504"]
    assert statuses == {
        ("get", "/v2/books/{book_id}"): sorted(["200", "401", "403", "404", *common]),
        ("get", "/v2/books"): sorted(["200", "401", "403", *common]),
        ("post", "/v2/books"): sorted(["201", "401", "403", "409", "413", "415", *common]),
        ("put", "/v2/books/{book_id}"): sorted(["200", "401", "403", "404", "413", "415", *common]),
        ("post", "/v2/books/{book_id}/withdraw"): sorted(["200", "404", "413", "415", *common]),
    }
    for methods in doc["paths"].values():
        for item in methods.values():
            for response in item["responses"].values():
                assert response["headers"] == CORRELATION_HEADER


def test_errors_sharing_a_status_fold_into_one_response(doc: dict[str, Any]) -> None:
    schema = problem_schema(doc, "/v2/books", "post", "409")
    base, own = schema["allOf"]
    assert base == {"$ref": "#/components/schemas/Problem"}
    assert own["properties"]["code"] == {
        "type": "string",
        "enum": ["catalog.duplicate_isbn", "catalog.shelf_full", "idempotency_key_in_use"],
    }
    assert own["required"] == ["code"]
    assert own["properties"]["isbn"] == {
        "type": "string",
        "description": "Sent with code `catalog.duplicate_isbn`.",
    }
    assert own["properties"]["capacity"] == {
        "type": "integer",
        "description": "Sent with code `catalog.shelf_full`.",
    }
    assert set(own["properties"]) == {"code", "isbn", "book_id", "shelf", "capacity"}
    response = op(doc, "/v2/books", "post")["responses"]["409"]
    assert response["description"] == (
        "A book with this ISBN is already catalogued; The shelf is full; "
        "A request with this Idempotency-Key is still in progress"
    )


def test_declared_and_standard_errors_share_a_response(doc: dict[str, Any]) -> None:
    not_found = problem_schema(doc, "/v2/books/{book_id}", "get", "404")
    assert not_found["allOf"][1]["properties"]["code"]["enum"] == [
        "catalog.book_not_found",
        "not_found",
    ]
    unavailable = problem_schema(doc, "/v2/books", "get", "503")
    assert unavailable["allOf"][1]["properties"]["code"]["enum"] == [
        "catalog.read_only",
        "unavailable",
    ]


def test_a_single_typed_error_keeps_its_info_required(doc: dict[str, Any]) -> None:
    schema = problem_schema(doc, "/v2/books", "get", "422")
    own = schema["allOf"][1]
    assert own["properties"]["code"]["enum"] == ["validation_failed"]
    assert own["required"] == ["code", "errors"]
    assert own["properties"]["errors"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/FieldError"},
    }


def test_problem_documents_validate_against_the_responses(doc: dict[str, Any]) -> None:
    problem = {
        "type": "urn:accord:problem:catalog.shelf_full",
        "title": "The shelf is full",
        "status": 409,
        "detail": "shelf A holds 3 books",
        "instance": "/v2/books",
        "code": "catalog.shelf_full",
        "trace_id": "0af7651916cd43dd8448eb211c80319c",
        "correlation_id": "c-1",
        "shelf": "A",
        "capacity": 3,
    }
    conflict = validator(doc, problem_schema(doc, "/v2/books", "post", "409"))
    conflict.validate(problem)
    assert not conflict.is_valid({**problem, "code": "catalog.book_not_found"})
    assert not conflict.is_valid({**problem, "capacity": "three"})
    assert not conflict.is_valid({k: v for k, v in problem.items() if k != "title"})

    invalid = validator(doc, problem_schema(doc, "/v2/books", "get", "422"))
    failed = {
        **problem,
        "status": 422,
        "code": "validation_failed",
        "errors": [{"path": "$.limit", "message": "Expected `int`, got `str`"}],
    }
    invalid.validate(failed)
    assert not invalid.is_valid({**failed, "errors": [{"path": "$.limit"}]})


def test_problem_component(doc: dict[str, Any]) -> None:
    problem = doc["components"]["schemas"]["Problem"]
    assert set(problem["properties"]) == {
        "type",
        "title",
        "status",
        "detail",
        "instance",
        "code",
        "trace_id",
        "correlation_id",
    }
    assert problem["properties"]["type"]["format"] == "uri-reference"
    assert problem["properties"]["status"]["type"] == "integer"
    assert "code" in problem["required"]


def test_accord_extensions_per_operation(doc: dict[str, Any]) -> None:
    add_book = op(doc, "/v2/books", "post")
    assert add_book["x-accord-idempotency"] == "requires_key"
    assert add_book["x-accord-timeout"] == 5.0
    assert add_book["x-accord-scopes"] == ["catalog:write", "catalog:admin"]
    assert add_book["x-accord-retryable-codes"] == [
        "idempotency_key_in_use",
        "rate_limited",
        "catalog.read_only",
        "unavailable",
        "deadline_exceeded",
    ]
    assert add_book["x-accord-errors"] == [
        "duplicate_header",
        "idempotency_key_required",
        "unauthenticated",
        "certificate_mismatch",
        "forbidden",
        "catalog.duplicate_isbn",
        "catalog.shelf_full",
        "idempotency_key_in_use",
        "payload_too_large",
        "unsupported_media_type",
        "validation_failed",
        "idempotency_key_reused",
        "rate_limited",
        "headers_too_large",
        "internal",
        "catalog.read_only",
        "unavailable",
        "deadline_exceeded",
    ]
    get_book = op(doc, "/v2/books/{book_id}", "get")
    assert get_book["x-accord-idempotency"] == "read_only"
    assert get_book["x-accord-timeout"] == 1.5
    assert set(get_book["x-accord-errors"]) == {
        "unauthenticated",
        "certificate_mismatch",
        "forbidden",
        "catalog.book_not_found",
        "not_found",
        "duplicate_header",
        "validation_failed",
        "rate_limited",
        "headers_too_large",
        "internal",
        "catalog.read_only",
        "unavailable",
        "deadline_exceeded",
    }
    assert op(doc, "/v2/books/{book_id}", "put")["x-accord-idempotency"] == "idempotent"


def test_error_catalogue(doc: dict[str, Any]) -> None:
    errors = doc["x-accord-errors"]
    assert list(errors) == sorted(errors)
    assert errors["catalog.shelf_full"] == {
        "status": 409,
        "title": "The shelf is full",
        "retryable": False,
        "info": "#/components/schemas/ShelfFullInfo",
    }
    assert errors["catalog.read_only"] == {
        "status": 503,
        "title": "The catalogue is read-only for maintenance",
        "retryable": True,
    }
    assert errors["unavailable"]["retryable"] is True
    assert errors["validation_failed"]["info"] == "#/components/schemas/ValidationDetails"
    assert {"bad_request", "not_found", "internal", "deadline_exceeded"} <= set(errors)


def test_shared_header_components(doc: dict[str, Any]) -> None:
    params = doc["components"]["parameters"]
    assert params["CorrelationId"]["name"] == "X-Correlation-ID"
    assert params["CorrelationId"]["in"] == "header"
    assert params["CorrelationId"]["required"] is False
    assert params["IdempotencyKey"]["name"] == "Idempotency-Key"
    assert params["IdempotencyKey"]["required"] is True
    assert doc["components"]["headers"]["CorrelationId"]["schema"] == {"type": "string"}


def test_every_reference_resolves(doc: dict[str, Any]) -> None:
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    assert refs
    for ref in refs:
        target: Any = doc
        for part in ref.removeprefix("#/").split("/"):
            assert part in target, f"{ref} does not resolve"
            target = target[part]


def test_operations_with_scopes_name_their_security(doc: dict[str, Any]) -> None:
    assert op(doc, "/v2/books", "post")["security"] == [
        {"OAuth2": ["catalog:write", "catalog:admin"]},
        {"BearerJWT": ["catalog:write", "catalog:admin"]},
    ]
    assert op(doc, "/v2/books/{book_id}", "get")["security"] == [
        {"OAuth2": ["catalog:read"]},
        {"BearerJWT": ["catalog:read"]},
    ]
    assert "security" not in op(doc, "/v2/books/{book_id}/withdraw", "post")
    assert "security" not in doc  # an operation without scopes is open


def test_security_schemes_list_every_scope(doc: dict[str, Any]) -> None:
    schemes = doc["components"]["securitySchemes"]
    assert sorted(schemes) == ["BearerJWT", "OAuth2"]
    assert schemes["BearerJWT"]["type"] == "http"
    assert schemes["BearerJWT"]["scheme"] == "bearer"
    assert schemes["BearerJWT"]["bearerFormat"] == "JWT"
    flow = schemes["OAuth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/v1/token"
    assert sorted(flow["scopes"]) == ["catalog:admin", "catalog:read", "catalog:write"]


def test_a_contract_without_scopes_has_no_security_schemes() -> None:
    from accord import Contract, operation
    from tests.unit.openapi.sample_contract import Book, GetBook

    class Open(Contract, name="open", version="1.0.0"):
        get_book = operation(GetBook, Book, method="GET", path="/books/{book_id}")

    assert "securitySchemes" not in openapi.document(Open)["components"]


def test_an_operation_with_another_response_keeps_everything_else() -> None:
    """A new major version that changes only the answer declares ``with_response``."""

    class Shelf(msgspec.Struct, kw_only=True):
        books: int

    class CatalogV3(Contract, name="catalog", version="3.0.0"):
        get_book = Catalog.get_book.with_response(Shelf)
        list_books = Catalog.list_books.with_response(Shelf)

    old, new = Catalog.get_book, CatalogV3.get_book
    assert new is not old and new.contract is CatalogV3 and old.contract is Catalog
    assert new.response is Shelf and old.response is not Shelf
    assert new.path == "/v3/books/{book_id}" and old.path == "/v2/books/{book_id}"
    assert (new.method, new.idempotency, new.timeout, new.scopes, new.errors) == (
        old.method,
        old.idempotency,
        old.timeout,
        old.scopes,
        old.errors,
    )
    assert CatalogV3.list_books.summary == Catalog.list_books.summary == "List books"
    v2, v3 = openapi.document(Catalog), openapi.document(CatalogV3)
    assert (
        v3["paths"]["/v3/books/{book_id}"]["get"]["parameters"]
        == (v2["paths"]["/v2/books/{book_id}"]["get"]["parameters"])
    )


def test_a_read_and_a_creation_are_the_operations_they_stand_for() -> None:
    """``read`` and ``create`` declare what ``operation`` would, with their method, status
    and idempotency, so the documents are the same."""

    class Book(msgspec.Struct, kw_only=True):
        book_id: str

    class NewBook(msgspec.Struct, kw_only=True):
        title: str

    class Spelled(Contract, name="shelf", version="1.0.0"):
        get_book = operation(
            Book,
            Book,
            method="GET",
            path="/books/{book_id}",
            idempotency=Idempotency.READ_ONLY,
            timeout=2.0,
            scopes=("shelf:read",),
        )
        add_book = operation(
            NewBook,
            Book,
            method="POST",
            path="/books",
            status=201,
            idempotency=Idempotency.REQUIRES_KEY,
            scopes=("shelf:write",),
        )

    class Short(Contract, name="shelf", version="1.0.0"):
        get_book = read(Book, Book, "/books/{book_id}", timeout=2.0, scopes=("shelf:read",))
        add_book = create(NewBook, Book, "/books", scopes=("shelf:write",))

    got = Short.get_book, Short.add_book
    assert [(op.method, op.status, op.idempotency) for op in got] == [
        ("GET", 200, Idempotency.READ_ONLY),
        ("POST", 201, Idempotency.REQUIRES_KEY),
    ]
    assert openapi.document(Short) == openapi.document(Spelled)
    # A later version that changes the answer keeps what the shorthand declared.
    assert Short.add_book.with_response(NewBook)._declared == Spelled.add_book._declared
