"""No shared secrets under ``accord up --plain``: services authenticate to identity with
their own keys (RFC 7523 ``private_key_jwt``), and a bad assertion is refused.

The shop runs as real processes (``accord up --plain``, conftest). Orders gets its token
with an assertion signed by its own key, or no order could be placed; an assertion
replayed, addressed to another audience, expired, signed by another key, or naming a
key that speaks for another client is refused with 401 ``identity.invalid_client`` as a
problem document; and no file of the run's home holds a client secret.
"""

from __future__ import annotations

import subprocess
import time
import uuid

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from accord.security.clientkeys import ClientKey, ClientKeys, sign_assertion, thumbprint_kid
from tests.security.conftest import SecureShop, assert_problem, bearer

APPLE = {"sku": "SKU-APPLE", "quantity": 1}


def token_call(shop: SecureShop, body: dict[str, str]) -> httpx.Response:
    return httpx.post(shop.token_url, json=body, timeout=10)


def orders_key(shop: SecureShop) -> ClientKey:
    return ClientKeys.under(shop.home).private_key("orders")


def test_orders_gets_its_token_with_its_own_key_and_places_an_order(shop: SecureShop) -> None:
    customer, _ = shop.customer()
    placed = httpx.post(
        shop.url("orders") + "/v1/orders",
        json={"items": [APPLE], "card_token": "tok_visa"},
        headers={**bearer(customer), "idempotency-key": uuid.uuid4().hex},
        timeout=15,
    )
    assert placed.status_code == 201, placed.text  # orders called inventory and payments
    granted = token_call(shop, shop.grant("orders", "inventory:reserve"))
    assert granted.status_code == 200, granted.text
    claims = jwt.decode(granted.json()["access_token"], options={"verify_signature": False})
    assert claims["client_id"] == "orders" and "cnf" not in claims
    trail = (shop.home / "audit" / "identity.jsonl").read_text()
    assert '"method":"private_key_jwt"' in trail.replace(" ", "")


def test_a_replayed_assertion_is_refused(shop: SecureShop) -> None:
    assertion = sign_assertion(orders_key(shop), "orders", shop.token_url)
    first = token_call(shop, shop.grant("orders", assertion=assertion))
    assert first.status_code == 200, first.text
    again = token_call(shop, shop.grant("orders", assertion=assertion))
    assert_problem(again, 401, "identity.invalid_client")
    assert "replayed" in again.json()["detail"]
    assert "access_token" not in again.text


@pytest.mark.parametrize(
    ("audience", "when", "reason"),
    [
        pytest.param("http://127.0.0.1:1/v1/token", 0, "wrong audience", id="wrong audience"),
        pytest.param(None, -600, "expired", id="expired"),
    ],
)
def test_an_assertion_for_another_audience_or_expired_is_refused(
    shop: SecureShop, audience: str | None, when: int, reason: str
) -> None:
    assertion = sign_assertion(
        orders_key(shop),
        "orders",
        audience or shop.token_url,
        clock=lambda: time.time() + when,
    )
    refused = token_call(shop, shop.grant("orders", assertion=assertion))
    assert_problem(refused, 401, "identity.invalid_client")
    assert reason in refused.json()["detail"]


def test_an_assertion_signed_by_another_key_is_refused(shop: SecureShop) -> None:
    stranger = ed25519.Ed25519PrivateKey.generate()
    unknown = ClientKey(kid=thumbprint_kid(stranger.public_key()), private_key=stranger)
    refused = token_call(
        shop, shop.grant("orders", assertion=sign_assertion(unknown, "orders", shop.token_url))
    )
    assert_problem(refused, 401, "identity.invalid_client")
    assert "unknown key" in refused.json()["detail"]
    # Another key under orders' own kid: the signature does not verify.
    posing = ClientKey(kid=orders_key(shop).kid, private_key=stranger)
    refused = token_call(
        shop, shop.grant("orders", assertion=sign_assertion(posing, "orders", shop.token_url))
    )
    assert_problem(refused, 401, "identity.invalid_client")
    assert "bad signature" in refused.json()["detail"]
    # Orders' own key does not speak for the operator.
    theirs = sign_assertion(orders_key(shop), "operator", shop.token_url)
    refused = token_call(shop, shop.grant("operator", assertion=theirs))
    assert_problem(refused, 401, "identity.invalid_client")


def test_a_client_secret_is_no_longer_a_credential(shop: SecureShop) -> None:
    body = {"grant_type": "client_credentials", "client_id": "orders", "client_secret": "s"}
    refused = token_call(shop, body)
    assert refused.status_code == 422 and "access_token" not in refused.text
    bare = token_call(shop, {"grant_type": "client_credentials", "client_id": "orders"})
    assert_problem(bare, 401, "identity.invalid_client")


def test_accord_up_plain_writes_no_client_secret(shop: SecureShop) -> None:
    found = subprocess.run(
        ["find", str(shop.home), "-name", "clients.json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert found.stdout == ""
    grep = subprocess.run(
        [
            "grep",
            "-rl",
            "--include=*.json",
            "-e",
            '"secret"',
            "-e",
            "client_secret",
            str(shop.home),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert grep.returncode == 1, grep.stdout  # 1: no line matched
    keys = ClientKeys.under(shop.home)
    for name in ("orders", "accord-supervisor"):
        assert keys.key_path(name).stat().st_mode & 0o077 == 0
        assert '"d"' not in keys.jwks_path(name).read_text()
