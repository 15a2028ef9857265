"""A thousand concurrent duplicates of one request against real service processes.

The shop's services run as ``accord serve`` processes on free loopback ports, each with
its own SQLite database under a temporary ``ACCORD_HOME`` (tokens off: this is about
keys, not callers). One key, one body, a thousand requests at once: exactly one side
effect, and every answer is the first one replayed byte-for-byte or 409 in flight.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.support.processes import free_port, running, wait_http

pytestmark = pytest.mark.e2e

DUPLICATES = 1_000


def _serve(stack: ExitStack, home: Path, service: str, env: dict[str, str]) -> str:
    port = free_port()
    full = {
        "ACCORD_HOME": str(home),
        "ACCORD_AUTH": "off",
        "OTEL_TRACES_EXPORTER": "none",
        "ACCORD_MAX_IN_FLIGHT": str(4 * DUPLICATES),
        **env,
    }
    args = ["accord", "serve", f"shop.{service}.bootstrap:create_app", "--port", str(port)]
    stack.enter_context(running(args, env=full, log=home / f"{service}.log"))
    base = f"http://127.0.0.1:{port}"
    wait_http(f"{base}/readyz", timeout=60)
    return base


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[dict[str, str]]:
    with ExitStack() as stack:
        inventory = _serve(stack, tmp_path, "inventory", {})
        payments = _serve(stack, tmp_path, "payments", {})
        orders = _serve(
            stack,
            tmp_path,
            "orders",
            {"ACCORD_URL_INVENTORY": inventory, "ACCORD_URL_PAYMENTS": payments},
        )
        yield {"inventory": inventory, "payments": payments, "orders": orders}


async def _flood(url: str, body: dict[str, object], key: str) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=DUPLICATES, max_keepalive_connections=DUPLICATES)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        return await asyncio.gather(
            *(
                client.post(url, json=body, headers={"idempotency-key": key})
                for _ in range(DUPLICATES)
            )
        )


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


def _check_replays(answers: list[httpx.Response], created: int, *, tolerate: set[int]) -> None:
    statuses = Counter(a.status_code for a in answers)
    assert set(statuses) <= {created, 409, *tolerate}, statuses
    done = [a for a in answers if a.status_code == created]
    assert done, statuses
    first = [a for a in done if "idempotency-replayed" not in a.headers]
    assert len(first) == 1, "the operation must answer exactly once; the rest are replays"
    assert {a.content for a in done} == {done[0].content}
    for busy in (a for a in answers if a.status_code == 409):
        assert busy.json()["code"] == "idempotency_key_in_use"
        assert busy.headers["retry-after"] == "1"


def test_a_thousand_duplicate_authorizations_hold_once(
    shop: dict[str, str], tmp_path: Path
) -> None:
    body = {
        "order_id": f"ord-{uuid.uuid4().hex[:12]}",
        "amount_cents": 4999,
        "card_token": "tok_visa",
    }
    key = str(uuid.uuid4())
    answers = asyncio.run(_flood(f"{shop['payments']}/v1/authorizations", body, key))
    _check_replays(answers, 201, tolerate=set())
    assert _rows(tmp_path / "payments.db", "SELECT count(*) FROM payments_authorizations") == [(1,)]
    again = httpx.post(
        f"{shop['payments']}/v1/authorizations", json=body, headers={"idempotency-key": key}
    )
    assert again.headers["idempotency-replayed"] == "true"
    assert again.content == next(a.content for a in answers if a.status_code == 201)


def test_a_thousand_duplicate_orders_place_one(shop: dict[str, str], tmp_path: Path) -> None:
    customer = f"c-{uuid.uuid4().hex[:8]}"
    body = {
        "customer_id": customer,
        "items": [{"sku": "SKU-APPLE", "quantity": 2}],
        "card_token": "tok_visa",
    }
    key = str(uuid.uuid4())
    answers = asyncio.run(_flood(f"{shop['orders']}/v2/orders", body, key))
    # Placing orders is rate-limited per caller, inside the key's layer: duplicates of one
    # key are replays or 409s and never spend the rate, so none of them is a 429.
    _check_replays(answers, 201, tolerate=set())
    orders = _rows(
        tmp_path / "orders.db",
        f"SELECT status FROM orders_orders WHERE customer_id = '{customer}'",
    )
    assert orders == [("confirmed",)]
    assert _rows(tmp_path / "payments.db", "SELECT count(*) FROM payments_authorizations") == [(1,)]
    apple = _rows(
        tmp_path / "inventory.db",
        "SELECT available, reserved, sold FROM inventory_skus WHERE code = 'SKU-APPLE'",
    )
    assert sum(apple[0]) == 1000
    assert apple[0][0] == 998
