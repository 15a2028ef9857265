"""Orders' use cases: place an order (a saga across stock and payments), read, list.

Placing an order is a saga with compensations::

    save pending ─► reserve stock ─► authorize total ─► commit stock ─► capture ─► confirmed
                         │                 │                 │              │
                         ▼                 ▼                 ▼              ▼
                      rejected     release stock     void payment,   void payment
                                                     release stock   (stock stays sold)

Whatever fails, the order ends ``rejected`` with a reason and nothing stays held: every
hold taken so far is let go, best effort (a compensation that fails is logged, never
raised over the original error). Stock is committed before the payment is captured, so
the worst a late failure can leave is stock sold for a rejected order, never money
taken for one: when the capture's answer is lost, the authorization is read back by
order id, and a capture that went through after all confirms the order.

When a compensation fails, or the failure leaves it unknown whether a hold was taken
(the answer to a reservation or an authorization was lost: a timeout, a dropped
connection, a 5xx), the rejected order is stored *owing a compensation*; the recovery
(:mod:`shop.orders.application.recovery`) finds the holds by order id and lets them go.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from shop.orders.application.ports import (
    Clock,
    IdFactory,
    PaymentGateway,
    StockGateway,
    UnitOfWorkFactory,
)
from shop.orders.domain.exceptions import (
    DependencyFailed,
    DependencyUnavailable,
    InvalidTransition,
    OrderNotFound,
    OutOfStock,
    PaymentDeclined,
    PlacementFailed,
    UnknownSku,
)
from shop.orders.domain.model import Order, RequestedItem

__all__ = ["FINISH_ATTEMPTS", "OrderService", "new_order_id", "utc_now"]

log = logging.getLogger(__name__)

#: How many times an idempotent last step (commit stock, capture payment) is tried.
FINISH_ATTEMPTS = 3
_FINISH_BACKOFF = 0.05


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def new_order_id() -> str:
    """A fresh, unguessable order id."""
    return "ord_" + uuid.uuid4().hex


@dataclass
class _Progress:
    """The holds a placement has taken so far, so a failure knows what to let go."""

    reservation_id: str | None = None
    authorization_id: str | None = None
    committed: bool = False
    captured: bool = False


class OrderService:
    """The orders use cases, run on the ports they are given."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        stock: StockGateway,
        payments: PaymentGateway,
        *,
        currency: str = "EUR",
        clock: Clock = utc_now,
        new_id: IdFactory = new_order_id,
        finish_attempts: int = FINISH_ATTEMPTS,
    ) -> None:
        if finish_attempts < 1:
            raise ValueError("finish_attempts must be at least 1")
        self._uow = uow
        self._stock = stock
        self._payments = payments
        self._currency = currency
        self._clock = clock
        self._new_id = new_id
        self._finish_attempts = finish_attempts

    async def place_order(
        self,
        *,
        customer_id: str,
        items: Sequence[RequestedItem],
        card_token: str,
        note: str | None = None,
    ) -> Order:
        """Place an order: hold its stock, hold its payment, then take both.

        Returns the confirmed order. On failure the order is stored ``rejected``, every
        hold is let go, and the failure is raised: ``UnknownSku``, ``OutOfStock``,
        ``PaymentDeclined``, ``DependencyUnavailable`` or ``DependencyFailed``
        (``InvalidOrder`` before anything is stored).
        """
        order = Order.place(
            order_id=self._new_id(),
            customer_id=customer_id,
            items=tuple(items),
            currency=self._currency,
            created_at=self._clock(),
            note=note,
        )
        async with self._uow() as uow:
            await uow.orders.add(order)
            await uow.commit()
        progress = _Progress()
        try:
            await self._run(order, card_token, progress)
        except Exception as exc:
            if not (progress.committed and await self._captured_after_all(order)):
                await asyncio.shield(asyncio.ensure_future(self._abandon(order, progress, exc)))
                raise
        except BaseException as exc:
            # Shielded: a cancelled request still lets go of what it held.
            await asyncio.shield(asyncio.ensure_future(self._abandon(order, progress, exc)))
            raise
        await self._save(order)
        return order

    async def get_order(self, order_id: str, *, reader: str | None = None) -> Order:
        """The order with this id; :class:`OrderNotFound` otherwise.

        ``reader`` is the customer asking (``None``: a reader that speaks for no customer).
        Another customer's order is not found, exactly as one that does not exist, so an
        id reveals nothing to whoever guesses it.
        """
        async with self._uow() as uow:
            order = await uow.orders.get(order_id)
        if order is None or not order.visible_to(reader):
            raise OrderNotFound(order_id)
        return order

    async def list_orders(self, customer_id: str, limit: int = 20) -> list[Order]:
        """The customer's newest ``limit`` orders, newest first."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        async with self._uow() as uow:
            return await uow.orders.list_for_customer(customer_id, limit)

    # -- the saga ------------------------------------------------------------------------

    async def _run(self, order: Order, card_token: str, progress: _Progress) -> None:
        hold = await self._stock.reserve(order.order_id, order.items)
        progress.reservation_id = hold.reservation_id
        try:
            order.hold_stock(hold)
        except InvalidTransition as exc:
            raise DependencyFailed("inventory", str(exc)) from exc
        if order.total_cents > 0:
            payment = await self._payments.authorize(
                order.order_id, order.total_cents, order.currency, card_token
            )
            progress.authorization_id = payment.authorization_id
            order.hold_payment(payment)
        await self._finish(self._stock.commit, hold.reservation_id)
        progress.committed = True
        if progress.authorization_id is not None:
            await self._finish(self._payments.capture, progress.authorization_id)
            progress.captured = True
        order.confirm()

    async def _finish(self, step: Callable[[str], Awaitable[None]], ref: str) -> None:
        """Run an idempotent last step, trying again while its service is unavailable."""
        for attempt in range(1, self._finish_attempts + 1):
            try:
                await step(ref)
                return
            except DependencyUnavailable:
                if attempt == self._finish_attempts:
                    raise
                await asyncio.sleep(_FINISH_BACKOFF * attempt)

    async def _captured_after_all(self, order: Order) -> bool:
        """Whether a capture whose answer was lost took the money after all; then the
        order is confirmed (never rejected with its money taken)."""
        try:
            found = await self._payments.find_for_order(order.order_id)
        except PlacementFailed:
            return False
        if found is None or found.status != "captured":
            return False
        order.confirm()
        log.warning("order %s: its capture went through after all; confirmed", order.order_id)
        return True

    async def _abandon(self, order: Order, progress: _Progress, exc: BaseException) -> None:
        """Let go of every hold, then store the order rejected (owing a compensation when
        a hold may be left)."""
        oid = order.order_id
        settled = isinstance(exc, _CLEAN_REFUSALS) or (
            isinstance(exc, DependencyUnavailable) and not exc.sent
        )
        if progress.authorization_id is not None and not progress.captured:
            settled &= await _best_effort(
                self._payments.void(progress.authorization_id), "void", oid
            )
        if progress.reservation_id is not None:
            if progress.committed:
                log.error(
                    "order %s rejected after its stock was committed (reservation %s): "
                    "the stock stays sold",
                    oid,
                    progress.reservation_id,
                )
            else:
                settled &= await _best_effort(
                    self._stock.release(progress.reservation_id), "release stock", oid
                )
        if isinstance(exc, PlacementFailed):
            reason = exc.rejection
        elif isinstance(exc, asyncio.CancelledError):
            reason = "cancelled"
        else:
            reason = "internal"
        order.reject(reason)
        if not settled:
            order.owe_compensation()
        try:
            await self._save(order)
        except Exception:
            log.exception("could not store order %s as rejected", oid)

    async def _save(self, order: Order) -> None:
        async with self._uow() as uow:
            await uow.orders.save(order)
            await uow.commit()


#: Refusals that leave nothing unknown held behind (so does a call that was never sent);
#: every other failure may have left a hold orders never heard of.
_CLEAN_REFUSALS = (UnknownSku, OutOfStock, PaymentDeclined)


async def _best_effort(step: Awaitable[None], what: str, order_id: str) -> bool:
    """Run a compensation; False (logged, not raised) when it failed."""
    try:
        await step
    except Exception:
        log.exception("compensation failed for order %s: could not %s", order_id, what)
        return False
    return True
