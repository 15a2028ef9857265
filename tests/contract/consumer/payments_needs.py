"""What orders needs from payments: authorize (approved, or declined), capture, void.

Each response declares only what orders' gateway reads — every field its typed client
decodes, and the ``reason`` it turns into ``PaymentDeclined`` — with type matching on
ids and amounts and a regex on each enumerated value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shop.orders.adapters.payments import PaymentsGateway
from shop.orders.domain.exceptions import PaymentDeclined
from shop.payments.contract import Payments
from tests.contract.consumer.recording import Need, State, match, path_like

__all__ = ["APPROVED_CARD", "DECLINED_CARD", "PROVIDER", "connect", "needs"]

PROVIDER = "payments"

#: The card token orders pays with when the card is good, and when it is refused.
APPROVED_CARD = "tok_visa"
DECLINED_CARD = "tok_insufficient_funds"

_JSON = "application/json"
_PROBLEM = "application/problem+json"
_KEY = r"^[!-~]{1,255}$"
_REASONS = r"^(insufficient_funds|card_expired|do_not_honor|fraud_suspected)$"


def connect(url: str) -> PaymentsGateway:
    """Orders' real payments gateway, pointed at ``url``."""
    return PaymentsGateway.connect(url)


def _authorization(authorization_id: str, order_id: str, status: str) -> object:
    return {
        "authorization_id": match.str(authorization_id),
        "order_id": match.str(order_id),
        "amount_cents": match.int(4200),
        "currency": match.regex("EUR", regex=r"^[A-Z]{3}$"),
        "status": match.regex(status, regex=r"^(authorized|captured|voided)$"),
    }


def _authorize_request(i: Any, order_id: str, card: str) -> Any:
    return (
        i.with_request("POST", Payments.authorize.path)
        .with_header("Idempotency-Key", match.regex(f"{order_id}:authorize", regex=_KEY))
        .with_body(
            {"order_id": order_id, "amount_cents": 4200, "currency": "EUR", "card_token": card},
            _JSON,
        )
    )


# -- authorize: approved ----------------------------------------------------------------


def _declare_authorize(i: Any) -> None:
    (
        _authorize_request(i, "ord-1001", APPROVED_CARD)
        .will_respond_with(201)
        .with_body(_authorization("auth-1001", "ord-1001", "authorized"), _JSON)
    )


async def _exercise_authorize(gateway: PaymentsGateway) -> None:
    hold = await gateway.authorize("ord-1001", 4200, "EUR", APPROVED_CARD)
    assert hold.authorization_id == "auth-1001"


# -- authorize: declined ----------------------------------------------------------------


def _declare_declined(i: Any) -> None:
    (
        _authorize_request(i, "ord-1002", DECLINED_CARD)
        .will_respond_with(402)
        .with_body(
            {
                "code": "payments.card_declined",
                "reason": match.regex("insufficient_funds", regex=_REASONS),
            },
            _PROBLEM,
        )
    )


async def _exercise_declined(gateway: PaymentsGateway) -> None:
    with pytest.raises(PaymentDeclined) as caught:
        await gateway.authorize("ord-1002", 4200, "EUR", DECLINED_CARD)
    assert caught.value.reason == "insufficient_funds"


# -- capture and void -------------------------------------------------------------------


def _declare_close(
    action: str, authorization_id: str, order_id: str, status: str
) -> Callable[[Any], None]:
    op = Payments.capture if action == "capture" else Payments.void

    def declare(i: Any) -> None:
        (
            i.with_request("POST", path_like(op, authorization_id=authorization_id))
            .with_body({}, _JSON)
            .will_respond_with(200)
            .with_body(_authorization(authorization_id, order_id, status), _JSON)
        )

    return declare


async def _exercise_capture(gateway: PaymentsGateway) -> None:
    assert await gateway.capture("auth-2001") is None


async def _exercise_void(gateway: PaymentsGateway) -> None:
    assert await gateway.void("auth-3001") is None


def _authorized(authorization_id: str, order_id: str) -> State:
    return State(
        "an authorization is held",
        {
            "authorization_id": authorization_id,
            "order_id": order_id,
            "amount_cents": 4200,
            "currency": "EUR",
        },
    )


def needs() -> list[Need[PaymentsGateway]]:
    """Every interaction orders relies on, in the order orders makes them."""
    return [
        Need(
            "a request to authorize a payment with a good card",
            (State("a card is approved", {"card_token": APPROVED_CARD}),),
            _declare_authorize,
            _exercise_authorize,
        ),
        Need(
            "a request to authorize a payment with a card that has no funds",
            (
                State(
                    "a card is declined",
                    {"card_token": DECLINED_CARD, "reason": "insufficient_funds"},
                ),
            ),
            _declare_declined,
            _exercise_declined,
        ),
        Need(
            "a request to capture an authorized payment",
            (_authorized("auth-2001", "ord-2001"),),
            _declare_close("capture", "auth-2001", "ord-2001", "captured"),
            _exercise_capture,
        ),
        Need(
            "a request to void an authorized payment",
            (_authorized("auth-3001", "ord-3001"),),
            _declare_close("void", "auth-3001", "ord-3001", "voided"),
            _exercise_void,
        ),
    ]
