"""Callbacks and webhooks: the API sends the request, so the direction flips."""

from __future__ import annotations

from typing import Any

from accord import compat
from tests.unit.compat.fixtures.build import document, encode, operation, with_schema

ORDER = {
    "type": "object",
    "required": ["id", "status"],
    "properties": {"id": {"type": "string"}, "status": {"enum": ["paid", "shipped"]}},
}
SMALLER = {
    "type": "object",
    "required": ["id"],
    "properties": {"id": {"type": "string"}, "status": {"enum": ["paid", "shipped", "lost"]}},
}


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[compat.Change]:
    return compat.diff(
        compat.parse(encode(before), source="a"), compat.parse(encode(after), source="b")
    )


def levels(context: str) -> dict[str, compat.Level]:
    found = changes(with_schema(context, ORDER), with_schema(context, SMALLER))
    return {c.id.removeprefix(context + "-"): c.level for c in found}


def test_what_the_api_sends_in_a_callback_is_judged_as_a_response() -> None:
    assert levels("callback-request-body") == levels("response-body")
    assert levels("callback-request-body") == {
        "property-became-optional": compat.Level.BREAKING,
        "enum-value-added": compat.Level.WARNING,
    }


def test_what_consumers_answer_a_callback_with_is_judged_as_a_request() -> None:
    assert levels("callback-response-body") == levels("request-body")
    assert levels("callback-response-body") == {
        "property-became-optional": compat.Level.INFO,
        "enum-value-added": compat.Level.INFO,
    }


def test_a_callback_finding_names_the_operation_and_the_callback() -> None:
    (change,) = changes(
        with_schema("callback-request-body", {"type": "string", "maxLength": 5}),
        with_schema("callback-request-body", {"type": "string", "maxLength": 9}),
    )
    assert change.id == "callback-request-body-max-length-increased"
    assert change.level is compat.Level.BREAKING
    assert change.operation == "POST /things"
    assert change.location == (
        "callback onEvent {$request.body#/callbackUrl} POST request body application/json"
    )


def test_a_webhook_body_is_compared_with_the_flipped_direction() -> None:
    def hook(schema: dict[str, Any]) -> dict[str, Any]:
        sent = operation(requestBody={"content": {"application/json": {"schema": schema}}})
        return document({}, webhooks={"orderPaid": {"post": sent}})

    (change,) = changes(hook(ORDER), hook({**ORDER, "required": ["id"]}))
    assert (change.id, change.level, change.operation, change.path) == (
        "callback-request-body-property-became-optional",
        compat.Level.BREAKING,
        "POST webhook orderPaid",
        "$.status",
    )


def test_callbacks_behind_refs_are_followed() -> None:
    sent = {"post": operation(requestBody={"content": {"application/json": {"schema": ORDER}}})}
    inline = document({"/o": {"post": operation(callbacks={"paid": {"{$url}": sent}})}})
    moved = document(
        {"/o": {"post": operation(callbacks={"paid": {"$ref": "#/components/callbacks/Paid"}})}},
        components={"callbacks": {"Paid": {"{$url}": sent}}},
    )
    assert changes(inline, moved) == []
    assert changes(moved, inline) == []


def test_a_webhook_moved_to_components_path_items_reports_nothing() -> None:
    item = {"post": operation(requestBody={"content": {"application/json": {"schema": ORDER}}})}
    inline = document({}, webhooks={"orderPaid": item})
    moved = document(
        {},
        webhooks={"orderPaid": {"$ref": "#/components/pathItems/OrderPaid"}},
        components={"pathItems": {"OrderPaid": item}},
    )
    assert changes(inline, moved) == []
    assert changes(moved, inline) == []


def test_read_only_and_write_only_follow_the_message_not_its_reader() -> None:
    secret = {
        "type": "object",
        "required": ["id", "signature"],
        "properties": {"id": {"type": "string"}, "signature": {"writeOnly": True}},
    }
    without = {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}
    # a callback's request is a request: its writeOnly members are sent, and consumers lose them
    found = changes(
        with_schema("callback-request-body", secret), with_schema("callback-request-body", without)
    )
    assert [(c.id, c.level, c.path) for c in found] == [
        (
            "callback-request-body-required-property-removed",
            compat.Level.BREAKING,
            "$.signature",
        )
    ]
    # a readOnly member is not in a request at all
    stamped = {**secret, "properties": {**secret["properties"], "signature": {"readOnly": True}}}
    assert (
        changes(
            with_schema("callback-request-body", stamped),
            with_schema("callback-request-body", without),
        )
        == []
    )
    made_read_only = changes(
        with_schema("callback-request-body", ORDER),
        with_schema(
            "callback-request-body",
            {**ORDER, "properties": {**ORDER["properties"], "status": {"readOnly": True}}},
        ),
    )
    assert [(c.id, c.level) for c in made_read_only] == [
        ("callback-request-body-property-became-read-only", compat.Level.BREAKING)
    ]
