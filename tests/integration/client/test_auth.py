"""A typed client's ``auth`` hook against the real runtime's authentication layer.

The served contract asks a scope of its one operation; the client's own tokens come
from a token source the test controls, as a service's client credentials would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest

from accord import Contract, Idempotency, operation, runtime
from accord.client import BearerAuth, TokenUnavailable
from accord.errors import Forbidden, Unauthenticated
from accord.runtime.auth import AuthSettings
from accord.security.tokens import InvalidToken
from tests.support.tokens import TestIssuer

pytestmark = pytest.mark.anyio


class Ask(msgspec.Struct, kw_only=True):
    q: str


class Answer(msgspec.Struct, kw_only=True):
    q: str


class Vault(Contract, name="vault", version="1.0.0"):
    """One operation behind one scope."""

    peek = operation(
        Ask,
        Answer,
        method="GET",
        path="/peek",
        idempotency=Idempotency.READ_ONLY,
        scopes=("vault:read",),
    )


class Implementation:
    async def peek(self, request: Ask) -> Answer:
        return Answer(q=request.q)


class Tokens:
    """A token source: hands out ``tokens`` in turn, or raises ``failure``."""

    def __init__(self, *tokens: str, failure: Exception | None = None) -> None:
        self.tokens = list(tokens)
        self.failure = failure
        self.asked = 0
        self.invalidated = 0

    async def token(self) -> str:
        self.asked += 1
        if self.failure is not None:
            raise self.failure
        return self.tokens[min(self.invalidated, len(self.tokens) - 1)]

    def invalidate(self) -> None:
        self.invalidated += 1


ISSUER = TestIssuer()


@pytest.fixture
def app() -> runtime.App:
    auth = AuthSettings(enabled=True, audit=False).authentication(
        Vault.name, verifier=ISSUER.verifier(Vault.name)
    )
    assert auth is not None
    return runtime.App(Vault, Implementation(), layers=[auth])


@pytest.fixture
async def served(app: runtime.App) -> AsyncIterator[httpx.ASGITransport]:
    yield httpx.ASGITransport(app=app)


async def test_each_call_carries_the_token_and_a_401_drops_it(
    served: httpx.ASGITransport,
) -> None:
    tokens = Tokens(ISSUER.token("vault:read", lifetime=-60.0), ISSUER.token("vault:read"))
    async with Vault.client(
        "http://vault.internal", transport=served, auth=BearerAuth(tokens)
    ) as vault:
        with pytest.raises(Unauthenticated):  # the first token has expired
            await vault.peek(Ask(q="a"))
        assert tokens.invalidated == 1
        assert await vault.peek(Ask(q="b")) == Answer(q="b")  # a new token was asked for
    assert (tokens.asked, tokens.invalidated) == (2, 1)


async def test_a_403_keeps_the_token(served: httpx.ASGITransport) -> None:
    tokens = Tokens(ISSUER.token("vault:write"))
    async with Vault.client(
        "http://vault.internal", transport=served, auth=BearerAuth(tokens)
    ) as vault:
        with pytest.raises(Forbidden):
            await vault.peek(Ask(q="a"))
    assert tokens.invalidated == 0


async def test_headers_the_call_passes_win_over_the_hook(served: httpx.ASGITransport) -> None:
    tokens = Tokens(ISSUER.token("vault:write"))  # would be refused 403
    async with Vault.client(
        "http://vault.internal", transport=served, auth=BearerAuth(tokens)
    ) as vault:
        answer = await vault.peek(Ask(q="c"), headers=ISSUER.bearer("vault:read"))
    assert answer == Answer(q="c")


@pytest.mark.parametrize(
    "failure",
    [InvalidToken("token endpoint answered 503"), httpx.ConnectError("refused")],
    ids=["refused", "unreachable"],
)
async def test_no_token_means_no_call(served: httpx.ASGITransport, failure: Exception) -> None:
    tokens = Tokens(failure=failure)
    async with Vault.client(
        "http://vault-untouched.internal", transport=served, auth=BearerAuth(tokens)
    ) as vault:
        with pytest.raises(TokenUnavailable) as raised:
            await vault.peek(Ask(q="a"))
    assert raised.value.__cause__ is failure
    assert vault._core.downstream.attempts == 0  # type: ignore[attr-defined]
