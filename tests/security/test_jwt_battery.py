"""JWT attacks against a running shop: every forged or bent token is a 401, nothing fetched.

Each token is aimed at inventory's ``GET /v1/skus`` (scope ``inventory:read``), whose
answer to an honest token of the same shape is 200 (the control test), so a 401 below is
the verifier refusing that one defect and nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from accord.security.keys import KeyStore
from accord.security.tokens import public_jwk
from tests.security.conftest import SecureShop, assert_problem, b64, bearer, forge
from tests.support.processes import free_port

pytestmark = pytest.mark.e2e

PATH = "/v1/skus"
SCOPE = "inventory:read"


def call(shop: SecureShop, token: str) -> httpx.Response:
    return httpx.get(shop.url("inventory") + PATH, headers=bearer(token), timeout=10)


def assert_refused(response: httpx.Response) -> None:
    """401 problem+json with RFC 6750's ``invalid_token`` challenge."""
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


class Attacker(http.server.BaseHTTPRequestHandler):
    """Serves a key set of the attacker's own and counts who came for it."""

    jwks: bytes = b""
    hits: list[str] = []  # shared by every handler instance

    def do_GET(self) -> None:
        Attacker.hits.append(self.path)
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(self.jwks)))
        self.end_headers()
        self.wfile.write(self.jwks)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def attacker() -> Iterator[tuple[str, ed25519.Ed25519PrivateKey]]:
    key = ed25519.Ed25519PrivateKey.generate()
    Attacker.jwks = json.dumps({"keys": [public_jwk("evil", key.public_key())]}).encode()
    Attacker.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Attacker)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", key
    finally:
        server.shutdown()
        server.server_close()


def test_control_an_honest_token_of_this_shape_is_accepted(shop: SecureShop) -> None:
    response = call(shop, shop.signed(shop.claims("inventory", SCOPE)))
    assert response.status_code == 200, response.text


def test_alg_none_is_refused(shop: SecureShop) -> None:
    current = shop.jwks()["keys"][0]["kid"]
    header = {"alg": "none", "typ": "at+jwt", "kid": current}
    for token in (
        forge(header, shop.claims("inventory", SCOPE)),
        forge({**header, "alg": "None"}, shop.claims("inventory", SCOPE)),
        forge({**header, "alg": "NONE"}, shop.claims("inventory", SCOPE)),
    ):
        assert_refused(call(shop, token))


def test_hmac_signed_with_the_public_key_is_refused(shop: SecureShop) -> None:
    """Algorithm confusion: the identity's public key used as an HS256 secret."""
    jwk = shop.jwks()["keys"][0]
    raw_public = jwk["x"].encode()
    decoded = jwt.utils.base64url_decode(jwk["x"])
    for secret in (raw_public, decoded, json.dumps(jwk).encode()):
        header = {"alg": "HS256", "typ": "at+jwt", "kid": jwk["kid"]}
        head = b64(json.dumps(header).encode())
        body = b64(json.dumps(shop.claims("inventory", SCOPE)).encode())
        signature = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
        assert_refused(call(shop, f"{head}.{body}.{b64(signature)}"))


def test_another_audience_is_refused(shop: SecureShop) -> None:
    response = call(shop, shop.signed(shop.claims("payments", SCOPE)))
    assert_refused(response)
    assert "wrong audience" in response.headers["www-authenticate"]


def test_another_issuer_is_refused(shop: SecureShop) -> None:
    claims = shop.claims("inventory", SCOPE, iss="https://identity.attacker.test")
    response = call(shop, shop.signed(claims))
    assert_refused(response)
    assert "wrong issuer" in response.headers["www-authenticate"]


@pytest.mark.parametrize("typ", ["JWT", "jwt", "id+jwt", None])
def test_another_type_is_refused(shop: SecureShop, typ: str | None) -> None:
    token = shop.signed(shop.claims("inventory", SCOPE), typ=typ or "at+jwt")
    if typ is None:  # no typ at all: drop it and sign again with the same key
        current = shop.jwks()["keys"][0]["kid"]
        token = shop.signed(shop.claims("inventory", SCOPE), kid=current)
        head, body, _ = token.split(".")
        header = json.loads(jwt.utils.base64url_decode(head))
        del header["typ"]
        key = KeyStore.under(shop.home, "identity").load().current.private_key
        unsigned = f"{b64(json.dumps(header).encode())}.{body}"
        token = f"{unsigned}.{b64(key.sign(unsigned.encode()))}"
    response = call(shop, token)
    assert_refused(response)
    assert "wrong type" in response.headers["www-authenticate"]


def test_expired_beyond_the_skew_is_refused(shop: SecureShop) -> None:
    now = int(time.time())
    claims = shop.claims("inventory", SCOPE, iat=now - 1000, nbf=now - 1000, exp=now - 120)
    response = call(shop, shop.signed(claims))
    assert_refused(response)
    assert "expired" in response.headers["www-authenticate"]


def test_not_yet_valid_beyond_the_skew_is_refused(shop: SecureShop) -> None:
    now = int(time.time())
    claims = shop.claims("inventory", SCOPE, nbf=now + 600, exp=now + 1200)
    assert_refused(call(shop, shop.signed(claims)))


def test_a_key_set_url_in_the_token_is_never_fetched(
    shop: SecureShop, attacker: tuple[str, ed25519.Ed25519PrivateKey]
) -> None:
    url, key = attacker
    claims = shop.claims("inventory", SCOPE)
    for header in (
        {"kid": "evil", "typ": "at+jwt", "jku": url},
        {"kid": "evil", "typ": "at+jwt", "x5u": url},
        {"kid": "evil", "typ": "at+jwt", "jwk": public_jwk("evil", key.public_key())},
    ):
        token = jwt.encode(claims, key, algorithm="EdDSA", headers=header)
        assert_refused(call(shop, token))
    # with the identity's own kid too: the reference alone is refused
    current = shop.jwks()["keys"][0]["kid"]
    assert_refused(call(shop, shop.signed(claims, jku=url, kid=current)))
    time.sleep(0.5)
    assert Attacker.hits == []


def test_a_tampered_token_is_refused(shop: SecureShop) -> None:
    token = shop.signed(shop.claims("inventory", "inventory:read"))
    head, body, signature = token.split(".")
    claims = json.loads(jwt.utils.base64url_decode(body))
    claims["scope"] = "inventory:read inventory:admin"
    tampered = f"{head}.{b64(json.dumps(claims).encode())}.{signature}"
    response = httpx.post(
        shop.url("inventory") + "/v1/skus/SKU-APPLE/restock",
        json={"quantity": 1},
        headers={**bearer(tampered), "idempotency-key": "tamper-1"},
        timeout=10,
    )
    assert_refused(response)
    assert "bad signature" in response.headers["www-authenticate"]
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    assert_refused(call(shop, f"{head}.{body}.{flipped}"))


def test_an_unknown_key_is_refused(shop: SecureShop) -> None:
    stranger = ed25519.Ed25519PrivateKey.generate()
    claims = shop.claims("inventory", SCOPE)
    token = jwt.encode(
        claims, stranger, algorithm="EdDSA", headers={"kid": "k-404", "typ": "at+jwt"}
    )
    response = call(shop, token)
    assert_refused(response)
    assert "unknown key" in response.headers["www-authenticate"]
    # the identity's kid on a stranger's signature
    current = shop.jwks()["keys"][0]["kid"]
    token = jwt.encode(
        claims, stranger, algorithm="EdDSA", headers={"kid": current, "typ": "at+jwt"}
    )
    assert_refused(call(shop, token))


@pytest.mark.parametrize(
    "token",
    ["a.b", "a.b.c.d", "....", "eyJ.eyJ.", "x" * 9000, "Ünïcödé"],
    ids=["two-parts", "four-parts", "dots", "half", "huge", "non-ascii"],
)
def test_garbage_is_refused(shop: SecureShop, token: str) -> None:
    response = httpx.get(
        shop.url("inventory") + PATH,
        headers=[(b"authorization", b"Bearer " + token.encode())],
        timeout=10,
    )
    assert_problem(response, 401, "unauthenticated")
