"""The payments contract, implemented: contract messages in, use cases, contract messages out.

Domain errors become the contract's declared errors in one table, :data:`ERRORS`, which
the app answers every operation through (``errors=``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from accord.errors import ServiceError, Unavailable
from shop.common.listing import Listing
from shop.payments import contract as c
from shop.payments.application.ports import ConcurrencyConflict
from shop.payments.application.services import PaymentService
from shop.payments.domain import exceptions as d
from shop.payments.domain.model import Authorization, AuthorizationStatus, Money

__all__ = ["ERRORS", "PaymentsEndpoint"]

#: Domain error → the contract error it is answered with.
ERRORS: Mapping[type[Exception], Callable[[Any], ServiceError[Any]]] = {
    d.AuthorizationNotFound: lambda e: c.AuthorizationNotFound(str(e)),
    d.InvalidTransition: lambda e: c.InvalidTransition(str(e)),
    d.DuplicateAuthorization: lambda e: c.AlreadyAuthorized(str(e)),
    d.CardDeclined: lambda e: c.CardDeclined(str(e), c.CardDeclinedInfo(reason=e.reason.value)),
    d.ProcessorUnavailable: lambda e: c.ProcessorUnavailable(str(e)),
    ConcurrencyConflict: lambda e: Unavailable(str(e)),
}


def _authorization(auth: Authorization) -> c.Authorization:
    return c.Authorization(
        authorization_id=auth.authorization_id,
        order_id=auth.order_id,
        amount_cents=auth.amount.cents,
        currency=auth.amount.currency,
        status=auth.status.value,
    )


class PaymentsEndpoint:
    """Serves :class:`shop.payments.contract.Payments` with a :class:`PaymentService`."""

    def __init__(self, service: PaymentService) -> None:
        self._service = service

    async def authorize(self, request: c.AuthorizePayment) -> c.Authorization:
        """Hold the amount on the card."""
        auth = await self._service.authorize(
            order_id=request.order_id,
            amount=Money(request.amount_cents, request.currency),
            card_token=request.card_token,
        )
        return _authorization(auth)

    async def get_authorization(self, request: c.AuthorizationRef) -> c.Authorization:
        """Read one authorization."""
        return _authorization(await self._service.get(request.authorization_id))

    async def authorization_for_order(self, request: c.OrderRef) -> c.Authorization:
        """The authorization of one order (what the order's own service looks up)."""
        return _authorization(await self._service.for_order(request.order_id))

    async def list_authorizations(self, request: c.ListAuthorizations) -> c.AuthorizationList:
        """Authorizations in id order, filtered by status and order when asked."""
        status = AuthorizationStatus(request.status) if request.status else None
        listing = Listing(
            status=status, order_id=request.order_id, after=request.after, limit=request.limit
        )
        found = await self._service.find(listing)
        return c.AuthorizationList(authorizations=[_authorization(a) for a in found])

    async def capture(self, request: c.AuthorizationRef) -> c.Authorization:
        """Take the held money."""
        return _authorization(await self._service.capture(request.authorization_id))

    async def void(self, request: c.AuthorizationRef) -> c.Authorization:
        """Let the held money go."""
        return _authorization(await self._service.void(request.authorization_id))
