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


# The payments domain declares its own errors, alike in shape to the other services' (one
# value carried, a message made of it) but not shared with them: a domain imports the
# standard library and itself alone (tests/unit/test_boundaries.py), and each message
# and field is this service's word, answered through its own contract.
class PaymentsError(Exception):
    """Root of every payments domain error."""


class InvalidAmount(PaymentsError, ValueError):
    """An amount that is not a positive whole number of cents, or a malformed currency."""


class AuthorizationNotFound(PaymentsError):
    """No authorization has this id."""

    def __init__(self, authorization_id: str) -> None:
        super().__init__(f"no authorization {authorization_id!r}")
        self.authorization_id = authorization_id


class DuplicateAuthorization(PaymentsError):
    """The order already holds an authorization for a different amount."""

    def __init__(self, order_id: str, authorization_id: str) -> None:
        super().__init__(
            f"order {order_id!r} already holds authorization {authorization_id!r} "
            "for a different amount"
        )
        self.order_id = order_id
        self.authorization_id = authorization_id


class InvalidTransition(PaymentsError):
    """The authorization is already closed the other way."""

    def __init__(
        self, authorization_id: str, current: AuthorizationStatus, target: AuthorizationStatus
    ) -> None:
        super().__init__(
            f"authorization {authorization_id!r} is {current.value}; it cannot become "
            f"{target.value}"
        )
        self.authorization_id = authorization_id
        self.current = current
        self.target = target


class CardDeclined(PaymentsError):
    """The card processor declined the card."""

    def __init__(self, reason: DeclineReason) -> None:
        super().__init__(f"card declined: {reason.value}")
        self.reason = reason


class ProcessorUnavailable(PaymentsError):
    """The card processor could not be reached or could not decide; try again later."""
