"""Authorizations and the values they are made of.

An authorization holds an amount on a card for one order. It moves only forward:
``authorized → captured`` or ``authorized → voided``. Capturing a captured
authorization (or voiding a voided one) changes nothing; going the other way is an
:class:`~shop.payments.domain.exceptions.InvalidTransition`.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from shop.payments.domain.exceptions import InvalidAmount, InvalidTransition

__all__ = [
    "Approved",
    "Authorization",
    "AuthorizationStatus",
    "Decision",
    "DeclineReason",
    "Declined",
    "Money",
]

_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True, slots=True)
class Money:
    """A positive amount in the currency's minor unit (cents), kept exactly as an integer."""

    cents: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.cents, bool) or not isinstance(self.cents, int):
            raise InvalidAmount(f"amount must be a whole number of cents, got {self.cents!r}")
        if self.cents <= 0:
            raise InvalidAmount(f"amount must be positive, got {self.cents}")
        if not isinstance(self.currency, str) or not _CURRENCY.match(self.currency):
            raise InvalidAmount(f"currency must be three capital letters, got {self.currency!r}")


class AuthorizationStatus(enum.Enum):
    """Where an authorization is in its life."""

    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    VOIDED = "voided"


class DeclineReason(enum.Enum):
    """Why a card was declined, in the shop's words (not the processor's codes)."""

    INSUFFICIENT_FUNDS = "insufficient_funds"
    CARD_EXPIRED = "card_expired"
    DO_NOT_HONOR = "do_not_honor"
    FRAUD_SUSPECTED = "fraud_suspected"


@dataclass(frozen=True, slots=True)
class Approved:
    """The processor holds the amount; ``reference`` names the hold on its side."""

    reference: str


@dataclass(frozen=True, slots=True)
class Declined:
    """The processor refused to hold the amount."""

    reason: DeclineReason


#: What the processor decided about an authorization request.
Decision = Approved | Declined


@dataclass(slots=True)
class Authorization:
    """An amount held on a card for one order, later captured or voided.

    ``version`` counts the changes persisted so far; repositories use it to detect a
    concurrent change.
    """

    authorization_id: str
    order_id: str
    amount: Money
    processor_reference: str
    created_at: datetime
    status: AuthorizationStatus = AuthorizationStatus.AUTHORIZED
    version: int = 0

    def __post_init__(self) -> None:
        if not self.authorization_id or not self.order_id:
            raise ValueError("an authorization needs an id and an order id")
        if self.created_at.tzinfo is None:
            raise ValueError("created_at must be timezone-aware")

    def capture(self) -> bool:
        """Take the held money; return whether anything changed (``False`` when done already)."""
        return self._move(AuthorizationStatus.CAPTURED)

    def void(self) -> bool:
        """Let the held money go; return whether anything changed (``False`` when done already)."""
        return self._move(AuthorizationStatus.VOIDED)

    def same_request(self, order_id: str, amount: Money) -> bool:
        """Whether this authorization answers an identical request (a safe retry)."""
        return self.order_id == order_id and self.amount == amount

    def _move(self, target: AuthorizationStatus) -> bool:
        if self.status is target:
            return False
        if self.status is not AuthorizationStatus.AUTHORIZED:
            raise InvalidTransition(self.authorization_id, self.status, target)
        self.status = target
        return True
