"""A service's token: cached until shortly before it expires, one request for many callers."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import httpx
import pytest

from accord.security import ClientCredentials, InvalidToken, IssuedToken, KeySet, Verifier
from accord.security.clientkeys import ASSERTION_JWT_TYPE, ASSERTION_TYPE, ClientKeys

TOKEN_URL = "http://idp.test/v1/token"


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.anyio
async def test_the_token_is_reused_until_a_minute_before_expiry() -> None:
    clock, issued = Clock(), []

    async def request() -> IssuedToken:
        issued.append(clock.now)
        await anyio.sleep(0.01)
        return IssuedToken(access_token=f"t{len(issued)}", expires_in=900)

    creds = ClientCredentials(request, clock=clock)
    async with anyio.create_task_group() as tg:
        for _ in range(10):
            tg.start_soon(creds.token)
    assert issued == [0.0]
    clock.now = 839
    assert await creds.token() == "t1"
    clock.now = 840
    assert await creds.token() == "t2"
    creds.invalidate()
    assert await creds.token() == "t3" and creds.requests == 3


@pytest.mark.anyio
async def test_with_private_key_posts_a_fresh_signed_assertion_each_time(tmp_path: Path) -> None:
    bodies: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200, json={"access_token": "tok", "expires_in": 900,
                                         "token_type": "Bearer", "scope": "a b"})  # fmt: skip

    keys = ClientKeys(tmp_path / "client-keys")
    creds = ClientCredentials.with_private_key(
        TOKEN_URL, "orders", keys.key_path("orders"), scopes=["a", "b"],
        transport=httpx.MockTransport(handler),
    )  # fmt: skip
    with pytest.raises(InvalidToken, match="no private key for client orders"):
        await creds.token()  # the key is not there yet: read when first needed
    keys.ensure(["orders"])
    assert await creds.token() == "tok"
    creds.invalidate()
    assert await creds.token() == "tok"
    first, second = bodies
    assert "client_secret" not in first
    assert first["client_assertion_type"] == ASSERTION_TYPE and first["scope"] == "a b"
    assert first["client_assertion"] != second["client_assertion"]  # a new jti each time
    public = KeySet.static(keys.public_jwks(["orders"]))
    verifier = Verifier(public, issuer="orders", audience=TOKEN_URL, typ=ASSERTION_JWT_TYPE)
    claims = await verifier.verify(first["client_assertion"])
    assert claims.subject == "orders" and claims.expires_at - claims.raw["iat"] == 60
