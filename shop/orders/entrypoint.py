"""The orders contract (version 1), implemented: contract messages in, use cases, out.

Domain errors become the contract's declared errors in one table, :data:`ERRORS`; an
error whose contract class carries typed detail gets it from the exception's attributes
of the same names (``OutOfStock.sku``, ``.requested``, ``.available`` …). The app
answers every operation of both versions through it (``errors=ANSWERS``).

Feature flags (``shop.orders.flags``) act here, at the door, before any use case runs:
while ``pause-orders`` is on, placing an order answers 503 ``orders.paused`` (reads go on);
``strict-card-tokens``, rolled out per customer, refuses a card token not of the vault's
form before any stock is held.

Who the caller is comes from its token (:func:`accord.runtime.auth.current_principal`),
never from the body: an order is placed for the token's customer, a customer lists and
reads only their own orders, and another customer's order is "not found". The use cases
get the customer as plain data. Without authentication (``ACCORD_AUTH=off``) the
request's ``customer_id`` is taken as it is.

A placement runs under the ``Idempotency-Key`` the idempotency layer claimed for it
(:func:`accord.runtime.idempotency.current_claim`): the use case stores the order with
the key, so a re-run of the key never places a second order.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import msgspec

from accord.errors import (
    FieldError,
    Forbidden,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    InternalError,
    ServiceError,
    Unavailable,
    ValidationDetails,
    ValidationFailed,
)
from accord.flags import Flags
from accord.runtime.auth import current_principal
from accord.runtime.idempotency import current_claim
from accord.runtime.translation import Answers
from shop.orders import contract as c
from shop.orders.application.placements import KeyReused, PlacementInProgress, PlacementKey
from shop.orders.application.ports import ConcurrencyConflict
from shop.orders.application.services import OrderService
from shop.orders.domain import exceptions as d
from shop.orders.domain.model import Order, RequestedItem
from shop.orders.flags import PAUSE_ORDERS, STRICT_CARD_TOKENS

OrderT = TypeVar("OrderT")
OrderListT = TypeVar("OrderListT")

__all__ = [
    "ANSWERS",
    "CARD_TOKEN",
    "ERRORS",
    "PAUSED_RETRY_AFTER",
    "RETRY_AFTER",
    "OrderEndpointBase",
    "OrdersEndpoint",
    "contract_error",
    "order_message",
    "ordering_customer",
    "placement_key",
    "reading_customer",
    "timestamp",
]

log = logging.getLogger(__name__)

#: Seconds a client is asked to wait before placing again when a dependency is down.
RETRY_AFTER = "1"

#: Seconds a client is asked to wait while placing orders is paused (a person flips it back).
PAUSED_RETRY_AFTER = "30"
#: The card vault's tokens, as ``strict-card-tokens`` checks them.
CARD_TOKEN = re.compile(r"tok_[A-Za-z0-9_]{1,60}")

#: Domain error → the contract error it is answered with.
ERRORS: dict[type[Exception], type[ServiceError[Any]]] = {
    d.RepeatedSku: c.RepeatedSku,
    d.InvalidOrder: ValidationFailed,
    d.OrderNotFound: c.OrderNotFound,
    d.UnknownSku: c.UnknownSku,
    d.OutOfStock: c.OutOfStock,
    d.PaymentDeclined: c.PaymentDeclined,
    d.DependencyUnavailable: c.DependencyUnavailable,
    d.DependencyFailed: InternalError,
    ConcurrencyConflict: Unavailable,
    KeyReused: IdempotencyKeyReused,
    PlacementInProgress: IdempotencyKeyInUse,
}


def contract_error(exc: Exception) -> ServiceError[Any]:
    """The contract error that answers the domain error ``exc`` (looked up in :data:`ERRORS`)."""
    error = next(ERRORS[k] for k in type(exc).__mro__ if k in ERRORS)
    if isinstance(exc, d.InvalidOrder) and error is ValidationFailed:
        path = f"$.{exc.field}" if exc.field else "$"
        return ValidationFailed(
            f"{exc} at {path}",
            ValidationDetails(errors=[FieldError(path=path, message=str(exc))]),
        )
    detail = str(exc)
    if isinstance(exc, d.InvalidOrder) and exc.field:
        detail = f"{exc} at $.{exc.field}"
    if isinstance(exc, d.DependencyUnavailable | d.DependencyFailed):
        # The cause names internal addresses: it goes to the log, not to the caller.
        log.warning("order placement failed: %s", exc)
        verb = "is unavailable" if isinstance(exc, d.DependencyUnavailable) else "failed"
        detail = f"{exc.dependency} {verb}"
    info = None
    if error.info_type is not None:
        fields = error.info_type.__struct_fields__
        info = msgspec.convert({name: getattr(exc, name) for name in fields}, error.info_type)
    answer = error(detail, info)
    if answer.status == 503 or isinstance(answer, IdempotencyKeyInUse):
        # Nothing is held for the order any more: trying again after a pause is safe.
        answer.with_header("Retry-After", RETRY_AFTER)
    return answer


#: Every domain error of :data:`ERRORS`, answered by :func:`contract_error`: the table the
#: app answers every operation of both versions through (``App(..., errors=ANSWERS)``).
ANSWERS: Answers = dict.fromkeys(ERRORS, contract_error)


def _missing_customer() -> ValidationFailed:
    message = "a customer_id is needed when the token speaks for no customer"
    return ValidationFailed(
        f"{message} at $.customer_id",
        ValidationDetails(errors=[FieldError(path="$.customer_id", message=message)]),
    )


def ordering_customer(claimed: str | None) -> str:
    """The customer an order is placed for: the token's, whatever the body says.

    A token that speaks for no customer may not place orders (403); a body naming
    another customer than the token's is refused (403), never taken.
    """
    principal = current_principal()
    if principal is None:
        if claimed is None:
            raise _missing_customer()
        return claimed
    if principal.customer_id is None:
        raise Forbidden("placing an order needs a customer's token")
    if claimed is not None and claimed != principal.customer_id:
        raise Forbidden("customer_id must be the token's own customer")
    return principal.customer_id


def reading_customer(claimed: str | None) -> str | None:
    """The customer whose orders the caller may read: its own for a customer's token
    (naming another is refused, 403), else the one asked for (``None``: any)."""
    principal = current_principal()
    if principal is None or principal.customer_id is None:
        return claimed
    if claimed is not None and claimed != principal.customer_id:
        raise Forbidden("a customer reads only their own orders")
    return principal.customer_id


def placement_key() -> PlacementKey | None:
    """The key this placement runs under, as the idempotency layer claimed it."""
    claim = current_claim()
    if claim is None:
        return None
    until = datetime.fromtimestamp(claim.lease_until, UTC)
    return PlacementKey(key=claim.key, fingerprint=claim.fingerprint, lease_until=until)


def timestamp(moment: datetime) -> str:
    """``moment`` in UTC as RFC 3339 with microseconds: ``2026-11-27T09:30:00.000000Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def order_message(
    order: Order, message: Callable[..., OrderT], lines: list[Any], **amounts: Any
) -> OrderT:
    """``order`` as a version's ``message``: what every version says of an order (its
    ids, status, creation time and note), with the ``lines`` and ``amounts`` (its total)
    as that version writes them."""
    return message(
        order_id=order.order_id,
        customer_id=order.customer_id,
        status=order.status.value,
        lines=lines,
        created_at=timestamp(order.created_at),
        note=order.note,
        **amounts,
    )


def _order(order: Order) -> c.Order:
    """Version 1's order: amounts in cents, unpriced lines at 0, and one currency."""
    lines = [
        c.OrderLine(
            sku=line.sku, quantity=line.quantity, unit_price_cents=line.unit_price_cents or 0
        )
        for line in order.lines
    ]
    return order_message(
        order, c.Order, lines, total_cents=order.total_cents, currency=order.currency
    )


class OrderEndpointBase(Generic[OrderT, OrderListT]):
    """The operations every version of the orders contract shares, over one OrderService.

    Requests are the same in every version; a version says only how an order goes out
    (:meth:`present`) and how a list of them does (:meth:`listing`). ``keyed=False``
    places without the key (a test build shows what that protection is worth).
    """

    def __init__(
        self, service: OrderService, flags: Flags | None = None, *, keyed: bool = True
    ) -> None:
        self._service = service
        self._flags = flags
        self._keyed = keyed

    def _admit(self, customer: str, card_token: str) -> None:
        """The flags' say on an order before it is placed: paused, or a token refused."""
        flags = self._flags
        if flags is None:
            return
        if flags.value(PAUSE_ORDERS, targeting_key=customer):
            raise c.OrdersPaused("placing orders is paused; reading them still works").with_header(
                "Retry-After", PAUSED_RETRY_AFTER
            )
        if flags.value(STRICT_CARD_TOKENS, targeting_key=customer) and not CARD_TOKEN.fullmatch(
            card_token
        ):
            message = "a card token is tok_ followed by letters, digits or _"
            raise ValidationFailed(
                f"{message} at $.card_token",
                ValidationDetails(errors=[FieldError(path="$.card_token", message=message)]),
            )

    def present(self, order: Order) -> OrderT:
        """The order as this version's response message."""
        raise NotImplementedError

    def listing(self, orders: list[OrderT]) -> OrderListT:
        """A list of orders as this version's response message."""
        raise NotImplementedError

    async def place_order(self, request: c.PlaceOrder) -> OrderT:
        """Place the order: stock held, payment taken, or rejected with nothing held."""
        customer = ordering_customer(request.customer_id)
        self._admit(customer, request.card_token)
        order = await self._service.place_order(
            customer_id=customer,
            items=[RequestedItem(item.sku, item.quantity) for item in request.items],
            card_token=request.card_token,
            note=request.note,
            key=placement_key() if self._keyed else None,
        )
        return self.present(order)

    async def get_order(self, request: c.GetOrder) -> OrderT:
        """Read one order: the caller's own, when it is a customer."""
        reader = reading_customer(None)
        order = await self._service.get_order(request.order_id, reader=reader)
        return self.present(order)

    async def list_orders(self, request: c.ListOrders) -> OrderListT:
        """A customer's newest orders, newest first (a customer's token: their own)."""
        customer = reading_customer(request.customer_id)
        if customer is None:
            raise _missing_customer()
        orders = await self._service.list_orders(customer, request.limit)
        return self.listing([self.present(order) for order in orders])


class OrdersEndpoint(OrderEndpointBase[c.Order, c.OrderList]):
    """Serves :class:`shop.orders.contract.Orders` (version 1) with an :class:`OrderService`."""

    def present(self, order: Order) -> c.Order:
        """The order with amounts in cents and one currency."""
        return _order(order)

    def listing(self, orders: list[c.Order]) -> c.OrderList:
        """Version 1's list message."""
        return c.OrderList(orders=orders)
