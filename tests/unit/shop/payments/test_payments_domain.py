"""The authorization aggregate and its values, without any I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shop.payments.domain.exceptions import InvalidAmount, InvalidTransition
from shop.payments.domain.model import Authorization, AuthorizationStatus, Money

NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def make(status: AuthorizationStatus = AuthorizationStatus.AUTHORIZED) -> Authorization:
    return Authorization(
        authorization_id="auth-1",
        order_id="ord-1",
        amount=Money(1999, "EUR"),
        processor_reference="prc-1",
        created_at=NOW,
        status=status,
    )


@pytest.mark.parametrize("cents", [0, -1, 1.5, True, "10"])
def test_money_rejects_anything_but_positive_whole_cents(cents: object) -> None:
    with pytest.raises(InvalidAmount):
        Money(cents, "EUR")  # type: ignore[arg-type]


@pytest.mark.parametrize("currency", ["eur", "EU", "EURO", ""])
def test_money_rejects_malformed_currencies(currency: str) -> None:
    with pytest.raises(InvalidAmount, match="currency"):
        Money(100, currency)


def test_money_is_exact_and_compares_by_value() -> None:
    assert Money(10**12 + 1, "EUR") == Money(10**12 + 1, "EUR")
    assert Money(100, "EUR") != Money(100, "USD")


def test_capture_moves_forward_once_then_is_idempotent() -> None:
    auth = make()
    assert auth.capture() is True
    assert auth.status is AuthorizationStatus.CAPTURED
    assert auth.capture() is False
    assert auth.status is AuthorizationStatus.CAPTURED


def test_void_moves_forward_once_then_is_idempotent() -> None:
    auth = make()
    assert auth.void() is True
    assert auth.void() is False
    assert auth.status is AuthorizationStatus.VOIDED


def test_a_captured_authorization_cannot_be_voided() -> None:
    auth = make(AuthorizationStatus.CAPTURED)
    with pytest.raises(InvalidTransition) as info:
        auth.void()
    assert info.value.current is AuthorizationStatus.CAPTURED
    assert info.value.target is AuthorizationStatus.VOIDED
    assert "captured" in str(info.value)
    assert auth.status is AuthorizationStatus.CAPTURED


def test_a_voided_authorization_cannot_be_captured() -> None:
    auth = make(AuthorizationStatus.VOIDED)
    with pytest.raises(InvalidTransition):
        auth.capture()
    assert auth.status is AuthorizationStatus.VOIDED


def test_created_at_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone"):
        Authorization(
            authorization_id="a",
            order_id="o",
            amount=Money(1, "EUR"),
            processor_reference="r",
            created_at=datetime(2025, 1, 1),
        )


def test_same_request_compares_order_and_amount() -> None:
    auth = make()
    assert auth.same_request("ord-1", Money(1999, "EUR"))
    assert not auth.same_request("ord-1", Money(2000, "EUR"))
    assert not auth.same_request("ord-2", Money(1999, "EUR"))
