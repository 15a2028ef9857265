"""The three services together, in-process: orders calls inventory and payments over HTTP.

Inventory and payments are real apps behind ``httpx.ASGITransport``; a dependency that
is down is a transport that refuses every connection. Every service checks tokens (signed
by a test key): the test calls as customer ``c-1``, orders calls inventory and payments
with a service token of exactly its scopes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
import pytest

from accord.errors import Forbidden
from accord.observability.telemetry import Telemetry
from shop.inventory import bootstrap as inventory_bootstrap
from shop.inventory.contract import Inventory, Restock, SkuRef, Stock
from shop.orders import bootstrap as orders_bootstrap
from shop.orders.adapters.credentials import SCOPES
from shop.orders.contract import (
    DependencyUnavailable,
    GetOrder,
    ListOrders,
    OrderItem,
    Orders,
    OutOfStock,
    PaymentDeclined,
    PlaceOrder,
    UnknownSku,
)
from shop.payments import bootstrap as payments_bootstrap
from shop.payments.adapters.processor import (
    ProcessorLinkDown,
    ProcessorResponse,
    SimulatedProcessor,
)
from tests.support.tokens import TestIssuer

pytestmark = pytest.mark.anyio


def refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


@dataclass
class Shop:
    orders: Orders
    inventory: Inventory
    http: httpx.AsyncClient
    processor: SimulatedProcessor
    issuer: TestIssuer
    transport: httpx.AsyncBaseTransport

    async def stock(self, sku: str) -> Stock:
        return await self.inventory.get_stock(SkuRef(sku=sku))

    def holds(self) -> list[str]:
        return sorted(self.processor.holds.values())


async def build(
    tmp_path: Path, *, payments_down: bool = False, processor: SimulatedProcessor | None = None
) -> AsyncIterator[Shop]:
    noop = Telemetry.noop
    issuer = TestIssuer()
    inventory_app = inventory_bootstrap.create_app(
        inventory_bootstrap.Settings(
            home=str(tmp_path), database_url=f"sqlite:///{tmp_path}/inventory.db", seed="none"
        ),
        telemetry=noop("inventory"),
        verifier=issuer.verifier("inventory"),
    )
    processor = processor or SimulatedProcessor()
    payments_app = payments_bootstrap.create_app(
        payments_bootstrap.Settings(
            home=str(tmp_path), database_url=f"sqlite:///{tmp_path}/payments.db"
        ),
        telemetry=noop("payments"),
        processor=processor,
        verifier=issuer.verifier("payments"),
    )
    payments_transport: httpx.AsyncBaseTransport = (
        httpx.MockTransport(refused) if payments_down else httpx.ASGITransport(app=payments_app)
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
        payments_transport=payments_transport,
        verifier=issuer.verifier("orders"),
        credentials=issuer.credentials(*SCOPES),
    )
    orders_transport = httpx.ASGITransport(app=orders_app)
    customer = issuer.bearer("orders:read", "orders:write", customer_id="c-1")
    operator = issuer.bearer("inventory:read", "inventory:admin")
    async with (
        Orders.client("http://orders", transport=orders_transport, headers=customer) as orders,
        Inventory.client(
            "http://inventory", transport=httpx.ASGITransport(app=inventory_app), headers=operator
        ) as inventory,
        httpx.AsyncClient(
            transport=orders_transport, base_url="http://orders", headers=customer
        ) as http,
    ):
        for sku, quantity, price in (("MUG", 5, 1250), ("TEE", 2, 1999)):
            await inventory.restock(
                Restock(sku=sku, quantity=quantity, name=sku.title(), unit_price_cents=price)
            )
        yield Shop(orders, inventory, http, processor, issuer, orders_transport)


@pytest.fixture
async def shop(tmp_path: Path) -> AsyncIterator[Shop]:
    async for built in build(tmp_path):
        yield built


def order(
    *items: tuple[str, int], card: str = "tok_visa", customer: str | None = "c-1"
) -> PlaceOrder:
    return PlaceOrder(
        customer_id=customer,
        items=[OrderItem(sku=sku, quantity=qty) for sku, qty in items],
        card_token=card,
    )


async def test_a_successful_order_sells_the_stock_and_captures_the_payment(shop: Shop) -> None:
    placed = await shop.orders.place_order(order(("MUG", 2), ("TEE", 1)))
    assert placed.status == "confirmed"
    assert placed.total_cents == 2 * 1250 + 1999
    assert [(line.sku, line.quantity, line.unit_price_cents) for line in placed.lines] == [
        ("MUG", 2, 1250),
        ("TEE", 1, 1999),
    ]
    assert placed.created_at.endswith("Z") and "T" in placed.created_at
    mug = await shop.stock("MUG")
    assert (mug.available, mug.reserved, mug.sold) == (3, 0, 2)
    assert shop.holds() == ["settled"]
    assert await shop.orders.get_order(GetOrder(order_id=placed.order_id)) == placed


async def test_out_of_stock_is_a_409_with_what_is_left(shop: Shop) -> None:
    with pytest.raises(OutOfStock) as info:
        await shop.orders.place_order(order(("MUG", 1), ("TEE", 3)))
    assert info.value.info is not None
    assert (info.value.info.sku, info.value.info.requested, info.value.info.available) == (
        "TEE",
        3,
        2,
    )
    for sku, available in (("MUG", 5), ("TEE", 2)):
        stock = await shop.stock(sku)
        assert (stock.available, stock.reserved, stock.sold) == (available, 0, 0)
    assert shop.holds() == []
    (rejected,) = (await shop.orders.list_orders(ListOrders(customer_id="c-1"))).orders
    assert rejected.status == "rejected"


async def test_an_unknown_sku_is_a_422_naming_it(shop: Shop) -> None:
    response = await shop.http.post(
        "/v1/orders",
        json={"items": [{"sku": "NOPE", "quantity": 1}], "card_token": "tok_x"},
        headers={"Idempotency-Key": "k-unknown"},
    )
    assert response.status_code == 422
    problem = response.json()
    assert (problem["code"], problem["sku"]) == ("orders.unknown_sku", "NOPE")
    with pytest.raises(UnknownSku):
        await shop.orders.place_order(order(("NOPE", 1)))


async def test_a_declined_card_releases_the_reservation(shop: Shop) -> None:
    with pytest.raises(PaymentDeclined) as info:
        await shop.orders.place_order(order(("MUG", 2), card="tok_insufficient_funds"))
    assert info.value.info is not None and info.value.info.reason == "insufficient_funds"
    mug = await shop.stock("MUG")
    assert (mug.available, mug.reserved, mug.sold) == (5, 0, 0)
    assert shop.holds() == []
    (rejected,) = (await shop.orders.list_orders(ListOrders(customer_id="c-1"))).orders
    assert rejected.status == "rejected"


async def test_payments_down_is_a_503_and_nothing_stays_held(tmp_path: Path) -> None:
    async for shop in build(tmp_path, payments_down=True):
        response = await shop.http.post(
            "/v1/orders",
            json={
                "customer_id": "c-1",
                "items": [{"sku": "MUG", "quantity": 2}],
                "card_token": "tok_visa",
            },
            headers={"Idempotency-Key": "k-down"},
        )
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "orders.dependency_unavailable"
        assert response.json()["detail"] == "payments is unavailable"
        assert "Traceback" not in response.text and "http://" not in response.text
        mug = await shop.stock("MUG")
        assert (mug.available, mug.reserved, mug.sold) == (5, 0, 0)
        again = await shop.http.post(
            "/v1/orders",
            json={
                "customer_id": "c-1",
                "items": [{"sku": "MUG", "quantity": 2}],
                "card_token": "tok_visa",
            },
            headers={"Idempotency-Key": "k-down"},
        )
        assert again.status_code == 503 and again.json()["detail"] == "payments is unavailable"
        # The typed client retries a 503 (three attempts) with one key: the key keeps its
        # order, so the retries answer its rejection again instead of placing more.
        with pytest.raises(DependencyUnavailable):
            await shop.orders.place_order(order(("TEE", 1)))
        statuses = [
            o.status for o in (await shop.orders.list_orders(ListOrders(customer_id="c-1"))).orders
        ]
        assert statuses == ["rejected"] * 2
        tee = await shop.stock("TEE")
        assert (tee.reserved, tee.sold) == (0, 0)


async def test_processor_outage_is_a_503_and_the_stock_is_released(shop: Shop) -> None:
    with pytest.raises(DependencyUnavailable):
        await shop.orders.place_order(order(("TEE", 2), card="tok_unavailable"))
    tee = await shop.stock("TEE")
    assert (tee.available, tee.reserved, tee.sold) == (2, 0, 0)


class CompletionsDown(SimulatedProcessor):
    """The link to the card processor fails for completions (captures) only."""

    completions_down = True

    def send_completion(self, *, processor_ref: str, amount_minor: int) -> ProcessorResponse:
        if self.completions_down:
            raise ProcessorLinkDown("no route to the card processor")
        return super().send_completion(processor_ref=processor_ref, amount_minor=amount_minor)


async def test_a_capture_failing_after_the_stock_is_sold_is_finished_by_the_retry(
    tmp_path: Path,
) -> None:
    processor = CompletionsDown()
    body = {
        "customer_id": "c-1",
        "items": [{"sku": "MUG", "quantity": 2}],
        "card_token": "tok_visa",
    }
    async for shop in build(tmp_path, processor=processor):
        first = await shop.http.post("/v2/orders", json=body, headers={"Idempotency-Key": "k-cap"})
        assert first.status_code == 503, first.text
        assert first.json()["code"] == "orders.dependency_unavailable"
        # The stock is sold, so the order only goes forward: still pending, its money
        # held (not voided), nothing settled yet.
        (pending,) = (await shop.orders.list_orders(ListOrders(customer_id="c-1"))).orders
        assert pending.status == "pending"
        assert shop.holds() == ["approved"]
        mug = await shop.stock("MUG")
        assert (mug.available, mug.reserved, mug.sold) == (3, 0, 2)

        processor.completions_down = False
        again = await shop.http.post("/v2/orders", json=body, headers={"Idempotency-Key": "k-cap"})
        assert again.status_code == 201, again.text
        assert again.json()["order_id"] == pending.order_id
        assert again.json()["status"] == "confirmed"
        assert shop.holds() == ["settled"]  # captured once, never reversed
        mug = await shop.stock("MUG")
        assert (mug.available, mug.reserved, mug.sold) == (3, 0, 2)


async def test_unknown_order_is_404(shop: Shop) -> None:
    response = await shop.http.get("/v1/orders/ord_missing")
    assert response.status_code == 404
    assert response.json()["code"] == "orders.order_not_found"


async def test_a_sku_twice_is_a_422_naming_the_second_item(shop: Shop) -> None:
    response = await shop.http.post(
        "/v1/orders",
        json={
            "customer_id": "c-1",
            "items": [{"sku": "MUG", "quantity": 1}, {"sku": "MUG", "quantity": 1}],
            "card_token": "tok_visa",
        },
        headers={"Idempotency-Key": "k-twice"},
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "orders.repeated_sku"
    assert problem["sku"] == "MUG"
    assert problem["detail"] == (
        "SKU 'MUG' is asked for more than once; an order has one line per SKU at $.items[1].sku"
    )


async def test_listing_is_newest_first_and_limited(shop: Shop) -> None:
    ids = [(await shop.orders.place_order(order(("MUG", 1)))).order_id for _ in range(3)]
    listed = await shop.orders.list_orders(ListOrders(customer_id="c-1", limit=2))
    assert [o.order_id for o in listed.orders] == ids[::-1][:2]
    mine = await shop.orders.list_orders(ListOrders(limit=2))  # the token says whose
    assert mine == listed
    with pytest.raises(Forbidden):  # a customer lists only their own orders
        await shop.orders.list_orders(ListOrders(customer_id="someone-else"))
    async with Orders.client(
        "http://orders",
        transport=shop.transport,
        headers=shop.issuer.bearer("orders:read"),  # the operator speaks for no customer
    ) as operator:
        other = await operator.list_orders(ListOrders(customer_id="someone-else"))
        assert other.orders == []
        assert len((await operator.list_orders(ListOrders(customer_id="c-1"))).orders) == 3


async def test_concurrent_orders_never_oversell(shop: Shop) -> None:
    outcomes: list[str] = []

    async def buy(n: int) -> None:
        try:
            await shop.orders.place_order(order(("TEE", 1), customer=None))
            outcomes.append("confirmed")
        except OutOfStock:
            outcomes.append("out_of_stock")

    async with anyio.create_task_group() as tg:
        for n in range(8):
            tg.start_soon(buy, n)
    assert sorted(outcomes) == ["confirmed"] * 2 + ["out_of_stock"] * 6
    tee = await shop.stock("TEE")
    assert (tee.available, tee.reserved, tee.sold) == (0, 0, 2)
    assert shop.holds() == ["settled", "settled"]
