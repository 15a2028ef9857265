"""The twin's token issuer: an Ed25519 key, service tokens and customer tokens.

Minimal on purpose (the benchmark does not measure identity): ``POST /token`` is the
client-credentials grant for the orders service (its secret in ``<home>/clients.json``),
``POST /dev-token`` gives a customer a token for placing orders. The public key is
written to ``<home>/identity-public.pem`` for the other services to check tokens with.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from bench.twins.common import ALGORITHM, HOME, ISSUER

LIFETIME = 900
#: What each service client may do.
CLIENT_SCOPES = {
    "orders": (
        ["inventory", "payments"],
        "inventory:reserve payments:authorize payments:capture payments:void",
    ),
    "operator": (["inventory"], "inventory:admin"),
}


class ClientToken(BaseModel):
    grant_type: str
    client_id: str
    client_secret: str


class DevToken(BaseModel):
    customer_id: str


class Token(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int = LIFETIME


def create_app() -> FastAPI:
    """Make a key and client secrets, write the public key, serve tokens."""
    HOME.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    (HOME / "identity-public.pem").write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    clients = {name: secrets.token_urlsafe(24) for name in CLIENT_SCOPES}
    (HOME / "clients.json").write_text(json.dumps(clients))
    app = FastAPI(title="twin identity")

    def issue(sub: str, audience: list[str], scope: str) -> Token:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": sub,
            "aud": audience,
            "scope": scope,
            "iat": now,
            "nbf": now,
            "exp": now + LIFETIME,
            "jti": uuid.uuid4().hex,
        }
        return Token(access_token=jwt.encode(claims, key, algorithm=ALGORITHM))

    @app.post("/token")
    async def token(grant: ClientToken) -> Token:
        known = clients.get(grant.client_id)
        if known is None or not secrets.compare_digest(known, grant.client_secret):
            raise HTTPException(401, "invalid client")
        audience, scope = CLIENT_SCOPES[grant.client_id]
        return issue(grant.client_id, audience, scope)

    @app.post("/dev-token")
    async def dev_token(who: DevToken) -> Token:
        return issue(who.customer_id, ["orders"], "orders:read orders:write")

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    return app
