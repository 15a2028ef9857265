"""End to end: keys and certificates rotate on a schedule of seconds while orders flow.

``accord up --tls`` runs the shop with a signing-key period of 16 s and certificates
that live 15 s (renewed every 10 s). Two customers place orders without pause, logging
in again now and then so their tokens are signed by each new key; every order must be
placed, while the supervisor's audit trail shows several rotations of both.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from accord.audit import read_records
from accord.security import CertStore
from accord.security.tls import TLSConfig, client_context
from tests.support.processes import ROOT, free_port, stop

pytestmark = pytest.mark.e2e

SERVICES = ("identity", "orders", "inventory", "payments")
CLIENT = "e2e-rotation-client"


class Shop:
    def __init__(self, home: Path, ports: dict[str, int]) -> None:
        self.home, self.ports = home, ports
        self.certs = CertStore(home / "certs")

    def url(self, name: str) -> str:
        return f"https://127.0.0.1:{self.ports[name]}"

    def client(self, peer: str) -> httpx.Client:
        return httpx.Client(verify=client_context(TLSConfig(self.certs.directory, CLIENT), peer))

    def rotations(self) -> Counter[tuple[str, str]]:
        path = self.home / "audit" / "accord-supervisor.jsonl"
        if not path.exists():
            return Counter()
        records, _ = read_records(path)
        return Counter((r["action"], r["target"]) for r in records if r["outcome"] == "success")

    def failed_rotations(self) -> list[dict[str, object]]:
        path = self.home / "audit" / "accord-supervisor.jsonl"
        records, _ = read_records(path) if path.exists() else ([], 0)
        return [r for r in records if r["outcome"] != "success"]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    home = tmp_path_factory.mktemp("shop-rotation")
    ports = {name: free_port() for name in SERVICES}
    argv = [sys.executable, "-m", "accord", "up", "--tls", "--raw", "--console-port", "0"]
    for name, port in ports.items():
        argv += ["--port", f"{name}={port}"]
    env = {
        **os.environ,
        "ACCORD_HOME": str(home),
        "ACCORD_KEY_ROTATION_PERIOD": "16",
        "ACCORD_CERT_LIFETIME": "15",
        "ACCORD_ROTATION_CHECK": "1",
        "IDENTITY_SCRYPT_LOG_N": "10",
        "IDENTITY_LOGIN_RATE": "10000",
    }
    log = (home / "up.log").open("wb")
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    shop = Shop(home, ports)
    try:
        deadline = time.monotonic() + 90
        while not (home / "run.json").exists():
            assert proc.poll() is None, (home / "up.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "accord up --tls did not start in time"
            time.sleep(0.1)
        shop.certs.issue(CLIENT)
        yield shop
    finally:
        stop(proc)
        log.close()


class Customer:
    """One customer placing orders in a loop, logging in again every few seconds."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self.account = {"email": f"rot-{secrets.token_hex(4)}@e2e.shop", "password": "pw-12345678"}
        self.statuses: Counter[int] = Counter()
        self.failures: list[str] = []
        self.kids: set[str] = set()
        self.customer = ""
        self.token = ""

    def login(self) -> None:
        with self.shop.client("identity") as http:
            answer = http.post(self.shop.url("identity") + "/v1/login", json=self.account)
        assert answer.status_code == 200, answer.text
        self.token = str(answer.json()["access_token"])
        self.kids.add(str(jwt.get_unverified_header(self.token)["kid"]))

    def register(self) -> None:
        with self.shop.client("identity") as http:
            created = http.post(
                self.shop.url("identity") + "/v1/customers",
                json=self.account,
                headers={"idempotency-key": secrets.token_hex(8)},
            )
        assert created.status_code == 201, created.text
        self.customer = str(created.json()["customer_id"])
        self.login()

    def run(self, stop_event: threading.Event) -> None:
        last_login = time.monotonic()
        with self.shop.client("orders") as http:
            while not stop_event.is_set():
                if time.monotonic() - last_login > 4:
                    self.login()
                    last_login = time.monotonic()
                r = http.post(
                    self.shop.url("orders") + "/v1/orders",
                    json={
                        "customer_id": self.customer,
                        "items": [{"sku": "SKU-APPLE", "quantity": 1}],
                        "card_token": "tok_visa_4242",
                    },
                    headers={
                        "idempotency-key": secrets.token_hex(8),
                        "authorization": f"Bearer {self.token}",
                    },
                    timeout=15,
                )
                self.statuses[r.status_code] += 1
                if r.status_code != 201:
                    self.failures.append(r.text[:300])
                time.sleep(0.12)  # within orders' limit of 10 orders a second per customer


def test_keys_and_certificates_rotate_on_schedule_under_load_without_a_failed_order(
    shop: Shop,
) -> None:
    customers = [Customer(shop), Customer(shop)]
    for c in customers:
        c.register()
    halt = threading.Event()
    errors: list[BaseException] = []

    def work(c: Customer) -> None:
        try:
            c.run(halt)
        except BaseException as exc:  # a transport error is a failed request too
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(c,)) for c in customers]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 150
    try:
        while time.monotonic() < deadline and not errors:
            seen = shop.rotations()
            enough_certs = all(seen["certs.rotate", name] >= 3 for name in SERVICES)
            kids = set().union(*(c.kids for c in customers))
            if seen["keys.rotate", "signing-keys"] >= 2 and enough_certs and len(kids) >= 3:
                break
            time.sleep(0.5)
    finally:
        halt.set()
        for t in threads:
            t.join(timeout=30)
    seen = shop.rotations()
    assert not errors, errors
    assert seen["keys.rotate", "signing-keys"] >= 2, seen
    for name in (*SERVICES, "accord-supervisor"):
        assert seen["certs.rotate", name] >= 3, seen
    assert shop.failed_rotations() == []
    for c in customers:
        assert c.failures == [], c.failures[:3]
        assert set(c.statuses) == {201}, c.statuses
        assert sum(c.statuses.values()) > 20
    # tokens signed by at least three keys were accepted by orders
    assert len(set().union(*(c.kids for c in customers))) >= 3
    # orders authenticated with its certificate, again after renewals (its tokens are
    # bound to the certificate), and no client secret exists
    granted, _ = read_records(shop.home / "audit" / "identity.jsonl")
    by_cert = [
        r
        for r in granted
        if r["action"] == "identity.client_token"
        and r["details"].get("method") == "tls_client_auth"
    ]
    assert len(by_cert) >= 2 and {r["outcome"] for r in by_cert} == {"success"}, by_cert[-3:]
    assert not (shop.home / "identity" / "clients.json").exists()
    # each service now presents a certificate younger than the ones it started with
    for name in SERVICES:
        leaf = shop.certs.load_leaf(name).cert
        life = leaf.not_valid_after_utc - leaf.not_valid_before_utc
        assert life.total_seconds() < 20
