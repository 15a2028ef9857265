"""End to end: the hostile input an outside probe sent the shop gets the right answers.

One shop runs under `accord up` (free ports, a temporary ACCORD_HOME) for the module and
is stopped by PID at the end. Each test is one of the probe's reproductions (issue 9):
a repeated SKU, repeated once-only headers, password guessing on one account, a pattern
with a trailing newline, and request heads sent a byte at a time.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.processes import ROOT, free_port, stop, wait_http

pytestmark = pytest.mark.e2e

SERVICES = ("identity", "orders", "inventory", "payments")
PASSWORD = "correct horse"


class Shop:
    def __init__(self, home: Path, ports: dict[str, int]) -> None:
        self.home = home
        self.ports = ports

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def register(self) -> str:
        email = f"hostile-{secrets.token_hex(6)}@shop.test"
        registered = httpx.post(
            self.url("identity") + "/v1/customers",
            json={"email": email, "password": PASSWORD},
            headers={"idempotency-key": secrets.token_hex(8)},
        )
        assert registered.status_code == 201, registered.text
        return email

    def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        body = {"email": email, "password": password}
        return httpx.post(self.url("identity") + "/v1/login", json=body)

    def bearer(self) -> str:
        response = self.login(self.register())
        assert response.status_code == 200, response.text
        return f"Bearer {response.json()['access_token']}"

    def place(self, body: Any, headers: Any, version: str = "v1") -> httpx.Response:
        return httpx.post(
            f"{self.url('orders')}/{version}/orders", json=body, headers=headers, timeout=20
        )


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    home = tmp_path_factory.mktemp("hostile-shop")
    ports = {name: free_port() for name in SERVICES}
    # Hostile HTTP, sent as bytes on a socket: over plain HTTP (--plain), the transport's
    # own refusals are test_shop_tls.py's.
    argv = [sys.executable, "-m", "accord", "up", "--plain", "--raw"]
    for name, port in ports.items():
        argv += ["--port", f"{name}={port}"]
    env = {**os.environ, "ACCORD_HOME": str(home)}
    with (home / "up.log").open("wb") as log:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            for name in SERVICES:
                wait_http(f"http://127.0.0.1:{ports[name]}/readyz", timeout=60)
            yield Shop(home, ports)
        finally:
            stop(proc)


def problem(response: httpx.Response, status: int, code: str) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    return body


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_a_repeated_sku_is_a_422_at_its_path_never_a_500(shop: Shop, version: str) -> None:
    headers = {"authorization": shop.bearer()}
    fifty = {"items": [{"sku": "SKU-PEAR", "quantity": 1000}] * 50, "card_token": "tok_visa"}
    twice = {"items": [{"sku": "SKU-APPLE", "quantity": 600}] * 2, "card_token": "tok_visa"}
    for body in (fifty, twice):
        answer = shop.place(body, {**headers, "idempotency-key": secrets.token_hex(8)}, version)
        refused = problem(answer, 422, "orders.repeated_sku")
        assert refused["sku"] in ("SKU-PEAR", "SKU-APPLE")
        assert refused["detail"].endswith("at $.items[1].sku"), refused


def test_repeated_once_only_headers_are_400_and_place_nothing(shop: Shop) -> None:
    mine = shop.bearer()
    body = {"items": [{"sku": "SKU-APPLE", "quantity": 1}], "card_token": "tok_visa"}
    garbage_first = [
        ("authorization", "Bearer garbage"),
        ("authorization", mine),
        ("idempotency-key", secrets.token_hex(8)),
    ]
    refused = problem(shop.place(body, garbage_first), 400, "duplicate_header")
    assert "authorization" in refused["detail"]
    two_keys = [
        ("authorization", mine),
        ("idempotency-key", secrets.token_hex(8)),
        ("idempotency-key", secrets.token_hex(8)),
    ]
    refused = problem(shop.place(body, two_keys), 400, "duplicate_header")
    assert "idempotency-key" in refused["detail"]
    listed = httpx.get(shop.url("orders") + "/v1/orders", headers={"authorization": mine})
    assert listed.status_code == 200 and listed.json()["orders"] == []


def test_guessing_one_accounts_password_is_delayed_briefly(shop: Shop) -> None:
    email = shop.register()
    for i in range(5):  # from five addresses, if forwarded headers were believed
        response = httpx.post(
            shop.url("identity") + "/v1/login",
            json={"email": email, "password": "wrong password"},
            headers={"x-forwarded-for": f"198.51.100.{i}"},
        )
        problem(response, 401, "identity.invalid_credentials")
    refused = shop.login(email)  # the right password, at once
    problem(refused, 429, "rate_limited")
    wait = int(refused.headers["retry-after"])
    assert 1 <= wait <= 30
    time.sleep(wait)
    assert shop.login(email).status_code == 200
    problem(shop.login(email, "wrong again"), 401, "identity.invalid_credentials")


def test_a_sku_with_a_trailing_newline_is_refused_at_the_boundary(shop: Shop) -> None:
    headers = {"authorization": shop.bearer(), "idempotency-key": secrets.token_hex(8)}
    body = {"items": [{"sku": "SKU-APPLE\n", "quantity": 1}], "card_token": "tok_visa"}
    refused = problem(shop.place(body, headers), 422, "validation_failed")
    assert refused["errors"][0]["path"] == "$.items[0].sku"


def test_a_head_sent_a_byte_at_a_time_is_cut_and_counted(shop: Shop) -> None:
    slow = [socket.create_connection(("127.0.0.1", shop.ports["orders"])) for _ in range(5)]
    for sock in slow:
        sock.sendall(b"POST /v1/orders HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    cut = 0
    give_up = time.monotonic() + 30
    for sock in slow:
        sock.settimeout(1.0)
        while time.monotonic() < give_up:
            try:
                sock.sendall(b"x")
                if sock.recv(1) == b"":
                    cut += 1
                    break
            except TimeoutError:
                continue
            except OSError:
                cut += 1
                break
        sock.close()
    assert cut == 5
    # The well-known port is Envoy's: it cuts the slow heads and counts them, and the
    # service behind it never holds a connection for them.
    admin = json.loads((shop.home / "run.json").read_text())["dataplane"]["admin"]
    stats = httpx.get(f"{admin}/stats", params={"filter": "downstream_rq_header_timeout"}).text
    counted = {
        line.split(":")[0]: int(line.split(":")[1])
        for line in stats.splitlines()
        if line.startswith("http.")
    }
    assert counted.get("http.orders.downstream_rq_header_timeout") == 5, stats
