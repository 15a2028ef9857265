"""Every schema rule, in every place a schema is read: exactly the expected ids, both ways."""

from __future__ import annotations

from typing import Any

import pytest

from accord import compat
from tests.unit.compat.fixtures.build import SCHEMA_CONTEXTS, encode, with_schema
from tests.unit.compat.fixtures.schema_cases import SCHEMA_CASES


def ids(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    base = compat.parse(encode(before), source="base")
    revision = compat.parse(encode(after), source="revision")
    return sorted(c.id for c in compat.diff(base, revision))


CASES = [
    pytest.param(context, kind, reverse, before, after, id=f"{context}-{kind}")
    for context in SCHEMA_CONTEXTS
    for kind, reverse, before, after in SCHEMA_CASES
]


@pytest.mark.parametrize(("context", "kind", "reverse", "before", "after"), CASES)
def test_the_change_reports_exactly_its_rule(
    context: str, kind: str, reverse: str, before: Any, after: Any
) -> None:
    assert ids(with_schema(context, before), with_schema(context, after)) == [f"{context}-{kind}"]


@pytest.mark.parametrize(("context", "kind", "reverse", "before", "after"), CASES)
def test_the_reversed_change_reports_the_opposite(
    context: str, kind: str, reverse: str, before: Any, after: Any
) -> None:
    assert ids(with_schema(context, after), with_schema(context, before)) == [
        f"{context}-{reverse}"
    ]


@pytest.mark.parametrize(
    ("context", "level"),
    [
        ("request-body", compat.Level.BREAKING),
        ("request-parameter", compat.Level.BREAKING),
        ("response-body", compat.Level.INFO),
        ("response-header", compat.Level.INFO),
    ],
)
def test_narrowing_breaks_requests_and_not_responses(context: str, level: compat.Level) -> None:
    before = with_schema(context, {"type": "string", "maxLength": 10})
    after = with_schema(context, {"type": "string", "maxLength": 5})
    (change,) = compat.diff(
        compat.parse(encode(before), source="a"), compat.parse(encode(after), source="b")
    )
    assert change.level is level


def test_a_nested_change_names_its_path() -> None:
    schema = {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {"type": "object", "properties": {"sku": {"type": "string"}}},
            }
        },
    }
    changed = {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {"type": "object", "properties": {"sku": {"type": "integer"}}},
            }
        },
    }
    base = compat.parse(encode(with_schema("response-body", schema)), source="a")
    revision = compat.parse(encode(with_schema("response-body", changed)), source="b")
    (change,) = compat.diff(base, revision)
    assert (change.id, change.path, change.location, change.operation) == (
        "response-body-type-changed",
        "$.items[].sku",
        "response 200 application/json",
        "POST /things",
    )
    assert change.message == "type string → integer"


def test_a_3_0_nullable_beside_an_allof_makes_the_reference_nullable() -> None:
    pet = {"type": "object", "properties": {"name": {"type": "string"}}}
    before = with_schema("response-body", {"$ref": "#/components/schemas/Pet"}, "3.0.3")
    after = with_schema(
        "response-body",
        {"allOf": [{"$ref": "#/components/schemas/Pet"}], "nullable": True},
        "3.0.3",
    )
    for doc in (before, after):
        doc["components"] = {"schemas": {"Pet": pet}}
    assert ids(before, after) == ["response-body-nullable-added"]
    assert ids(after, before) == ["response-body-nullable-removed"]
