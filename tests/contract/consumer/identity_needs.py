"""What the services need from identity: a service token (orders) and the key set (all).

Orders obtains its own access token with the client-credentials grant, through the
toolkit's :class:`~accord.security.tokens.ClientCredentials`, authenticated by a client
assertion signed with its own key (RFC 7523 ``private_key_jwt``; no shared secret), and
reads ``access_token`` and ``expires_in``. An assertion is valid for a minute and only
once, so the pact promises its shape (a compact JWS) and the provider's verification
signs a fresh one with the same key before replaying the request
(``tests/contract/provider/assertions.py``), as Pact's request filters do for
credentials that expire. Every service verifies tokens with keys fetched by the toolkit's
:class:`~accord.security.jwks.KeySet` from ``/.well-known/jwks.json`` (the runtime's
authentication layer), and reads each key's ``kty``, ``crv``, ``kid`` and ``x`` (an
Ed25519 key: what identity signs with). One pact per consumer: ``orders-identity.json``
holds both interactions, ``inventory-identity.json`` and ``payments-identity.json`` the
key set.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from accord.runtime.auth import JWKS_PATH
from accord.security.clientkeys import (
    ASSERTION_JWT_TYPE,
    ASSERTION_TYPE,
    ClientKey,
    ClientKeys,
    thumbprint_kid,
)
from accord.security.jwks import KeySet, public_jwk
from accord.security.tokens import ClientCredentials
from shop.identity.contract import Identity
from shop.orders.adapters.credentials import SCOPES
from tests.contract.consumer.recording import Need, State, match

__all__ = ["CLIENT_KEY", "CONSUMERS", "KID", "PROVIDER", "connect", "needs", "public_jwk_of"]

PROVIDER = "identity"
#: Who fetches what from identity: orders asks for tokens, everyone verifies them.
CONSUMERS = ("orders", "inventory", "payments")

#: The key orders signs the pact's assertion with (fixed, so recordings are identical); the
#: provider is set up with its public half.
_PRIVATE = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
CLIENT_KEY = ClientKey(kid=thumbprint_kid(_PRIVATE.public_key()), private_key=_PRIVATE)
#: A compact JWS: three base64url segments.
_JWS = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"
KID = "key-2026-12-07"
#: An Ed25519 public key (the RFC 8037 example), so the consumer's parser accepts it.
_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
_JSON = "application/json"


class IdentityGateway:
    """The toolkit's two clients of identity, pointed at ``url``."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def credentials(self) -> ClientCredentials:
        key_file = _key_file()
        return ClientCredentials.with_private_key(
            self.url + Identity.token.path, "orders", key_file, scopes=SCOPES
        )

    def keys(self) -> KeySet:
        return KeySet.from_url(self.url + JWKS_PATH)

    async def aclose(self) -> None:
        """Nothing stays open: each client opens and closes its own connection."""


@functools.cache
def _key_file() -> Path:
    """The pact key as a client key file (``ClientKeys`` layout), in a fresh folder."""
    folder = Path(tempfile.mkdtemp(prefix="pact-keys-"))
    path = ClientKeys(folder).key_path("orders")
    path.write_bytes(
        _PRIVATE.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def public_jwk_of(key: ClientKey) -> dict[str, str]:
    """The public JWK of ``key``, as identity's key registry holds it."""
    return public_jwk(key.kid, key.private_key.public_key())


def _example_assertion() -> str:
    """An assertion as orders signs one (fixed times and ``jti``: a stable example)."""
    claims = {"iss": "orders", "sub": "orders", "aud": "http://127.0.0.1:8104/v1/token",
              "iat": 1796083200, "exp": 1796083260, "jti": "pact-example"}  # fmt: skip
    headers = {"kid": CLIENT_KEY.kid, "typ": ASSERTION_JWT_TYPE}
    return jwt.encode(claims, CLIENT_KEY.private_key, algorithm="EdDSA", headers=headers)


def connect(url: str) -> IdentityGateway:
    """The gateway the needs exercise, pointed at ``url``."""
    return IdentityGateway(url)


# -- token: client credentials ------------------------------------------------------------


def _declare_token(i: Any) -> None:
    (
        i.with_request("POST", Identity.token.path)
        .with_body(
            {
                "grant_type": "client_credentials",
                "client_id": "orders",
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": match.regex(_example_assertion(), regex=_JWS),
                "scope": " ".join(SCOPES),
            },
            _JSON,
        )
        .will_respond_with(200)
        .with_body(
            {
                "access_token": match.str("eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJvcmRlcnMifQ.c2ln"),
                "token_type": match.regex("Bearer", regex=r"^Bearer$"),
                "expires_in": match.int(900),
            },
            _JSON,
        )
    )


async def _exercise_token(gateway: IdentityGateway) -> None:
    token = await gateway.credentials().token()
    assert token == "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJvcmRlcnMifQ.c2ln"


# -- the key set ----------------------------------------------------------------------------


def _declare_jwks(i: Any) -> None:
    (
        i.with_request("GET", JWKS_PATH)
        .will_respond_with(200)
        .with_body(
            {
                "keys": match.each_like(
                    {
                        "kty": match.regex("OKP", regex=r"^OKP$"),
                        "crv": match.regex("Ed25519", regex=r"^Ed25519$"),
                        "kid": match.str(KID),
                        "x": match.regex(_X, regex=r"^[A-Za-z0-9_-]{43}$"),
                    }
                )
            },
            "application/jwk-set+json",
        )
    )


async def _exercise_jwks(gateway: IdentityGateway) -> None:
    keys = gateway.keys()
    assert await keys.refresh()
    assert keys.kids == frozenset({KID})


_TOKEN = Need(
    description="a request for orders' service token with its scopes",
    states=(
        State(
            "a client is registered",
            {"client_id": "orders", "key": public_jwk_of(CLIENT_KEY)},
        ),
    ),
    declare=_declare_token,
    exercise=_exercise_token,
)
_JWKS = Need(
    description="a request for the key set that verifies tokens",
    states=(State("identity signs with an Ed25519 key"),),
    declare=_declare_jwks,
    exercise=_exercise_jwks,
)


def needs(consumer: str) -> list[Need[IdentityGateway]]:
    """What ``consumer`` needs from identity."""
    return [_TOKEN, _JWKS] if consumer == "orders" else [_JWKS]


NEEDS: dict[str, Callable[[], list[Need[IdentityGateway]]]] = {
    consumer: (lambda consumer=consumer: needs(consumer)) for consumer in CONSUMERS
}
