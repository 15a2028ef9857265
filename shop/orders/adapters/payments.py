"""The ``PaymentGateway`` port, spoken to the payments service through its typed client."""

from __future__ import annotations

from shop.orders.adapters.dependencies import dependency_errors
from shop.orders.adapters.gateway import Gateway
from shop.orders.domain.exceptions import PaymentDeclined
from shop.orders.domain.holds import FoundPayment, PaymentHold
from shop.payments.contract import (
    AuthorizationNotFound,
    AuthorizationRef,
    AuthorizePayment,
    CardDeclined,
    OrderRef,
    Payments,
)

__all__ = ["PaymentsGateway"]

_NAME = "payments"


class PaymentsGateway(Gateway[Payments]):
    """Authorize, capture and void card payments for orders.

    The authorization's idempotency key is derived from the order id, so sending it
    again (after a lost answer) cannot hold the amount twice.
    """

    contract = Payments

    async def authorize(
        self, order_id: str, amount_cents: int, currency: str, card_token: str
    ) -> PaymentHold:
        """Hold the amount; ``PaymentDeclined`` with the reason when the card is refused."""
        request = AuthorizePayment(
            order_id=order_id, amount_cents=amount_cents, currency=currency, card_token=card_token
        )
        try:
            with dependency_errors(_NAME, declared=(CardDeclined,)):
                authorization = await self._client.authorize(
                    request, idempotency_key=f"{order_id}:authorize"
                )
        except CardDeclined as exc:
            raise PaymentDeclined(exc.info.reason if exc.info else "declined") from exc
        return PaymentHold(authorization_id=authorization.authorization_id)

    async def capture(self, authorization_id: str) -> None:
        """Take the held amount."""
        with dependency_errors(_NAME):
            await self._client.capture(AuthorizationRef(authorization_id=authorization_id))

    async def void(self, authorization_id: str) -> None:
        """Let the held amount go."""
        with dependency_errors(_NAME):
            await self._client.void(AuthorizationRef(authorization_id=authorization_id))

    async def find_for_order(self, order_id: str) -> FoundPayment | None:
        """The order's authorization and its status (found by order id)."""
        try:
            with dependency_errors(_NAME, declared=(AuthorizationNotFound,)):
                authorization = await self._client.authorization_for_order(
                    OrderRef(order_id=order_id)
                )
        except AuthorizationNotFound:
            return None
        return FoundPayment(PaymentHold(authorization.authorization_id), authorization.status)

    async def void_for_order(self, order_id: str) -> int:
        """Void the authorization still held (not captured) for the order."""
        found = await self.find_for_order(order_id)
        if found is None or found.status != "authorized":
            return 0
        await self.void(found.hold.authorization_id)
        return 1
