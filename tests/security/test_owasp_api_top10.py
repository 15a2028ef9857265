"""The OWASP API Security Top 10 (2023), tried against a running shop.

Each test names the risk it covers. API7 (server-side request forgery) does not apply:
no operation of the shop takes a URL from its caller.
"""

from __future__ import annotations

import json
import re
import uuid

import httpx
import pytest

from tests.security.conftest import PROBLEM, SecureShop, assert_problem, bearer

pytestmark = pytest.mark.e2e

APPLE = {"sku": "SKU-APPLE", "quantity": 1}
CARD = "tok_visa_4242"


def place(shop: SecureShop, token: str, body: dict[str, object] | None = None) -> httpx.Response:
    return httpx.post(
        shop.url("orders") + "/v1/orders",
        json=body or {"items": [APPLE], "card_token": CARD},
        headers={**bearer(token), "idempotency-key": uuid.uuid4().hex},
        timeout=15,
    )


# -- API1:2023 Broken Object Level Authorization ---------------------------------------


def test_api1_bola_another_customers_order_is_not_found(shop: SecureShop) -> None:
    alice, _ = shop.customer()
    mallory, _ = shop.customer()
    placed = place(shop, alice)
    assert placed.status_code == 201, placed.text
    order = placed.json()
    for version in ("v1", "v2"):
        mine = httpx.get(
            f"{shop.url('orders')}/{version}/orders/{order['order_id']}",
            headers=bearer(alice),
            timeout=10,
        )
        assert mine.status_code == 200, mine.text
        stolen = httpx.get(
            f"{shop.url('orders')}/{version}/orders/{order['order_id']}",
            headers=bearer(mallory),
            timeout=10,
        )
        missing = httpx.get(
            f"{shop.url('orders')}/{version}/orders/ord_{uuid.uuid4().hex}",
            headers=bearer(mallory),
            timeout=10,
        )
        assert_problem(stolen, 404, "orders.order_not_found")
        assert_problem(missing, 404, "orders.order_not_found")
        # nothing tells an order of someone else from one that does not exist
        assert stolen.json()["title"] == missing.json()["title"]
        assert order["customer_id"] not in stolen.text


def test_api1_bola_a_customer_lists_only_their_own_orders(shop: SecureShop) -> None:
    alice, _ = shop.customer()
    mallory, _ = shop.customer()
    order = place(shop, alice).json()
    theirs = httpx.get(
        shop.url("orders") + "/v1/orders",
        params={"customer_id": order["customer_id"]},
        headers=bearer(mallory),
        timeout=10,
    )
    assert_problem(theirs, 403, "forbidden")
    own = httpx.get(shop.url("orders") + "/v1/orders", headers=bearer(mallory), timeout=10)
    assert own.status_code == 200, own.text
    assert own.json()["orders"] == []
    alices = httpx.get(shop.url("orders") + "/v1/orders", headers=bearer(alice), timeout=10)
    assert [o["order_id"] for o in alices.json()["orders"]] == [order["order_id"]]


# -- API2:2023 Broken Authentication ----------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer",
        "Bearer garbage",
        "bearer garbage",
        "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x",
        "Basic b3JkZXJzOnNlY3JldA==",
        "Token abc",
        "Bearer a b",
    ],
    ids=[
        "missing", "empty", "garbage", "lowercase-garbage", "unsigned-looking",
        "basic", "other-scheme", "two-words",
    ],
)  # fmt: skip
def test_api2_broken_authentication_is_refused(shop: SecureShop, authorization: str | None) -> None:
    headers = {} if authorization is None else {"authorization": authorization}
    for url in (
        shop.url("orders") + "/v1/orders",
        shop.url("inventory") + "/v1/skus",
        shop.url("payments") + "/v1/authorizations",
    ):
        response = httpx.get(url, headers=headers, timeout=10)
        assert_problem(response, 401, "unauthenticated")
        assert response.headers["www-authenticate"].startswith("Bearer ")


def test_api2_the_scheme_name_is_case_insensitive(shop: SecureShop) -> None:
    token, _ = shop.customer()
    response = httpx.get(
        shop.url("orders") + "/v1/orders", headers={"authorization": f"bearer {token}"}
    )
    assert response.status_code == 200, response.text


def test_api2_a_token_for_another_service_is_refused(shop: SecureShop) -> None:
    customer, _ = shop.customer()  # audience: orders
    for url in (shop.url("inventory") + "/v1/skus", shop.url("payments") + "/v1/authorizations"):
        response = httpx.get(url, headers=bearer(customer), timeout=10)
        assert_problem(response, 401, "unauthenticated")
        assert "wrong audience" in response.headers["www-authenticate"]


def test_api2_a_wrong_password_gets_no_token(shop: SecureShop) -> None:
    _, email = shop.customer()
    response = httpx.post(
        shop.url("identity") + "/v1/login",
        json={"email": email, "password": "not-the-password"},
        timeout=10,
    )
    assert_problem(response, 401)
    assert "access_token" not in response.text


# -- API3:2023 Broken Object Property Level Authorization (mass assignment) -------------


def test_api3_read_only_fields_in_the_body_never_reach_the_order(shop: SecureShop) -> None:
    token, _ = shop.customer()
    response = place(
        shop,
        token,
        {
            "items": [{"sku": "SKU-COFFEE", "quantity": 2}],
            "card_token": "tok_declined",
            "status": "confirmed",
            "total_cents": 1,
            "currency": "XXX",
            "order_id": "ord_chosen_by_attacker",
            "lines": [{"sku": "SKU-COFFEE", "quantity": 2, "unit_price_cents": 0}],
        },
    )
    # the card is declined: a body saying "confirmed" does not make it so
    assert_problem(response, 402, "orders.payment_declined")
    listed = httpx.get(shop.url("orders") + "/v1/orders", headers=bearer(token), timeout=10)
    (order,) = listed.json()["orders"]
    assert order["status"] == "rejected"
    assert order["order_id"] != "ord_chosen_by_attacker"
    assert order["currency"] == "EUR"
    assert order["total_cents"] != 1


def test_api3_an_order_cannot_be_placed_for_another_customer(shop: SecureShop) -> None:
    alice, _ = shop.customer()
    mallory, _ = shop.customer()
    alices_id = place(shop, alice).json()["customer_id"]
    response = place(
        shop, mallory, {"customer_id": alices_id, "items": [APPLE], "card_token": CARD}
    )
    assert_problem(response, 403, "forbidden")
    alices = httpx.get(shop.url("orders") + "/v1/orders", headers=bearer(alice), timeout=10)
    assert len(alices.json()["orders"]) == 1


def test_api3_an_order_is_the_tokens_customers(shop: SecureShop) -> None:
    token, _ = shop.customer()
    first = place(shop, token).json()
    assert first["status"] == "confirmed"
    second = place(
        shop, token, {"customer_id": first["customer_id"], "items": [APPLE], "card_token": CARD}
    )
    assert second.status_code == 201, second.text
    assert second.json()["customer_id"] == first["customer_id"]


# -- API4:2023 Unrestricted Resource Consumption ----------------------------------------


def test_api4_an_oversized_body_is_413(shop: SecureShop) -> None:
    token, _ = shop.customer()
    body = b'{"items": [], "card_token": "' + b"x" * (2 << 20) + b'"}'
    response = httpx.post(
        shop.url("orders") + "/v1/orders",
        content=body,
        headers={
            **bearer(token),
            "content-type": "application/json",
            "idempotency-key": uuid.uuid4().hex,
        },
        timeout=30,
    )
    assert_problem(response, 413)


@pytest.mark.parametrize("limit", ["1000000", "99999999999999999999", "-1", "0"])
def test_api4_a_huge_page_size_is_refused(shop: SecureShop, limit: str) -> None:
    token, _ = shop.customer()
    operator = shop.client_token("operator", "inventory:read", "payments:read")
    for url, headers in (
        (shop.url("orders") + "/v1/orders", bearer(token)),
        (shop.url("orders") + "/v2/orders", bearer(token)),
        (shop.url("inventory") + "/v1/reservations", bearer(operator)),
        (shop.url("payments") + "/v1/authorizations", bearer(operator)),
    ):
        response = httpx.get(url, params={"limit": limit}, headers=headers, timeout=10)
        assert_problem(response, 422, "validation_failed")


def test_api4_a_page_is_at_most_100_orders(shop: SecureShop) -> None:
    token, _ = shop.customer()
    url = shop.url("orders") + "/v1/orders"
    assert httpx.get(url, params={"limit": 100}, headers=bearer(token)).status_code == 200
    response = httpx.get(url, params={"limit": 101}, headers=bearer(token), timeout=10)
    assert_problem(response, 422, "validation_failed")


def test_api4_deep_nesting_and_long_arrays_are_refused(shop: SecureShop) -> None:
    token, _ = shop.customer()
    deep = b'{"items": ' + b"[" * 5000 + b"]" * 5000 + b', "card_token": "tok_visa_4242"}'
    many = json.dumps({"items": [APPLE] * 20000, "card_token": CARD}).encode()
    refusals = {
        deep: "JSON nests deeper than 32 levels at $",
        many: "Expected `array` of length <= 50 at $.items",
    }
    for body, detail in refusals.items():
        response = httpx.post(
            shop.url("orders") + "/v1/orders",
            content=body,
            headers={
                **bearer(token),
                "content-type": "application/json",
                "idempotency-key": uuid.uuid4().hex,
            },
            timeout=30,
        )
        assert_problem(response, 422, "validation_failed")
        assert response.json()["detail"] == detail


# -- API5:2023 Broken Function Level Authorization --------------------------------------


def test_api5_orders_own_token_is_refused_outside_its_scopes(shop: SecureShop) -> None:
    orders = shop.client_token("orders")
    calls = [
        ("POST", shop.url("inventory") + "/v1/skus/SKU-APPLE/restock", {"quantity": 1000}),
        ("GET", shop.url("inventory") + "/v1/skus", None),
        ("GET", shop.url("inventory") + "/v1/reservations", None),
        ("GET", shop.url("payments") + "/v1/authorizations", None),
    ]
    for method, url, body in calls:
        response = httpx.request(
            method,
            url,
            json=body,
            headers={**bearer(orders), "idempotency-key": uuid.uuid4().hex},
            timeout=10,
        )
        assert_problem(response, 403, "forbidden")
        assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    # what it may do, it can: hold one apple and let it go
    held = httpx.post(
        shop.url("inventory") + "/v1/reservations",
        json={"order_id": f"ord_{uuid.uuid4().hex}", "items": [APPLE]},
        headers={**bearer(orders), "idempotency-key": uuid.uuid4().hex},
        timeout=10,
    )
    assert held.status_code == 201, held.text
    released = httpx.post(
        f"{shop.url('inventory')}/v1/reservations/{held.json()['reservation_id']}/release",
        json={},
        headers=bearer(orders),
        timeout=10,
    )
    assert released.status_code == 200, released.text


def test_api5_orders_cannot_ask_for_more_scopes(shop: SecureShop) -> None:
    response = httpx.post(shop.token_url, json=shop.grant("orders", "inventory:admin"), timeout=10)
    assert_problem(response, 400, "identity.invalid_scope")
    assert "access_token" not in response.text


def test_api5_a_customer_cannot_call_service_operations(shop: SecureShop) -> None:
    customer, _ = shop.customer()
    for method, url in (
        ("POST", shop.url("inventory") + "/v1/skus/SKU-APPLE/restock"),
        ("POST", shop.url("inventory") + "/v1/reservations"),
        ("POST", shop.url("payments") + "/v1/authorizations"),
        ("GET", shop.url("payments") + "/v1/authorizations"),
    ):
        response = httpx.request(
            method,
            url,
            json={},
            headers={**bearer(customer), "idempotency-key": uuid.uuid4().hex},
            timeout=10,
        )
        assert response.status_code in (401, 403), response.text
        assert response.headers["content-type"].startswith(PROBLEM)


def test_api5_the_operator_reads_but_does_not_place_orders(shop: SecureShop) -> None:
    operator = shop.client_token("operator", "orders:read")
    response = place(shop, operator)
    assert_problem(response, 403, "forbidden")


# -- API6:2023 Unrestricted Access to Sensitive Business Flows ---------------------------


def test_api6_placing_orders_in_a_burst_is_throttled(shop: SecureShop) -> None:
    token, _ = shop.customer()
    answers = []
    with httpx.Client(timeout=15) as client:
        for _ in range(60):
            response = client.post(
                shop.url("orders") + "/v1/orders",
                json={"items": [{"sku": "SKU-NOPE", "quantity": 1}], "card_token": CARD},
                headers={**bearer(token), "idempotency-key": uuid.uuid4().hex},
            )
            answers.append(response)
            if response.status_code == 429:
                break
    limited = answers[-1]
    assert_problem(limited, 429, "rate_limited")
    assert int(limited.headers["retry-after"]) >= 1
    # another customer is not slowed down by the first one's burst
    other, _ = shop.customer()
    assert place(shop, other).status_code == 201


# -- API8:2023 Security Misconfiguration ------------------------------------------------

LEAKS = re.compile(
    r"Traceback|File \"|\.py\b|/home/|/tmp/|site-packages|sqlalchemy|sqlite|SELECT |INSERT |"
    r"psycopg|Exception\b|Error:|0x[0-9a-f]{6,}",
    re.IGNORECASE,
)


def test_api8_errors_show_no_internals(shop: SecureShop) -> None:
    token, _ = shop.customer()
    bad, not_found = (422, "validation_failed"), (404, "orders.order_not_found")
    probes = [  # what is sent, and the exact refusal it earns
        ("POST", "orders", "/v1/orders", b"{not json", 422, "validation_failed"),
        ("POST", "orders", "/v1/orders", b'{"items": "x"}', 422, "validation_failed"),
        ("POST", "orders", "/v1/orders", b"\xff\xfe\x00", 422, "validation_failed"),
        ("GET", "orders", "/v1/orders/%00%ff", None, 404, "orders.order_not_found"),
        ("GET", "orders", "/v1/orders/' OR 1=1 --", None, 404, "orders.order_not_found"),
        ("GET", "orders", "/v1/orders?limit=abc", None, 422, "validation_failed"),
        ("PATCH", "orders", "/v1/orders", None, 405, "method_not_allowed"),
        ("GET", "orders", "/v1/orders/%2e%2e%2f%2e%2e%2fetc%2fpasswd", None, *not_found),
        ("POST", "identity", "/v1/login", b'{"email": [], "password": {}}', *bad),
        ("POST", "identity", "/v1/token", b'{"grant_type": "password"}', 422, "validation_failed"),
    ]  # fmt: skip
    for method, service, path, body, status, code in probes:
        response = httpx.request(
            method,
            shop.url(service) + path,
            content=body,
            headers={
                **bearer(token),
                "content-type": "application/json",
                "idempotency-key": uuid.uuid4().hex,  # so the body itself is what is judged
            },
            timeout=10,
        )
        assert_problem(response, status, code)
        assert LEAKS.search(response.text) is None, response.text  # the whole body


# ``/docs`` is served on purpose: the contract's own reference page (docs/console.md).
@pytest.mark.parametrize(
    "path",
    [
        "/debug", "/redoc", "/admin", "/console", "/.env", "/.git/config",
        "/server-status", "/actuator", "/v1/debug", "/_internal", "/graphql", "/swagger.json",
    ],
)  # fmt: skip
def test_api8_no_debug_routes(shop: SecureShop, path: str) -> None:
    for service in ("orders", "inventory", "payments", "identity"):
        response = httpx.get(shop.url(service) + path, timeout=10)
        assert_problem(response, 404, "not_found")


def test_api8_no_server_header_and_no_version_leak(shop: SecureShop) -> None:
    for service in ("orders", "inventory", "payments", "identity"):
        for path in ("/livez", "/v1/nothing-here"):
            response = httpx.get(shop.url(service) + path, timeout=10)
            assert "server" not in response.headers, response.headers
            assert "x-powered-by" not in response.headers


# -- API9:2023 Improper Inventory Management --------------------------------------------

RUNTIME_ROUTES = {"/livez", "/readyz", "/metrics", "/openapi.json", "/.well-known/jwks.json"}


def documented(shop: SecureShop, service: str) -> dict[str, set[str]]:
    """Path → methods of every operation in the service's OpenAPI documents."""
    routes: dict[str, set[str]] = {}
    prefixes = ["v1", "v2"] if service == "orders" else ["v1"]
    for prefix in prefixes:
        doc = httpx.get(f"{shop.url(service)}/{prefix}/openapi.json", timeout=10).json()
        for path, item in doc["paths"].items():
            routes.setdefault(path, set()).update(m.upper() for m in item)
    return routes


def concrete(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "probe-1", template)


@pytest.mark.parametrize("service", ["orders", "inventory", "payments", "identity"])
def test_api9_every_route_served_is_documented(shop: SecureShop, service: str) -> None:
    routes = documented(shop, service)
    assert routes
    for template, methods in routes.items():
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            response = httpx.request(method, shop.url(service) + concrete(template), timeout=10)
            if method in methods:
                assert response.status_code != 405, (method, template)
            else:
                assert_problem(response, 405, "method_not_allowed")
    undocumented = [
        "/v0/orders", "/v3/orders", "/v1/orders/probe-1/cancel", "/v1/admin/orders",
        "/v1/skus/SKU-APPLE/delete", "/v1/authorizations/probe-1/refund", "/v1/users",
        "/v1/customers/probe-1", "/internal/orders", "/v1", "/",
    ]  # fmt: skip
    for path in undocumented:
        if any(concrete(t) == path for t in routes) or path in RUNTIME_ROUTES:
            continue
        response = httpx.get(shop.url(service) + path, timeout=10)
        assert_problem(response, 404, "not_found")
