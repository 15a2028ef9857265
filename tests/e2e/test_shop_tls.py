"""End to end: ``accord up`` runs the shop over mutual TLS on loopback, by default.

One shop for the module (free ports, a temporary ACCORD_HOME with no certificates:
``accord up`` creates the CA and every service's certificate on first run). The tests call it
with a certificate of their own, issued by that CA, and with everything that must be
refused; they rotate every certificate while orders flow.
"""

from __future__ import annotations

import json
import os
import secrets
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from accord.security import CertStore, create_ca
from accord.security.tls import TLSConfig, client_context
from tests.support.certs import forge, serial_of, write_pair
from tests.support.processes import ROOT, free_port, stop, wait_for

pytestmark = pytest.mark.e2e

SERVICES = ("identity", "orders", "inventory", "payments")
CLIENT = "e2e-client"


class Shop:
    def __init__(self, home: Path, ports: dict[str, int]) -> None:
        self.home = home
        self.ports = ports
        self.certs = CertStore(home / "certs")
        self.token = ""
        self.customer = ""

    def url(self, name: str) -> str:
        return f"https://127.0.0.1:{self.ports[name]}"

    def client(self, peer: str) -> httpx.Client:
        return httpx.Client(verify=client_context(TLSConfig(self.certs.directory, CLIENT), peer))


def _wait_ready(shop: Shop, proc: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not shop.certs.ca_cert_path.exists() or not (shop.home / "run.json").exists():
        assert proc.poll() is None, "accord up exited"
        assert time.monotonic() < deadline, "accord up did not start in time"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    home = tmp_path_factory.mktemp("shop-tls")
    ports = {name: free_port() for name in SERVICES}
    argv = [sys.executable, "-m", "accord", "up", "--raw"]  # no flag: mutual TLS
    for name in ("inventory", "payments"):  # called by orders (and these tests) alone
        argv += ["--tls-allow", f"{name}=orders,{CLIENT}"]
    for name, port in ports.items():
        argv += ["--port", f"{name}={port}"]
    env = {**os.environ, "ACCORD_HOME": str(home)}
    log = (home / "up.log").open("wb")
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    shop = Shop(home, ports)
    try:
        _wait_ready(shop, proc)  # the run file appears once every service is ready
        shop.certs.issue(CLIENT)
        shop.customer, shop.token = _customer(shop)
        yield shop
    finally:
        stop(proc)
        log.close()


def test_up_created_the_ca_and_every_certificate(shop: Shop) -> None:
    for name in (*SERVICES, "accord-supervisor"):
        leaf = shop.certs.load_leaf(name)
        assert str(leaf.spiffe_id) == f"spiffe://shop.local/{name}"
    assert oct(shop.certs.key_path("orders").stat().st_mode & 0o777) == "0o600"
    run = json.loads((shop.home / "run.json").read_text())
    assert {s["url"] for s in run["services"].values()} == {shop.url(n) for n in SERVICES}


def test_every_service_answers_over_mutual_tls_as_itself(shop: Shop) -> None:
    for name in SERVICES:
        with shop.client(name) as http:
            r = http.get(shop.url(name) + "/readyz")
            assert r.status_code == 200, r.text
            ssl_object = r.extensions["network_stream"].get_extra_info("ssl_object")
            served = serial_of(ssl_object.getpeercert(True))
            assert served == shop.certs.load_leaf(name).cert.serial_number


def _customer(shop: Shop) -> tuple[str, str]:
    """A new customer's id and token from identity, over mutual TLS like every call."""
    account = {"email": f"tls-{secrets.token_hex(4)}@e2e.shop", "password": "correct horse 1"}
    with shop.client("identity") as http:
        base = shop.url("identity") + "/v1"
        created = http.post(
            base + "/customers", json=account, headers={"idempotency-key": secrets.token_hex(8)}
        )
        assert created.status_code == 201, created.text
        login = http.post(base + "/login", json=account)
        assert login.status_code == 200, login.text
        return str(created.json()["customer_id"]), str(login.json()["access_token"])


def _place(http: httpx.Client, shop: Shop, correlation: str | None = None) -> httpx.Response:
    return http.post(
        shop.url("orders") + "/v1/orders",
        json={
            "customer_id": shop.customer,
            "items": [{"sku": "SKU-APPLE", "quantity": 1}],
            "card_token": "tok_visa_4242",
        },
        headers={
            "idempotency-key": secrets.token_hex(8),
            "authorization": f"Bearer {shop.token}",
            **({"x-correlation-id": correlation} if correlation else {}),
        },
        timeout=15,
    )


def test_an_order_goes_through_three_services_over_mutual_tls(shop: Shop) -> None:
    with shop.client("orders") as http:
        r = _place(http, shop)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "confirmed"


def test_plain_http_is_refused_on_every_port(shop: Shop) -> None:
    for name in SERVICES:
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{shop.ports[name]}/livez", timeout=5)


def test_customers_without_a_certificate_reach_only_the_public_services(shop: Shop) -> None:
    """identity and orders are ``public`` in accord.toml: a customer trusting the CA gets
    in with no certificate (its token decides); inventory and payments refuse it in the
    handshake."""
    ctx = ssl.create_default_context(cafile=str(shop.certs.ca_cert_path))
    for name in ("identity", "orders"):
        with httpx.Client(verify=ctx) as http:
            assert http.get(shop.url(name) + "/livez", timeout=5).status_code == 200
    with httpx.Client(verify=ctx) as http:
        r = http.post(shop.url("identity") + "/v1/login",
                      json={"email": "nobody@shop.test", "password": "wrong horse"})  # fmt: skip
        assert r.status_code == 401, r.text
    for name in ("inventory", "payments"):
        with httpx.Client(verify=ctx) as http, pytest.raises(httpx.HTTPError):
            http.get(shop.url(name) + "/livez", timeout=5)


@pytest.mark.parametrize("case", ["other_ca", "foreign_trust_domain", "ca_certificate", "expired"])
def test_a_foreign_certificate_is_refused(shop: Shop, tmp_path: Path, case: str) -> None:
    """Orders is public (a customer needs no certificate), yet a certificate a caller
    presents is checked: a bad one is refused in the handshake."""
    ca = shop.certs.load_ca()
    now = datetime.now(UTC)
    if case == "expired":
        cert, key = forge(ca, ["spiffe://shop.local/orders"], start=now - timedelta(days=3),
                          end=now - timedelta(days=1))  # fmt: skip
    elif case == "other_ca":
        cert, key = forge(create_ca("shop.local"), ["spiffe://shop.local/orders"])
    elif case == "foreign_trust_domain":
        cert, key = forge(ca, ["spiffe://evil.example/orders"])
    else:
        cert, key = forge(ca, ["spiffe://shop.local/orders"], is_ca=True)
    crt, pem = write_pair(tmp_path, "forged", cert, key)
    ctx = ssl.create_default_context(cafile=str(shop.certs.ca_cert_path))
    ctx.check_hostname = False
    ctx.load_cert_chain(str(crt), str(pem))
    with httpx.Client(verify=ctx) as http, pytest.raises(httpx.HTTPError):
        _place(http, shop, correlation=f"forged-{case}")
    # A good order after it: once orders' own request line is in the log, any line the
    # forged attempt caused is too (orders writes its lines in order; inventory's and
    # payments' lines for the same order may come earlier).
    with shop.client("orders") as http:
        assert _place(http, shop, correlation=f"after-{case}").status_code == 201
    wait_for(lambda: _orders_logged(shop, f"after-{case}"), what=f"orders' after-{case} line")
    log = (shop.home / "up.log").read_text()
    assert f"forged-{case}" not in log, "a handler ran for the forged caller"
    refusal = f"tls peer refused ({case})"
    if case in ("other_ca", "expired"):  # refused by OpenSSL inside the handshake, silently
        assert refusal not in log
    else:  # refused by the SPIFFE check when the handshake completes, which says why
        assert refusal in log


def test_rotating_every_certificate_while_orders_flow_loses_none(shop: Shop) -> None:
    before = {n: shop.certs.load_leaf(n).cert.serial_number for n in SERVICES}
    env = {**os.environ, "ACCORD_HOME": str(shop.home)}
    rotation = subprocess.Popen(
        [sys.executable, "-m", "accord", "certs", "rotate", "--all"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    statuses: list[int] = []
    with shop.client("orders") as http:
        while rotation.poll() is None or len(statuses) < 10:
            statuses.append(_place(http, shop).status_code)
            time.sleep(0.15)  # within orders' limit of 10 orders a second per customer
        out = rotation.communicate(timeout=60)[0].decode()
        assert rotation.returncode == 0, out
        statuses.append(_place(http, shop).status_code)
    assert statuses and set(statuses) == {201}, statuses
    for name in SERVICES:
        latest = shop.certs.load_leaf(name).cert.serial_number
        assert latest != before[name]
        # Certificates are looked at every 0.5 s at most: each service serves its new one soon.
        wait_for(lambda name=name, latest=latest: _served(shop, name) == latest, what=name)
    with shop.client("orders") as http:
        assert _place(http, shop).status_code == 201


def _orders_logged(shop: Shop, correlation: str) -> bool:
    """Whether orders itself has logged a request line with this correlation id."""
    lines = (shop.home / "up.log").read_text(errors="replace").splitlines()
    return any(
        line.startswith("orders") and f'"correlation_id":"{correlation}"' in line for line in lines
    )


def _served(shop: Shop, name: str) -> int:
    """The serial number of the certificate ``name`` presents now."""
    with shop.client(name) as http:
        r = http.get(shop.url(name) + "/livez")
        return serial_of(
            r.extensions["network_stream"].get_extra_info("ssl_object").getpeercert(True)
        )


def test_the_demo_runs_against_the_tls_shop(shop: Shop) -> None:
    env = {**os.environ, "ACCORD_HOME": str(shop.home)}
    done = subprocess.run(
        [sys.executable, "-m", "accord", "demo"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "using the services" in done.stdout
    assert "orders.out_of_stock" in done.stdout


def test_an_allow_list_keeps_other_services_certificates_out(shop: Shop) -> None:
    """inventory and payments admit orders (and this test's client), not identity."""
    for name in ("inventory", "payments"):
        with (
            httpx.Client(
                verify=client_context(TLSConfig(shop.certs.directory, "identity"), name)
            ) as h,
            pytest.raises(httpx.HTTPError),
        ):
            h.get(shop.url(name) + "/livez", timeout=5)
    with httpx.Client(
        verify=client_context(TLSConfig(shop.certs.directory, "identity"), "orders")
    ) as http:
        assert http.get(shop.url("orders") + "/livez").status_code == 200
    refused = "tls peer refused (not_allowed): spiffe://shop.local/identity"
    deadline = time.monotonic() + 10.0
    while refused not in (shop.home / "up.log").read_text() and time.monotonic() < deadline:
        time.sleep(0.1)  # the services' log lines reach up.log through the supervisor
    assert refused in (shop.home / "up.log").read_text()
