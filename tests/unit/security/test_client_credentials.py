"""A service's token: cached until shortly before it expires, one request for many callers."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import httpx
import pytest

from accord.security import ClientCredentials, InvalidToken, IssuedToken


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
async def test_over_http_posts_the_client_credentials_grant() -> None:
    bodies: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        if bodies[-1]["client_secret"] != "s3cret":
            return httpx.Response(401, json={"code": "identity.invalid_client"})
        return httpx.Response(200, json={"access_token": "tok", "expires_in": 900,
                                         "token_type": "Bearer", "scope": "a b"})  # fmt: skip

    transport = httpx.MockTransport(handler)
    good = ClientCredentials.over_http(
        "http://idp.test/v1/token", "orders", "s3cret", scopes=["a", "b"], transport=transport
    )
    assert await good.token() == "tok"
    assert bodies[0] == {"grant_type": "client_credentials", "client_id": "orders",
                         "client_secret": "s3cret", "scope": "a b"}  # fmt: skip
    bad = ClientCredentials.over_http(
        "http://idp.test/v1/token", "orders", "x", transport=transport
    )
    with pytest.raises(InvalidToken, match="401"):
        await bad.token()


@pytest.mark.anyio
async def test_from_file_reads_the_secret_when_first_needed(tmp_path: Path) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content)["client_secret"])
        return httpx.Response(200, json={"access_token": "tok", "expires_in": 900})

    clients = tmp_path / "identity" / "clients.json"
    creds = ClientCredentials.from_file(
        "http://idp.test/v1/token", clients, "orders", transport=httpx.MockTransport(handler)
    )
    with pytest.raises(InvalidToken, match="no secret for client orders"):
        await creds.token()  # the file is not there yet
    clients.parent.mkdir()
    clients.write_text(json.dumps({"clients": {"orders": {"secret": "from-file"}}}))
    assert await creds.token() == "tok" and seen == ["from-file"]
