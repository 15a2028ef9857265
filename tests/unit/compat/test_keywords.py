"""JSON Schema 2020-12 keywords and a schema rewritten as a ``oneOf``: paths and levels."""

from __future__ import annotations

from typing import Any

from accord import compat
from tests.unit.compat.fixtures.build import encode, with_schema


def found(context: str, before: Any, after: Any) -> list[tuple[str, str]]:
    base = compat.parse(encode(with_schema(context, before)), source="a")
    revision = compat.parse(encode(with_schema(context, after)), source="b")
    return [(c.id, c.path) for c in compat.diff(base, revision)]


STRING = {"type": "string", "maxLength": 5}


def test_wrapping_is_one_finding_whose_level_depends_on_the_reader() -> None:
    after = {"oneOf": [STRING, {"type": "integer"}]}
    base = compat.parse(encode(with_schema("request-body", STRING)), source="a")
    revision = compat.parse(encode(with_schema("request-body", after)), source="b")
    (change,) = compat.diff(base, revision)
    assert (change.id, change.level) == ("request-body-wrapped-in-one-of", compat.Level.INFO)
    base = compat.parse(encode(with_schema("response-body", STRING)), source="a")
    revision = compat.parse(encode(with_schema("response-body", after)), source="b")
    (change,) = compat.diff(base, revision)
    assert (change.id, change.level) == ("response-body-wrapped-in-one-of", compat.Level.BREAKING)


def test_a_wrapped_schema_that_also_changed_names_the_branch() -> None:
    after = {"oneOf": [{"type": "integer"}, {"type": "string", "maxLength": 3}]}
    assert found("request-body", STRING, after) == [
        ("request-body-wrapped-in-one-of", "$"),
        ("request-body-max-length-decreased", "$<oneOf:1>"),
    ]


def test_a_branch_behind_a_ref_is_labelled_by_its_component() -> None:
    after = with_schema(
        "response-body", {"anyOf": [{"$ref": "#/components/schemas/Name"}, {"type": "integer"}]}
    )
    after["components"] = {"schemas": {"Name": {"type": "string", "maxLength": 9}}}
    base = compat.parse(encode(with_schema("response-body", STRING)), source="a")
    changes = compat.diff(base, compat.parse(encode(after), source="b"))
    assert [(c.id, c.path) for c in changes] == [
        ("response-body-wrapped-in-one-of", "$"),
        ("response-body-max-length-increased", "$<anyOf:Name>"),
    ]


def test_null_joining_with_the_wrapping_is_reported_once() -> None:
    after = {"oneOf": [STRING, {"type": "integer"}, {"type": "null"}]}
    assert sorted(found("response-body", STRING, after)) == [
        ("response-body-nullable-added", "$"),
        ("response-body-wrapped-in-one-of", "$"),
    ]
    nullable = {"type": ["string", "null"], "maxLength": 5}
    assert found("request-body", nullable, after) == [("request-body-wrapped-in-one-of", "$")]


def test_branches_of_unrelated_types_are_not_a_wrapping() -> None:
    after = {"oneOf": [{"type": "integer"}, {"type": "boolean"}]}
    ids = [i for i, _ in found("request-body", {"type": "string"}, after)]
    assert "request-body-wrapped-in-one-of" not in ids
    assert "request-body-type-changed" in ids


def test_an_unconstrained_schema_made_a_oneof_is_a_narrowing() -> None:
    ids = [i for i, _ in found("request-body", {}, {"oneOf": [STRING, {"type": "integer"}]})]
    assert "request-body-wrapped-in-one-of" not in ids
    assert "request-body-type-narrowed" in ids


def test_prefix_items_are_compared_position_by_position() -> None:
    before = {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]}
    after = {
        "type": "array",
        "prefixItems": [{"type": "string", "maxLength": 2}, {"type": "number"}],
    }
    assert found("request-body", before, after) == [
        ("request-body-max-length-added", "$[0]"),
        ("request-body-type-widened", "$[1]"),
    ]


def test_pattern_properties_are_diffed_like_properties() -> None:
    before = {"type": "object", "patternProperties": {"^a": {"type": "string"}}}
    after = {"type": "object", "patternProperties": {"^a": {"type": "integer"}}}
    assert found("response-body", before, after) == [("response-body-type-changed", "$./^a/")]


def test_contains_and_property_names_compare_their_subschemas() -> None:
    before = {"type": "array", "contains": {"type": "string"}}
    after = {"type": "array", "contains": {"type": "string", "minLength": 2}}
    assert found("request-body", before, after) == [
        ("request-body-min-length-added", "$<contains>")
    ]
    before = {"type": "object", "propertyNames": {"maxLength": 9}}
    after = {"type": "object", "propertyNames": {"maxLength": 4}}
    assert found("request-body", before, after) == [
        ("request-body-max-length-decreased", "$<propertyNames>")
    ]


def test_open_keywords_equal_their_absence() -> None:
    plain = {"type": "object"}
    for open_form in (
        {"type": "object", "unevaluatedProperties": True},
        {"type": "object", "propertyNames": {}},
        {"type": "object", "patternProperties": {}},
    ):
        assert found("request-body", plain, open_form) == []
        assert found("request-body", open_form, plain) == []


def test_a_branch_that_moved_and_changed_is_compared_with_its_old_self() -> None:
    a = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    b = {"type": "object", "properties": {"b": {"type": "integer"}}, "required": ["b"]}
    b2 = {
        "type": "object",
        "properties": {"b": {"type": "integer", "maximum": 3}},
        "required": ["b"],
    }
    before = {"oneOf": [a, b, {"type": "string"}]}
    after = {"oneOf": [b2, {"type": "string"}, a]}
    assert found("request-body", before, after) == [("request-body-maximum-added", "$<oneOf:0>.b")]
    before = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
    after = {"oneOf": [{"type": "string"}, {"type": "boolean"}]}
    assert found("request-body", before, after) == [
        ("request-body-variant-added", "$<oneOf:1>"),
        ("request-body-variant-removed", "$<oneOf:1>"),
    ]


def test_a_wrapping_with_a_discriminator_reports_both() -> None:
    pet = {"type": "object", "properties": {"kind": {"type": "string"}}, "required": ["kind"]}
    after = {"oneOf": [pet, {**pet, "title": "dog"}], "discriminator": {"propertyName": "kind"}}
    assert found("request-body", pet, after) == [
        ("request-body-discriminator-added", "$"),
        ("request-body-wrapped-in-one-of", "$"),
    ]


def test_a_referenced_component_that_changed_is_seen_through_the_keywords() -> None:
    schema = {
        "type": "object",
        "patternProperties": {"^x-": {"$ref": "#/components/schemas/Label"}},
    }
    before, after = with_schema("request-body", schema), with_schema("request-body", schema)
    before["components"] = {"schemas": {"Label": {"type": "string", "maxLength": 9}}}
    after["components"] = {"schemas": {"Label": {"type": "string", "maxLength": 4}}}
    changes = compat.diff(
        compat.parse(encode(before), source="a"), compat.parse(encode(after), source="b")
    )
    assert [(c.id, c.path) for c in changes] == [("request-body-max-length-decreased", "$./^x-/")]
