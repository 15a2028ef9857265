"""RFC 8705 over real processes: identity grants orders a token for its certificate, with
no secret, bound to that certificate; inventory refuses the token on another one.

identity and inventory run as ``accord serve`` with mutual TLS (``ACCORD_TLS_DIR``), each
with its own certificate of a test CA; the test calls them as ``orders`` and as
``payments`` (both certificates of the same trust domain).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from accord.security import CertStore
from accord.security.binding import thumbprint
from accord.security.clientkeys import ASSERTION_TYPE, ClientKeys, sign_assertion
from accord.security.tls import TLSConfig, client_context
from tests.support.processes import ROOT, free_port, running

TD = "shop.local"


class Shop:
    def __init__(self, home: Path, urls: dict[str, str]) -> None:
        self.home, self.urls = home, urls
        self.store = CertStore(home / "certs")

    def client(self, me: str, peer: str) -> httpx.Client:
        return httpx.Client(verify=client_context(TLSConfig(self.store.directory, me), peer))

    def grant(self, me: str, body: dict[str, str]) -> httpx.Response:
        with self.client(me, "identity") as http:
            return http.post(self.urls["identity"] + "/v1/token", json=body)

    def der(self, name: str) -> bytes:
        return self.store.load_leaf(name).cert.public_bytes(serialization.Encoding.DER)


def _ready(shop: Shop, name: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with shop.client("orders", name) as http:
                if http.get(shop.urls[name] + "/readyz", timeout=2).status_code == 200:
                    return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{name} not ready"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    home = tmp_path_factory.mktemp("mtls-grant")
    store = CertStore(home / "certs")
    store.init(TD)
    for name in ("identity", "inventory", "orders", "payments", "accord-supervisor"):
        store.issue(name)
    ports = {"identity": free_port(), "inventory": free_port()}
    urls = {name: f"https://127.0.0.1:{port}" for name, port in ports.items()}
    base = {
        "ACCORD_HOME": str(home),
        "ACCORD_TLS_DIR": str(store.directory),
        "ACCORD_ISSUER_URL": urls["identity"],
        "IDENTITY_SCRYPT_LOG_N": "10",
        "OTEL_TRACES_EXPORTER": "none",
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(ROOT),
    }
    apps = {
        "identity": "shop.identity.bootstrap:create_app",
        "inventory": "shop.inventory.bootstrap:create_app",
    }
    with (
        running(
            ["accord", "serve", apps["identity"], "--port", str(ports["identity"])],
            env={**base, "ACCORD_SERVICE": "identity"},
            log=home / "identity.log",
        ),
        running(
            ["accord", "serve", apps["inventory"], "--port", str(ports["inventory"])],
            env={**base, "ACCORD_SERVICE": "inventory"},
            log=home / "inventory.log",
        ),
    ):
        shop = Shop(home, urls)
        _ready(shop, "identity")
        _ready(shop, "inventory")
        yield shop


GRANT = {"grant_type": "client_credentials", "client_id": "orders", "scope": "inventory:reserve"}


def test_a_service_gets_a_token_for_its_certificate_without_a_secret(shop: Shop) -> None:
    answer = shop.grant("orders", GRANT)
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["cnf"] == {"x5t#S256": thumbprint(shop.der("orders"))}
    assert claims["sub"] == "client:orders" and claims["scope"] == "inventory:reserve"
    assert not (shop.home / "identity" / "clients.json").exists()


def test_a_certificate_naming_another_client_gets_no_token(shop: Shop) -> None:
    answer = shop.grant("payments", GRANT)  # payments' certificate, asking as orders
    assert answer.status_code == 401
    assert answer.json()["code"] == "identity.invalid_client"
    # No key opens the door under mutual TLS either: orders' own assertion, sent on
    # payments' connection, changes nothing.
    keys = ClientKeys.under(shop.home)
    keys.ensure(["orders"])
    signed = sign_assertion(
        keys.private_key("orders"), "orders", shop.urls["identity"] + "/v1/token"
    )
    kind = {"client_assertion_type": ASSERTION_TYPE, "client_assertion": signed}
    assert shop.grant("payments", {**GRANT, **kind}).status_code == 401


def test_the_operator_is_the_supervisor_certificate(shop: Shop) -> None:
    operator = {"grant_type": "client_credentials", "client_id": "operator"}
    answer = shop.grant("accord-supervisor", {**operator, "scope": "metadata:read"})
    assert answer.status_code == 200, answer.text
    assert shop.grant("orders", operator).status_code == 401  # orders is not the operator


def test_a_bound_token_is_accepted_on_its_certificate_and_refused_on_another(
    shop: Shop,
) -> None:
    token = shop.grant("orders", GRANT).json()["access_token"]
    path = shop.urls["inventory"] + "/v1/orders/o-missing/reservation"
    headers = {"authorization": f"Bearer {token}"}
    with shop.client("orders", "inventory") as http:
        own = http.get(path, headers=headers)
    assert own.status_code not in (401, 403), own.text  # past authentication (no such order)
    with shop.client("payments", "inventory") as http:
        stolen = http.get(path, headers=headers)
    assert stolen.status_code == 401, stolen.text
    assert stolen.headers["content-type"] == "application/problem+json"
    assert stolen.json()["code"] == "certificate_mismatch"
