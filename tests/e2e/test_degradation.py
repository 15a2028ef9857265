"""End to end: orders with a dependency down answers 503 and leaves nothing held for good.

The shop runs as real processes under the supervisor (free ports, a temporary home,
tokens off: this is about failures). Payments refuses every authorization and inventory
every release, through their fault variables, so a placement fails *and* its
compensation fails; the order must still end rejected, answered 503 with Retry-After,
and once inventory is back the recovery in orders releases the stock it left held.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
import uuid
from pathlib import Path

import httpx
import pytest

from accord import project as projects
from accord.supervisor import RestartPolicy, Supervisor
from tests.support.processes import ROOT, free_port

pytestmark = pytest.mark.e2e

_ABORT = {"abort": {"status": 503, "percent": 100}}


async def _held(http: httpx.AsyncClient, inventory: str) -> list[dict[str, object]]:
    r = await http.get(f"{inventory}/v1/reservations", params={"status": "held"})
    assert r.status_code == 200, r.text
    return list(r.json()["reservations"])


async def _totals(http: httpx.AsyncClient, inventory: str) -> dict[str, int]:
    r = await http.get(f"{inventory}/v1/skus")
    assert r.status_code == 200, r.text
    return {s["sku"]: s["available"] + s["reserved"] + s["sold"] for s in r.json()["items"]}


async def _scenario(home: Path) -> None:
    environ = {
        **os.environ,
        "ACCORD_HOME": str(home),
        "ACCORD_AUTH": "off",
        "INVENTORY_SEED": "demo",
    }
    project = projects.load(ROOT / "accord.toml", environ=environ)
    notices: list[str] = []
    supervisor = Supervisor(
        project,
        ports={name: free_port() for name in project.services},
        environ=environ,
        restart=RestartPolicy(initial=0.1),
        on_notice=notices.append,
    )
    supervisor.extra_env = {
        "payments": {"PAYMENTS_FAULTS": json.dumps({"operations": {"authorize": _ABORT}})},
        "inventory": {"INVENTORY_FAULTS": json.dumps({"operations": {"release": _ABORT}})},
    }
    await supervisor.start()
    watcher = asyncio.create_task(supervisor.wait())
    urls = {name: svc.url for name, svc in supervisor.services.items()}
    try:
        async with httpx.AsyncClient(timeout=30.0) as http:
            before = await _totals(http, urls["inventory"])
            r = await http.post(
                f"{urls['orders']}/v1/orders",
                json={
                    "customer_id": "c-degraded",
                    "items": [{"sku": "SKU-TEA", "quantity": 2}],
                    "card_token": "tok_ok",
                },
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            assert r.status_code == 503, r.text
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["code"] == "orders.dependency_unavailable"
            assert r.json()["detail"] == "payments is unavailable"
            assert r.headers["retry-after"] == "1"

            listed = await http.get(
                f"{urls['orders']}/v1/orders", params={"customer_id": "c-degraded"}
            )
            (order,) = listed.json()["orders"]
            assert order["status"] == "rejected"
            # The release failed too: the stock is still held, for now.
            (held,) = await _held(http, urls["inventory"])
            assert held["order_id"] == order["order_id"]

            # Inventory comes back without faults; the recovery lets the stock go.
            supervisor.extra_env["inventory"] = {}
            process = supervisor.services["inventory"].process
            assert process is not None
            os.kill(process.pid, signal.SIGKILL)
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline:
                try:
                    if not await _held(http, urls["inventory"]):
                        break
                except (httpx.HTTPError, AssertionError):
                    pass
                await asyncio.sleep(0.5)
            assert await _held(http, urls["inventory"]) == []
            assert await _totals(http, urls["inventory"]) == before
            assert any("inventory exited with -9" in n for n in notices)
    finally:
        watcher.cancel()
        await supervisor.stop()


def test_a_failed_compensation_is_finished_by_the_recovery(tmp_path: Path) -> None:
    asyncio.run(_scenario(tmp_path))
