"""What the services need from identity: a service token (orders) and the key set (all).

Orders obtains its own access token with the client-credentials grant, through the
toolkit's :class:`~accord.security.tokens.ClientCredentials`, and reads ``access_token``
and ``expires_in``. Every service verifies tokens with keys fetched by the toolkit's
:class:`~accord.security.jwks.KeySet` from ``/.well-known/jwks.json`` (the runtime's
authentication layer), and reads each key's ``kty``, ``crv``, ``kid`` and ``x`` (an
Ed25519 key: what identity signs with). One pact per consumer: ``orders-identity.json``
holds both interactions, ``inventory-identity.json`` and ``payments-identity.json`` the
key set.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from accord.runtime.auth import JWKS_PATH
from accord.security.jwks import KeySet
from accord.security.tokens import ClientCredentials
from shop.identity.contract import Identity
from shop.orders.adapters.credentials import SCOPES
from tests.contract.consumer.recording import Need, State, match

__all__ = ["CLIENT_SECRET", "CONSUMERS", "KID", "PROVIDER", "connect", "needs"]

PROVIDER = "identity"
#: Who fetches what from identity: orders asks for tokens, everyone verifies them.
CONSUMERS = ("orders", "inventory", "payments")

#: The secret the pact's token request carries; the provider is set up with it.
CLIENT_SECRET = "pact-orders-client-secret"
KID = "key-2026-12-07"
#: An Ed25519 public key (the RFC 8037 example), so the consumer's parser accepts it.
_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
_JSON = "application/json"


class IdentityGateway:
    """The toolkit's two clients of identity, pointed at ``url``."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def credentials(self) -> ClientCredentials:
        return ClientCredentials.over_http(
            self.url + Identity.token.path, "orders", CLIENT_SECRET, scopes=SCOPES
        )

    def keys(self) -> KeySet:
        return KeySet.from_url(self.url + JWKS_PATH)

    async def aclose(self) -> None:
        """Nothing stays open: each client opens and closes its own connection."""


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
                "client_secret": CLIENT_SECRET,
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
        State("a client is registered", {"client_id": "orders", "client_secret": CLIENT_SECRET}),
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
