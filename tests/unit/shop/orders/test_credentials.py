"""Orders' service token: sent as a bearer, dropped after a 401, missing as identity down."""

from __future__ import annotations

import httpx
import pytest

from accord.errors import Forbidden, Unauthenticated
from accord.security.tokens import InvalidToken
from shop.orders.adapters.credentials import SCOPES, Bearer
from shop.orders.domain.exceptions import DependencyUnavailable

pytestmark = pytest.mark.anyio


class Credentials:
    def __init__(self, failure: Exception | None = None) -> None:
        self.failure = failure
        self.invalidated = 0

    async def token(self) -> str:
        if self.failure is not None:
            raise self.failure
        return "t0ken"

    def invalidate(self) -> None:
        self.invalidated += 1


async def test_the_token_goes_as_a_bearer() -> None:
    assert await Bearer(Credentials()).headers() == {"authorization": "Bearer t0ken"}


async def test_without_credentials_no_header_is_sent() -> None:
    assert await Bearer().headers() is None
    with Bearer().watch(), pytest.raises(Unauthenticated):
        raise Unauthenticated("no")


@pytest.mark.parametrize(
    "failure",
    [InvalidToken("token endpoint answered 503"), httpx.ConnectError("refused")],
    ids=["refused", "unreachable"],
)
async def test_no_token_is_identity_unavailable(failure: Exception) -> None:
    with pytest.raises(DependencyUnavailable) as raised:
        await Bearer(Credentials(failure)).headers()
    assert raised.value.dependency == "identity"


def test_a_401_drops_the_cached_token_and_a_403_does_not() -> None:
    credentials = Credentials()
    bearer = Bearer(credentials)
    with pytest.raises(Unauthenticated), bearer.watch():
        raise Unauthenticated("expired")
    assert credentials.invalidated == 1
    with pytest.raises(Forbidden), bearer.watch():
        raise Forbidden("not yours")
    assert credentials.invalidated == 1


def test_orders_asks_for_its_six_calls_and_nothing_else() -> None:
    assert SCOPES == (
        "inventory:reserve",
        "payments:authorize",
        "payments:capture",
        "payments:void",
    )
