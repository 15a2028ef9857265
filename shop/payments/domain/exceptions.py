"""What can go wrong in payments, in the domain's own words.

PaymentsError
├── InvalidAmount          an amount or currency that money cannot have
├── AuthorizationNotFound  no authorization with that id
├── DuplicateAuthorization the order already holds a different authorization
├── InvalidTransition      the authorization cannot move that way
├── CardDeclined           the processor declined the card (carries the reason)
└── ProcessorUnavailable   the processor did not decide (worth retrying)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shop.common.errors import ValuedError

if TYPE_CHECKING:
    from shop.payments.domain.model import AuthorizationStatus, DeclineReason

__all__ = [
    "AuthorizationNotFound",
    "CardDeclined",
    "DuplicateAuthorization",
    "InvalidAmount",
    "InvalidTransition",
    "PaymentsError",
    "ProcessorUnavailable",
]


# The payments domain declares its own errors: each message and field is this service's
# word, answered through its own contract. One that carries values is declared by them
# and its message (shop.common.errors.ValuedError).
class PaymentsError(Exception):
    """Root of every payments domain error."""


class InvalidAmount(PaymentsError, ValueError):
    """An amount that is not a positive whole number of cents, or a malformed currency."""


class AuthorizationNotFound(PaymentsError, ValuedError):
    """No authorization has this id."""

    authorization_id: str
    message = "no authorization {authorization_id!r}"


class DuplicateAuthorization(PaymentsError, ValuedError):
    """The order already holds an authorization for a different amount."""

    order_id: str
    authorization_id: str
    message = (
        "order {order_id!r} already holds authorization {authorization_id!r} for a different amount"
    )


class InvalidTransition(PaymentsError, ValuedError):
    """The authorization is already closed the other way."""

    authorization_id: str
    current: AuthorizationStatus
    target: AuthorizationStatus
    message = (
        "authorization {authorization_id!r} is {current.value}; it cannot become {target.value}"
    )


class CardDeclined(PaymentsError, ValuedError):
    """The card processor declined the card."""

    reason: DeclineReason
    message = "card declined: {reason.value}"


class ProcessorUnavailable(PaymentsError):
    """The card processor could not be reached or could not decide; try again later."""
