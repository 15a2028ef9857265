"""The payments contract: authorize, capture and void card payments.

An authorization holds an amount on a card; capturing it takes the money, voiding it
lets it go. Each moves only forward: authorized → captured, or authorized → voided.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from accord import Contract, Idempotency, ServiceError, operation
from accord.contract import Secret, create, read

__all__ = [
    "AlreadyAuthorized",
    "Authorization",
    "AuthorizationList",
    "AuthorizationNotFound",
    "AuthorizationRef",
    "AuthorizePayment",
    "CardDeclined",
    "CardDeclinedInfo",
    "InvalidTransition",
    "ListAuthorizations",
    "OrderRef",
    "Payments",
    "ProcessorUnavailable",
]

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class AuthorizePayment(msgspec.Struct, kw_only=True):
    """Hold ``amount_cents`` on the card a token stands for."""

    order_id: Id
    amount_cents: Annotated[int, msgspec.Meta(gt=0, le=100_000_000)]
    currency: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")] = "EUR"
    card_token: Annotated[str, msgspec.Meta(min_length=4, max_length=64), Secret]


class Authorization(msgspec.Struct, kw_only=True):
    authorization_id: str
    order_id: str
    amount_cents: int
    currency: str
    status: Literal["authorized", "captured", "voided"]


class AuthorizationRef(msgspec.Struct, kw_only=True):
    authorization_id: Id


class OrderRef(msgspec.Struct, kw_only=True):
    order_id: Id


class ListAuthorizations(msgspec.Struct, kw_only=True):
    """Authorizations in id order, of one status or one order when asked; a page starts
    after the authorization id ``after``."""

    status: Literal["authorized", "captured", "voided"] | None = None
    order_id: Id | None = None
    after: Id | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 100


class AuthorizationList(msgspec.Struct, kw_only=True):
    authorizations: list[Authorization]


class CardDeclinedInfo(msgspec.Struct, kw_only=True):
    reason: Literal["insufficient_funds", "card_expired", "do_not_honor", "fraud_suspected"]


class CardDeclined(ServiceError[CardDeclinedInfo], code="payments.card_declined", status=402):
    """Card declined"""


class AuthorizationNotFound(
    ServiceError[None], code="payments.authorization_not_found", status=404
):
    """Authorization not found"""


class InvalidTransition(ServiceError[None], code="payments.invalid_transition", status=409):
    """The authorization cannot move that way"""


class AlreadyAuthorized(ServiceError[None], code="payments.already_authorized", status=409):
    """The order is already authorized with other terms"""


class ProcessorUnavailable(
    ServiceError[None], code="payments.processor_unavailable", status=503, retryable=True
):
    """Card processor unavailable"""


class Payments(Contract, name="payments", version="1.3.0"):
    """Card payments: authorizations that are later captured or voided."""

    authorize = create(
        AuthorizePayment,
        Authorization,
        "/authorizations",
        timeout=3.0,
        scopes=("payments:authorize",),
        errors=(CardDeclined, AlreadyAuthorized, ProcessorUnavailable),
    )
    list_authorizations = read(
        ListAuthorizations,
        AuthorizationList,
        "/authorizations",
        timeout=2.0,
        scopes=("payments:read",),
    )
    authorization_for_order = read(
        OrderRef,
        Authorization,
        "/orders/{order_id}/authorization",
        timeout=2.0,
        scopes=("payments:void",),
        errors=(AuthorizationNotFound,),
    )
    get_authorization = read(
        AuthorizationRef,
        Authorization,
        "/authorizations/{authorization_id}",
        timeout=2.0,
        scopes=("payments:read",),
        errors=(AuthorizationNotFound,),
    )
    capture = operation(
        AuthorizationRef,
        Authorization,
        method="POST",
        path="/authorizations/{authorization_id}/capture",
        idempotency=Idempotency.IDEMPOTENT,
        timeout=3.0,
        scopes=("payments:capture",),
        errors=(AuthorizationNotFound, InvalidTransition, ProcessorUnavailable),
    )
    void = operation(
        AuthorizationRef,
        Authorization,
        method="POST",
        path="/authorizations/{authorization_id}/void",
        idempotency=Idempotency.IDEMPOTENT,
        timeout=3.0,
        scopes=("payments:void",),
        errors=(AuthorizationNotFound, InvalidTransition, ProcessorUnavailable),
    )
