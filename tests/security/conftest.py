"""The running shop an attacker faces: ``accord up`` on free ports with a temporary home.

One shop serves the whole security suite (starting it takes seconds); tests create the
customers they need under fresh addresses, so they do not see one another's orders. The
attacker's tools are here too: forged tokens (``forge``), tokens signed with the
identity service's own current key but bad claims (``signed``, what a stolen key or a
bug in the issuer would give), and the tokens honest callers hold (a customer's, the
orders service's, the operator's).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from accord.security.clientkeys import ASSERTION_TYPE, ClientKeys, sign_assertion
from accord.security.jws import Ed25519Signer
from accord.security.keys import KeyStore
from accord.security.tls import SUPERVISOR
from tests.support.processes import ROOT, free_port, stop, wait_http

SERVICES = ("identity", "inventory", "payments", "orders")
#: Whose key a client's assertions are signed with, when not its own.
HOLDERS = {"operator": SUPERVISOR}
#: What every refusal must look like.
PROBLEM = "application/problem+json"


def b64(data: bytes) -> str:
    """base64url without padding, as in a JWT."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    """A JWT made by hand: any header, any payload, any signature bytes."""
    head = b64(json.dumps(header).encode())
    body = b64(json.dumps(payload).encode())
    return f"{head}.{body}.{b64(signature)}"


class SecureShop:
    """The shop under attack, and what an honest caller can get from it."""

    def __init__(self, home: Path, ports: dict[str, int]) -> None:
        self.home = home
        self.ports = ports

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    @property
    def issuer(self) -> str:
        return self.url("identity")

    # -- honest tokens --------------------------------------------------------------

    def customer(self) -> tuple[str, str]:
        """A new customer's ``(token, email)``, registered and logged in."""
        email = f"c-{uuid.uuid4().hex[:12]}@shop.test"
        password = secrets.token_urlsafe(16)
        r = httpx.post(
            self.url("identity") + "/v1/customers",
            json={"email": email, "password": password},
            headers={"idempotency-key": uuid.uuid4().hex},
            timeout=10,
        )
        assert r.status_code == 201, r.text
        r = httpx.post(
            self.url("identity") + "/v1/login",
            json={"email": email, "password": password},
            timeout=10,
        )
        assert r.status_code == 200, r.text
        return r.json()["access_token"], email

    def grant(self, client_id: str, *scopes: str, assertion: str | None = None) -> dict[str, str]:
        """The client-credentials grant of ``client_id``, authenticated as the service
        does it: a fresh client assertion signed with its own key (``private_key_jwt``;
        the operator's tools sign with the supervisor's), or ``assertion``."""
        if assertion is None:
            keys = ClientKeys.under(self.home)
            holder = HOLDERS.get(client_id, client_id)
            assertion = sign_assertion(keys.private_key(holder), client_id, self.token_url)
        return {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
            "scope": " ".join(scopes),
        }

    @property
    def token_url(self) -> str:
        """identity's token endpoint, as every client names it (the assertions' ``aud``)."""
        return self.url("identity") + "/v1/token"

    def client_token(self, client_id: str, *scopes: str) -> str:
        """A service client's token, asked for as the service asks for it."""
        r = httpx.post(self.token_url, json=self.grant(client_id, *scopes), timeout=10)
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    # -- tokens an attacker makes ---------------------------------------------------

    def claims(self, audience: str | list[str], scope: str, **overrides: Any) -> dict[str, Any]:
        """The claims of a token identity would issue, with ``overrides`` (``None`` drops)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": audience,
            "sub": "attacker",
            "scope": scope,
            "iat": now,
            "nbf": now,
            "exp": now + 600,
            "jti": uuid.uuid4().hex,
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def signed(self, claims: dict[str, Any], **headers: Any) -> str:
        """``claims`` signed with identity's current key (its ``kid``; ``headers`` on top)."""
        current = KeyStore.under(self.home, "identity").load().current
        header = {"kid": current.kid, "typ": "at+jwt", **headers}
        key = current.private_key
        # PyJWT signs with cryptography's key: the same key, read from its PEM.
        pem = key.pem() if isinstance(key, Ed25519Signer) else None
        return jwt.encode(claims, pem or key, algorithm="EdDSA", headers=header)

    def jwks(self) -> dict[str, Any]:
        r = httpx.get(self.url("identity") + "/.well-known/jwks.json", timeout=10)
        assert r.status_code == 200, r.text
        return dict(r.json())


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> None:
    """``response`` is a problem document with ``status`` (and ``code``)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body = response.json()
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body


@pytest.fixture(scope="session")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureShop]:
    home = tmp_path_factory.mktemp("secure-shop")
    ports = {name: free_port() for name in SERVICES}
    # Tokens, scopes and input, over plain HTTP: the transport's refusals (no certificate,
    # a foreign one) are tests/e2e/test_shop_tls.py's, on the default TLS path.
    argv = [sys.executable, "-m", "accord", "up", "--plain", "--raw"]
    for name, port in ports.items():
        argv += ["--port", f"{name}={port}"]
    env = {**os.environ, "ACCORD_HOME": str(home)}
    for variable in ("ACCORD_AUTH", "ACCORD_PUBLIC_METADATA", "ACCORD_TOKEN_ISSUER"):
        env.pop(variable, None)
    log = (home / "up.log").open("wb")
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for name in SERVICES:
            wait_http(f"http://127.0.0.1:{ports[name]}/readyz", timeout=60)
        yield SecureShop(home, ports)
    finally:
        stop(proc)
        log.close()
