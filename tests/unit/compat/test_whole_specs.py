"""Realistic document pairs: YAML and JSON, 3.0 and 3.1, file references and cycles."""

from __future__ import annotations

from pathlib import Path

from accord import compat

SPECS = Path(__file__).parent / "fixtures" / "specs"


def changes(base: str, revision: str) -> list[tuple[str, str, str]]:
    found = compat.diff(compat.load(SPECS / base), compat.load(SPECS / revision))
    return [(c.id, c.operation, c.path) for c in found]


def test_petstore_3_0_yaml_with_file_references() -> None:
    found = changes("petstore.base.yaml", "petstore.revision.yaml")
    assert ("operation-removed", "DELETE /pets/{petId}", "$") in found
    assert ("request-parameter-became-required", "GET /pets", "$") in found
    assert ("request-parameter-maximum-decreased", "GET /pets", "$") in found
    assert ("response-optional-header-removed", "GET /pets", "$") in found
    assert ("path-parameter-renamed", "GET /pets/{id}", "$") in found
    # the file common.yaml → common.v2.yaml, read through allOf and a cycle (Owner.pets)
    assert ("request-body-property-became-required", "POST /pets", "$.kind") in found
    assert ("request-body-max-length-decreased", "POST /pets", "$.name") in found
    assert ("request-body-nullable-removed", "POST /pets", "$.tag") in found
    assert ("request-body-enum-value-added", "POST /pets", "$.kind") in found
    assert ("response-body-enum-value-added", "GET /pets", "$[].kind") in found
    assert len(found) == 21
    breaking = [c for c in found if compat.rule(c[0]).level is compat.Level.BREAKING]
    assert len(breaking) == 6


def test_petstore_reversed_is_additive_where_it_was_breaking() -> None:
    found = {c[0] for c in changes("petstore.revision.yaml", "petstore.base.yaml")}
    assert "operation-added" in found
    assert "request-parameter-became-optional" in found
    assert "request-body-property-became-optional" in found
    assert "response-body-nullable-added" in found
    assert "operation-removed" not in found


def test_orders_3_1_json_with_accord_extensions() -> None:
    assert changes("orders.base.json", "orders.revision.json") == [
        ("response-body-variant-added", "GET /orders/{orderId}", "$.payment<oneOf:Voucher>"),
        ("response-body-enum-value-added", "GET /orders/{orderId}", "$.status"),
        ("required-request-parameter-added", "POST /orders", "$"),
        ("response-body-variant-added", "POST /orders", "$.payment<oneOf:Voucher>"),
        ("response-body-enum-value-added", "POST /orders", "$.status"),
        ("accord-idempotency-weakened", "POST /orders", "$"),
    ]


def test_a_recursive_schema_compares_with_itself_and_terminates() -> None:
    assert changes("tree.yaml", "tree.yaml") == []


def test_the_committed_contracts_equal_themselves() -> None:
    root = Path(__file__).resolve().parents[3] / "contracts"
    for path in sorted(root.glob("*.openapi.json")):
        assert compat.diff(compat.load(path), compat.load(path)) == [], path.name


def test_events_3_1_with_callbacks_webhooks_servers_and_links() -> None:
    found = compat.diff(
        compat.load(SPECS / "events.base.yaml"), compat.load(SPECS / "events.revision.yaml")
    )
    callback = "callback paymentSettled {$request.body#/callbackUrl} POST"
    assert [(c.id, c.operation, c.location, c.path) for c in found] == [
        (
            "server-variable-enum-value-removed",
            "",
            "server https://{region}.pay.example.com/v2 variable region",
            "$",
        ),
        (
            "response-body-wrapped-in-one-of",
            "GET /subscriptions/{id}",
            "response 200 application/json",
            "$.labels./^x-/",
        ),
        (
            "callback-request-body-property-became-optional",
            "POST /subscriptions",
            f"{callback} request body application/json",
            "$.amount",
        ),
        (
            "callback-response-body-type-widened",
            "POST /subscriptions",
            f"{callback} response 200 application/json",
            "$.ok",
        ),
        (
            "request-body-max-length-decreased",
            "POST /subscriptions",
            "request body application/json",
            "$.topics[1]",
        ),
        (
            "response-body-wrapped-in-one-of",
            "POST /subscriptions",
            "response 201 application/json",
            "$.labels./^x-/",
        ),
        ("response-link-changed", "POST /subscriptions", "response 201 link GetSubscription", "$"),
        ("webhook-removed", "POST webhook disputeOpened", "webhook", "$"),
        (
            "callback-parameter-became-optional",
            "POST webhook refundIssued",
            "webhook header parameter X-Signature",
            "$",
        ),
        (
            "callback-request-body-enum-value-added",
            "POST webhook refundIssued",
            "webhook request body application/json",
            "$.reason",
        ),
    ]
    assert [c.level.value for c in found].count("breaking") == 6


def test_events_reversed_breaks_only_what_consumers_send_back() -> None:
    found = compat.diff(
        compat.load(SPECS / "events.revision.yaml"), compat.load(SPECS / "events.base.yaml")
    )
    breaking = [c.id for c in found if c.level is compat.Level.BREAKING]
    assert breaking == ["callback-response-body-type-narrowed"]
    assert {c.id for c in found} >= {
        "webhook-added",
        "response-body-unwrapped-from-one-of",
        "callback-parameter-became-required",
        "server-variable-enum-value-added",
    }
