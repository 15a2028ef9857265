"""Orders dies mid-placement, comes back, and the client retries: one order per key.

Real processes over loopback: inventory and payments as ``accord serve``, orders as its
test build (``tests.support.orders_build``) told to die with ``os._exit`` at one named
step of a placement. The client's request gets no answer; orders is started again (the
shop's own build, on the same database) and the client retries with the same key and
body until it gets a final answer. Then every service's own data is read back —
orders' orders of the customer, inventory's reservations, payments' authorizations and
the card processor's journal — and there must be exactly one of each per key, the
order the client was answered confirmed. The keys' lease is shortened to 3 s.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from shop.chaos.audit import settled_at_processor
from tests.support.orders_build import CRASH_EXIT, CRASH_POINTS
from tests.support.processes import free_port, running, wait_http

pytestmark = pytest.mark.e2e

LEASE = 8.0
BODY_ITEMS = [{"sku": "SKU-TEA", "quantity": 1}, {"sku": "SKU-APPLE", "quantity": 2}]


class Services:
    """Inventory and payments, shared by the tests of this module."""

    def __init__(self, stack: ExitStack, home: Path) -> None:
        self.stack, self.home = stack, home
        self.inventory = self.serve("shop.inventory.bootstrap:create_app", "inventory", {})
        self.payments = self.serve("shop.payments.bootstrap:create_app", "payments", {})

    def env(self, extra: dict[str, str]) -> dict[str, str]:
        return {
            "ACCORD_HOME": str(self.home),
            "ACCORD_AUTH": "off",
            "OTEL_TRACES_EXPORTER": "none",
            "INVENTORY_SEED": "demo",
            **extra,
        }

    def serve(self, app: str, name: str, extra: dict[str, str]) -> str:
        port = free_port()
        args = ["accord", "serve", app, "--port", str(port)]
        self.stack.enter_context(running(args, env=self.env(extra), log=self.home / f"{name}.log"))
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/readyz", timeout=60)
        return base


class Shop:
    """The shared services, and an orders of its own started and restarted on demand."""

    def __init__(self, services: Services, stack: ExitStack, orders_db: str) -> None:
        self.services, self.stack, self.orders_db = services, stack, orders_db
        self.home = services.home
        self.inventory, self.payments = services.inventory, services.payments
        self.port = free_port()
        self.orders = f"http://127.0.0.1:{self.port}"

    def start_orders(self, build: str, extra: dict[str, str]) -> subprocess.Popen[bytes]:
        env = self.services.env(
            {
                "ORDERS_DATABASE_URL": self.orders_db,
                "ACCORD_URL_INVENTORY": self.inventory,
                "ACCORD_URL_PAYMENTS": self.payments,
                "ORDERS_IDEMPOTENCY_LEASE": str(LEASE),
                **extra,
            }
        )
        args = ["accord", "serve", build, "--port", str(self.port)]
        proc = self.stack.enter_context(running(args, env=env, log=self.home / "orders.log"))
        wait_http(f"{self.orders}/readyz", timeout=60)
        return proc


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    with ExitStack() as stack:
        yield Services(stack, tmp_path_factory.mktemp("shop"))


@pytest.fixture
def shop_for(services: Services) -> Iterator[Callable[[str], Shop]]:
    with ExitStack() as stack:
        yield lambda orders_db: Shop(services, stack, orders_db)


def _place(shop: Shop, customer: str, key: str) -> httpx.Response:
    body = {"customer_id": customer, "items": BODY_ITEMS, "card_token": "tok_ok"}
    return httpx.post(
        f"{shop.orders}/v1/orders", json=body, headers={"Idempotency-Key": key}, timeout=15
    )


def _retry_until_answered(shop: Shop, customer: str, key: str) -> httpx.Response:
    """Send the request again, as a client does, until it is not 409 in flight."""
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        try:
            r = _place(shop, customer, key)
            if r.status_code != 409 or r.json().get("code") != "idempotency_key_in_use":
                return r
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"key {key} was never answered")


def _get(url: str, **params: Any) -> Any:
    r = httpx.get(url, params=params, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def _orders_of(shop: Shop, customer: str) -> list[dict[str, Any]]:
    return list(_get(f"{shop.orders}/v1/orders", customer_id=customer, limit=100)["orders"])


def _settled(shop: Shop, customer: str) -> list[dict[str, Any]]:
    """The customer's orders once none is pending any more (the recovery may finish one)."""
    deadline = time.monotonic() + 30
    while True:
        orders = _orders_of(shop, customer)
        if all(o["status"] != "pending" for o in orders) or time.monotonic() > deadline:
            return orders
        time.sleep(0.5)


def _audit(shop: Shop, customer: str) -> dict[str, int]:
    """Orders, reservations, authorizations, captures and settled holds of the customer."""
    time.sleep(LEASE + 6)  # the recovery's grace past the drive: a second order would be done
    orders = _settled(shop, customer)
    ids = {o["order_id"] for o in orders}
    reservations = _get(f"{shop.inventory}/v1/reservations", limit=1000)["reservations"]
    authorizations = _get(f"{shop.payments}/v1/authorizations", limit=1000)["authorizations"]
    journal = (shop.home / "processor.jsonl").read_text(encoding="utf-8").splitlines()
    settled = settled_at_processor(journal)
    mine = [a for a in authorizations if a["order_id"] in ids]
    return {
        "orders": len(orders),
        "confirmed": sum(1 for o in orders if o["status"] == "confirmed"),
        "reservations": sum(1 for r in reservations if r["order_id"] in ids),
        "authorizations": len(mine),
        "captures": sum(1 for a in mine if a["status"] == "captured"),
        "settled": sum(n for oid, n in settled.items() if oid in ids),
    }


ONE_EACH = {
    "orders": 1,
    "confirmed": 1,
    "reservations": 1,
    "authorizations": 1,
    "captures": 1,
    "settled": 1,
}


def _crash_and_retry(shop: Shop, point: str, extra: dict[str, str]) -> tuple[str, httpx.Response]:
    customer, key = f"c-{point}-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    dying = shop.start_orders(
        "tests.support.orders_build:create_app", {"ORDERS_CRASH_AT": point, **extra}
    )
    with pytest.raises(httpx.TransportError):
        _place(shop, customer, key)
    assert dying.wait(15) == CRASH_EXIT, f"orders did not die at {point}"
    shop.start_orders("tests.support.orders_build:create_app", extra)
    return customer, _retry_until_answered(shop, customer, key)


def _assert_once(shop: Shop, customer: str, answer: httpx.Response) -> None:
    """One order per key: completed and charged once, or rejected with nothing charged."""
    seen = _audit(shop, customer)
    (only,) = _orders_of(shop, customer)
    if answer.status_code == 201:
        assert answer.json()["status"] == "confirmed"
        assert only["order_id"] == answer.json()["order_id"]  # the first attempt's order
        assert seen == ONE_EACH
    else:  # the recovery got there first, before the stock was sold: it went back
        assert answer.status_code == 503, answer.text
        assert answer.json()["code"] == "orders.dependency_unavailable"
        assert only["status"] == "rejected"
        assert seen["orders"] == 1 and seen["captures"] == 0 and seen["settled"] == 0
        assert seen["reservations"] <= 1 and seen["authorizations"] <= 1


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_crash_at_any_step_charges_once(
    shop_for: Callable[[str], Shop], tmp_path: Path, point: str
) -> None:
    shop = shop_for(f"sqlite:///{tmp_path / 'orders.db'}")
    customer, answer = _crash_and_retry(shop, point, {})
    if point in ("before_claim", "committed", "captured", "confirmed", "answered"):
        assert answer.status_code == 201, answer.text  # nothing to undo, or past the sale
    _assert_once(shop, customer, answer)


@pytest.mark.postgres
@pytest.mark.parametrize("point", ["order_stored", "committed", "answered"])
def test_a_crash_charges_once_on_postgresql(
    shop_for: Callable[[str], Shop], postgres_url_factory: Callable[[], str], point: str
) -> None:
    shop = shop_for(postgres_url_factory())
    customer, answer = _crash_and_retry(shop, point, {})
    _assert_once(shop, customer, answer)


def test_without_the_protection_a_crash_charges_twice(
    shop_for: Callable[[str], Shop], tmp_path: Path
) -> None:
    """The test build with the key ignored: what the tests above would catch."""
    shop = shop_for(f"sqlite:///{tmp_path / 'orders.db'}")
    customer, answer = _crash_and_retry(shop, "committed", {"ORDERS_UNPROTECTED": "1"})
    assert answer.status_code == 201, answer.text
    seen = _audit(shop, customer)
    assert seen["orders"] == 2 and seen["captures"] == 2 and seen["settled"] == 2, json.dumps(seen)
