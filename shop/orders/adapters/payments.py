"""The ``PaymentGateway`` port, spoken to the payments service through its typed client."""

from __future__ import annotations

from typing import Any

import httpx

from accord.client import reconfigure
from accord.observability.telemetry import Telemetry
from shop.orders.adapters.credentials import Bearer
from shop.orders.adapters.dependencies import dependency_errors
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


class PaymentsGateway:
    """Authorize, capture and void card payments for orders.

    The authorization's idempotency key is derived from the order id, so sending it
    again (after a lost answer) cannot hold the amount twice.
    """

    def __init__(self, client: Payments, bearer: Bearer | None = None) -> None:
        self._client = client
        self._bearer = bearer or Bearer()

    @classmethod
    def connect(
        cls,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        telemetry: Telemetry | None = None,
        bearer: Bearer | None = None,
    ) -> PaymentsGateway:
        """A gateway over a typed payments client at ``base_url``."""
        client = Payments.client(base_url, transport=transport, telemetry=telemetry)
        return cls(client, bearer)

    async def aclose(self) -> None:
        """Close the client's connections."""
        await self._client.aclose()

    def reconfigure(self, *, retry: Any, breaker: Any) -> None:
        """Retry and break with new figures from now on (orders' settings reloaded)."""
        reconfigure(self._client, retry=retry, breaker=breaker)

    async def authorize(
        self, order_id: str, amount_cents: int, currency: str, card_token: str
    ) -> PaymentHold:
        """Hold the amount; ``PaymentDeclined`` with the reason when the card is refused."""
        request = AuthorizePayment(
            order_id=order_id, amount_cents=amount_cents, currency=currency, card_token=card_token
        )
        try:
            with dependency_errors(_NAME, declared=(CardDeclined,)), self._bearer.watch():
                authorization = await self._client.authorize(
                    request,
                    idempotency_key=f"{order_id}:authorize",
                    headers=await self._bearer.headers(),
                )
        except CardDeclined as exc:
            raise PaymentDeclined(exc.info.reason if exc.info else "declined") from exc
        return PaymentHold(authorization_id=authorization.authorization_id)

    async def capture(self, authorization_id: str) -> None:
        """Take the held amount."""
        with dependency_errors(_NAME), self._bearer.watch():
            await self._client.capture(
                AuthorizationRef(authorization_id=authorization_id),
                headers=await self._bearer.headers(),
            )

    async def void(self, authorization_id: str) -> None:
        """Let the held amount go."""
        with dependency_errors(_NAME), self._bearer.watch():
            await self._client.void(
                AuthorizationRef(authorization_id=authorization_id),
                headers=await self._bearer.headers(),
            )

    async def find_for_order(self, order_id: str) -> FoundPayment | None:
        """The order's authorization and its status (found by order id)."""
        try:
            with (
                dependency_errors(_NAME, declared=(AuthorizationNotFound,)),
                self._bearer.watch(),
            ):
                authorization = await self._client.authorization_for_order(
                    OrderRef(order_id=order_id), headers=await self._bearer.headers()
                )
        except AuthorizationNotFound:
            return None
        return FoundPayment(PaymentHold(authorization.authorization_id), authorization.status)

    async def void_for_order(self, order_id: str) -> int:
        """Void the authorization still held (not captured) for the order."""
        try:
            with (
                dependency_errors(_NAME, declared=(AuthorizationNotFound,)),
                self._bearer.watch(),
            ):
                authorization = await self._client.authorization_for_order(
                    OrderRef(order_id=order_id), headers=await self._bearer.headers()
                )
        except AuthorizationNotFound:
            return 0
        if authorization.status != "authorized":
            return 0
        await self.void(authorization.authorization_id)
        return 1
