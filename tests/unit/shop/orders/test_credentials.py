"""Orders' service token: no token to be had reads as identity being unavailable."""

from __future__ import annotations

import pytest

from accord.client import TokenUnavailable
from accord.security.tokens import InvalidToken
from shop.orders.adapters.credentials import SCOPES
from shop.orders.adapters.dependencies import dependency_errors
from shop.orders.domain.exceptions import DependencyUnavailable


def test_no_token_is_identity_unavailable() -> None:
    cause = InvalidToken("token endpoint answered 503")
    with pytest.raises(DependencyUnavailable) as raised, dependency_errors("inventory"):
        raise TokenUnavailable("no token") from cause
    assert raised.value.dependency == "identity"
    assert "no service token: token endpoint answered 503" in str(raised.value)


def test_orders_asks_for_its_six_calls_and_nothing_else() -> None:
    assert SCOPES == (
        "inventory:reserve",
        "payments:authorize",
        "payments:capture",
        "payments:void",
    )
