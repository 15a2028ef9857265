"""API10:2023 Unsafe Consumption of APIs: orders meets downstreams that misbehave.

Orders runs as its own process against a fake inventory and a fake payments (one
loopback server) that answer what no contract allows: a body of the wrong shape, a body
that is not JSON, an enormous body, a lying content type. Whatever they answer, orders
answers a clean problem (5xx, with its own detail), never their text, and stays up.
"""

from __future__ import annotations

import http.server
import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from tests.support.processes import free_port, running, wait_http

pytestmark = pytest.mark.e2e

SECRET = "downstream-internal-secret-/srv/inventory/db.sqlite"
GOOD_RESERVATION = {
    "reservation_id": "res-1",
    "order_id": "ord-x",
    "status": "held",
    "lines": [{"sku": "SKU-APPLE", "quantity": 1, "unit_price_cents": 100}],
    "expires_at": "2030-01-01T00:00:00Z",
}

PROBLEM = {"type": "about:blank", "title": "boom", "status": 500, "detail": SECRET}

#: What the fake inventory answers to a reservation, by scenario.
ANSWERS: dict[str, tuple[int, str, bytes]] = {
    "wrong-shape": (201, "application/json", json.dumps({"reservation_id": 5}).encode()),
    "not-json": (201, "application/json", b"<html>" + SECRET.encode() + b"</html>"),
    "oversized": (201, "application/json", b'{"reservation_id": "' + b"r" * (8 << 20) + b'"}'),
    "lying-type": (201, "text/html", SECRET.encode()),
    "problem-with-secret": (500, "application/problem+json", json.dumps(PROBLEM).encode()),
    "undeclared-status": (418, "application/json", json.dumps({"detail": SECRET}).encode()),
}


class Downstream(http.server.BaseHTTPRequestHandler):
    scenario: ClassVar[str] = "wrong-shape"
    seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        Downstream.seen.append(self.path)
        if self.path.endswith("/release") or self.path.endswith("/void"):
            status, media, body = 200, "application/json", json.dumps(GOOD_RESERVATION).encode()
        else:
            status, media, body = ANSWERS[Downstream.scenario]
        self.send_response(status)
        self.send_header("content-type", media)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        body = b'{"reservations": [], "authorizations": []}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def orders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home: Path = tmp_path_factory.mktemp("orders-alone")
    fake = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Downstream)
    thread = threading.Thread(target=fake.serve_forever, daemon=True)
    thread.start()
    fake_url = f"http://127.0.0.1:{fake.server_address[1]}"
    port = free_port()
    env = {
        "ACCORD_HOME": str(home),
        "ACCORD_AUTH": "off",  # this test is about what orders reads, not who calls it
        "ACCORD_URL_INVENTORY": fake_url,
        "ACCORD_URL_PAYMENTS": fake_url,
    }
    argv = ["accord", "serve", "shop.orders.bootstrap:create_app", "--port", str(port)]
    try:
        with running(argv, env=env, log=home / "orders.log"):
            url = f"http://127.0.0.1:{port}"
            wait_http(url + "/readyz", timeout=60)
            yield url
    finally:
        fake.shutdown()
        fake.server_close()


@pytest.mark.parametrize("scenario", sorted(ANSWERS))
def test_api10_a_misbehaving_downstream_gives_a_clean_problem(orders: str, scenario: str) -> None:
    Downstream.scenario = scenario
    Downstream.seen = []
    response = httpx.post(
        orders + "/v1/orders",
        json={"customer_id": "c-1", "items": [{"sku": "SKU-APPLE", "quantity": 1}],
              "card_token": "tok_visa_4242"},
        headers={"idempotency-key": uuid.uuid4().hex},
        timeout=60,
    )  # fmt: skip
    assert Downstream.seen, "orders never called the fake inventory"
    assert 500 <= response.status_code <= 599, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] in {"internal", "orders.dependency_unavailable", "unavailable"}
    assert SECRET not in response.text
    assert "http://" not in response.text and "Traceback" not in response.text
    assert len(response.content) < 4096
    # and orders is still up and answering
    assert httpx.get(orders + "/livez", timeout=5).status_code == 200
