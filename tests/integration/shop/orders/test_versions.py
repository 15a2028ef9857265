"""Orders serves two major versions at once, over one set of use cases and one database.

``/v1`` (deprecated: every answer says so) and ``/v2`` (amounts as money) answer from
the real app; inventory and payments are real apps behind ``httpx.ASGITransport``.
Every app checks tokens signed by a test key; the test calls as customer ``c-1``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from accord import openapi
from accord.observability.telemetry import Telemetry
from shop.inventory import bootstrap as inventory_bootstrap
from shop.inventory.contract import Inventory, Restock
from shop.orders import bootstrap as orders_bootstrap
from shop.orders import contract as v1
from shop.orders import contract_v2 as v2
from shop.orders.adapters.credentials import SCOPES
from shop.payments import bootstrap as payments_bootstrap
from tests.support.asgi import lifespan
from tests.support.tokens import TestIssuer

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[4]
V1_FILE = ROOT / "contracts" / "orders.v1.openapi.json"
V2_FILE = ROOT / "contracts" / "orders.v2.openapi.json"
ANNOUNCED = {
    "deprecation": "@1795737600",
    "sunset": "Wed, 30 Jun 2027 00:00:00 GMT",
    "link": '</v2/openapi.json>; rel="successor-version"',
}
COMMAND = (sys.executable, "-m", "accord", "contracts", "diff", "--format", "json")
BODY = {"customer_id": "c-1", "items": [{"sku": "MUG", "quantity": 2}], "card_token": "tok_visa"}


@dataclass
class Versions:
    http: httpx.AsyncClient
    v1: v1.Orders
    v2: v2.OrdersV2


@pytest.fixture
async def shop(tmp_path: Path) -> AsyncIterator[Versions]:
    noop = Telemetry.noop
    issuer = TestIssuer()
    inventory_app = inventory_bootstrap.create_app(
        inventory_bootstrap.Settings(
            home=str(tmp_path), database_url=f"sqlite:///{tmp_path}/inventory.db", seed="none"
        ),
        telemetry=noop("inventory"),
        verifier=issuer.verifier("inventory"),
    )
    payments_app = payments_bootstrap.create_app(
        payments_bootstrap.Settings(
            home=str(tmp_path), database_url=f"sqlite:///{tmp_path}/payments.db"
        ),
        telemetry=noop("payments"),
        verifier=issuer.verifier("payments"),
    )
    orders_app = orders_bootstrap.create_app(
        orders_bootstrap.Settings(
            home=str(tmp_path),
            database_url=f"sqlite:///{tmp_path}/orders.db",
            inventory_url="http://inventory",
            payments_url="http://payments",
        ),
        telemetry=noop("orders"),
        inventory_transport=httpx.ASGITransport(app=inventory_app),
        payments_transport=httpx.ASGITransport(app=payments_app),
        verifier=issuer.verifier("orders"),
        credentials=issuer.credentials(*SCOPES),
    )
    transport = httpx.ASGITransport(app=orders_app)
    customer = issuer.bearer("orders:read", "orders:write", customer_id="c-1")
    # The lifespans close each app's engine: a connection left to the garbage collector
    # would be closed after this test's event loop is gone.
    async with (
        lifespan(inventory_app),
        lifespan(payments_app),
        lifespan(orders_app),
        Inventory.client(
            "http://inventory",
            transport=httpx.ASGITransport(app=inventory_app),
            headers=issuer.bearer("inventory:admin"),
        ) as inventory,
        httpx.AsyncClient(transport=transport, base_url="http://orders", headers=customer) as http,
        v1.Orders.client("http://orders", transport=transport, headers=customer) as client_v1,
        v2.OrdersV2.client("http://orders", transport=transport, headers=customer) as client_v2,
    ):
        for sku, quantity, price in (("MUG", 5, 1250), ("TEE", 2, 1999)):
            await inventory.restock(
                Restock(sku=sku, quantity=quantity, name=sku.title(), unit_price_cents=price)
            )
        yield Versions(http, client_v1, client_v2)


def announced(response: httpx.Response) -> dict[str, str]:
    return {name: response.headers[name] for name in ANNOUNCED if name in response.headers}


async def place(shop: Versions, version: int, key: str) -> httpx.Response:
    return await shop.http.post(f"/v{version}/orders", json=BODY, headers={"Idempotency-Key": key})


# -- both versions answer, over the same orders ----------------------------------------


async def test_both_versions_place_get_and_list_the_same_orders(shop: Versions) -> None:
    placed_v1 = await place(shop, 1, "k-1")
    placed_v2 = await place(shop, 2, "k-2")
    assert (placed_v1.status_code, placed_v2.status_code) == (201, 201)
    old, new = placed_v1.json(), placed_v2.json()
    assert (old["total_cents"], old["currency"]) == (2500, "EUR")
    assert old["lines"] == [{"sku": "MUG", "quantity": 2, "unit_price_cents": 1250}]
    assert new["total"] == {"amount_minor": 2500, "currency": "EUR"}
    assert new["lines"] == [
        {"sku": "MUG", "quantity": 2, "unit_price": {"amount_minor": 1250, "currency": "EUR"}}
    ]
    assert "total_cents" not in new and "currency" not in new

    # an order placed through one version reads back through the other
    got_v2 = (await shop.http.get(f"/v2/orders/{old['order_id']}")).json()
    assert got_v2["total"] == {"amount_minor": 2500, "currency": "EUR"}
    assert got_v2["created_at"] == old["created_at"]
    got_v1 = (await shop.http.get(f"/v1/orders/{new['order_id']}")).json()
    assert (got_v1["total_cents"], got_v1["status"]) == (2500, "confirmed")

    for version in (1, 2):
        listed = await shop.http.get(f"/v{version}/orders", params={"customer_id": "c-1"})
        assert listed.status_code == 200
        ids = [o["order_id"] for o in listed.json()["orders"]]
        assert ids == [new["order_id"], old["order_id"]]


async def test_an_unpriced_line_is_null_in_v2_and_zero_in_v1(shop: Versions) -> None:
    short = {**BODY, "items": [{"sku": "TEE", "quantity": 3}]}
    refused = await shop.http.post("/v2/orders", json=short, headers={"Idempotency-Key": "k"})
    assert refused.status_code == 409
    assert refused.json()["code"] == "orders.out_of_stock"
    (new,) = (await shop.v2.list_orders(v2.ListOrders(customer_id="c-1"))).orders
    assert new.status == "rejected"
    assert new.lines == [v2.OrderLine(sku="TEE", quantity=3, unit_price=None)]
    assert new.total == v2.Money(amount_minor=0, currency="EUR")
    (old,) = (await shop.v1.list_orders(v1.ListOrders(customer_id="c-1"))).orders
    assert old.lines == [v1.OrderLine(sku="TEE", quantity=3, unit_price_cents=0)]


async def test_each_typed_client_speaks_its_version(shop: Versions) -> None:
    request = v1.PlaceOrder(items=[v1.OrderItem(sku="TEE", quantity=1)], card_token="tok_visa")
    new = await shop.v2.place_order(request, idempotency_key="k-typed-2")
    assert isinstance(new, v2.Order)
    assert new.total == v2.Money(amount_minor=1999, currency="EUR")
    old = await shop.v1.get_order(v1.GetOrder(order_id=new.order_id))
    assert isinstance(old, v1.Order)
    assert (old.total_cents, old.currency) == (1999, "EUR")
    with pytest.raises(v1.OrderNotFound):
        await shop.v2.get_order(v2.GetOrder(order_id="ord_missing"))
    with pytest.raises(v1.OrderNotFound):
        await shop.v1.get_order(v1.GetOrder(order_id="ord_missing"))


# -- v1 announces its deprecation, v2 does not -----------------------------------------


async def test_every_v1_answer_announces_the_deprecation(shop: Versions) -> None:
    answers = [
        await place(shop, 1, "k-v1"),
        await shop.http.get("/v1/orders", params={"customer_id": "c-1"}),
        await shop.http.get("/v1/orders/ord_missing"),  # 404 problem
        await shop.http.get("/v1/orders", params={"customer_id": "c-1", "limit": "0"}),  # 422
        await shop.http.post("/v1/orders", json=BODY),  # 400: no idempotency key
        await shop.http.get("/v1/orders", headers={"authorization": "Basic eDp5"}),  # 401
    ]
    assert [a.status_code for a in answers] == [201, 200, 404, 422, 400, 401]
    for answer in answers:
        assert announced(answer) == ANNOUNCED, answer.request.url


async def test_no_v2_answer_announces_anything(shop: Versions) -> None:
    answers = [
        await place(shop, 2, "k-v2"),
        await shop.http.get("/v2/orders", params={"customer_id": "c-1"}),
        await shop.http.get("/v2/orders/ord_missing"),
        await shop.http.post("/v2/orders", json=BODY),
    ]
    assert [a.status_code for a in answers] == [201, 200, 404, 400]
    for answer in answers:
        assert announced(answer) == {}, answer.request.url


# -- the documents ---------------------------------------------------------------------


def operations(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for item in doc["paths"].values() for op in item.values()]


async def test_each_version_serves_its_own_document(shop: Versions) -> None:
    old = await shop.http.get("/v1/openapi.json")
    new = await shop.http.get("/v2/openapi.json")
    assert old.content == openapi.render(v1.Orders) == V1_FILE.read_bytes()
    assert new.content == openapi.render(v2.OrdersV2) == V2_FILE.read_bytes()
    assert (await shop.http.get("/openapi.json")).content == old.content

    old_doc, new_doc = old.json(), new.json()
    assert old_doc["info"]["version"] == v1.Orders.version
    assert old_doc["info"]["x-sunset"] == "2027-06-30"
    assert old_doc["x-accord-service"]["successor"] == "/v2/openapi.json"
    assert all(op["deprecated"] is True for op in operations(old_doc))
    assert {op["x-sunset"] for op in operations(old_doc)} == {"2027-06-30"}
    assert new_doc["info"]["version"] == v2.OrdersV2.version
    assert "x-sunset" not in new_doc["info"]
    assert not any("deprecated" in op for op in operations(new_doc))
    assert sorted(old_doc["paths"]) == ["/v1/orders", "/v1/orders/{order_id}"]
    assert sorted(new_doc["paths"]) == ["/v2/orders", "/v2/orders/{order_id}"]


def diff(base: Path, revision: Path) -> tuple[int, list[dict[str, Any]]]:
    done = subprocess.run(
        [*COMMAND, str(base), str(revision)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, json.loads(done.stdout)


def test_the_diff_from_v1_to_v2_is_breaking() -> None:
    code, changes = diff(V1_FILE, V2_FILE)
    assert code == 1
    removed = {c["operation"] for c in changes if c["level"] == "breaking"}
    assert removed == {"GET /v1/orders", "GET /v1/orders/{order_id}", "POST /v1/orders"}
    assert {c["id"] for c in changes if c["level"] == "breaking"} == {
        "operation-removed-before-sunset"
    }


def test_v2_in_place_of_v1_would_break_what_v1_clients_read(tmp_path: Path) -> None:
    """The same diff with v1's paths moved under /v2: the field changes themselves."""
    doc = json.loads(V1_FILE.read_text(encoding="utf-8"))
    doc["paths"] = {path.replace("/v1/", "/v2/", 1): item for path, item in doc["paths"].items()}
    moved = tmp_path / "orders.v1-at-v2.openapi.json"
    moved.write_text(json.dumps(doc), encoding="utf-8")
    code, changes = diff(moved, V2_FILE)
    assert code == 1
    breaking = {(c["operation"], c["id"], c["path"]) for c in changes if c["level"] == "breaking"}
    removed = "response-body-required-property-removed"
    expected = set()
    for operation, order in (
        ("POST /v2/orders", "$"),
        ("GET /v2/orders/{order_id}", "$"),
        ("GET /v2/orders", "$.orders[]"),
    ):
        for field in ("total_cents", "currency", "lines[].unit_price_cents"):
            expected.add((operation, removed, f"{order}.{field}"))
    assert breaking == expected
