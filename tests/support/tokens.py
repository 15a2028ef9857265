"""Access tokens for tests of services that check them, signed with a key of the test's own.

::

    issuer = TestIssuer()
    app = inventory.create_app(settings, verifier=issuer.verifier("inventory"))
    headers = issuer.bearer("inventory:read")                 # a service's token
    headers = issuer.bearer("orders:read", customer_id="c-1")  # a customer's token

Tokens are what the identity service issues (EdDSA, ``typ: at+jwt``, ``iss``, ``aud`` the
services their scopes name, ``sub``, ``scope``, ``exp``…); :meth:`TestIssuer.token` takes
overrides of any claim or header to build a bad one on purpose.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ed25519

from accord.security.tokens import KeySet, Verifier, public_jwk

ISSUER = "https://identity.test"


#: The services a ``metadata:read`` token is for (all of them, as identity issues it).
SERVICES = ("identity", "inventory", "orders", "payments")


def audience_of(scopes: tuple[str, ...]) -> list[str]:
    """The services ``<service>:<action>`` scopes name, sorted (``metadata:read``: all)."""
    named: set[str] = set()
    for scope in scopes:
        named.update(SERVICES if scope == "metadata:read" else (scope.split(":", 1)[0],))
    return sorted(named)


class StaticCredentials:
    """Orders' client credentials in a test: always the same token."""

    def __init__(self, token: str) -> None:
        self._token = token
        self.invalidated = 0

    async def token(self) -> str:
        return self._token

    def invalidate(self) -> None:
        self.invalidated += 1


class TestIssuer:
    """Signs access tokens with an Ed25519 key and gives verifiers that trust it."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, issuer: str = ISSUER, kid: str = "test-key-1") -> None:
        self.issuer = issuer
        self.kid = kid
        self.key = ed25519.Ed25519PrivateKey.generate()
        self.jwks = {"keys": [public_jwk(kid, self.key.public_key())]}

    def verifier(self, audience: str) -> Verifier:
        """A verifier for ``audience`` that knows only this issuer's key."""
        return Verifier(KeySet.static(self.jwks), issuer=self.issuer, audience=audience)

    def token(
        self,
        *scopes: str,
        customer_id: str | None = None,
        subject: str | None = None,
        lifetime: float = 900.0,
        headers: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """A signed token for ``scopes``; ``claims`` override or (``None``) drop claims."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": audience_of(scopes),
            "sub": subject or customer_id or "test-client",
            "scope": " ".join(scopes),
            "iat": now,
            "nbf": now,
            "exp": int(now + lifetime),
            "jti": uuid.uuid4().hex,
        }
        if customer_id is not None:
            payload["customer_id"] = customer_id
        payload.update(claims)
        payload = {k: v for k, v in payload.items() if v is not None}
        header = {"kid": self.kid, "typ": "at+jwt", **(headers or {})}
        return jwt.encode(payload, self.key, algorithm="EdDSA", headers=header)

    def bearer(self, *scopes: str, customer_id: str | None = None) -> dict[str, str]:
        """``{"authorization": "Bearer <token>"}`` for ``scopes``."""
        return {"authorization": f"Bearer {self.token(*scopes, customer_id=customer_id)}"}

    def credentials(self, *scopes: str) -> StaticCredentials:
        """A service's client credentials, always answering one token for ``scopes``."""
        return StaticCredentials(self.token(*scopes, subject="orders", client_id="orders"))
