"""Equivalent rewrites of a document report nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from accord import compat
from tests.unit.compat.fixtures.build import (
    SCHEMA_CONTEXTS,
    document,
    encode,
    operation,
    with_schema,
)

PET = {
    "type": "object",
    "required": ["id", "name"],
    "properties": {"id": {"type": "integer"}, "name": {"type": "string", "maxLength": 20}},
}

SCHEMA_REWRITES: list[tuple[str, Any, Any]] = [
    (
        "reordered keys",
        PET,
        {
            "properties": dict(reversed(PET["properties"].items())),
            "required": ["name", "id"],
            "type": "object",
        },
    ),
    ("enum reordered", {"enum": ["a", "b", "c"]}, {"enum": ["c", "a", "b"]}),
    ("type list reordered", {"type": ["string", "integer"]}, {"type": ["integer", "string"]}),
    ("allOf of one", PET, {"allOf": [PET]}),
    (
        "allOf split",
        PET,
        {
            "allOf": [
                {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}},
                {"required": ["name"], "properties": {"name": {"type": "string", "maxLength": 20}}},
            ]
        },
    ),
    (
        "anyOf with null",
        {"type": ["string", "null"]},
        {"anyOf": [{"type": "string"}, {"type": "null"}]},
    ),
    ("oneOf of one", {"type": "string"}, {"oneOf": [{"type": "string"}]}),
    ("anyOf of one", {"type": "string"}, {"anyOf": [{"type": "string"}]}),
    (
        "oneOf reordered",
        {"oneOf": [{"type": "string"}, {"type": "integer"}, PET]},
        {"oneOf": [PET, {"type": "integer"}, {"type": "string"}]},
    ),
    ("const as enum", {"const": "a"}, {"enum": ["a"]}),
    ("enum without type", {"enum": ["a", "b"]}, {"type": "string", "enum": ["a", "b"]}),
    (
        "object without type",
        {"properties": {"a": {"type": "string"}}},
        {"type": "object", "properties": {"a": {"type": "string"}}},
    ),
    ("zero minimums", {"type": "string"}, {"type": "string", "minLength": 0}),
    ("a pattern every string matches", {"type": "string"}, {"type": "string", "pattern": ".*"}),
    (
        "the default of a property that is always sent",
        {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]},
        {
            "type": "object",
            "properties": {"n": {"type": "integer", "default": 5}},
            "required": ["n"],
        },
    ),
    (
        "empty additionalProperties",
        {"type": "object"},
        {"type": "object", "additionalProperties": {}},
    ),
    (
        "annotations",
        {"type": "string"},
        {"type": "string", "description": "a name", "title": "Name", "example": "x"},
    ),
    (
        "exclusive bound, 3.1 form",
        {"type": "integer", "exclusiveMinimum": 0},
        {"type": "integer", "minimum": 0, "exclusiveMinimum": 0},
    ),
]


@pytest.mark.parametrize("context", SCHEMA_CONTEXTS)
@pytest.mark.parametrize(
    ("before", "after"), [pytest.param(b, a, id=n) for n, b, a in SCHEMA_REWRITES]
)
def test_schema_rewrites_report_nothing(context: str, before: Any, after: Any) -> None:
    for a, b in ((before, after), (after, before)):
        base = compat.parse(encode(with_schema(context, a)), source="a")
        revision = compat.parse(encode(with_schema(context, b)), source="b")
        assert compat.diff(base, revision) == []


def _diff(before: dict[str, Any], after: dict[str, Any]) -> list[compat.Change]:
    return compat.diff(
        compat.parse(encode(before), source="a"), compat.parse(encode(after), source="b")
    )


def test_moving_a_schema_behind_a_ref_reports_nothing() -> None:
    inline = with_schema("response-body", PET)
    moved = with_schema("response-body", {"$ref": "#/components/schemas/Pet"})
    moved["components"] = {"schemas": {"Pet": PET}}
    assert _diff(inline, moved) == []
    assert _diff(moved, inline) == []


def test_a_ref_with_a_description_beside_it_is_the_schema() -> None:
    plain = with_schema("request-body", {"$ref": "#/components/schemas/Pet"})
    plain["components"] = {"schemas": {"Pet": PET}}
    described = with_schema(
        "request-body", {"$ref": "#/components/schemas/Pet", "description": "a pet"}
    )
    described["components"] = {"schemas": {"Pet": PET}}
    assert _diff(plain, described) == []


def test_3_0_nullable_equals_a_3_1_null_type() -> None:
    old = with_schema("request-body", {"type": "string", "nullable": True}, version="3.0.3")
    new = with_schema("request-body", {"type": ["string", "null"]}, version="3.1.0")
    assert _diff(old, new) == []


def test_3_0_boolean_exclusive_minimum_equals_the_3_1_number() -> None:
    old = with_schema(
        "request-body", {"type": "integer", "minimum": 0, "exclusiveMinimum": True}, version="3.0.3"
    )
    new = with_schema("request-body", {"type": "integer", "exclusiveMinimum": 0})
    assert _diff(old, new) == []


def test_reordered_parameters_statuses_and_header_case_report_nothing() -> None:
    params = [
        {"name": "a", "in": "query", "schema": {"type": "string"}},
        {"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
    ]
    reordered = [
        {"name": "x-trace", "in": "header", "schema": {"type": "string"}},
        {"name": "a", "in": "query", "schema": {"type": "string"}},
    ]
    responses = {"200": {"description": "ok"}, "404": {"description": "no"}}
    before = document({"/p": {"get": operation(parameters=params, responses=responses)}})
    after = document(
        {
            "/p": {
                "get": operation(parameters=reordered, responses=dict(reversed(responses.items())))
            }
        }
    )
    assert _diff(before, after) == []


def test_parameters_moved_to_the_path_item_report_nothing() -> None:
    param = {"name": "a", "in": "query", "required": True, "schema": {"type": "string"}}
    before = document({"/p": {"get": operation(parameters=[param])}})
    after = document({"/p": {"parameters": [param], "get": operation()}})
    assert _diff(before, after) == []


def test_media_type_parameters_are_ignored() -> None:
    before = with_schema("response-body", PET)
    after = json.loads(
        json.dumps(before).replace('"application/json"', '"application/json; charset=utf-8"')
    )
    assert _diff(before, after) == []


def test_the_same_document_as_yaml_and_json_reports_nothing() -> None:
    doc = with_schema("request-body", PET)
    as_yaml = yaml.safe_dump(doc).encode()
    assert (
        compat.diff(compat.parse(encode(doc), source="a"), compat.parse(as_yaml, source="b")) == []
    )


def test_servers_written_differently_report_nothing() -> None:
    plain = document({"/p": {"get": operation()}}, servers=[{"url": "https://a.example/"}])
    slashless = document({"/p": {"get": operation()}}, servers=[{"url": "https://a.example"}])
    assert _diff(plain, slashless) == []
    implicit = document({"/p": {"get": operation()}})
    explicit = document({"/p": {"get": operation()}}, servers=[{"url": "/"}])
    assert _diff(implicit, explicit) == []
    # the path item saying what the document says changes nothing
    repeated = document(
        {"/p": {"servers": [{"url": "https://a.example"}], "get": operation()}},
        servers=[{"url": "https://a.example"}],
    )
    assert _diff(plain, repeated) == []
    # moved from the document to every path item: each operation is served where it was
    moved = document(
        {"/p": {"servers": [{"url": "https://a.example"}], "get": operation()}},
        servers=[{"url": "https://elsewhere.example"}],
    )
    assert _diff(plain, moved) == []
    assert _diff(moved, plain) == []


def test_a_link_with_a_new_description_reports_nothing() -> None:
    link = {"operationId": "getOrder", "parameters": {"id": "$response.body#/id"}}
    before = document(
        {"/o": {"post": operation(responses={"201": {"description": "ok", "links": {"L": link}}})}}
    )
    described = {**link, "description": "the order"}
    after = document(
        {
            "/o": {
                "post": operation(
                    responses={"201": {"description": "ok", "links": {"L": described}}}
                )
            }
        }
    )
    assert _diff(before, after) == []


def test_the_default_of_a_required_parameter_is_moot() -> None:
    def doc(default: int, *, required: bool) -> dict[str, Any]:
        param = {
            "name": "limit",
            "in": "query",
            "required": required,
            "schema": {"type": "integer", "default": default},
        }
        return document({"/p": {"get": operation(parameters=[param])}})

    assert _diff(doc(20, required=True), doc(50, required=True)) == []
    assert [c.id for c in _diff(doc(20, required=False), doc(50, required=False))] == [
        "request-parameter-default-changed"
    ]


def test_header_parameters_openapi_ignores_report_nothing() -> None:
    ignored = [
        {"name": n, "in": "header", "required": True, "schema": {"type": "string"}}
        for n in ("Accept", "Content-Type", "Authorization")
    ]
    before = document({"/p": {"get": operation()}})
    after = document({"/p": {"get": operation(parameters=ignored)}})
    assert _diff(before, after) == []
    assert _diff(after, before) == []


def test_a_change_behind_a_cycle_of_references_is_found() -> None:
    def doc(length: int) -> dict[str, Any]:
        schemas = {
            "A": {
                "type": "object",
                "properties": {
                    "b": {"$ref": "#/components/schemas/B"},
                    "c": {"$ref": "#/components/schemas/C"},
                },
            },
            "B": {"type": "object", "properties": {"a": {"$ref": "#/components/schemas/A"}}},
            "C": {"type": "string", "maxLength": length},
        }

        def answer(name: str) -> dict[str, Any]:
            content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}
            return operation(responses={"200": {"description": "ok", "content": content}})

        return document(
            {"/b": {"get": answer("B")}, "/a": {"get": answer("A")}},
            components={"schemas": schemas},
        )

    found = {c.id for c in _diff(doc(5), doc(9))}
    assert found == {"response-body-max-length-increased"}
    assert _diff(doc(5), doc(5)) == []
